#!/usr/bin/env python3
"""Turns the BENCH-POLICY lines of policy_path.sh into Markdown and a plot.

usage: report_policy.py RAW ENVIRONMENT [PNG]

Per (peer, rules): the median over rounds of TCP throughput, request/response
rate, 64-byte UDP packet rate and the node's forwarding rate for one UDP flow
(fwd_pps; lines without it, from older runs, are skipped for it).  Every peer at every size is measured in
every round, so ratios are paired: the median over rounds of the ratio of
two measurements taken in the same round.  Single-size peers (floor,
flowtable, the 10k-FORWARD pair) carry rules=0.
"""
import re
import statistics
import sys
from collections import defaultdict

METRICS = [("tput_mbps", "TCP throughput, Mbit/s"), ("rr_per_s", "request/response, 1/s"),
           ("udp_pps", "64-byte UDP, packets/s"),
           ("fwd_pps", "forwarding one UDP flow (64-byte frames, packet-socket source, dropped at the server pod's ingress), packets/s")]
SIZED = ["kplane", "iptables", "ipset", "nftables"]
FLAT = ["flowtable", "floor", "kplane+10k-fwd", "floor+10k-fwd"]

vals = defaultdict(list)
by_round = {}   # (peer, rules, metric, round) -> value
prog = {}
work = defaultdict(list)    # kplane rules -> [(evaluated, bypassed)] per measurement
conn = {}       # (peer, rules, round) -> median connect() µs
for line in open(sys.argv[1]):
    kv = dict(re.findall(r'([\w+-]+)=(\S+)', line))
    if line.startswith('BENCH-POLICY-CONNECT'):
        conn[(kv['peer'], int(kv['rules']), kv['round'])] = float(kv['median_us'])
    elif line.startswith('BENCH-POLICY-PROGRAM'):
        prog[(kv['peer'], int(kv['rules']))] = int(kv['ms'])
    elif line.startswith('BENCH-POLICY '):
        r = int(kv['rules'])
        for m, _ in METRICS:
            if m not in kv:
                continue
            vals[(kv['peer'], r, m)].append(float(kv[m]))
            if r:
                vals[(kv['peer'], 0, m)].append(float(kv[m]))
            by_round[(kv['peer'], r, m, kv['round'])] = float(kv[m])
        if kv['peer'] == 'kplane' and 'evaluated' in kv:
            work[r].append((int(kv['evaluated']), int(kv['bypassed'])))
rounds = sorted({k[3] for k in by_round})


def paired(a, ra, b, rb, m):
    """Median over rounds of a/b, both measured in that round (higher: a faster)."""
    rs = [by_round[(a, ra, m, x)] / by_round[(b, rb, m, x)] for x in rounds
          if (a, ra, m, x) in by_round and by_round.get((b, rb, m, x))]
    return statistics.median(rs) if rs else None


def spread(peer, m):
    """Median over rounds of (max - min) / min across sizes within the round."""
    out = []
    for x in rounds:
        v = [by_round[(peer, r, m, x)] for r in sizes if (peer, r, m, x) in by_round]
        if len(v) == len(sizes) and min(v) > 0:
            out.append((max(v) - min(v)) / min(v))
    return statistics.median(out) if out else None


def spread_vs_floor(m):
    """(max - min) / min across sizes of kplane/floor, each paired within rounds."""
    v = [paired("kplane", r, "floor", 0, m) for r in sizes]
    v = [x for x in v if x]
    return (max(v) - min(v)) / min(v) if len(v) == len(sizes) else None


def pct(x):
    return "-" if x is None else f"{100 * x:.1f}%"


def xfmt(x):
    return "-" if x is None else f"{x:.2f}x"

sizes = sorted({r for (_, r, _) in vals if r})


def med(peer, rules, m):
    v = vals.get((peer, rules, m))
    return statistics.median(v) if v else None


def fmt(x):
    return "-" if x is None else (f"{x:,.0f}" if x >= 100 else f"{x:.1f}")


print("# Policy datapath benchmark\n")
print(f"Environment: {sys.argv[2]}. Pod to pod through one node (forwarded), the policy guarding")
print("the server pod, the matching rule last; every peer at every size in its own node netns,")
print("all measured in every round (rotating order); medians over rounds, and paired ratios:")
print("the median over rounds of the ratio of two measurements in the same round. Throughput")
print("and rates are of established flows (one connection or stream per measurement), which")
print("is what the conntrack bypass is for.\n")
for m, title in METRICS:
    print(f"## {title}\n")
    others = [p for p in SIZED if p != "kplane"] + ["floor", "flowtable"]
    print("| rules | " + " | ".join(SIZED) + " | " +
          " | ".join(f"kplane / {p}" for p in others) + " |")
    print("|---|" + "---|" * (len(SIZED) + len(others)))
    for r in sizes:
        row = [med(p, r, m) for p in SIZED]
        ratios = [paired("kplane", r, p, r if p in SIZED else 0, m) for p in others]
        print(f"| {r} | " + " | ".join(fmt(x) for x in row) + " | " +
              " | ".join(xfmt(x) for x in ratios) + " |")
    sp = spread("kplane", m)
    k = [med("kplane", r, m) for r in sizes]
    k = [x for x in k if x]
    top = paired("kplane", sizes[-1], "kplane", sizes[0], m) if sizes else None
    if top:
        print(f"\nkplane with {sizes[-1]} rules / with {sizes[0]}, paired within rounds: "
              f"{top:.2f}x.", end="")
    if k:
        print(f"\nkplane from {sizes[0]} to {sizes[-1]} rules: spread within a round "
              f"{'-' if sp is None else f'{100 * sp:.1f}%'} (median over rounds; target < 5%); "
              f"of the medians {100 * (max(k) - min(k)) / min(k):.1f}%; of kplane/floor (paired "
              f"within rounds) {pct(spread_vs_floor(m))}. Peers alike: " +
              ", ".join(f"{p} {100 * spread(p, m):.1f}%" for p in SIZED[1:]
                        if spread(p, m) is not None) + ".")
    flat = {p: med(p, 0, m) for p in FLAT}
    print("\n| peer | median | kplane (all sizes) / peer, paired |\n|---|---|---|")
    for p in FLAT:
        rs = [paired("kplane", r, p, 0, m) for r in sizes]
        rs = [x for x in rs if x]
        print(f"| {p} | {fmt(flat.get(p))} | {xfmt(statistics.median(rs) if rs else None)} |")
    fw = paired("kplane+10k-fwd", 0, "floor+10k-fwd", 0, m)
    if fw:
        print(f"\nWith 10k unrelated rules in FORWARD: kplane {fmt(flat['kplane+10k-fwd'])} vs plain "
              f"forwarding {fmt(flat['floor+10k-fwd'])} ({fw:.2f}x paired).")
    print()

def conn_med(peer, rules):
    v = [x for (p, r, _), x in conn.items() if p == peer and r == rules]
    return statistics.median(v) if v else None


def conn_paired(a, ra, b, rb):
    """Median over rounds of a's connect() latency / b's (higher: a slower)."""
    rs = [conn[(a, ra, x)] / conn[(b, rb, x)] for x in rounds
          if (a, ra, x) in conn and conn.get((b, rb, x))]
    return statistics.median(rs) if rs else None


if conn:
    print("## New connections: connect() latency, median µs\n")
    print("Every SYN is a flow's first packet: the one the rules judge (kplane's matcher,")
    print("iptables' linear FORWARD chain, a set lookup). All peers and sizes in lockstep,")
    print("connection by connection; lower is better.\n")
    print("| rules | " + " | ".join(SIZED) + " | " +
          " | ".join(f"{p} / kplane" for p in SIZED[1:]) + " | kplane / floor |")
    print("|---|" + "---|" * (2 * len(SIZED)))
    for r in sizes:
        print(f"| {r} | " + " | ".join(fmt(conn_med(p, r)) for p in SIZED) + " | " +
              " | ".join(xfmt(conn_paired(p, r, "kplane", r)) for p in SIZED[1:]) +
              f" | {xfmt(conn_paired('kplane', r, 'floor', 0))} |")
    if sizes:
        print(f"\nFrom {sizes[0]} to {sizes[-1]} rules, paired within rounds: " +
              ", ".join(f"{p} {xfmt(conn_paired(p, sizes[-1], p, sizes[0]))}" for p in SIZED) +
              f". Floor {fmt(conn_med('floor', 0))} µs, flowtable {fmt(conn_med('flowtable', 0))} µs.\n")

if work:
    print("## Policy work per measurement (kplane)\n")
    print("What the packets of one measurement (three flows: TCP, request/response, UDP) cost\n"
          "the policy engine: evaluations of the matcher, and packets that skipped it (cached\n"
          "verdict, current revision). Established packets never reach the rules, so their\n"
          "number cannot move these rates; what the tables show between sizes is the VM's noise.\n")
    print("| rules | matcher evaluations (median) | packets that skipped it (median) |\n|---|---|---|")
    for r in sorted(work):
        print(f"| {r} | {statistics.median(e for e, _ in work[r]):,.0f} | "
              f"{statistics.median(b for _, b in work[r]):,.0f} |")
    print()

if prog:
    print("## Time to program R rules (ms, including process start)\n")
    print("| rules | kplane | iptables-restore |\n|---|---|---|")
    for r in sizes:
        print(f"| {r} | {prog.get(('kplane', r), '-')} | {prog.get(('iptables', r), '-')} |")
    print()

if len(sys.argv) > 3:
    try:
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        sys.exit(0)
    fig, axes = plt.subplots(1, len(METRICS), figsize=(5 * len(METRICS), 4.5))
    for ax, (m, title) in zip(axes, METRICS):
        for p in SIZED:
            ys = [med(p, r, m) for r in sizes]
            ax.plot(sizes, ys, marker="o", label=p)
        for p, style in (("floor", "k--"), ("flowtable", "g:"), ("kplane+10k-fwd", "b-."),
                         ("floor+10k-fwd", "r-.")):
            v = med(p, 0, m)
            if v:
                ax.axhline(v, linestyle=style[1:], color=style[0], label=p)
        ax.set_xscale("log")
        ax.set_xlabel("rules")
        ax.set_title(title)
        ax.set_ylim(bottom=0)
    axes[0].legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(sys.argv[3], dpi=90)

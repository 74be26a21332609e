#!/usr/bin/env python3
"""Turns the BENCH-POLICY lines of policy_path.sh into Markdown and a plot.

usage: report_policy.py RAW ENVIRONMENT [PNG]

Per (peer, rules): the median over rounds of TCP throughput, request/response
rate and 64-byte UDP packet rate, and ratios against the peers measured in
the same VM run.  floor and flowtable are measured at every size too (they
do not depend on it); their medians pool every size.
"""
import re
import statistics
import sys
from collections import defaultdict

METRICS = [("tput_mbps", "TCP throughput, Mbit/s"), ("rr_per_s", "request/response, 1/s"),
           ("udp_pps", "64-byte UDP, packets/s")]
SIZED = ["kplane", "iptables", "ipset", "nftables"]
FLAT = ["flowtable", "floor", "kplane+10k-fwd", "floor+10k-fwd"]

vals = defaultdict(list)
prog = {}
for line in open(sys.argv[1]):
    kv = dict(re.findall(r'([\w+-]+)=(\S+)', line))
    if line.startswith('BENCH-POLICY-PROGRAM'):
        prog[(kv['peer'], int(kv['rules']))] = int(kv['ms'])
    elif line.startswith('BENCH-POLICY '):
        for m, _ in METRICS:
            vals[(kv['peer'], int(kv['rules']), m)].append(float(kv[m]))
            vals[(kv['peer'], 0, m)].append(float(kv[m]))

sizes = sorted({r for (_, r, _) in vals if r})


def med(peer, rules, m):
    v = vals.get((peer, rules, m))
    return statistics.median(v) if v else None


def fmt(x):
    return "-" if x is None else (f"{x:,.0f}" if x >= 100 else f"{x:.1f}")


print("# Policy datapath benchmark\n")
print(f"Environment: {sys.argv[2]}. Pod to pod through one node (forwarded), the policy guarding")
print("the server pod, the matching rule last; every peer in its own node netns, interleaved")
print("rounds, medians. Throughput and rates are of established flows (one connection or")
print("stream per measurement), which is what the conntrack bypass is for.\n")
for m, title in METRICS:
    print(f"## {title}\n")
    print("| rules | " + " | ".join(SIZED) + " | kplane / iptables | kplane / ipset | kplane / nftables |")
    print("|---|" + "---|" * (len(SIZED) + 3))
    for r in sizes:
        row = [med(p, r, m) for p in SIZED]
        ratios = [row[0] / x if row[0] and x else None for x in row[1:]]
        print(f"| {r} | " + " | ".join(fmt(x) for x in row) + " | " +
              " | ".join("-" if x is None else f"{x:.2f}x" for x in ratios) + " |")
    k = [med("kplane", r, m) for r in sizes]
    k = [x for x in k if x]
    if k:
        print(f"\nkplane from {sizes[0]} to {sizes[-1]} rules: "
              f"{100 * (max(k) - min(k)) / min(k):.1f}% spread (target < 5%).")
    flat = {p: med(p, 0, m) for p in FLAT}
    kp = med("kplane", 0, m)
    print("\n| peer (all sizes pooled) | median | kplane / peer |\n|---|---|---|")
    for p in ["kplane"] + FLAT:
        v = flat.get(p, kp) if p != "kplane" else kp
        print(f"| {p} | {fmt(v)} | " + ("-" if not v or not kp else f"{kp / v:.2f}x") + " |")
    if flat.get("kplane+10k-fwd") and flat.get("floor+10k-fwd"):
        print(f"\nWith 10k unrelated rules in FORWARD: kplane {fmt(flat['kplane+10k-fwd'])} vs plain "
              f"forwarding {fmt(flat['floor+10k-fwd'])} "
              f"({flat['kplane+10k-fwd'] / flat['floor+10k-fwd']:.2f}x).")
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
    fig, axes = plt.subplots(1, 3, figsize=(15, 4.5))
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

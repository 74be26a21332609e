#!/usr/bin/env python3
"""Turns the BENCH lines of svc_connect.sh into Markdown tables and a plot.

usage: report.py RAW ENVIRONMENT [PNG]

Per (peer, services): the median over rounds of each round's median (and
p99) connect latency and connection rate.  Ratios are against peers measured
in the same VM run.  The PNG needs matplotlib; without it the tables stand
alone.
"""
import re
import statistics
import sys
from collections import defaultdict

PEERS = ["kplane", "iptables", "ipvs", "nftables"]
lat, p99, rate = defaultdict(list), defaultdict(list), defaultdict(list)
by_round = {}   # (peer, services, round) -> median latency: peers measured in lockstep
progs, add1 = defaultdict(list), {}
skipped = []

for line in open(sys.argv[1]):
    kv = dict(re.findall(r'(\w+)=(\S+)', line))
    if line.startswith('BENCH-PROGRAM'):
        progs[(kv['peer'], int(kv['services']))].append(int(kv['ms']))
    elif line.startswith('BENCH-SKIP'):
        skipped.append(f"{kv['peer']} at {kv['services']} services")
    elif line.startswith('BENCH-ADD1'):
        add1[(kv['peer'], int(kv['services']))] = int(kv['ms'])
    elif line.startswith('BENCH '):
        key = (kv['peer'], int(kv['services']))
        lat[key].append(float(kv['median_us']))
        p99[key].append(float(kv['p99_us']))
        rate[key].append(float(kv['conn_per_s']))
        by_round[key + (kv['round'],)] = float(kv['median_us'])

sizes = sorted({s for _, s in lat})
med = {k: statistics.median(v) for k, v in lat.items()}
med99 = {k: statistics.median(v) for k, v in p99.items()}
medrate = {k: statistics.median(v) for k, v in rate.items()}
prog = {k: statistics.median(v) for k, v in progs.items()}
peers = [p for p in PEERS if any((p, s) in med for s in sizes)]


def num(d, key, fmt="{:.0f}"):
    return fmt.format(d[key]) if key in d else "-"


def ratio(d, a, b):
    return f"{d[a] / d[b]:.2f}x" if a in d and b in d and d[b] else "-"


def table(title, header, rows):
    print(f"\n## {title}\n")
    print("| " + " | ".join(header) + " |")
    print("|" + "---:|" * len(header))
    for r in rows:
        print("| " + " | ".join(str(c) for c in r) + " |")


print("# Services benchmark: connect() from a pod to a ClusterIP\n")
print(f"Environment: {sys.argv[2]}. Medians over interleaved rounds of each "
      "round's median (and p99) connect() latency; lower is better. Ratios "
      "are from the same VM run; \"peer/kplane\" above 1 means kplane is faster.")

table("connect() latency, median µs",
      ["services", "floor"] + peers,
      [[s, num(med, ("floor", s))] + [num(med, (p, s)) for p in peers] for s in sizes])
table("connect() latency, p99 µs",
      ["services", "floor"] + peers,
      [[s, num(med99, ("floor", s))] + [num(med99, (p, s)) for p in peers] for s in sizes])
table("Ratios of median latency",
      ["services", "kplane/floor"] + [f"{p}/kplane" for p in peers if p != "kplane"],
      [[s, ratio(med, ("kplane", s), ("floor", s))] +
       [ratio(med, (p, s), ("kplane", s)) for p in peers if p != "kplane"] for s in sizes])


def paired(a, b, s):
    """Median over rounds of a's latency / b's in the same round (lockstep)."""
    rs = [by_round[(a, s, r)] / by_round[(b, s, r)] for (p, n, r) in by_round
          if p == a and n == s and (b, s, r) in by_round and by_round[(b, s, r)]]
    return f"{statistics.median(rs):.2f}x" if rs else "-"


table("Paired ratios: median over rounds of each round's ratio (the peers were "
      "measured connection by connection in lockstep)",
      ["services", "kplane/floor"] + [f"{p}/kplane" for p in peers if p != "kplane"],
      [[s, paired("kplane", "floor", s)] +
       [paired(p, "kplane", s) for p in peers if p != "kplane"] for s in sizes])
table("Short TCP connections per second (one client, sequential)",
      ["services", "floor"] + peers,
      [[s, num(medrate, ("floor", s))] + [num(medrate, (p, s)) for p in peers] for s in sizes])
table("Time to program S services from scratch, ms, median of the samples counted below "
      "(kplane: one batched transaction; every peer timed around its command, exec included; "
      "kplane (daemon): the same transaction timed inside the process, as kplaned, which "
      "keeps its socket, pays it)",
      ["services"] + peers + ["kplane (daemon)"] +
      [f"{p}/kplane" for p in peers if p != "kplane"] +
      [f"{p}/kplane (daemon)" for p in peers if p != "kplane"],
      [[s] + [num(prog, (p, s)) for p in peers] + [num(prog, ("kplane-daemon", s))] +
       [ratio(prog, (p, s), ("kplane", s)) for p in peers if p != "kplane"] +
       [ratio(prog, (p, s), ("kplane-daemon", s)) for p in peers if p != "kplane"]
       for s in sizes])
table("Time to add one service when S exist, ms (each peer's own way; includes exec)",
      ["services"] + peers,
      [[s] + [add1.get((p, s), "-") for p in peers] for s in sizes])
if skipped:
    print("\nNot measured (too slow to program here; see BENCH_SLOW_MAX): " + ", ".join(skipped) + ".")
print("\nProgramming samples per cell: " + ", ".join(
    f"{p}@{s}: {len(v)} ({min(v)}-{max(v)} ms)" for (p, s), v in sorted(progs.items())))
print("\nRounds per cell: " + ", ".join(f"{p}@{s}: {len(v)}" for (p, s), v in sorted(lat.items())))

if len(sys.argv) > 3:
    try:
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        print("\n(no plot: matplotlib is not installed)")
        sys.exit(0)
    fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(11, 4.2))
    color = {p: f"C{i}" for i, p in enumerate(["floor"] + PEERS)}
    prog_sizes = sorted({s for _, s in prog})
    for p in ["floor"] + peers:
        xs = [s for s in sizes if (p, s) in med]
        ax1.plot(xs, [med[(p, s)] for s in xs], marker="o", label=p, color=color[p])
        if p != "floor":
            xs = [s for s in prog_sizes if (p, s) in prog]
            ax2.plot(xs, [prog[(p, s)] / 1000 for s in xs], marker="o", label=p,
                     color=color[p])
    ax1.set(xscale="log", yscale="log", xlabel="services installed",
            ylabel="median connect() µs", title="connect() latency (lower is better)")
    ax2.set(xscale="log", yscale="log", xlabel="services", ylabel="seconds",
            title="time to program (lower is better)")
    for ax in (ax1, ax2):
        ax.grid(True, which="both", alpha=0.3)
        ax.legend()
    fig.tight_layout()
    fig.savefig(sys.argv[3], dpi=110)
    print(f"\n![plot]({sys.argv[3].rsplit('/', 1)[-1]})")

#!/usr/bin/env python3
"""Turns BENCH lines from svc_connect.sh into a Markdown ratio table.

Per (peer, services): the median over rounds of each round's median connect
latency.  Ratios are against peers measured in the same VM run.
"""
import re
import statistics
import sys
from collections import defaultdict

lat = defaultdict(list)      # (peer, services) -> [median_us per round]
rate = defaultdict(list)
prog = {}                    # (peer, services) -> ms

for line in open(sys.argv[1]):
    kv = dict(re.findall(r'(\w+)=(\S+)', line))
    if line.startswith('BENCH-PROGRAM'):
        prog[(kv['peer'], int(kv['services']))] = int(kv['ms'])
    elif line.startswith('BENCH '):
        key = (kv['peer'], int(kv['services']))
        lat[key].append(float(kv['median_us']))
        rate[key].append(float(kv['conn_per_s']))

sizes = sorted({s for _, s in lat})
med = {k: statistics.median(v) for k, v in lat.items()}


def cell(key):
    return f"{med[key]:.0f}" if key in med else "-"


def ratio(a, b):
    return f"{med[a] / med[b]:.2f}x" if a in med and b in med else "-"


print("# Services benchmark: connect() latency from a pod to a ClusterIP\n")
print(f"Environment: {sys.argv[2]}. Medians over rounds of per-round median "
      "connect() latency (µs); lower is better. Ratios from the same VM run.\n")
print("| services | floor µs | kplane µs | iptables µs | kplane/floor | iptables/kplane "
      "| program kplane ms | program iptables ms |")
print("|---:|---:|---:|---:|---:|---:|---:|---:|")
for s in sizes:
    f, k, i = ("floor", s), ("kplane", s), ("iptables", s)
    print(f"| {s} | {cell(f)} | {cell(k)} | {cell(i)} | {ratio(k, f)} | {ratio(i, k)} "
          f"| {prog.get(k, '-')} | {prog.get(i, '-')} |")
print("\nRounds per cell: " + ", ".join(f"{p}@{s}: {len(v)}" for (p, s), v in sorted(lat.items())))

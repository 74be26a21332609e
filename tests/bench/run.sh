#!/usr/bin/env bash
# make bench: measure, not test.  Boots the stock kernel and runs the
# services benchmark (svc_connect.sh) in one VM: kplane, kube-proxy-style
# iptables and the direct-connect floor side by side, rounds interleaved.
# Writes docs/bench/services.md (ratio table, medians over rounds) and keeps
# the raw lines in docs/bench/services.raw.
#   BENCH_SIZES="1 1000 10000 100000" BENCH_ROUNDS=5 BENCH_CONNS=500 make bench
set -euo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
sizes=${BENCH_SIZES:-1 1000 10000 100000}
rounds=${BENCH_ROUNDS:-5}
conns=${BENCH_CONNS:-500}
out=$top/docs/bench
mkdir -p "$out" "$top/build"
log=$top/build/bench-services.log
KPLANE_VM_MEM=2048 "$top/tests/qemu/run.sh" --kernel stock --scenario svc_connect \
	--timeout 3600 --env "BENCH_SIZES=$sizes" --env "BENCH_ROUNDS=$rounds" \
	--env "BENCH_CONNS=$conns" >"$log" 2>&1 || echo "bench: the VM run reported failures (see $log)" >&2
grep -a '^BENCH' "$log" >"$out/services.raw"
python3 "$top/tests/bench/report.py" "$out/services.raw" "$(uname -r) host, guest $(tests/qemu/kernels.sh stock-version), $(cat /var/cache/kplane/accel 2>/dev/null || echo tcg)" \
	>"$out/services.md"
cat "$out/services.md"

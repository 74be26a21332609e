#!/usr/bin/env bash
# make bench: measure, not test.  Boots the stock kernel and runs the
# services benchmark (svc_connect.sh) in one VM: kplane, kube-proxy's
# iptables, IPVS and nftables modes and the direct-connect floor side by
# side, rounds interleaved.  Writes docs/bench/services.md (ratio tables,
# medians over rounds), docs/bench/services.png, and keeps the raw lines in
# docs/bench/services.raw.
#   BENCH_SIZES="1 1000 10000 100000" BENCH_ROUNDS=5 BENCH_CONNS=500 make bench
#   BENCH_SLOW_MAX=10000: largest size the IPVS and nftables peers run at (slow to program)
set -euo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
# The peers' tools (copied into the VM) and the plotter, if missing.
need=()
for p in ipvsadm nftables python3-matplotlib; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'ok installed' || need+=("$p")
done
if [ ${#need[@]} -gt 0 ]; then
	echo "bench: installing ${need[*]}"
	apt-get install -y -q --no-install-recommends "${need[@]}" >/tmp/kplane-apt-bench.log 2>&1 ||
		{ apt-get update -q >/dev/null && apt-get install -y -q --no-install-recommends "${need[@]}" \
			>/tmp/kplane-apt-bench.log 2>&1; }
fi
sizes=${BENCH_SIZES:-1 1000 10000 100000}
rounds=${BENCH_ROUNDS:-5}
conns=${BENCH_CONNS:-500}
out=$top/docs/bench
mkdir -p "$out" "$top/build"
log=$top/build/bench-services.log
KPLANE_VM_MEM=2048 "$top/tests/qemu/run.sh" --kernel stock --scenario svc_connect \
	--timeout 3600 --env "BENCH_SIZES=$sizes" --env "BENCH_ROUNDS=$rounds" \
	--env "BENCH_CONNS=$conns" --env "BENCH_SLOW_MAX=${BENCH_SLOW_MAX:-10000}" >"$log" 2>&1 || echo "bench: the VM run reported failures (see $log)" >&2
grep -a '^BENCH' "$log" >"$out/services.raw"
# The system python: matplotlib comes from Debian.
/usr/bin/python3 "$top/tests/bench/report.py" "$out/services.raw" "$(uname -r) host, guest $(tests/qemu/kernels.sh stock-version), $(cat /var/cache/kplane/accel 2>/dev/null || echo tcg)" \
	"$out/services.png" >"$out/services.md"
cat "$out/services.md"

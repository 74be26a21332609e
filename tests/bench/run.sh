#!/usr/bin/env bash
# make bench: measure, not test.  Boots the stock kernel once per suite:
#   services  svc_connect.sh: kplane, kube-proxy's iptables, IPVS and
#             nftables modes and the direct-connect floor, side by side
#   policy    policy_path.sh: kplane's policy datapath against iptables
#             (+conntrack), ipset, nftables sets, nf_flow_table and no
#             filtering, at 10..10k rules
#   agent     agent_sync.sh: kplaned programming a node from files and etcd (start to
#             programmed, one EndpointSlice change, peak RSS) beside
#             iptables-restore and nft -f of kube-proxy's rulesets
#   netpol    netpol_sync.sh: kplaned programming policy for 1k namespaces, 10k
#             pods, 1k NetworkPolicies (start to programmed, one pod's label
#             change, selectors evaluated per change at 100 and 1k policies)
# rounds interleaved.  Writes docs/bench/SUITE.md (ratio tables, medians over
# rounds), SUITE.png, and keeps the raw lines in SUITE.raw.
#   BENCH_SUITES="services policy agent netpol"
#   BENCH_SHAPES="10000x10 100000x1" BENCH_CHANGES=100 (agent)
#   BENCH_SIZES="1 1000 10000 100000" BENCH_ROUNDS=5 BENCH_CONNS=500 (services)
#   BENCH_SLOW_MAX=10000: largest size the IPVS and nftables peers run at (slow to program)
#   BENCH_PROGRAM_REPS=3: times each peer programs each size (median; slow ones once)
#   BENCH_RULES="10 100 1000 10000" BENCH_POLICY_ROUNDS=3 BENCH_SECS=2
#   BENCH_POLICY_CONNS=100: new connections to each peer per round (policy)
set -euo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
# The peers' tools (copied into the VM) and the plotter, if missing.
need=()
for p in ipvsadm nftables ipset iperf3 python3-matplotlib; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'ok installed' || need+=("$p")
done
if [ ${#need[@]} -gt 0 ]; then
	echo "bench: installing ${need[*]}"
	apt-get install -y -q --no-install-recommends "${need[@]}" >/tmp/kplane-apt-bench.log 2>&1 ||
		{ apt-get update -q >/dev/null && apt-get install -y -q --no-install-recommends "${need[@]}" \
			>/tmp/kplane-apt-bench.log 2>&1; }
fi
suites=${BENCH_SUITES:-services policy agent netpol}
out=$top/docs/bench
mkdir -p "$out" "$top/build"
env="$(uname -r) host, guest $(tests/qemu/kernels.sh stock-version), $(cat /var/cache/kplane/accel 2>/dev/null || echo tcg)"
if [[ " $suites " == *" services "* ]]; then
	log=$top/build/bench-services.log
	KPLANE_VM_MEM=2048 "$top/tests/qemu/run.sh" --kernel stock --scenario svc_connect \
		--timeout 3600 --env "BENCH_SIZES=${BENCH_SIZES:-1 1000 10000 100000}" \
		--env "BENCH_ROUNDS=${BENCH_ROUNDS:-5}" --env "BENCH_CONNS=${BENCH_CONNS:-500}" \
		--env "BENCH_SLOW_MAX=${BENCH_SLOW_MAX:-10000}" \
		--env "BENCH_PROGRAM_REPS=${BENCH_PROGRAM_REPS:-3}" >"$log" 2>&1 ||
		echo "bench: the VM run reported failures (see $log)" >&2
	grep -a '^BENCH' "$log" >"$out/services.raw"
	# The system python: matplotlib comes from Debian.
	/usr/bin/python3 "$top/tests/bench/report.py" "$out/services.raw" "$env" \
		"$out/services.png" >"$out/services.md"
	cat "$out/services.md"
fi
if [[ " $suites " == *" policy "* ]]; then
	log=$top/build/bench-policy.log
	KPLANE_VM_MEM=2048 "$top/tests/qemu/run.sh" --kernel stock --scenario policy_path \
		--timeout 3600 --env "BENCH_RULES=${BENCH_RULES:-10 100 1000 10000}" \
		--env "BENCH_ROUNDS=${BENCH_POLICY_ROUNDS:-3}" --env "BENCH_SECS=${BENCH_SECS:-2}" \
		--env "BENCH_CONNS=${BENCH_POLICY_CONNS:-100}" >"$log" 2>&1 || echo "bench: the VM run reported failures (see $log)" >&2
	grep -a '^BENCH' "$log" >"$out/policy.raw"
	/usr/bin/python3 "$top/tests/bench/report_policy.py" "$out/policy.raw" "$env" \
		"$out/policy.png" >"$out/policy.md"
	cat "$out/policy.md"
fi
if [[ " $suites " == *" agent "* ]]; then
	log=$top/build/bench-agent.log
	KPLANE_VM_MEM=3072 "$top/tests/qemu/run.sh" --kernel stock --acpi --scenario agent_sync \
		--timeout 3600 --env "BENCH_SHAPES=${BENCH_SHAPES:-10000x10 100000x1}" \
		--env "BENCH_CHANGES=${BENCH_CHANGES:-100}" >"$log" 2>&1 ||
		echo "bench: the VM run reported failures (see $log)" >&2
	grep -a '^BENCH' "$log" >"$out/agent.raw"
	{
		echo "# kplaned: programming a node from files and from etcd ($env)"
		echo
		echo "Start to a fully programmed kernel (kplaned, from a state directory or"
		echo "from etcd) or to the ruleset loaded (kube-proxy's iptables-restore and"
		echo "nft -f of the same services), one EndpointSlice change with all of them"
		echo "present (from its arrival at kplaned, reading included, to the commit),"
		echo "and kplaned's peak RSS. One VM run, stock kernel, TCG, both CPUs online."
		echo
		echo "| peer | services x endpoints | ms | RSS MiB |"
		echo "|---|---|---|---|"
		sed -n 's/^BENCH-AGENT peer=\([^ ]*\) services=\([0-9]*\) endpoints=\([0-9]*\) ms=\([^ ]*\)\( rss_mib=\([0-9]*\)\)*.*/| \1 | \2 x \3 | \4 | \6 |/p' "$out/agent.raw"
		echo
		echo "| one change: source, services x endpoints | changes | p50 ms | p99 ms | RSS MiB |"
		echo "|---|---|---|---|---|"
		sed -n 's/^BENCH-AGENT-CHANGE source=\([a-z]*\) services=\([0-9]*\) endpoints=\([0-9]*\) n=\([0-9]*\) p50_ms=\([^ ]*\) p99_ms=\([^ ]*\) rss_mib=\([0-9]*\).*/| \1, \2 x \3 | \4 | \5 | \6 | \7 |/p' "$out/agent.raw"
		echo
		echo "Where kplaned's start went (its log):"
		echo
		sed -n 's/^BENCH-AGENT-LOG [^ ]* kplaned info: \(.*\)/    \1/p; s/^BENCH-AGENT-LOG \(etcd: .*\)/    \1/p' "$out/agent.raw"
	} >"$out/agent.md"
	cat "$out/agent.md"
fi
if [[ " $suites " == *" netpol "* ]]; then
	log=$top/build/bench-netpol.log
	KPLANE_VM_MEM=3072 "$top/tests/qemu/run.sh" --kernel stock --acpi --scenario netpol_sync \
		--timeout 3600 --env "BENCH_CHANGES=${BENCH_CHANGES:-50}" >"$log" 2>&1 ||
		echo "bench: the VM run reported failures (see $log)" >&2
	grep -a '^BENCH' "$log" >"$out/netpol.raw"
	{
		echo "# kplaned: policy from NetworkPolicies ($env)"
		echo
		echo "Start to a fully programmed node (sets, policies, the local pods'"
		echo "attachments), one pod's label change from the file's write to the"
		echo "commit, the selectors that change evaluated, and kplaned's peak RSS."
		echo "One VM run, stock kernel, TCG, both CPUs online."
		echo
		echo "| namespaces | pods | policies | local pods | start ms | RSS MiB |"
		echo "|---|---|---|---|---|---|"
		sed -n 's/^BENCH-NETPOL ns=\([0-9]*\) pods=\([0-9]*\) pols=\([0-9]*\) local=\([0-9]*\) ms=\([^ ]*\) rss_mib=\([0-9]*\).*/| \1 | \2 | \3 | \4 | \5 | \6 |/p' "$out/netpol.raw"
		echo
		echo "| one label change: policies | changes | p50 ms | p99 ms | selectors evaluated (p50, max) | RSS MiB |"
		echo "|---|---|---|---|---|---|"
		sed -n 's/^BENCH-NETPOL-CHANGE pols=\([0-9]*\) n=\([0-9]*\) p50_ms=\([^ ]*\) p99_ms=\([^ ]*\) evals_p50=\([0-9]*\) evals_max=\([0-9]*\) rss_mib=\([0-9]*\).*/| \1 | \2 | \3 | \4 | \5, \6 | \7 |/p' "$out/netpol.raw"
		echo
		echo "kplaned's log:"
		echo
		sed -n 's/^BENCH-NETPOL-LOG [^ ]* kplaned info: \(.*\)/    \1/p' "$out/netpol.raw"
	} >"$out/netpol.md"
	cat "$out/netpol.md"
fi

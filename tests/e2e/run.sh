#!/usr/bin/env bash
# Run every e2e scenario in its own VM on one kernel, several VMs at a time.
#   run.sh --kernel stock|debug|VERSION [--jobs N] [SCENARIO...]
# Prints each scenario's TAP cases prefixed with its name, a scenario at a
# time as each ends; a scenario whose VM verdict failed without a failed case
# (crash, kernel report, timeout) adds a failed case of its own.  Exits
# non-zero if anything failed.
#
# A VM's scenario mostly keeps one virtual CPU busy, so the suite runs
# KPLANE_E2E_JOBS VMs (default: the host's CPU count) with one vCPU each;
# a scenario that needs two CPUs to test what it tests is listed in
# TWO_CPUS.  The image every scenario boots is built once per kernel.
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
# The suite, the longest first so that the last VMs to start are short ones.
# To add a scenario: write tests/e2e/NAME.sh (source lib.sh, use
# kp_check/kp_eq/kp_refused, end with kp_done) and list it here.
SCENARIOS=(contention policy external txn load_unload services clients agent netpol etcd cni dump_10k two_nodes nlfuzz
	endpoints bad_input settings perms)
# Two vCPUs where the scenario races work on two CPUs: commits, unloads
# and fuzzed requests against live traffic, per-CPU state on the fast path.
TWO_CPUS=(contention policy txn load_unload nlfuzz)

kernel=stock
jobs=${KPLANE_E2E_JOBS:-$(nproc)}
while [ $# -gt 0 ]; do
	case "$1" in
	--kernel) kernel=$2; shift 2 ;;
	--jobs) jobs=$2; shift 2 ;;
	*) break ;;
	esac
done
[ $# -gt 0 ] && SCENARIOS=("$@")
[[ "$jobs" =~ ^[1-9][0-9]*$ ]] || { echo "run.sh: --jobs wants a positive number" >&2; exit 2; }
# A scenario that runs away is stopped by its own VM's timeout, well before
# CI's; the debug kernel (KASAN, lockdep, kmemleak under emulation) is slower.
timeout=600
[ "$kernel" = debug ] && timeout=1200
logs=$top/build/e2e-logs/$kernel
mkdir -p "$logs"
base=$top/build/vm/base-$kernel.img
mkdir -p "$(dirname "$base")"
if ! "$top/tests/qemu/run.sh" --kernel "$kernel" --make-base "$base" >"$logs/base.log" 2>&1; then
	cat "$logs/base.log"
	echo "not ok - $kernel: the VM image does not build (see $logs/base.log)"
	exit 1
fi

# one SCENARIO: boot it, then write its report to $logs/SCENARIO.report.
one() {
	local s=$1 start rc smp=1
	[[ " ${TWO_CPUS[*]} " == *" $s "* ]] && smp=2
	start=$(date +%s)
	"$top/tests/qemu/run.sh" --kernel "$kernel" --base "$base" --scenario "$s" --smp "$smp" \
		--timeout "$timeout" --log "$logs/$s.console" >"$logs/$s.log" 2>&1
	rc=$?
	{
		grep -aE '^(ok|not ok) ' "$logs/$s.log" | sed -E "s/^(ok|not ok) [0-9]+ - /\1 - $kernel $s: /"
		if [ $rc != 0 ]; then
			grep -aq '^not ok ' "$logs/$s.log" ||
				echo "not ok - $kernel $s: VM verdict failed (see $logs/$s.log)"
			grep -a 'run.sh:' "$logs/$s.log" | tail -5 | sed 's/^/#   /'
		fi
		times=$(grep -a -o 'guest times: .*' "$logs/$s.log" | tail -1)
		echo "# $kernel $s: $(( $(date +%s) - start )) s, rc=$rc, $smp CPU${times:+; $times}"
	} >"$logs/$s.report"
	return $rc
}

failed=0
declare -A running=()
# Interrupted: take the VMs down too (they share this process group).
trap 'trap - INT TERM; kill 0' INT TERM
# reap: wait for one VM to end, print its report.
reap() {
	local pid
	wait -n -p pid "${!running[@]}" || failed=1
	cat "$logs/${running[$pid]}.report"
	unset "running[$pid]"
}
for s in "${SCENARIOS[@]}"; do
	[ "${#running[@]}" -ge "$jobs" ] && reap
	one "$s" &
	running[$!]=$s
done
while [ "${#running[@]}" -gt 0 ]; do reap; done
exit $failed

#!/usr/bin/env bash
# Run every e2e scenario in its own VM on one kernel.
#   run.sh --kernel stock|debug|VERSION [SCENARIO...]
# Prints each scenario's TAP cases prefixed with its name; a scenario whose
# VM verdict failed without a failed case (crash, kernel report, timeout)
# adds a failed case of its own.  Exits non-zero if anything failed.
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
# The suite, in order.  To add a scenario: write tests/e2e/NAME.sh (source
# lib.sh, use kp_check/kp_eq/kp_refused, end with kp_done) and list it here.
SCENARIOS=(endpoints bad_input two_nodes perms kplaned load_unload dump_10k services external txn policy nlfuzz)

kernel=stock
[ "${1:-}" = --kernel ] && { kernel=$2; shift 2; }
[ $# -gt 0 ] && SCENARIOS=("$@")
logs=$top/build/e2e-logs/$kernel
mkdir -p "$logs"
failed=0
for s in "${SCENARIOS[@]}"; do
	start=$(date +%s)
	"$top/tests/qemu/run.sh" --kernel "$kernel" --scenario "$s" --timeout 1200 \
		--log "$logs/$s.console" >"$logs/$s.log" 2>&1
	rc=$?
	grep -aE '^(ok|not ok) ' "$logs/$s.log" | sed -E "s/^(ok|not ok) [0-9]+ - /\1 - $kernel $s: /"
	if [ $rc != 0 ]; then
		failed=1
		grep -aq '^not ok ' "$logs/$s.log" ||
			echo "not ok - $kernel $s: VM verdict failed (see $logs/$s.log)"
		grep -a 'run.sh:' "$logs/$s.log" | tail -5 | sed 's/^/#   /'
	fi
	echo "# $kernel $s: $(( $(date +%s) - start )) s, rc=$rc"
done
exit $failed

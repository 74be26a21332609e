#!/usr/bin/env bash
# make check: install what is missing, build, then run every suite — unit
# (ASan/UBSan), KUnit (debug kernel), e2e on the stock and on the debug
# kernel, DKMS — timing each stage.  Ends with "N passed, N failed" counting
# every case of every suite; exits non-zero if any failed.
#
#   run-all.sh [--quick]   --quick: build, unit, KUnit, stock e2e only
#   SCENARIOS="a b"        only these e2e scenarios, on both kernels (no unit,
#                          KUnit or DKMS stage)
#
# The debug kernel (cached once built) builds at the lowest CPU priority from
# the start, beside the stages that do not need it, so that it only takes
# the CPU time they leave idle; KUnit then runs beside the debug e2e suite.
# Budget: 45 minutes when the debug kernel has to be built, 30 when it is
# cached; no VM outlives 85 minutes (CI stops at 90).
set -uo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
quick=0
[ "${1:-}" = --quick ] && quick=1
scenarios=${SCENARIOS:-}
mkdir -p build
results=build/check-results.txt
: >"$results"
timings=()
stage_failed=0
t0=$(date +%s)
export KPLANE_DEADLINE=$(( t0 + 85 * 60 ))

# record NAME LOG RC START [END]: keep the TAP lines, note the stage's time
# (until END, a background stage's own end, or now).
record() {
	local name=$1 log=$2 rc=$3 start=$4 end=${5:-$(date +%s)}
	grep -aE '^(ok|not ok) ' "$log" | sed "s/^/[$name] /" >>"$results"
	if [ "$rc" != 0 ]; then
		stage_failed=1
		grep -aq '^not ok ' "$log" ||
			echo "[$name] not ok - stage $name failed (exit $rc)" >>"$results"
	fi
	timings+=("$(printf '%-12s %5d s  exit %d' "$name" $(( end - start )) "$rc")")
}

# stage NAME CMD...: run, stream, keep TAP lines, time it.
stage() {
	local name=$1 start rc
	shift
	echo "=== $name"
	start=$(date +%s)
	"$@" 2>&1 | tee "build/stage-$name.log"
	rc=${PIPESTATUS[0]}
	record "$name" "build/stage-$name.log" "$rc" "$start"
	return 0
}

build_all() {
	make -s userspace && tests/qemu/build-module.sh "$(tests/qemu/kernels.sh kdir)" >/dev/null &&
		echo "ok - userspace and module build warning-free (W=1, -Werror)" &&
		tests/layers.sh
}

# bg_begin NAME CMD...: a stage run in the background, in a process group of
# its own; it notes when it ends, so its time is its own, not until bg_wait.
# bg_wait NAME: wait for it, print its log, keep its TAP lines and time.
declare -A bg_pid=() bg_start=()
# Interrupted, make check must not leave them running (the kernel build
# holds its lock).
trap 'for p in "${bg_pid[@]}"; do kill -- "-$p" 2>/dev/null; done' EXIT
bg_begin() {
	local name=$1
	shift
	bg_start[$name]=$(date +%s)
	rm -f "build/stage-$name.end"
	setsid bash -c '"$@"; rc=$?; date +%s >"build/stage-$0.end"; exit $rc' "$name" "$@" \
		>"build/stage-$name.log" 2>&1 &
	bg_pid[$name]=$!
}
bg_wait() {
	local name=$1 rc
	wait "${bg_pid[$name]}"
	rc=$?
	cat "build/stage-$name.log"
	record "$name" "build/stage-$name.log" "$rc" "${bg_start[$name]}" \
		"$(cat "build/stage-$name.end" 2>/dev/null)"
	return $rc
}

# The debug kernel, at nice 19, waited for before its users.
kernel_wait() {
	echo "=== kernel (built in the background since +$(( bg_start[kernel] - t0 )) s)"
	bg_wait kernel
}

stage deps tests/install-deps.sh
kernel_was_cached=0
tests/kunit/build-kernel.sh --cached >/dev/null 2>&1 && kernel_was_cached=1
bg_begin kernel nice -n 19 tests/kunit/build-kernel.sh
stage build build_all
if [ -n "$scenarios" ]; then
	# shellcheck disable=SC2086 # a list of names
	stage e2e-stock tests/e2e/run.sh --kernel stock $scenarios
	kernel_wait && stage e2e-debug tests/e2e/run.sh --kernel debug $scenarios
elif [ "$quick" = 1 ]; then
	stage unit tests/unit/run.sh
	stage e2e-stock tests/e2e/run.sh --kernel stock
	kernel_wait && stage kunit tests/kunit/run.sh
else
	stage unit tests/unit/run.sh
	stage e2e-stock tests/e2e/run.sh --kernel stock
	stage dkms tests/dkms/run.sh
	if kernel_wait; then
		# KUnit's VM keeps about one CPU busy: it runs beside the debug
		# suite's first VMs instead of ahead of them.
		bg_begin kunit tests/kunit/run.sh
		stage e2e-debug tests/e2e/run.sh --kernel debug
		echo "=== kunit (beside e2e-debug)"
		bg_wait kunit
	fi
fi

total=$(( $(date +%s) - t0 ))
if [ -n "$scenarios" ]; then budget=
elif [ "$quick" = 1 ]; then budget=900
elif [ "$kernel_was_cached" = 1 ]; then budget=1800
else budget=2700; fi
echo "=== stage timings"
printf '%s\n' "${timings[@]}"
if [ -n "$budget" ]; then
	echo "total $total s of $budget s budget$([ "$kernel_was_cached" = 1 ] || echo " (debug kernel built)")"
	[ "$total" -le "$budget" ] || echo "# over budget by $(( total - budget )) s"
else
	echo "total $total s"
fi
echo "=== failures"
grep 'not ok' "$results" || echo "(none)"
passed=$(grep -c '\] ok ' "$results")
failed=$(grep -c '\] not ok ' "$results")
echo "$passed passed, $failed failed"
[ "$failed" = 0 ] && [ "$stage_failed" = 0 ]

#!/usr/bin/env bash
# make check: install what is missing, build, then run every suite — unit
# (ASan/UBSan), KUnit (debug kernel), e2e on the stock and on the debug
# kernel, DKMS — timing each stage.  Ends with "N passed, N failed" counting
# every case of every suite; exits non-zero if any failed.
set -uo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
mkdir -p build
results=build/check-results.txt
: >"$results"
timings=()
stage_failed=0

# stage NAME CMD...: run, stream, keep TAP lines, time it.
stage() {
	local name=$1 start rc
	shift
	echo "=== $name"
	start=$(date +%s)
	"$@" 2>&1 | tee "build/stage-$name.log"
	rc=${PIPESTATUS[0]}
	grep -aE '^(ok|not ok) ' "build/stage-$name.log" | sed "s/^/[$name] /" >>"$results"
	if [ "$rc" != 0 ]; then
		stage_failed=1
		grep -aq '^not ok ' "build/stage-$name.log" ||
			echo "[$name] not ok - stage $name failed (exit $rc)" >>"$results"
	fi
	timings+=("$(printf '%-12s %5d s  exit %d' "$name" $(( $(date +%s) - start )) "$rc")")
	return 0
}

build_all() {
	make -s userspace && tests/qemu/build-module.sh "$(tests/qemu/kernels.sh kdir)" >/dev/null &&
		echo "ok - userspace and module build warning-free (W=1, -Werror)"
}

stage deps tests/install-deps.sh
stage build build_all
stage unit tests/unit/run.sh
stage kernel tests/kunit/build-kernel.sh
stage kunit tests/kunit/run.sh
stage e2e-stock tests/e2e/run.sh --kernel stock
stage e2e-debug tests/e2e/run.sh --kernel debug
stage dkms tests/dkms/run.sh

echo "=== stage timings"
printf '%s\n' "${timings[@]}"
echo "=== failures"
grep 'not ok' "$results" || echo "(none)"
passed=$(grep -c '\] ok ' "$results")
failed=$(grep -c '\] not ok ' "$results")
echo "$passed passed, $failed failed"
[ "$failed" = 0 ] && [ "$stage_failed" = 0 ]

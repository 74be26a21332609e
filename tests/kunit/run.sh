#!/usr/bin/env bash
# KUnit: build the debug kernel (cached), build kplane_kunit.ko against it,
# load it in QEMU and report every KUnit case as TAP.  Fails on any failed case.
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
kdir=${KPLANE_DEBUG_KDIR:-$("$here/build-kernel.sh")} || { echo "not ok - kunit: debug kernel build failed"; exit 1; }
ko=$("$here/build-test-module.sh" "$kdir") || { echo "not ok - kunit: test module build failed"; exit 1; }
mkdir -p "$top/build"
"$top/tests/qemu/run.sh" --kernel debug --scenario kunit --extra "$ko" --timeout 900 \
	>"$top/build/kunit.log" 2>&1
rc=$?
grep -aE '^    # Subtest|^    (ok|not ok) ' "$top/build/kunit.log" | sed 's/^/# /'
grep -aE '^(ok|not ok) ' "$top/build/kunit.log" | sed -E 's/^(ok|not ok) [0-9]+ - /\1 - /'
if [ $rc != 0 ]; then
	grep -aq '^not ok ' "$top/build/kunit.log" || echo "not ok - kunit: VM verdict failed (see build/kunit.log)"
	grep -a 'run.sh:' "$top/build/kunit.log" | tail -5 | sed 's/^/#   /'
fi
exit $rc

#!/usr/bin/env bash
# build-test-module.sh KDIR: build kplane_kunit.ko against KDIR (a tree with
# CONFIG_KUNIT=y, from build-kernel.sh).  Prints the .ko's path.
set -euo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
kdir=${1:?usage: build-test-module.sh KDIR}
out=$top/build/kunit-$(basename "$kdir")
rm -rf "$out"
mkdir -p "$out/kunit"
cp -r "$top/kmod" "$top/include" "$out/"
cp "$top"/tests/kunit/*.c "$out/kunit/"
# The differential test's reference evaluator, shared with tests/unit.
cp "$top/tests/unit/match_ref.h" "$out/kunit/"
cp "$top/tests/kunit/Kbuild" "$out/Kbuild"
log=$out/build.log
if ! make -C "$kdir" M="$out" W=1 modules >"$log" 2>&1; then
	cat "$log" >&2
	exit 1
fi
if grep -E 'warning:' "$log" >&2; then
	echo "build-test-module: warnings (W=1 must be clean)" >&2
	exit 1
fi
echo "$out/kplane_kunit.ko"

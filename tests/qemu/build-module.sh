#!/usr/bin/env bash
# build-module.sh KDIR: build kplane.ko against KDIR with W=1 in a private
# copy of the sources (build/mod-NAME), so modules for several kernels can
# coexist.  Any compiler warning fails the build.  Prints the .ko's path.
set -euo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
kdir=${1:?usage: build-module.sh KDIR}
[ -d "$kdir" ] || { echo "build-module: no kernel tree at $kdir" >&2; exit 1; }
name=$(basename "$(readlink -f "$kdir")")
out=$top/build/mod-$name
mkdir -p "$out"
# Suites may build for the same kernel at once (KUnit beside the debug e2e).
exec 9>"$out.lock"
flock 9
rsync -a --delete --exclude='*.o' --exclude='.*.cmd' --exclude='*.ko' \
	"$top/Kbuild" "$top/kmod" "$top/include" "$out/" 2>/dev/null ||
	{ rm -rf "$out"; mkdir -p "$out"; cp -r "$top/Kbuild" "$top/kmod" "$top/include" "$out/"; }
log=$out/build.log
if ! make -C "$kdir" M="$out" W=1 modules >"$log" 2>&1; then
	cat "$log" >&2
	echo "build-module: build against $kdir failed" >&2
	exit 1
fi
if grep -E 'warning:' "$log" | grep -v '^make\[' >&2; then
	echo "build-module: warnings against $kdir (W=1 must be clean)" >&2
	exit 1
fi
echo "$out/kplane.ko"

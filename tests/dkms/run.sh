#!/usr/bin/env bash
# DKMS test: `dkms build` kplane for every installed kernel with headers
# (Debian's amd64 and cloud-amd64 at least), in a private DKMS tree so the
# host is left alone, then boot each DKMS-built module in QEMU.
# Prints TAP cases; exits non-zero if one failed.
set -uo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
ver=$(sed -n 's/^PACKAGE_VERSION="\(.*\)"/\1/p' "$top/dkms.conf")
tmp=$(mktemp -d /tmp/kplane-dkms.XXXXXX)
trap 'rm -rf "$tmp"' EXIT
mkdir -p "$tmp/src/kplane-$ver" "$tmp/tree"
cp -r "$top/dkms.conf" "$top/Kbuild" "$top/kmod" "$top/include" "$tmp/src/kplane-$ver/"
n=0 failed=0
tap() { n=$((n + 1)); if [ "$1" = 0 ]; then echo "ok $n - $2"; else echo "not ok $n - $2"; failed=$((failed + 1)); fi; }
dk=(dkms --sourcetree "$tmp/src" --dkmstree "$tmp/tree")
"${dk[@]}" add -m kplane -v "$ver" >/dev/null
tap $? "dkms add"
kernels=$("$top/tests/qemu/kernels.sh" list)
tap $([ "$(echo "$kernels" | grep -c .)" -ge 2 ] && echo 0 || echo 1) "at least two kernel flavours have headers: $(echo $kernels)"
for k in $kernels; do
	"${dk[@]}" build -m kplane -v "$ver" -k "$k" >"$tmp/build-$k.log" 2>&1
	rc=$?
	[ $rc = 0 ] || tail -20 "$tmp/build-$k.log"
	tap $rc "dkms build for $k"
	ko=$(find "$tmp/tree/kplane/$ver/$k" -name 'kplane.ko*' | head -1)
	case "$ko" in *.xz) xz -dkf "$ko"; ko=${ko%.xz} ;; *.zst) zstd -dqf "$ko"; ko=${ko%.zst} ;; esac
	if [ -z "$ko" ]; then tap 1 "DKMS-built module for $k exists"; continue; fi
	"$top/tests/qemu/run.sh" --kernel "$k" --module "$ko" --scenario dkms --timeout 300 \
		>"$tmp/vm-$k.log" 2>&1
	rc=$?
	grep -aE '^(ok|not ok) ' "$tmp/vm-$k.log" | sed "s/^/# $k: /"
	[ $rc = 0 ] || tail -30 "$tmp/vm-$k.log"
	tap $rc "DKMS-built module boots and works on $k"
done
echo "1..$n"
[ $failed = 0 ]

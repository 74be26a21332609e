#!/usr/bin/env bash
# make dkms-install: register kplane with DKMS and build/install it for every
# installed kernel that has headers.  Only the module's sources are copied.
set -euo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
ver=$(sed -n 's/^PACKAGE_VERSION="\(.*\)"/\1/p' "$top/dkms.conf")
src=/usr/src/kplane-$ver
dkms remove -m kplane -v "$ver" --all >/dev/null 2>&1 || true
rm -rf "$src"
mkdir -p "$src"
cp -r "$top/dkms.conf" "$top/Kbuild" "$top/kmod" "$top/include" "$src/"
dkms add -m kplane -v "$ver"
for k in $("$top/tests/qemu/kernels.sh" list); do
	dkms install -m kplane -v "$ver" -k "$k"
done
dkms status -m kplane

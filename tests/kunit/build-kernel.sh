#!/usr/bin/env bash
# Build (once) the debug kernel the KUnit suites and the debug e2e runs boot:
# Debian's linux-source-6.1, tinyconfig plus debug-kernel.config (KUnit, KASAN,
# lockdep, PROVE_RCU, kmemleak, netfilter, netns, veth, kprobes).
# The tree is cached outside the checkout, keyed by the fragment, the source
# package version and the compiler, so a config change means a new build and
# an unchanged one costs nothing.  Prints the tree's path (a KDIR) on stdout.
#   build-kernel.sh --cached: only print it if it is built; exit 1 if not.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
fragment=$here/debug-kernel.config
src_tar=/usr/src/linux-source-6.1.tar.xz
cache_root=${KPLANE_CACHE_DIR:-/var/cache/kplane}

[ -f "$src_tar" ] || { echo "build-kernel: $src_tar missing (apt-get install linux-source-6.1)" >&2; exit 1; }
src_ver=$(dpkg-query -W -f='${Version}' linux-source-6.1)
key=$( { cat "$fragment"; echo "$src_ver"; gcc --version | head -1; } | sha256sum | cut -c1-16)
tree=$cache_root/debug-kernel-$key
if [ "${1:-}" = --cached ]; then
	[ -f "$tree/.kplane-built" ] && echo "$tree"
	exit
fi
mkdir -p "$cache_root"

exec 9>"$tree.lock"
flock 9
if [ -f "$tree/.kplane-built" ]; then
	echo "$tree"
	exit 0
fi

log=$cache_root/debug-kernel-$key.log
echo "build-kernel: building debug kernel into $tree (log: $log)" >&2
start=$(date +%s)
rm -rf "$tree" "$tree.tmp"
mkdir -p "$tree.tmp"
tar -xJf "$src_tar" -C "$tree.tmp" --strip-components=1
{
	cd "$tree.tmp"
	make tinyconfig
	scripts/kconfig/merge_config.sh -m .config "$fragment"
	make olddefconfig
	make -j"$(( $(nproc) + 1 ))" bzImage modules
	make modules_prepare
} >"$log" 2>&1 || { echo "build-kernel: build failed, tail of $log:" >&2; tail -30 "$log" >&2; exit 1; }
# Every option asked for must have survived olddefconfig: a silently dropped
# CONFIG_KASAN would make the debug runs prove nothing.
missing=$(grep -E '^CONFIG_[A-Z0-9_]+=y' "$fragment" | while read -r opt; do
	grep -qx "$opt" "$tree.tmp/.config" || echo "$opt"; done)
if [ -n "$missing" ]; then
	echo "build-kernel: options dropped by olddefconfig:" $missing >&2
fi
# Without these the debug runs would pass while checking nothing.
for opt in KASAN PROVE_LOCKING PROVE_RCU DEBUG_KMEMLEAK PREEMPT DEBUG_PREEMPT KUNIT; do
	grep -qx "CONFIG_$opt=y" "$tree.tmp/.config" ||
		{ echo "build-kernel: CONFIG_$opt did not survive olddefconfig" >&2; exit 1; }
done
mv "$tree.tmp" "$tree"
touch "$tree/.kplane-built"
echo "build-kernel: done in $(( $(date +%s) - start )) s" >&2
echo "$tree"

#!/usr/bin/env bash
# vmlinux.sh IMAGE: print what QEMU should boot for the bzImage IMAGE.
#
# Under TCG a Debian bzImage spends about 10 s of every boot decompressing
# itself (XZ).  A kernel built with CONFIG_PVH carries an ELF note that lets
# QEMU start the uncompressed vmlinux directly, the same kernel code without
# the decompressor.  For a bzImage this decompresses its payload once (as the
# kernel's scripts/extract-vmlinux does) into the cache.  Without a PVH
# entry, IMAGE itself is printed.
set -euo pipefail
image=$1
cache=${KPLANE_CACHE_DIR:-/var/cache/kplane}/vmlinux

has_pvh() { readelf -n "$1" 2>/dev/null | grep -q 'Xen.*0x00000012'; }

out=$cache/$(basename "$image")-$(cksum <"$image" | cut -d' ' -f1)
if [ ! -f "$out" ]; then
	mkdir -p "$cache"
	tmp=$(mktemp "$out.XXXXXX")
	off=$(LC_ALL=C grep -abo $'\xfd7zXZ' "$image" | head -1 | cut -d: -f1 || true)
	# --single-stream: the bytes after the payload are not xz's to judge.
	if [ -n "$off" ] && xz -dcq --single-stream <(tail -c +$((off + 1)) "$image") >"$tmp" 2>/dev/null &&
		has_pvh "$tmp"; then
		chmod 644 "$tmp"
		mv "$tmp" "$out"
	else
		rm -f "$tmp"
		: >"$out"
	fi
fi
if [ -s "$out" ]; then echo "$out"; else echo "$image"; fi

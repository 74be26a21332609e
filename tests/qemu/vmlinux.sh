#!/usr/bin/env bash
# vmlinux.sh IMAGE [VMLINUX]: print what QEMU should boot for IMAGE.
#
# Under TCG a Debian bzImage spends about 10 s of every boot decompressing
# itself (XZ).  A kernel built with CONFIG_PVH carries an ELF note that lets
# QEMU start the uncompressed vmlinux directly, the same kernel code without
# the decompressor.  For a bzImage this decompresses its payload once (as the
# kernel's scripts/extract-vmlinux does) into the cache; VMLINUX, when given,
# is the build tree's own.  Without a PVH entry, IMAGE itself is printed.
set -euo pipefail
image=$1 elf=${2:-}
cache=${KPLANE_CACHE_DIR:-/var/cache/kplane}/vmlinux

has_pvh() { readelf -n "$1" 2>/dev/null | grep -q 'Xen.*0x00000012'; }

if [ -n "$elf" ]; then
	if has_pvh "$elf"; then echo "$elf"; else echo "$image"; fi
	exit 0
fi
out=$cache/$(basename "$image")-$(cksum <"$image" | cut -d' ' -f1)
if [ ! -f "$out" ]; then
	mkdir -p "$cache"
	tmp=$(mktemp "$out.XXXXXX")
	off=$(LC_ALL=C grep -abo $'\xfd7zXZ' "$image" | head -1 | cut -d: -f1 || true)
	# xz complains about the bzImage's bytes after the payload; the ELF is whole.
	[ -n "$off" ] && { tail -c +$((off + 1)) "$image" | xz -dcq >"$tmp" 2>/dev/null || true; }
	if [ -s "$tmp" ] && has_pvh "$tmp"; then chmod 644 "$tmp"; mv "$tmp" "$out"; else rm -f "$tmp"; : >"$out"; fi
fi
if [ -s "$out" ]; then echo "$out"; else echo "$image"; fi

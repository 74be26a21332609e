#!/usr/bin/env bash
# Which kernels this machine can build for and boot.
#   kernels.sh kdir           default KDIR for `make module`
#   kernels.sh stock-version  newest installed Debian kernel with headers
#   kernels.sh list           every installed kernel version that has headers
set -euo pipefail

installed_with_headers() {
	local v
	for img in /boot/vmlinuz-*; do
		[ -e "$img" ] || continue
		v=${img#/boot/vmlinuz-}
		[ -d "/usr/src/linux-headers-$v" ] && echo "$v"
	done | sort -V
}

stock_version() {
	# Prefer the generic flavour: it is what most nodes run.
	local all generic
	all=$(installed_with_headers)
	generic=$(echo "$all" | grep -- '-amd64$' | grep -v -- '-cloud-' | tail -1 || true)
	if [ -n "$generic" ]; then echo "$generic"; else echo "$all" | tail -1; fi
}

case "${1:-}" in
kdir)
	if [ -d "/lib/modules/$(uname -r)/build" ]; then
		echo "/lib/modules/$(uname -r)/build"
	else
		v=$(ls -d /usr/src/linux-headers-*-amd64 2>/dev/null | grep -v cloud | sort -V | tail -1)
		[ -n "$v" ] || v=$(ls -d /usr/src/linux-headers-*-amd64 2>/dev/null | sort -V | tail -1)
		echo "${v:-/nonexistent-run-make-deps}"
	fi ;;
stock-version) stock_version ;;
list) installed_with_headers ;;
*) echo "usage: $0 kdir|stock-version|list" >&2; exit 2 ;;
esac

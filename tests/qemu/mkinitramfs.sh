#!/usr/bin/env bash
# mkinitramfs.sh --out FILE --kver V --moddir DIR|"" --module KO --scenario PATH
#                [--extra=FILE]...
# A busybox initramfs holding kplane.ko, kplanectl/kplaned, the e2e helpers,
# bash, iproute2 and every shared library they need, plus the stock kernel
# modules the scenarios load (veth and what it depends on).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
out= kver= moddir= module= scenario= extras=()
envfile=$(mktemp /tmp/kplane-env.XXXXXX)
: >"$envfile.pending"
while [ $# -gt 0 ]; do
	case "$1" in
	--out) out=$2; shift 2 ;;
	--kver) kver=$2; shift 2 ;;
	--moddir) moddir=$2; shift 2 ;;
	--module) module=$2; shift 2 ;;
	--scenario) scenario=$2; shift 2 ;;
	--extra=*) extras+=("${1#--extra=}"); shift ;;
	--env=*) printf '%q\n' "${1#--env=}" >>"$envfile.pending"; shift ;;
	*) echo "mkinitramfs: unknown argument $1" >&2; exit 2 ;;
	esac
done
# Kernel modules the scenarios may need from a stock (modular) kernel.
KMODS=(nf_defrag_ipv4 nf_defrag_ipv6 veth dummy ip_tables iptable_filter iptable_nat xt_statistic xt_comment xt_nat xt_tcpudp nf_conntrack_netlink
	nf_reject_ipv4 nf_reject_ipv6 nf_tables nft_chain_nat nft_nat nft_numgen ip_vs ip_vs_rr
	xt_conntrack xt_set ip_set_hash_net nft_ct nft_flow_offload nf_flow_table_inet)

root=$(mktemp -d /tmp/kplane-initrd.XXXXXX)
trap 'rm -rf "$root"' EXIT
# mktemp makes it 0700: the guest's unprivileged test users must traverse /.
chmod 755 "$root"
mkdir -p "$root"/{bin,sbin,etc,proc,sys,dev,tmp,run,root,lib/kplane/extra,scenarios,usr/bin,usr/sbin,var/run}

# Binaries and, through ldd, their libraries (and the dynamic loader).
add_bin() {
	local src=$1 dst=$2
	cp -L "$src" "$root/$dst"
	ldd "$src" 2>/dev/null | grep -o '/[^ ]*' | while read -r lib; do
		[ -e "$lib" ] || continue
		mkdir -p "$root/$(dirname "$lib")"
		cp -Ln "$lib" "$root/$lib" 2>/dev/null || true
	done
}
add_bin "$(command -v bash)" bin/bash
# iproute2, not busybox's applet (busybox's 'ip' lacks netns and veth).
add_bin /usr/sbin/ip bin/ip
# iptables-legacy: the kube-proxy-style peer the benchmark measures beside us.
if [ -x /usr/sbin/xtables-legacy-multi ]; then
	add_bin /usr/sbin/xtables-legacy-multi bin/xtables-legacy-multi
	for t in iptables-legacy iptables-legacy-restore; do ln -s xtables-legacy-multi "$root/bin/$t"; done
	mkdir -p "$root/usr/lib/x86_64-linux-gnu"
	cp -r /usr/lib/x86_64-linux-gnu/xtables "$root/usr/lib/x86_64-linux-gnu/"
	for so in "$root"/usr/lib/x86_64-linux-gnu/xtables/*.so; do
		ldd "$so" 2>/dev/null | grep -o '/[^ ]*' | while read -r lib; do
			[ -e "$lib" ] && mkdir -p "$root/$(dirname "$lib")" && cp -Ln "$lib" "$root/$lib" 2>/dev/null
		done
	done
fi
# perf only on request (KPLANE_VM_PERF=1, to profile a bench by hand): its
# libraries would double the image every test boots.
tools="nsenter unshare setpriv conntrack nft ipvsadm ipset iperf3"
[ "${KPLANE_VM_PERF:-0}" = 1 ] && tools+=" perf"
for tool in $tools; do
	p=$(command -v $tool || true)
	[ -n "$p" ] && add_bin "$p" "bin/$tool"
done
add_bin "$top/build/kplanectl" bin/kplanectl
add_bin "$top/build/kplaned" bin/kplaned
for h in "$top"/build/helpers/*; do
	[ -x "$h" ] && add_bin "$h" "bin/$(basename "$h")"
done
cp /bin/busybox "$root/bin/busybox"
cp "$module" "$root/lib/kplane/kplane.ko"
for e in ${extras[@]+"${extras[@]}"}; do cp "$e" "$root/lib/kplane/extra/"; done
cp "$top"/tests/e2e/*.sh "$root/scenarios/"
cp "$scenario" "$root/scenarios/"
basename "$scenario" .sh >"$root/lib/kplane/scenario"
sed 's/^/export /' "$envfile.pending" >"$root/lib/kplane/env"
rm -f "$envfile" "$envfile.pending"

# Stock kernel modules in load order (dependencies first).
: >"$root/lib/kplane/kmods.list"
if [ -n "$moddir" ]; then
	for m in "${KMODS[@]}"; do
		modprobe -S "$kver" --show-depends "$m" 2>/dev/null | awk '$1 == "insmod" {print $2}'
	done | awk '!seen[$0]++' | while read -r ko; do
		mkdir -p "$root/$(dirname "$ko")"
		cp "$ko" "$root/$ko"
		echo "$ko" >>"$root/lib/kplane/kmods.list"
	done
fi

cp "$here/init" "$root/init"
chmod +x "$root/init"
(cd "$root" && find . | cpio -o -H newc --quiet | gzip -1) >"$out"

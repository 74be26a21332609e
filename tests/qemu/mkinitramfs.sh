#!/usr/bin/env bash
# The test guest's initramfs, in two parts the kernel unpacks one after the
# other (concatenated cpio archives):
#
#   mkinitramfs.sh base --out FILE --kver V --moddir DIR|"" --module KO
#     busybox, bash, iproute2, kplane.ko, kplanectl/kplaned, the e2e helpers,
#     every tool a scenario runs and every shared library they need, and the
#     stock kernel modules the scenarios load.  The same for every scenario on
#     a kernel, so a suite builds it once.  A missing tool fails the build,
#     naming it: a scenario must never find its tool quietly left out.
#
#   mkinitramfs.sh overlay --out FILE --scenario PATH [--extra=FILE]... [--env=VAR=VAL]...
#     which scenario to run, its environment and extra files (a few KiB).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
mode=${1:-}
shift || true
out= kver= moddir= module= scenario= extras=() envs=()
while [ $# -gt 0 ]; do
	case "$1" in
	--out) out=$2; shift 2 ;;
	--kver) kver=$2; shift 2 ;;
	--moddir) moddir=$2; shift 2 ;;
	--module) module=$2; shift 2 ;;
	--scenario) scenario=$2; shift 2 ;;
	--extra=*) extras+=("${1#--extra=}"); shift ;;
	--env=*) envs+=("${1#--env=}"); shift ;;
	*) echo "mkinitramfs: unknown argument $1" >&2; exit 2 ;;
	esac
done
[ -n "$out" ] || { echo "mkinitramfs: --out is required" >&2; exit 2; }

# Kernel modules the scenarios may need from a stock (modular) kernel.
KMODS=(nf_defrag_ipv4 nf_defrag_ipv6 veth dummy bridge ip_tables iptable_filter iptable_nat xt_statistic xt_comment xt_nat xt_tcpudp nf_conntrack_netlink
	nf_reject_ipv4 nf_reject_ipv6 nf_tables nft_chain_nat nft_nat nft_numgen ip_vs ip_vs_rr
	xt_conntrack xt_set ip_set_hash_net nft_ct nft_flow_offload nf_flow_table_inet)
# Tools the scenarios and benches run in the guest (tests/install-deps.sh
# installs them).  perf only on request (KPLANE_VM_PERF=1, to profile a bench
# by hand): its libraries would double the image every test boots.
TOOLS=(nsenter unshare setpriv conntrack nft ipvsadm ipset iperf3 xtables-legacy-multi
	dnsmasq dig getent etcd jq)
[ "${KPLANE_VM_PERF:-0}" = 1 ] && TOOLS+=(perf)

root=$(mktemp -d /tmp/kplane-initrd.XXXXXX)
trap 'rm -rf "$root"' EXIT
# mktemp makes it 0700: the guest's unprivileged test users must traverse /.
chmod 755 "$root"

# Uncompressed: gunzip in the guest took about a second of every boot.
# Written aside and renamed: a suite on the same kernel may be booting it.
pack() {
	(cd "$root" && find . | cpio -o -H newc --quiet) >"$out.tmp.$$"
	mv "$out.tmp.$$" "$out"
}

if [ "$mode" = overlay ]; then
	[ -n "$scenario" ] || { echo "mkinitramfs: overlay needs --scenario" >&2; exit 2; }
	mkdir -p "$root"/{lib/kplane/extra,scenarios}
	for e in ${extras[@]+"${extras[@]}"}; do cp "$e" "$root/lib/kplane/extra/"; done
	cp "$scenario" "$root/scenarios/"
	basename "$scenario" .sh >"$root/lib/kplane/scenario"
	for e in ${envs[@]+"${envs[@]}"}; do printf 'export %q\n' "$e"; done >"$root/lib/kplane/env"
	pack
	exit 0
fi
[ "$mode" = base ] || { echo "usage: mkinitramfs.sh base|overlay --out FILE ..." >&2; exit 2; }
[ -n "$kver" ] && [ -n "$module" ] || { echo "mkinitramfs: base needs --kver and --module" >&2; exit 2; }
mkdir -p "$root"/{bin,sbin,etc,proc,sys,dev,tmp,run,root,lib/kplane/extra,scenarios,usr/bin,usr/sbin,var/run}

# copy_libs FILE: the shared libraries FILE needs (and the dynamic loader).
copy_libs() {
	ldd "$1" 2>/dev/null | grep -o '/[^ ]*' | while read -r lib; do
		[ -e "$lib" ] || continue
		mkdir -p "$root/$(dirname "$lib")"
		cp -Ln "$lib" "$root/$lib" 2>/dev/null || true
	done
}
add_bin() {
	cp -L "$1" "$root/$2"
	copy_libs "$1"
}
add_bin "$(command -v bash)" bin/bash
# iproute2, not busybox's applet (busybox's 'ip' lacks netns and veth).
add_bin /usr/sbin/ip bin/ip
missing=()
for tool in "${TOOLS[@]}"; do
	p=$(PATH=$PATH:/usr/sbin:/sbin command -v "$tool" || true)
	if [ -n "$p" ]; then add_bin "$p" "bin/$tool"; else missing+=("$tool"); fi
done
if [ ${#missing[@]} -gt 0 ]; then
	echo "mkinitramfs: missing on this host: ${missing[*]} (run tests/install-deps.sh)" >&2
	exit 1
fi
# iptables-legacy: the kube-proxy-style peer; its extensions are shared
# objects with libraries of their own (libm).
for t in iptables-legacy iptables-legacy-restore; do ln -s xtables-legacy-multi "$root/bin/$t"; done
mkdir -p "$root/usr/lib/x86_64-linux-gnu"
cp -r /usr/lib/x86_64-linux-gnu/xtables "$root/usr/lib/x86_64-linux-gnu/"
for so in "$root"/usr/lib/x86_64-linux-gnu/xtables/*.so; do copy_libs "$so"; done
add_bin "$top/build/kplanectl" bin/kplanectl
add_bin "$top/build/kplaned" bin/kplaned
# CNI: kplane's plugin beside the standard ones it chains after, where a
# runtime finds them.
mkdir -p "$root/opt/cni/bin"
add_bin "$top/build/cni/kplane" opt/cni/bin/kplane
for p in ptp bridge host-local loopback; do
	[ -x "/usr/lib/cni/$p" ] || { echo "mkinitramfs: /usr/lib/cni/$p missing (run tests/install-deps.sh)" >&2; exit 1; }
	add_bin "/usr/lib/cni/$p" "opt/cni/bin/$p"
done
for h in "$top"/build/helpers/*; do
	[ -x "$h" ] && add_bin "$h" "bin/$(basename "$h")"
done
cp /bin/busybox "$root/bin/busybox"
cp "$module" "$root/lib/kplane/kplane.ko"
cp "$top"/tests/e2e/*.sh "$root/scenarios/"

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
pack

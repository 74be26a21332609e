#!/usr/bin/env bash
# Install the Debian packages kplane's build, demo and tests need, if missing.
# Safe to run repeatedly: it does nothing when everything is there.
set -euo pipefail
PKGS=(
	# build: module and userspace
	gcc make pkg-config libnl-genl-3-dev libnl-3-dev libnl-route-3-dev rsync kmod
	# kplaned: YAML and JSON (Kubernetes objects), its HTTP endpoint, etcd's
	# JSON API (and base64, from OpenSSL's libcrypto)
	libfyaml-dev libmicrohttpd-dev libcurl4-openssl-dev libssl-dev
	# unit tests: sanitizers and libFuzzer; e2e helpers (io_uring clients)
	clang libclang-rt-14-dev liburing-dev
	# kernels users run (QEMU boots them) and their headers (we build against them)
	linux-image-amd64 linux-headers-amd64 linux-image-cloud-amd64 linux-headers-cloud-amd64
	# the KUnit/debug kernel, built from Debian's source
	linux-source-6.1 bc flex bison libelf-dev libssl-dev dwarves xz-utils lz4 cpio
	# the VM, and the peers measured beside kplane in it
	qemu-system-x86 busybox-static iproute2 util-linux iptables conntrack nftables ipset ipvsadm iperf3
	# real clients and servers the real-clients scenario runs
	dnsmasq-base bind9-dnsutils libc-ares-dev
	# the datastore kplaned watches in the tests; the standard CNI plugins
	# kplane's chains after, and jq to chain them as a runtime does
	etcd-server containernetworking-plugins jq
	# DKMS packaging
	dkms
)
missing=()
for p in "${PKGS[@]}"; do
	[ "$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null)" = "install ok installed" ] || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0
echo "install-deps: installing ${missing[*]}" >&2
[ "$(id -u)" = 0 ] || { echo "install-deps: run as root (or install the above)" >&2; exit 1; }
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -q --no-install-recommends "${missing[@]}" >/tmp/kplane-apt.log 2>&1 ||
	{ tail -30 /tmp/kplane-apt.log >&2; exit 1; }

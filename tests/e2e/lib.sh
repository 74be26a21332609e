#!/usr/bin/env bash
# Sourced by every scenario.  Cases print TAP lines ("ok N - name" /
# "not ok N - name"); the harness counts them.  kp_done exits non-zero if any
# case failed.
KP_CASES=0
KP_FAILED=0

# KP_TIMING=1 (run.sh --env KP_TIMING=1): each case also says when it
# ended, in seconds of guest uptime, to see where a scenario's time goes.
kp_time() {
	[ -n "${KP_TIMING:-}" ] && echo "# at $(cut -d' ' -f1 /proc/uptime) s"
	return 0
}

kp_ok() {
	kp_time
	KP_CASES=$((KP_CASES + 1))
	echo "ok $KP_CASES - $*"
}

kp_not_ok() {
	kp_time
	KP_CASES=$((KP_CASES + 1))
	KP_FAILED=$((KP_FAILED + 1))
	echo "not ok $KP_CASES - $*"
}

# kp_check NAME CMD...: the case passes when CMD succeeds.
kp_check() {
	local name=$1
	shift
	if "$@"; then kp_ok "$name"; else kp_not_ok "$name"; fi
}

# kp_refused NAME RC ERRNO_TEXT MESSAGE CMD...: CMD must exit RC and print on
# stderr both the errno's text and the kernel's (extack) MESSAGE.
kp_refused() {
	local name=$1 want_rc=$2 errtext=$3 msg=$4 rc out
	shift 4
	out=$("$@" 2>&1 >/dev/null)
	rc=$?
	if [ "$rc" = "$want_rc" ] && [[ "$out" == *"$errtext"* ]] && [[ "$out" == *"$msg"* ]]; then
		kp_ok "$name  [$out]"
	else
		kp_not_ok "$name: rc=$rc (want $want_rc), stderr: $out (want '$errtext' and '$msg')"
	fi
}

# kp_eq NAME GOT WANT
kp_eq() {
	if [ "$2" = "$3" ]; then kp_ok "$1"; else kp_not_ok "$1: got '$2', want '$3'"; fi
}

# kp_wait_for NAME CMD...: polls CMD for 5 s; the case passes when it succeeds.
kp_wait_for() {
	local name=$1 i
	shift
	for i in $(seq 50); do
		"$@" >/dev/null 2>&1 && { kp_ok "$name (after ~$((i * 100)) ms)"; return; }
		sleep 0.1
	done
	kp_not_ok "$name"
}

# kp_metric NS NAME: the value of kplaned's metric kplane_NAME in netns NS.
kp_metric() {
	ip netns exec "$1" busybox wget -q -O - http://127.0.0.1:9099/metrics |
		sed -n "s/^kplane_$2 //p"
}

# kp_ready NS [TRIES]: waits (100 ms a try, default 100) for kplaned in NS
# to answer /readyz with 200.
kp_ready() {
	local i
	for i in $(seq "${2:-100}"); do
		ip netns exec "$1" busybox wget -q -O /dev/null http://127.0.0.1:9099/readyz \
			2>/dev/null && return 0
		sleep 0.1
	done
	return 1
}

kp_load() {
	insmod /lib/kplane/kplane.ko "$@"
}

kp_unload() {
	rmmod kplane
}

# kp_pod NODE_NS POD_NS HOST_IF ADDR: a pod netns behind a veth pair, host
# side HOST_IF in NODE_NS (default netns when NODE_NS is "").
kp_pod() {
	local node=$1 pod=$2 hif=$3 addr=$4
	ip netns add "$pod"
	if [ -n "$node" ]; then
		ip -n "$node" link add "$hif" type veth peer name eth0 netns "$pod"
		ip -n "$node" link set "$hif" up
	else
		ip link add "$hif" type veth peer name eth0 netns "$pod"
		ip link set "$hif" up
	fi
	ip -n "$pod" addr add "$addr/32" dev eth0
	ip -n "$pod" link set eth0 up
	ip -n "$pod" link set lo up
}

# kp_calico_node NODE: a node netns that routes between Calico-style pods.
kp_calico_node() {
	local node=$1
	ip netns add "$node"
	ip netns exec "$node" sysctl -qw net.ipv4.ip_forward=1 net.ipv6.conf.all.forwarding=1
	ip -n "$node" link set lo up
	# The pods' gateway; local to the node, so it answers ARP for it on every veth.
	ip -n "$node" addr add 169.254.1.1/32 dev lo
}

# kp_calico_pod NODE N [PREFIX]: pod netns PREFIXpodN with 10.244.1.N/32 and
# fd00:244::N/128 behind vethN; the node answers on the host veth (proxy
# ARP, fe80::1).
kp_calico_pod() {
	local node=$1 n=$2 pod=${3:-}pod$2
	kp_pod "$node" "$pod" "veth$n" "10.244.1.$n"
	ip -n "$pod" addr add "fd00:244::$n/128" dev eth0 nodad
	ip -n "$pod" route add 169.254.1.1 dev eth0
	ip -n "$pod" route add default via 169.254.1.1 dev eth0
	ip -n "$pod" -6 route add default via fe80::1 dev eth0
	ip netns exec "$node" sysctl -qw "net.ipv4.conf.veth$n.proxy_arp=1"
	ip -n "$node" addr add fe80::1/64 dev "veth$n" nodad
	ip -n "$node" route add "10.244.1.$n/32" dev "veth$n"
	ip -n "$node" -6 route add "fd00:244::$n/128" dev "veth$n"
}

# kp_kplane_node NODE N...: a Calico-style node with pods N..., kplane
# enabled on it and each pod registered as endpoint podN (both addresses).
kp_kplane_node() {
	local node=$1 n
	shift
	kp_calico_node "$node"
	for n in "$@"; do kp_calico_pod "$node" "$n"; done
	kpctl "$node" node enable
	for n in "$@"; do
		kpctl "$node" endpoint add "pod$n" dev "veth$n" netns "/run/netns/pod$n" \
			addr "10.244.1.$n" addr "fd00:244::$n"
	done
}

# kp_link NS1 IF1 NS2 IF2 V4PREFIX V6PREFIX: a veth between two netns, NS1
# at V4PREFIX.1/24 and V6PREFIX::1/64, NS2 at .2 and ::2, both up.
kp_link() {
	local ns1=$1 if1=$2 ns2=$3 if2=$4 v4=$5 v6=$6 i=1 ns ifc
	ip -n "$ns1" link add "$if1" type veth peer name "$if2" netns "$ns2"
	for ns in "$ns1" "$ns2"; do
		ifc=$([ $i = 1 ] && echo "$if1" || echo "$if2")
		ip -n "$ns" addr add "$v4.$i/24" dev "$ifc"
		ip -n "$ns" addr add "$v6::$i/64" dev "$ifc" nodad
		ip -n "$ns" link set "$ifc" up
		i=2
	done
}

# kp_scale STOCK DEBUG: the size to test at on this kernel.  The debug
# kernel (KASAN, lockdep, kmemleak under emulation, the only one with
# kmemleak) checks the same code paths at a size that still crosses every
# boundary the case is about; scale is the stock kernel's job.
kp_scale() {
	if [ -e /sys/kernel/debug/kmemleak ]; then echo "$2"; else echo "$1"; fi
}

# kp_until SECS CMD...: run CMD every 0.1 s until it succeeds (status 0) or
# SECS have passed (status 1).  For what a busy guest does "soon": a fixed
# sleep is either too long or, on a loaded debug VM, too short.
kp_until() {
	local end=$(( $(date +%s) + $1 ))
	shift
	until "$@"; do
		[ "$(date +%s)" -lt "$end" ] || return 1
		sleep 0.1
	done
}

# kp_spread NAME WANT MIN MAX CMD...: CMD draws one choice of a balancer
# and prints its label.  The case passes once the labels seen, sorted and
# space-joined, equal WANT after at least MIN draws; it fails at MAX draws
# or on a label outside WANT.  A fixed number of draws is a coin toss: 12
# over three backends misses one 2% of the time.  KP_DRAWS: how many it took.
kp_spread() {
	local name=$1 want=$2 min=$3 max=$4 i l seen="" all=""
	shift 4
	for i in $(seq "$max"); do
		KP_DRAWS=$i
		all=$(printf '%s\n%s' "$all" "$("$@")")
		seen=$(grep -v '^$' <<<"$all" | sort -u | tr '\n' ' ')
		seen=${seen% }
		for l in $seen; do
			[[ " $want " == *" $l "* ]] || { kp_not_ok "$name: got '$seen' after $i, want '$want'"; return; }
		done
		[ "$i" -ge "$min" ] && [ "$seen" = "$want" ] && { kp_ok "$name ($i draws)"; return; }
	done
	kp_not_ok "$name: got '$seen' after $max, want '$want'"
}

# kp_listening NS tcp|udp PORT: NS has a socket bound to local PORT (v4 or
# v6; for TCP, listening); for "kp_until 5 kp_listening ..." after starting
# a server.
kp_listening() {
	ip netns exec "$1" cat "/proc/net/$2" "/proc/net/${2}6" 2>/dev/null |
		awk -v p="$(printf ':%04X' "$3")" -v tcp="$([ "$2" = tcp ] && echo 1)" '
		substr($2, length($2) - 4) == p && (!tcp || $4 == "0A") { f = 1 } END { exit !f }'
}

# kp_snmp NS PROTO FIELD: a counter of NS's /proc/net/snmp, by name
# (kp_snmp pod2 Icmp InDestUnreachs).
kp_snmp() {
	ip netns exec "$1" awk -v p="$2:" -v k="$3" '$1 == p { if (!h) { for (i = 1; i <= NF; i++)
		c[$i] = i; h = 1 } else print $c[k] }' /proc/net/snmp
}

# In netns NS: kpctl NS ARGS...
kpctl() {
	local ns=$1
	shift
	# -n, not `ip netns exec`: one process fewer (a third of a second each on
	# the debug kernel under emulation).
	if [ -n "$ns" ]; then kplanectl -n "$ns" "$@"; else kplanectl "$@"; fi
}

kp_done() {
	echo "# $KP_CASES cases, $KP_FAILED failed"
	[ "$KP_FAILED" = 0 ]
	exit $?
}

#!/usr/bin/env bash
# Sourced by every scenario.  Cases print TAP lines ("ok N - name" /
# "not ok N - name"); the harness counts them.  kp_done exits non-zero if any
# case failed.
KP_CASES=0
KP_FAILED=0

kp_ok() {
	KP_CASES=$((KP_CASES + 1))
	echo "ok $KP_CASES - $*"
}

kp_not_ok() {
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

# In netns NS: kpctl NS ARGS...
kpctl() {
	local ns=$1
	shift
	if [ -n "$ns" ]; then ip netns exec "$ns" kplanectl "$@"; else kplanectl "$@"; fi
}

kp_done() {
	echo "# $KP_CASES cases, $KP_FAILED failed"
	[ "$KP_FAILED" = 0 ]
	exit $?
}

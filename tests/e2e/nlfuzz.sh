#!/usr/bin/env bash
# Reliability: kplane's netlink family under a grammar-aware fuzzer
# (helpers/kp-nlfuzz.c: random requests along the UAPI's attribute tree, a
# quarter of them damaged, transactions begun, committed, aborted and
# abandoned, every listing dumped) while traffic crosses the node and its
# services.  The verdict is the kernel's: no oops, no KASAN/lockdep report
# (the harness scans the console), no leak (kmemleak on the debug kernel),
# the node still answers, disables and the module unloads.  A tenant in a
# user namespace fuzzes its own node beside it.
#   KP_FUZZ_SECONDS (default 60), KP_FUZZ_SEED (default 1: CI replays one
#   sequence; pass another with run.sh --env to explore).
. /scenarios/lib.sh

kp_load
kp_kplane_node node1 2 3
# Interfaces the fuzzer's endpoints may name.
for i in 0 1 2; do
	ip -n node1 link add veth-f$i type dummy
	ip -n node1 link set veth-f$i up
done
for n in 2 3; do
	ip netns exec pod$n kp-echo serve tcp 0.0.0.0 8080 web-$n &
	ip netns exec pod$n kp-echo serve udp 0.0.0.0 53 dns-$n &
done
sleep 0.5

# Traffic all along: pod to pod, and to service addresses the fuzzer makes.
export KP_ECHO_TIMEOUT_MS=200
(while :; do
	ip netns exec pod2 kp-echo connect udp 10.244.1.3 53
	ip netns exec pod2 kp-echo connect tcp 10.96.0.1 80
	ip netns exec pod3 kp-echo connect udp 10.96.0.2 53
	ip netns exec pod3 kp-echo sendto udp 10.96.0.1 443
done >/dev/null 2>&1) &
traffic=$!

seconds=${KP_FUZZ_SECONDS:-60}
seed=${KP_FUZZ_SEED:-1}
# A tenant at the same time: uid 65534 in a user+net namespace of its own,
# fuzzing its own node with descriptors of netns it does not own (the
# host's, node1's) for its endpoints to name: every such claim is refused.
kp-runas nobody unshare -Urn bash -c 'ip link set lo up
	for i in 0 1 2; do ip link add veth-f$i type dummy && ip link set veth-f$i up; done
	kplanectl node enable && kp-nlfuzz "$0" "$1" /proc/self/fd/3 /proc/self/fd/4' \
	"$seconds" $((seed + 1)) 3</proc/self/ns/net 4</run/netns/node1 >/tmp/tenant.out 2>&1 &
tenant=$!
out=$(ip netns exec node1 kp-nlfuzz "$seconds" "$seed" /run/netns/pod2 /run/netns/pod3)
rc=$?
wait $tenant
trc=$?
kill $traffic
echo "$out"
cat /tmp/tenant.out
num() { sed -n "s/.*$1=\([0-9]*\).*/\1/p" <<<"$out"; }
kp_eq "fuzzer ran to the end (seed $seed, $seconds s)" "$rc" 0
kp_check "requests reached handlers: $(num accepted) accepted, $(num refused) refused" \
	test "$(num accepted)" -gt 100 -a "$(num refused)" -gt 100
kp_check "with transactions ($(num txns)) and dumps ($(num dumps))" \
	test "$(num txns)" -gt 0 -a "$(num dumps)" -gt 0
kp_eq "the tenant's fuzzer ran to the end beside it" "$trc" 0
kp_check "its requests reached its own node [$(cat /tmp/tenant.out)]" \
	test "$(out=$(cat /tmp/tenant.out); num accepted)" -gt 50
kpctl node1 status
kp_check "the node still answers" kpctl node1 status
kp_check "and lists what the fuzzer left" \
	bash -c "ip netns exec node1 kplanectl service list >/dev/null &&
		 ip netns exec node1 kplanectl policy list >/dev/null &&
		 ip netns exec node1 kplanectl ipset list >/dev/null"

kill $(jobs -p) 2>/dev/null
wait 2>/dev/null
kp_check "node disable with whatever the fuzzer left" kpctl node1 node disable
kp_check "module unloads" kp_unload
kp_done

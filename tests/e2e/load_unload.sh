#!/usr/bin/env bash
# Load and unload 20 times with nodes enabled in several netns, endpoints
# present and packets flowing; nothing may stay behind (module, slab cache)
# and the kernel log must stay clean (the harness scans it, kmemleak too).
# Then a node disabled and enabled again under a fast-path flood, and the
# last node disabled while sends run through the module's own stubs.
. /scenarios/lib.sh

ROUNDS=${ROUNDS:-20}
for n in 1 2 3; do
	ip netns add node$n
	kp_pod node$n pod$n veth$n 10.9.0.$n
	ip -n node$n addr add 10.9.1.$n/32 dev veth$n
	ip -n node$n route add 10.9.0.$n/32 dev veth$n
	ip -n pod$n route add default dev eth0
done
ok=0
for round in $(seq "$ROUNDS"); do
	kp_load || break
	# The harness boots with slab_nomerge, so the cache is ours alone.
	[ -d /sys/kernel/slab/kp_endpoint ] || break
	for n in 1 2 3; do
		kpctl node$n node enable &&
		kpctl node$n endpoint add pod$n dev veth$n netns /run/netns/pod$n addr 10.9.0.$n || break 2
	done
	# Traffic through the hooks while we tear down.
	ip netns exec pod1 ping -c 50 -i 0.01 -W 1 10.9.1.1 >/dev/null 2>&1 &
	pinger=$!
	sleep 0.1
	kp_unload || break
	wait $pinger
	[ -e /sys/module/kplane ] && break
	ok=$round
done
kp_eq "$ROUNDS load/unload rounds" "$ok" "$ROUNDS"

# Node disable while the fast path forwards an approved flow (pod5 ->
# pod6) from the endpoints' own ingress hooks (two CPUs: the flood on one,
# the disable on the other): the flow table and the counters those hooks
# use must outlive every packet inside them (KASAN on the debug kernel
# says if not).
kp_load
kp_kplane_node nodef 5 6
cat >/tmp/again.batch <<'EOF'
endpoint add pod5 dev veth5 netns /run/netns/pod5 addr 10.244.1.5
endpoint add pod6 dev veth6 netns /run/netns/pod6 addr 10.244.1.6
policy set allow-udp ingress allow proto udp
endpoint policy pod6 ingress default:allow-udp
EOF
grep -v '^endpoint add' /tmp/again.batch | kpctl nodef batch -
mac=$(ip -n nodef link show veth5 | awk '/link\/ether/ { print $2 }')
cycles=$(kp_scale 10 5)
ip netns exec pod5 kp-pktflood eth0 "$mac" 10.244.1.5 9098 10.244.1.6 9097 600 >/dev/null &
flood=$!
fast_used() {
	test "$(kpctl nodef --json status | grep -o '"fast_forwarded":[0-9]*' | cut -d: -f2)" -gt 0
}
kp_check "the fast path forwards the flood" kp_until 20 fast_used
done_cycles=0
for i in $(seq "$cycles"); do
	sleep 0.5
	kpctl nodef node disable && kpctl nodef node enable && kpctl nodef batch /tmp/again.batch ||
		break
	done_cycles=$i
done
kp_eq "node disabled and enabled $cycles times under a fast-path flood" "$done_cycles" "$cycles"
kill $flood 2>/dev/null
wait $flood 2>/dev/null
kp_check "module unloads after" kp_unload
kp_check "module gone" [ ! -e /sys/module/kplane ]
kp_check "no kplane slab cache left" [ ! -e /sys/kernel/slab/kp_endpoint ]
kp_check "no kplane genl family left" bash -c '! kplanectl status 2>/dev/null'

# Sends diverted into the module's own code (a connected UDP socket whose
# backend left reconnects at its next send, from a stub the probe sends it
# to) racing the last node's disable and the unload: the stubs and the
# socket table they read must outlive them.
kp_load
kp_kplane_node noder 7 8
svc() { kpctl noder service set 10.96.0.99:53/udp backend "10.244.1.8:$1"; }
svc 53
ip netns exec pod7 kp-sockstate sendloop 10.96.0.99 53 64 $(kp_scale 4000 8000) >/tmp/sends.out &
sender=$!
kp_until 10 grep -q ready /tmp/sends.out
for port in 54 55 56 57; do svc $port; done	# each move makes every socket resteer
kp_check "the last node disables while diverted sends run" kpctl noder node disable
kp_check "and the module unloads" kp_unload
wait $sender
kp_check "the sender went on to the end [$(tail -1 /tmp/sends.out)]" grep -q '^sends=' /tmp/sends.out
kp_done

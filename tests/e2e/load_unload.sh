#!/usr/bin/env bash
# Load and unload 20 times with nodes enabled in several netns, endpoints
# present and packets flowing; nothing may stay behind (module, slab cache)
# and the kernel log must stay clean (the harness scans it, kmemleak too).
# Then a node disabled and enabled again under a fast-path flood.
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
ip netns exec pod5 kp-pktflood eth0 "$mac" 10.244.1.5 9098 10.244.1.6 9097 $((cycles * 6)) \
	>/dev/null &
flood=$!
done_cycles=0
for i in $(seq "$cycles"); do
	sleep 0.5
	kpctl nodef node disable && kpctl nodef node enable && kpctl nodef batch /tmp/again.batch ||
		break
	done_cycles=$i
done
kp_eq "node disabled and enabled $cycles times under a fast-path flood" "$done_cycles" "$cycles"
kp_check "the fast path was in use" test "$(kpctl nodef --json status |
	grep -o '"fast_forwarded":[0-9]*' | cut -d: -f2)" -gt 0
kill $flood 2>/dev/null
wait $flood 2>/dev/null
kp_check "module unloads after" kp_unload
kp_check "module gone" [ ! -e /sys/module/kplane ]
kp_check "no kplane slab cache left" [ ! -e /sys/kernel/slab/kp_endpoint ]
kp_check "no kplane genl family left" bash -c '! kplanectl status 2>/dev/null'
kp_done

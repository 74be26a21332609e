#!/usr/bin/env bash
# Load and unload 20 times with nodes enabled in several netns, endpoints
# present and packets flowing; nothing may stay behind (module, slab cache)
# and the kernel log must stay clean (the harness scans it, kmemleak too).
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
kp_check "module gone" [ ! -e /sys/module/kplane ]
kp_check "no kplane slab cache left" [ ! -e /sys/kernel/slab/kp_endpoint ]
kp_check "no kplane genl family left" bash -c '! kplanectl status 2>/dev/null'
kp_done

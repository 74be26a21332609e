#!/usr/bin/env bash
# The demo (make demo): a small cluster of namespaces on one VM — a node with
# three pods behind veths — made a kplane node and shown with kplanectl.
. /scenarios/lib.sh

say() { printf '\n\033[1m### %s\033[0m\n' "$*"; }
run() { printf '$ %s\n' "$*"; "$@"; }

say "load the kplane module"
run insmod /lib/kplane/kplane.ko
run kplanectl status

say "the cluster: node netns 'node1' with three pods behind veth pairs"
ip netns add node1
for i in 1 2 3; do
	kp_pod node1 pod$i veth-pod$i 10.244.1.$((i + 1))
	ip -n pod$i addr add fd00:244:1::$((i + 1))/128 dev eth0 nodad
	ip -n node1 route add 10.244.1.$((i + 1))/32 dev veth-pod$i
	ip -n pod$i route add default dev eth0
done
ip -n node1 addr add 10.244.1.1/32 dev lo
run ip -n node1 -br link

say "make node1 a kplane node (what kplaned does at start)"
run ip netns exec node1 kplanectl node enable

say "register the pods as workload endpoints"
for i in 1 2 3; do
	run ip netns exec node1 kplanectl endpoint add default/web-$i dev veth-pod$i \
		netns /run/netns/pod$i addr 10.244.1.$((i + 1)) addr fd00:244:1::$((i + 1))
done
run ip netns exec node1 kplanectl endpoint list
run ip netns exec node1 kplanectl endpoint show default/web-2
run ip netns exec node1 kplanectl --json endpoint show default/web-2

say "pods send traffic; the node's hooks count it"
for i in 1 2 3; do ip netns exec pod$i ping -c 2 -W 1 10.244.1.1 >/dev/null; done
run ip netns exec node1 kplanectl status

say "the kernel explains what it refuses"
run ip netns exec node1 kplanectl endpoint add default/web-4 dev veth-nope
run ip netns exec node1 kplanectl endpoint add default/web-1 dev veth-pod1

say "a pod goes away: its endpoint goes with its netns"
run ip netns del pod3
sleep 1
run ip netns exec node1 kplanectl endpoint list
run ip netns exec node1 kplanectl status

say "unload"
run rmmod kplane
kp_ok "demo ran"
kp_done

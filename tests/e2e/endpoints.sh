#!/usr/bin/env bash
# Workload endpoints end to end: add, show, list (human and JSON), delete,
# pod netns binding and reaping, counters from the node's hooks.
. /scenarios/lib.sh

kp_check "module loads" kp_load
kp_check "node enable" kplanectl node enable
kp_check "node enable is idempotent" kplanectl node enable
kp_pod "" pod-a veth-a 10.0.0.2
kp_pod "" pod-b veth-b 10.0.0.3
ip addr add 10.0.0.1/32 dev veth-a
ip route add 10.0.0.2/32 dev veth-a
ip -n pod-a route add default dev eth0

kp_check "add pod-a with netns and two addresses" \
	kplanectl endpoint add default/pod-a dev veth-a netns /run/netns/pod-a addr 10.0.0.2 addr fd00::2
kp_check "add pod-b without netns" kplanectl endpoint add default/pod-b dev veth-b addr 10.0.0.3
kplanectl endpoint list

show=$(kplanectl --json endpoint show default/pod-a)
echo "$show"
ifindex=$(cat /sys/class/net/veth-a/ifindex)
nsid=$(ip netns list | sed -n 's/^pod-a (id: \([0-9]*\))$/\1/p')
kp_eq "show reports the host ifindex" "$(echo "$show" | grep -o '"ifindex":[0-9]*')" "\"ifindex\":$ifindex"
kp_eq "show reports the pod netns id" "$(echo "$show" | grep -o '"netnsid":[0-9]*')" "\"netnsid\":$nsid"
kp_eq "show reports both addresses" "$(echo "$show" | grep -o '"addrs":\[[^]]*\]')" '"addrs":["10.0.0.2","fd00::2"]'
kp_eq "list has both, in insertion order" \
	"$(kplanectl --json endpoint list | grep -o '"id":"[^"]*"' | tr '\n' ' ')" \
	'"id":"default/pod-a" "id":"default/pod-b" '
kp_eq "status counts 2 endpoints" "$(kplanectl --json status | grep -o '"endpoints":[0-9]*')" '"endpoints":2'

# The node's PRE_ROUTING hook sees what the pods send.
before=$(kplanectl --json status | grep -o '"rx_packets":[0-9]*' | cut -d: -f2)
ip netns exec pod-a ping -c 3 -W 1 10.0.0.1 >/dev/null
after=$(kplanectl --json status | grep -o '"rx_packets":[0-9]*' | cut -d: -f2)
kp_check "hook counted the pod's packets ($before -> $after)" [ "$after" -ge $((before + 3)) ]

# A pod netns that dies takes its endpoint with it.
ip netns del pod-a
for _ in $(seq 50); do
	kplanectl endpoint show default/pod-a >/dev/null 2>&1 || break
	sleep 0.2
done
kp_refused "endpoint reaped with its pod netns" 1 "No such file or directory" \
	"no endpoint with this id" kplanectl endpoint show default/pod-a
kp_eq "reaped counter" "$(kplanectl --json status | grep -o '"endpoints_reaped":[0-9]*')" \
	'"endpoints_reaped":1'

# A host endpoint whose interface goes first: the fast path's hook at its
# ingress goes with the device; the endpoint stays until deleted.
ip link add hep0 type dummy
kp_check "host endpoint on a dummy interface" kplanectl endpoint add node/hep0 dev hep0 host
ip link del hep0
kp_check "its interface deleted: the endpoint is still there" kplanectl endpoint show node/hep0
kp_check "...and deletes cleanly" kplanectl endpoint del node/hep0

kp_check "delete pod-b" kplanectl endpoint del default/pod-b
kp_eq "list is empty" "$(kplanectl --json endpoint list)" "[]"
kp_check "node disable" kplanectl node disable
kp_eq "status says disabled" "$(kplanectl --json status | grep -o '"enabled":[a-z]*')" '"enabled":false'
kp_check "module unloads" kp_unload
kp_done

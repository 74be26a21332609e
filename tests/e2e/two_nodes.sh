#!/usr/bin/env bash
# Two netns nodes in one kernel hold independent state.
. /scenarios/lib.sh

kp_load
ip netns add node-a
ip netns add node-b
kp_pod node-a pod-a1 veth-a1 10.1.0.2
kp_pod node-b pod-b1 veth-b1 10.2.0.2
kp_pod node-b pod-b2 veth-b2 10.2.0.3

kp_check "enable node-a" kpctl node-a node enable
kp_eq "node-b is still disabled" "$(kpctl node-b --json status | grep -o '"enabled":[a-z]*')" '"enabled":false'
kp_refused "node-b refuses endpoints until enabled" 1 "No such file or directory" \
	"not enabled" kpctl node-b endpoint add x dev veth-b1
kp_check "enable node-b" kpctl node-b node enable
kp_check "same id on both nodes" kpctl node-a endpoint add shared dev veth-a1 netns /run/netns/pod-a1
kp_check "same id on node-b" kpctl node-b endpoint add shared dev veth-b1 netns /run/netns/pod-b1
kp_check "second endpoint on node-b" kpctl node-b endpoint add only-b dev veth-b2
kp_refused "node-a cannot use node-b's interface" 1 "No such device" \
	"no such interface" kpctl node-a endpoint add y dev veth-b2
kp_refused "a pod netns backs one endpoint, across nodes" 1 "File exists" \
	"pod netns is bound to another endpoint" kpctl node-a endpoint add z dev lo netns /run/netns/pod-b1
kp_eq "node-a lists one" "$(kpctl node-a --json status | grep -o '"endpoints":[0-9]*')" '"endpoints":1'
kp_eq "node-b lists two" "$(kpctl node-b --json status | grep -o '"endpoints":[0-9]*')" '"endpoints":2'
kp_eq "default netns is not a node" "$(kplanectl --json status | grep -o '"enabled":[a-z]*')" '"enabled":false'

kp_check "disable node-a" kpctl node-a node disable
kp_eq "node-b keeps its endpoints" "$(kpctl node-b --json endpoint list | grep -o '"id":"[^"]*"' | tr '\n' ' ')" \
	'"id":"shared" "id":"only-b" '
kp_check "re-enable node-a" kpctl node-a node enable
# Destroying a node's netns drops its state: pod-b1 is free to bind again.
ip netns del node-b
for _ in $(seq 50); do
	kpctl node-a endpoint add z dev veth-a1 netns /run/netns/pod-b1 2>/dev/null && break
	sleep 0.2
done
kp_check "pod-b1 binds to node-a once node-b is gone" kpctl node-a endpoint show z
# The last node's netns going away disarms the connect-path probes.
ip netns del node-a
for _ in $(seq 50); do
	grep -q inet_stream_connect /sys/kernel/debug/kprobes/list || break
	sleep 0.2
done
kp_check "no probes once the last node's netns is gone" \
	bash -c '! grep -q inet_stream_connect /sys/kernel/debug/kprobes/list'
kp_check "module unloads" kp_unload
kp_done

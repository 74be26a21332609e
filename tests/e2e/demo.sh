#!/usr/bin/env bash
# The demo (make demo): a small cluster of namespaces on one VM — a node with
# three pods behind veths and an outside client — made a kplane node, with a
# service reached from a pod (connect time) and from outside (packet path).
. /scenarios/lib.sh

say() { printf '\n\033[1m### %s\033[0m\n' "$*"; }
run() { printf '$ %s\n' "$*"; "$@"; }
n1() { run ip netns exec node1 "$@"; }

say "load the kplane module"
run insmod /lib/kplane/kplane.ko
run kplanectl status

say "the cluster: node netns 'node1', pods pod2..pod4 behind veths, a client 'outside'"
kp_calico_node node1
for n in 2 3 4; do kp_calico_pod node1 $n; done
ip netns add outside
kp_link node1 ext0 outside eth0 192.168.50 fd00:50
for n in 2 3; do ip netns exec pod$n kp-echo serve tcp 0.0.0.0 8080 web-$n & done
run ip -n node1 -br addr

say "make node1 a kplane node (what kplaned does at start) and register the pods"
n1 kplanectl node enable
for n in 2 3 4; do
	n1 kplanectl endpoint add default/pod$n dev veth$n netns /run/netns/pod$n addr 10.244.1.$n
done
n1 kplanectl endpoint list

say "a ClusterIP service and a NodePort for it (backends on this node)"
n1 kplanectl service set 10.96.0.10:80/tcp id default/web \
	backend 10.244.1.2:8080,local backend 10.244.1.3:8080,local
n1 kplanectl service set 0.0.0.0:30080/tcp id default/web type nodeport \
	backend 10.244.1.2:8080,local backend 10.244.1.3:8080,local
n1 kplanectl service list
n1 kplanectl service show 10.96.0.10:80/tcp

say "pod4 connects to the ClusterIP: rewritten at connect(); getpeername() shows the service"
for i in 1 2 3; do run ip netns exec pod4 kp-echo connect tcp 10.96.0.10 80; done

say "the outside client connects to NodeIP:NodePort: DNAT on the packet path, client address kept"
for i in 1 2 3; do run ip netns exec outside kp-echo connect tcp 192.168.50.1 30080; done

say "a batch: all changes in one transaction (web-3 only now)"
printf 'service set 10.96.0.10:80/tcp id default/web backend 10.244.1.3:8080,local\nservice set 10.96.0.11:80/tcp\n' \
	>/tmp/demo.batch
run cat /tmp/demo.batch
run ip netns exec node1 kplanectl batch /tmp/demo.batch
run ip netns exec pod4 kp-echo connect tcp 10.96.0.10 80

say "a service without backends refuses at once"
run ip netns exec pod4 kp-echo connect tcp 10.96.0.11 80

say "policy: only pods in the 'frontends' set may reach web-3 (tier app); ask the kernel first"
n1 kplanectl ipset set frontends 10.244.1.4/32
n1 kplanectl policy set allow-frontends tier app order 10 ingress allow proto tcp from set frontends to port 8080
n1 kplanectl endpoint policy default/pod3 ingress app:allow-frontends
n1 kplanectl trace default/pod4 tcp 10.244.1.4:40000 10.244.1.3:8080
n1 kplanectl trace default/pod2 tcp 10.244.1.2:40000 10.244.1.3:8080
run ip netns exec pod4 kp-echo connect tcp 10.96.0.10 80
export KP_ECHO_TIMEOUT_MS=1000
say "pod2 is not in the set: dropped (the tier has a policy, nothing allowed it)"
run ip netns exec pod2 kp-echo connect tcp 10.244.1.3 8080
n1 kplanectl policy show allow-frontends

say "the kernel explains what it refuses"
n1 kplanectl endpoint add default/pod5 dev veth-nope
n1 kplanectl service set '[fd00:96::1]:80/tcp' backend 10.244.1.2:8080
printf 'service set 10.96.0.12:80/tcp\nservice del 10.96.0.99:80/tcp\n' >/tmp/bad.batch
n1 kplanectl batch /tmp/bad.batch
n1 kplanectl service list
n1 kplanectl policy set bad ingress allow from set nosuch
n1 kplanectl policy set bad ingress allow proto tcp to port 90-80

say "counters"
n1 kplanectl status

say "a pod goes away: its endpoint goes with its netns"
run ip netns del pod4
sleep 1
n1 kplanectl endpoint list

say "unload"
kill $(jobs -p) 2>/dev/null
wait 2>/dev/null
run rmmod kplane
kp_ok "demo ran"
kp_done

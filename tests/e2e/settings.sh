#!/usr/bin/env bash
# A node's own settings (kplanectl node set, NODE_SET): limits under the
# host's caps (the module parameters), policy reject, conntrack bypass and
# failsafe ports per node, each checked by what the datapath does; two
# nodes with different settings side by side; NODE_DISABLE forgets them.
. /scenarios/lib.sh

kp_load max_services=100 max_endpoints=50
kp_kplane_node node1 2 3 5
kp_calico_node node2
for n in 6 7; do kp_calico_pod node2 $n; done
kpctl node2 node enable
for n in 6 7; do
	kpctl node2 endpoint add pod$n dev veth$n netns /run/netns/pod$n addr 10.244.1.$n
done
for n in 2 3 6 7; do ip netns exec pod$n kp-echo serve udp 0.0.0.0 8053 udp-$n & done
sleep 0.5
st() { kpctl "$1" --json status | grep -o "\"$2\":[0-9a-z\"]*" | head -1 | cut -d: -f2; }

# Limits: the node's own, at most the host's.
kp_check "node set max-services 2" kpctl node1 node set max-services 2
kp_eq "status shows the node's limit" "$(st node1 service_limit)" 2
kp_eq "and node2 keeps the host's" "$(st node2 service_limit)" 100
kpctl node1 service set 10.96.0.1:80/tcp backend 10.244.1.2:80
kpctl node1 service set 10.96.0.2:80/tcp backend 10.244.1.2:80
kp_refused "a third service is refused" 1 "No space left on device" "the node's max-services" \
	kpctl node1 service set 10.96.0.3:80/tcp backend 10.244.1.2:80
kp_refused "a limit above the host's cap is refused" 1 "Numerical result out of range" \
	"above the host's cap" kpctl node1 node set max-services 101
kp_check "back to the host's" kpctl node1 node set max-services default
kp_eq "limit is the host's again" "$(st node1 service_limit)" 100
kp_check "a third service now" kpctl node1 service set 10.96.0.3:80/tcp backend 10.244.1.2:80
kpctl node1 node set max-endpoints 3
ip -n node1 link add dum0 type dummy
kp_refused "max-endpoints: a fourth endpoint is refused" 1 "No space left on device" "" \
	kpctl node1 endpoint add x dev dum0 host
kpctl node1 node set max-endpoints default

# Policy reject per node: node1 answers denials with ICMP, node2 drops them.
for node in node1 node2; do
	kpctl $node policy set deny-in ingress deny
done
kpctl node1 endpoint policy pod3 ingress default:deny-in
kpctl node2 endpoint policy pod7 ingress default:deny-in
kp_check "node set policy-reject on (node1 only)" kpctl node1 node set policy-reject on
out=$(ip netns exec pod2 kp-echo connect udp 10.244.1.3 8053 2>&1)
kp_check "node1: a denied datagram is refused at once [$out]" grep -q "No route to host" <<<"$out"
out=$(ip netns exec pod6 kp-echo connect udp 10.244.1.7 8053 2>&1)
kp_check "node2: dropped silently [$out]" bash -c "! grep -q 'No route to host' <<EOF
$out
EOF"
kp_eq "status shows it" "$(st node1 policy_reject)" '"on"'

# Conntrack bypass per node: off on node2 (its flows tracked), on node1.
# nf_conntrack is live in both (a NAT rule needs it).
for node in node1 node2; do
	ip netns exec $node iptables-legacy -t nat -A PREROUTING -d 127.0.0.2 -p tcp --dport 1 \
		-j DNAT --to-destination 127.0.0.3
done
kp_check "node set bypass-conntrack off (node2)" kpctl node2 node set bypass-conntrack off
ip netns exec pod2 kp-echo connect udp 10.244.1.2 8053 >/dev/null
ip netns exec pod6 kp-echo connect udp 10.244.1.6 8053 >/dev/null
ip netns exec pod7 kp-echo sendto udp 10.244.1.6 8053 >/dev/null
ip netns exec pod2 kp-echo sendto udp 10.244.1.2 8053 >/dev/null
kp_check "node2 tracks its pods' flows" bash -c \
	"ip netns exec node2 conntrack -L 2>/dev/null | grep -q 'src=10.244.1.7'"
kp_check "node1 keeps them out of conntrack" bash -c \
	"! ip netns exec node1 conntrack -L 2>/dev/null | grep -q 'src=10.244.1.'"

# Failsafe ports per node.
kp_check "node set failsafe-in (node1)" kpctl node1 node set failsafe-in tcp:2222 failsafe-out none
kp_eq "status shows the list" "$(kpctl node1 --json status | grep -o '"failsafe_in":"[^"]*"')" \
	'"failsafe_in":"tcp:2222"'
kp_eq "node2 shows the host's" "$(kpctl node2 --json status | grep -o '"failsafe_in":"[^"]*"')" \
	'"failsafe_in":"default"'
kp_refused "a bad list is refused with its reason" 1 "Invalid argument" "" \
	kpctl node1 node set failsafe-in tcp:0
kp_refused "an unknown value is a usage error" 2 "" "on, off or default" \
	kpctl node1 node set fast-forward maybe

# NODE_DISABLE forgets them.
kpctl node1 node disable
kpctl node1 node enable
kp_eq "after disable: policy-reject is the host's" "$(st node1 policy_reject)" '"default"'
kp_eq "and the limits" "$(st node1 service_limit)" 100
ip netns add node3
kp_refused "a node not enabled has none to set" 1 "No such file or directory" "not enabled" \
	kpctl node3 node set max-flows 10
kp_done

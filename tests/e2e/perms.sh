#!/usr/bin/env bash
# Without CAP_NET_ADMIN over the netns every mutating command gets EPERM;
# reading still works.  Then what a tenant can try: a user namespace's node
# claiming the host's netns, a pod spoofing another pod's address.
. /scenarios/lib.sh

kp_load
kplanectl node enable
kp_pod "" pod-a veth-a 10.0.0.2
kplanectl endpoint add keep dev veth-a

for mode in nobody userns; do
	run=(kp-runas "$mode" kplanectl)
	kp_refused "$mode: node enable" 1 "Operation not permitted" "" "${run[@]}" node enable
	kp_refused "$mode: node disable" 1 "Operation not permitted" "" "${run[@]}" node disable
	kp_refused "$mode: endpoint add" 1 "Operation not permitted" "" "${run[@]}" endpoint add x dev lo
	kp_refused "$mode: endpoint del" 1 "Operation not permitted" "" "${run[@]}" endpoint del keep
	kp_check "$mode: status works" "${run[@]}" status
	kp_check "$mode: endpoint list works" "${run[@]}" endpoint list
	kp_check "$mode: endpoint show works" "${run[@]}" endpoint show keep
done
kp_eq "nothing changed" "$(kplanectl --json endpoint list | grep -o '"id":"[^"]*"')" '"id":"keep"'
# A user namespace that owns its netns is admin there: that netns can be a node.
kp_check "userns-owned netns may enable itself" unshare -Urn kplanectl node enable

# --- a tenant: uid 65534 in a user+net namespace of its own ---
# Holding an fd of the host's netns is not owning it: its node must not take
# the host's netns as a pod (and then serve the host's connects).
kp_refused "tenant node cannot claim the host's netns" 1 "Operation not permitted" \
	"no CAP_NET_ADMIN over the pod netns" kp-runas nobody unshare -Urn bash -c \
	'kplanectl node enable && kplanectl endpoint add evil dev lo netns /proc/self/fd/3' \
	3</proc/self/ns/net
kp_eq "the host's netns is no tenant's pod" "$(kplanectl --json endpoint list | grep -o '"id":"[^"]*"')" \
	'"id":"keep"'

# --- a tenant exhausting what it may: its node's share, not the host's ---
echo 4 >/sys/module/kplane/parameters/max_node_config_mb
echo 16 >/sys/module/kplane/parameters/max_lb_sockets_per_node
for i in $(seq 40); do echo "service set 10.97.0.$i:80/tcp maglev 65521 backend 10.0.0.1:80"; done \
	>/tmp/big.batch
kp_refused "tenant: a batch past its node's memory share is refused" 1 "No space left on device" \
	"node's configuration memory is full" kp-runas nobody unshare -Urn bash -c \
	'kplanectl node enable && kplanectl batch /tmp/big.batch'
kp-runas nobody unshare -Urn bash -c 'ip link set lo up && kplanectl node enable &&
	kplanectl service set 10.97.1.1:53/udp backend 127.0.0.1:53 &&
	kp-sockstate hold 10.97.1.1 53 40 3000' >/tmp/hold.out &
kp_until 20 grep -q shown= /tmp/hold.out
kp_eq "tenant: only its share of sockets is shown the service" "$(cat /tmp/hold.out)" shown=16
kp_check "the host's node still sets services" \
	kplanectl service set 10.97.2.1:53/udp backend 127.0.0.1:53
kp_eq "and its sockets are still shown the service" \
	"$(kp-echo connect udp 10.97.2.1 53 2>/dev/null | grep '^peer=')" "peer=10.97.2.1:53"
wait

# --- a spoofing pod: pod1 (egress: deny all) sends as pod2 to pod3, whose
# ingress admits only pod2, on the 5-tuple of pod2's approved flow ---
kp_kplane_node node1 1 2 3
st() { kpctl node1 --json status | grep -o "\"$1\":[0-9]*" | cut -d: -f2; }
ip netns exec pod3 kp-echo serve udp 0.0.0.0 8053 dns-3 &
kp_until 10 kp_listening pod3 udp 8053
kpctl node1 policy set deny-all types egress
kpctl node1 policy set from-pod2 ingress allow from net 10.244.1.2/32
kpctl node1 endpoint policy pod1 egress default:deny-all
kpctl node1 endpoint policy pod3 ingress default:from-pod2
export KP_ECHO_TIMEOUT_MS=1000
kp_check "pod2's flow to pod3 is approved (and cached)" \
	bash -c "ip netns exec pod2 kp-echo connect udp 10.244.1.3 8053 5353 | grep -q '^reply=dns-3'"
ip -n pod1 addr add 10.244.1.2/32 dev eth0
ip -n pod1 route add 10.244.1.3 via 169.254.1.1 dev eth0 src 10.244.1.2
before=$(kp_snmp pod3 Udp InDatagrams)
for i in 1 2 3; do ip netns exec pod1 kp-echo connect udp 10.244.1.3 8053 5353 >/dev/null 2>&1; done
kp_eq "pod1's datagrams as pod2 never reach pod3" "$(kp_snmp pod3 Udp InDatagrams)" "$before"
kp_check "and are counted as spoofed [$(st spoofed)]" test "$(st spoofed)" -ge 3
kp_check "pod2's own flow still answered" \
	bash -c "ip netns exec pod2 kp-echo connect udp 10.244.1.3 8053 5353 | grep -q '^reply=dns-3'"
kp_unload
kp_done

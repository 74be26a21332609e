#!/usr/bin/env bash
# The service packet path (issue 3): traffic from outside the node to a
# NodePort, ExternalIP or LoadBalancer address is DNATed before routing,
# answered through reverse NAT, SNATed to the node for remote backends (not
# with externalTrafficPolicy=Local), kept out of nf_conntrack, tracked in
# kplane's own flow table with timeouts and a limit; UDP flows to a removed
# backend are torn down; empty services refuse at once.  Also NodePort and
# internalTrafficPolicy=Local at connect time from a pod.
#
#   outside (192.168.50.2, fd00:50::2) --ext0-- node1 --n12-- node2 -- rpod6
#                                                 |                  10.244.2.6
#                                      pod2, pod3 (backends), pod5 (client)
. /scenarios/lib.sh

kp_load
kp_kplane_node node1 2 3 5
# nf_conntrack is live in node1 (a NAT rule needs it): it would track
# every flow that kplane does not take out of its hands.
ip netns exec node1 iptables-legacy -t nat -A PREROUTING -d 127.0.0.2 -p tcp --dport 1 \
	-j DNAT --to-destination 127.0.0.3

ip netns add outside
kp_link node1 ext0 outside eth0 192.168.50 fd00:50
ip -n outside link set lo up
for net in 192.168.100.0/24 10.244.1.0/24 10.0.12.0/24; do
	ip -n outside route add $net via 192.168.50.1
done
ip -n outside -6 route add fd00:100::/64 via fd00:50::1

# node2 and its pod rpod6: remote backends, reached through node1's n12.
ip netns add node2
ip netns exec node2 sysctl -qw net.ipv4.ip_forward=1 net.ipv6.conf.all.forwarding=1
ip -n node2 link set lo up
ip -n node2 addr add 169.254.1.1/32 dev lo
kp_link node1 n12 node2 n21 10.0.12 fd00:12
kp_pod node2 rpod6 rveth6 10.244.2.6
ip -n rpod6 addr add fd00:245::6/128 dev eth0 nodad
ip -n rpod6 route add 169.254.1.1 dev eth0
ip -n rpod6 route add default via 169.254.1.1 dev eth0
ip -n rpod6 -6 route add default via fe80::1 dev eth0
ip netns exec node2 sysctl -qw net.ipv4.conf.rveth6.proxy_arp=1
ip -n node2 addr add fe80::1/64 dev rveth6 nodad
ip -n node2 route add 10.244.2.6/32 dev rveth6
ip -n node2 -6 route add fd00:245::6/128 dev rveth6
ip -n node2 route add 10.244.1.0/24 via 10.0.12.1
ip -n node2 -6 route add fd00:244::/64 via fd00:12::1
ip -n node1 route add 10.244.2.0/24 via 10.0.12.2
ip -n node1 -6 route add fd00:245::/64 via fd00:12::2

for p in pod2:2 pod3:3 rpod6:6; do
	ns=${p%:*} n=${p#*:}
	ip netns exec $ns kp-echo serve tcp 0.0.0.0 8080 web-$n &
	ip netns exec $ns kp-echo serve udp 0.0.0.0 8053 dns-$n &
	ip netns exec $ns kp-echo serve tcp :: 8081 web6-$n &
	ip netns exec $ns kp-echo serve tcp 0.0.0.0 8090 hold-$n hold &
done
sleep 0.5

st() { kpctl node1 --json status | grep -o "\"$1\":[0-9]*" | cut -d: -f2; }
# backend_of FROM-NS ADDR PORT: the backend one TCP connect reached.
backend_of() { ip netns exec "$1" kp-echo connect tcp "$2" "$3" | sed -n 's/^reply=\([^ ]*\).*/\1/p'; }

# replies FROM-NS N ADDR PORT: the "reply=" lines of N TCP connects.
replies() {
	local i
	for i in $(seq "$2"); do
		ip netns exec "$1" kp-echo connect tcp "$3" "$4" | sed -n 's/^reply=//p'
	done
}

kp_check "NodePort on every node address" kpctl node1 service set 0.0.0.0:30080/tcp \
	type nodeport id default/web-np backend 10.244.1.2:8080,local \
	backend 10.244.1.3:8080,local backend 10.244.2.6:8080
kp_check "NodePort with externalTrafficPolicy=Local" kpctl node1 service set 0.0.0.0:30081/tcp \
	type nodeport external-policy local backend 10.244.1.2:8080,local \
	backend 10.244.1.3:8080,local backend 10.244.2.6:8080
kp_check "ExternalIP with a remote backend" kpctl node1 service set 192.168.100.10:80/tcp \
	type externalip backend 10.244.2.6:8080
kp_check "IPv6 ExternalIP, local backend" kpctl node1 service set '[fd00:100::10]:80/tcp' \
	type externalip backend '[fd00:244::2]:8081,local'
kp_check "IPv6 LoadBalancer, remote backend" kpctl node1 service set '[fd00:100::11]:80/tcp' \
	type loadbalancer backend '[fd00:245::6]:8081'
kp_check "UDP ExternalIP" kpctl node1 service set 192.168.100.53:53/udp type externalip \
	backend 10.244.1.2:8053,local backend 10.244.1.3:8053,local
kpctl node1 service show 0.0.0.0:30081/tcp

# First, while the table is empty: idle flows are reclaimed; a full table
# refuses new flows and counts them.
# 5 s: a loaded one-CPU debug guest took over 1 s from the answer to the
# status read.
echo 5 >/sys/module/kplane/parameters/flow_timeout_udp
ip netns exec outside kp-echo connect udp 192.168.100.53 53 6000 >/dev/null
kp_eq "an answered UDP flow is in the table" "$(st flows)" 1
flows_gone() { [ "$(st flows)" = 0 ]; }
kp_until 30 flows_gone
kp_eq "the idle flow is reclaimed by the collector" "$(st flows)" 0
kp_eq "expired flows counted" "$(st flows_expired)" 1
echo 120 >/sys/module/kplane/parameters/flow_timeout_udp
echo 1 >/sys/module/kplane/parameters/max_flows
ip netns exec outside kp-echo connect udp 192.168.100.53 53 6001 >/dev/null
kp_check "a full table refuses a new flow" \
	bash -c "! ip netns exec outside kp-echo connect udp 192.168.100.53 53 6002 >/dev/null 2>&1"
kp_eq "refused flows counted" "$(st flow_table_full)" 1
echo 262144 >/sys/module/kplane/parameters/max_flows

got=$(replies outside 12 192.168.50.1 30080)
echo "$got"
kp_check "NodePort from outside: local backends see the client, the remote one the node" \
	bash -c "! grep -Evq '^(web-[23] 192\.168\.50\.2|web-6 10\.0\.12\.1)$' <<<'$got'"
kp_spread "NodePort from outside: all three backends used" "web-2 web-3 web-6" 1 60 \
	backend_of outside 192.168.50.1 30080
got=$(replies outside 3 10.0.12.1 30080)
kp_check "NodePort on the node's other address [$(echo $got)]" grep -Eq '^web-[236] ' <<<"$got"
got=$(replies outside 10 192.168.50.1 30081)
kp_check "externalTrafficPolicy=Local: local backends only, client address kept [$(echo $got | tr '\n' ' ')]" \
	bash -c "[ -n '$got' ] && ! grep -Evq '^web-[23] 192\.168\.50\.2$' <<<'$got'"
out=$(ip netns exec outside kp-echo connect tcp 192.168.100.10 80)
kp_eq "ExternalIP: getpeername at the client shows the ExternalIP" \
	"$(grep '^peer=' <<<"$out")" "peer=192.168.100.10:80"
kp_eq "ExternalIP to a remote backend: SNAT to the node" "$(grep '^reply=' <<<"$out")" \
	"reply=web-6 10.0.12.1"
out=$(ip netns exec outside kp-echo connect tcp fd00:100::10 80)
kp_eq "IPv6 ExternalIP: local backend sees the client" "$(grep '^reply=' <<<"$out")" \
	"reply=web6-2 fd00:50::2"
out=$(ip netns exec outside kp-echo connect tcp fd00:100::11 80)
kp_eq "IPv6 LoadBalancer: remote backend sees the node" "$(grep '^reply=' <<<"$out")" \
	"reply=web6-6 fd00:12::1"
out=$(ip netns exec outside kp-echo connect udp 192.168.100.53 53)
kp_check "UDP ExternalIP answered through reverse NAT [$out]" \
	bash -c "grep -q '^peer=192.168.100.53:53$' <<<'$out' && grep -Eq '^reply=dns-[23] 192\.168\.50\.2$' <<<'$out'"
kp_check "flows are in kplane's table" test "$(st flows)" -gt 0

# ICMP errors about translated flows are translated: a port unreachable from
# the backend reaches the client as from the service, quoting what the
# client sent (remote backend: sent to the node's SNAT address; local one:
# to the client itself); one from the client about a reply reaches the
# backend that sent it.
kpctl node1 service set 192.168.100.54:53/udp type externalip backend 10.244.2.6:9999
kpctl node1 service set 192.168.100.55:53/udp type externalip backend 10.244.1.2:9999,local
kpctl node1 service set '[fd00:100::54]:53/udp' type externalip backend '[fd00:245::6]:9999'
kpctl node1 service set 0.0.0.0:30053/udp type nodeport backend 10.244.2.6:9999
for target in "192.168.100.54 53 remote backend (SNAT)" "192.168.100.55 53 local backend" \
	"fd00:100::54 53 remote backend, IPv6" "192.168.50.1 30053 remote backend of a NodePort"; do
	read -r addr port what <<<"$target"
	out=$(ip netns exec outside kp-echo connect udp "$addr" "$port" 2>&1)
	kp_check "port unreachable from the $what refuses the client at once [$out]" \
		grep -q "refused in" <<<"$out"
done
# The backend answers 2 s late, when the client's socket is surely closed
# (an immediate answer may still find it open on a one-CPU guest).
ip netns exec rpod6 kp-echo serve udp 0.0.0.0 8056 late-6 late &
kpctl node1 service set 192.168.100.56:53/udp type externalip backend 10.244.2.6:8056
unreach6() { kp_snmp rpod6 Icmp InDestUnreachs; }
before=$(unreach6)
kp_until 5 kp_listening rpod6 udp 8056
ip netns exec outside bash -c 'echo hi >/dev/udp/192.168.100.56/53'
unreach6_rose() { [ "$(unreach6)" -gt "$before" ]; }
kp_until 15 unreach6_rose
kp_check "the client's port unreachable about a reply reaches the backend ($before -> $(unreach6))" \
	unreach6_rose
# Path MTU: the node's link to the client is narrower than the backend's
# path; the node's own "fragmentation needed" about the backend's reply
# (translated at POST_ROUTING) must reach the backend as about what it sent
# (to the node's SNAT address), or the bulk answer stalls.
ip netns exec rpod6 kp-echo serve tcp 0.0.0.0 8095 bulk-6 bulk &
sleep 0.3
kpctl node1 service set 192.168.100.57:80/tcp type externalip backend 10.244.2.6:8095
ip -n node1 link set ext0 mtu 1280
out=$(ip netns exec outside kp-echo fetch tcp 192.168.100.57 80 2>&1)
ip -n node1 link set ext0 mtu 1500
got=$(sed -n 's/^bytes=//p' <<<"$out")
kp_check "path MTU through the packet path: 1 MiB through a narrower link [$out]" \
	test "${got:-0}" -ge 1048576
kp_check "packets were rewritten" test "$(st nat_packets)" -gt 0

# Empty services refuse at once (TCP RST, ICMP port unreachable), v4 and v6.
kpctl node1 service set 192.168.100.99:80/tcp type externalip
kpctl node1 service set 192.168.100.99:53/udp type externalip
kpctl node1 service set '[fd00:100::99]:80/tcp' type externalip
kpctl node1 service set '[fd00:100::99]:53/udp' type externalip
for target in "tcp 192.168.100.99 80" "udp 192.168.100.99 53" "tcp fd00:100::99 80" \
	"udp fd00:100::99 53"; do
	out=$(ip netns exec outside kp-echo connect $target)
	kp_check "no backend: $target refused at once [$out]" \
		bash -c "[[ '$out' =~ refused\ in\ ([0-9]+)\ ms ]] && [ \${BASH_REMATCH[1]} -lt 1000 ]"
done
kp_eq "refusals counted" "$(st nat_refused)" 4

# UDP: a removed backend's flow is torn down; the same 5-tuple moves on.
out=$(ip netns exec outside kp-echo connect udp 192.168.100.53 53 5353 | sed -n 's/^reply=dns-\([0-9]\).*/\1/p')
keep=$((out == 2 ? 3 : 2))
kpctl node1 service set 192.168.100.53:53/udp type externalip backend 10.244.1.$keep:8053,local
again=$(ip netns exec outside kp-echo connect udp 192.168.100.53 53 5353 | sed -n 's/^reply=dns-\([0-9]\).*/\1/p')
kp_eq "UDP: the same 5-tuple reaches a live backend after its backend left (was dns-$out)" \
	"$again" "$keep"
kp_check "UDP: torn-down flows counted" test "$(st flows_torn_down)" -ge 1
# The same through a transaction (one sweep for the whole commit).
printf 'service set 192.168.100.53:53/udp type externalip backend 10.244.1.%s:8053,local\n' \
	$((keep == 2 ? 3 : 2)) >/tmp/udp-move.batch
kpctl node1 batch /tmp/udp-move.batch
third=$(ip netns exec outside kp-echo connect udp 192.168.100.53 53 5353 | sed -n 's/^reply=dns-\([0-9]\).*/\1/p')
kp_eq "UDP: after a committed batch, the same 5-tuple reaches the new backend" \
	"$third" "$((keep == 2 ? 3 : 2))"

# Connect-time from a pod: no flow-table entry, no per-packet NAT.
created=$(st flows_created)
out=$(ip netns exec pod5 kp-echo connect tcp 192.168.50.1 30080)
kp_eq "pod to NodeIP:NodePort is balanced at connect time" "$(grep '^peer=' <<<"$out")" \
	"peer=192.168.50.1:30080"
kp_check "pod to NodeIP:NodePort reaches a backend [$out]" grep -Eq '^reply=web-[236] ' <<<"$out"
out=$(ip netns exec pod5 kp-echo connect tcp 192.168.100.10 80)
kp_eq "pod to an ExternalIP is balanced at connect time, no SNAT" \
	"$(grep '^reply=' <<<"$out")" "reply=web-6 10.244.1.5"
kp_eq "connect-time flows leave the flow table alone" "$(st flows_created)" "$created"
kp_check "internalTrafficPolicy=Local" kpctl node1 service set 10.96.0.20:80/tcp \
	internal-policy local backend 10.244.1.2:8080,local backend 10.244.2.6:8080
got=$(replies pod5 8 10.96.0.20 80 | sed 's/ .*//' | sort -u | tr '\n' ' ')
kp_eq "internalTrafficPolicy=Local: only the node-local backend" "$got" "web-2 "

# No nf_conntrack entry for kplane's flows; the node's own traffic has one.
kpctl node1 service set 0.0.0.0:30082/tcp type nodeport backend 10.244.1.2:8080,local
ip netns exec node1 kp-echo serve tcp 0.0.0.0 9000 node &
sleep 0.3
ip netns exec outside kp-echo connect tcp 192.168.50.1 30082 >/dev/null
ip netns exec outside kp-echo connect tcp 10.244.1.3 8080 >/dev/null
ip netns exec outside kp-echo connect tcp 192.168.50.1 9000 >/dev/null
ct=$(ip netns exec node1 conntrack -L 2>/dev/null)
echo "$ct"
kp_check "conntrack tracks the node's own traffic" grep -q 'dst=192.168.50.1 .*dport=9000' <<<"$ct"
# Packet-path flows would show the client or the SNAT address facing a
# backend; no entry anywhere may name a service address.  Plain traffic to
# and from pods (endpoints) is approved by policy and untracked as well.
kp_check "conntrack has no entry for any kplane flow, service or pod address" \
	bash -c "! grep -Eq 'dport=3008[0-2]|192\.168\.100\.|10\.244\.1\.|src=(192\.168\.50\.2|10\.0\.12\.1) dst=10\.244\.2\.6 |fd00:(100|50)::' <<<'$ct'"


# A backend that starts terminating keeps its established flows; new flows
# go elsewhere.  From outside (packet path) and from a pod (connect time).
terminating_keeps_flows() {	# FROM-NS ADDR PORT FRONTEND
	local out first other
	ip netns exec "$1" kp-echo repeat tcp "$2" "$3" 8 300 >/tmp/hold.out &
	for i in $(seq 20); do grep -q '^reply=' /tmp/hold.out && break; sleep 0.2; done
	first=$(sed -n '1s/^reply=hold-\([0-9]\).*/\1/p' /tmp/hold.out)
	other=$((first == 2 ? 3 : 2))
	kpctl node1 service set "$4" $5 backend 10.244.1.$first:8090,local,state=terminating \
		backend 10.244.1.$other:8090,local
	wait $!
	out=$(sed 's/ .*//' /tmp/hold.out | sort | uniq -c | tr -s ' ')
	kp_eq "$1: an established flow stays on its now terminating backend [$out]" \
		"$out" " 8 reply=hold-$first"
	out=$(replies "$1" 3 "$2" "$3" | sed 's/ .*//' | sort -u)
	kp_eq "$1: new connections avoid the terminating backend" "$out" "hold-$other"
}
kpctl node1 service set 0.0.0.0:30084/tcp type nodeport \
	backend 10.244.1.2:8090,local backend 10.244.1.3:8090,local
terminating_keeps_flows outside 192.168.50.1 30084 0.0.0.0:30084/tcp "type nodeport"
kpctl node1 service set 10.96.0.50:80/tcp backend 10.244.1.2:8090,local backend 10.244.1.3:8090,local
terminating_keeps_flows pod5 10.96.0.50 80 10.96.0.50:80/tcp ""

# ClientIP affinity: one client, one backend, until timeoutSeconds idle.
# 2 s (6 s on the debug kernel, where one connect from a new process can
# take longer than 2 s).
aff=$(kp_scale 2 6)
kp_check "NodePort with ClientIP affinity ($aff s)" kpctl node1 service set 0.0.0.0:30083/tcp \
	type nodeport affinity "$aff" backend 10.244.1.2:8080,local backend 10.244.1.3:8080,local \
	backend 10.244.2.6:8080
first=$(backend_of outside 192.168.50.1 30083)
uses=$first
for i in $(seq 10); do sleep 0.4; uses="$uses $(backend_of outside 192.168.50.1 30083)"; done
kp_eq "affinity: 11 connections, each within $aff s of the last, all to $first" \
	"$(tr ' ' '\n' <<<"$uses" | sort -u)" "$first"
moved=
for i in $(seq 8); do
	sleep "$aff.5"
	b=$(backend_of outside 192.168.50.1 30083)
	[ "$b" != "$first" ] && { moved=$b; break; }
done
# After each idle period the pick is free again; all 8 landing on the old
# backend would happen 1 time in 3^8.
kp_check "affinity: the binding expires after $aff s idle ($first -> ${moved:-none})" test -n "$moved"
kp_check "ClusterIP with ClientIP affinity" kpctl node1 service set 10.96.0.30:80/tcp \
	affinity 60 backend 10.244.1.2:8080 backend 10.244.1.3:8080 backend 10.244.2.6:8080
got=$(replies pod5 8 10.96.0.30 80 | sed 's/ .*//' | sort -u)
kp_eq "affinity at connect time: a pod sticks to one backend" "$(wc -l <<<"$got")" 1
rest=$(for b in 10.244.1.2 10.244.1.3 10.244.2.6; do
	[ "web-${b##*.}" = "$got" ] || echo "backend $b:8080"; done)
kpctl node1 service set 10.96.0.30:80/tcp affinity 60 $rest
again=$(replies pod5 6 10.96.0.30 80 | sed 's/ .*//' | sort -u)
kp_check "affinity: the bound backend left, the pod moves and sticks [$(echo $again)]" \
	bash -c "[ \$(wc -l <<<'$again') = 1 ] && [ '$again' != '$got' ]"

kp_refused "unspecified address on a ClusterIP" 1 "Invalid argument" \
	"only a NodePort service may have the unspecified address" \
	kpctl node1 service set 0.0.0.0:80/tcp backend 10.244.1.2:8080
kp_refused "affinity beyond a day" 1 "Numerical result out of range" "" \
	kpctl node1 service set 10.96.0.21:80/tcp affinity 86401
kp_refused "unknown traffic policy is a usage error" 2 "a traffic policy is cluster or local" "" \
	kpctl node1 service set 10.96.0.21:80/tcp external-policy nearby

# Fragmented datagrams: with nothing else in node1 using conntrack (its NAT
# rule gone), kplane still sees whole datagrams (it enables the kernel's
# defragmentation before its hooks); 3000 bytes from outside reach a remote
# backend through the SNAT, and a local one, whole, and their answers return.
ip netns exec node1 iptables-legacy -t nat -D PREROUTING -d 127.0.0.2 -p tcp --dport 1 \
	-j DNAT --to-destination 127.0.0.3
kpctl node1 service set 192.168.100.57:53/udp type externalip backend 10.244.2.6:8053
ip netns exec rpod6 kp-echo serve udp :: 8054 dns6-6 &
sleep 0.3
kpctl node1 service set '[fd00:100::57]:53/udp' type externalip backend '[fd00:245::6]:8054'
for target in "192.168.100.57 53 dns-6 10.0.12.1 remote backend, SNAT" \
	"fd00:100::57 53 dns6-6 fd00:12::1 remote backend, IPv6" \
	"192.168.100.53 53 dns-[23] 192.168.50.2 local backends"; do
	read -r addr port name client what <<<"$target"
	out=$(ip netns exec outside env KP_ECHO_SIZE=3000 kp-echo connect udp "$addr" "$port" 2>&1)
	kp_check "3000-byte datagram in fragments to the $what, answered [$(grep reply <<<"$out")]" \
		grep -Eq "^reply=$name ${client//./\\.} bytes=3000$" <<<"$out"
done
# An IPv6 extension header that leaves the destination alone (destination
# options) does not keep a packet from its service.
out=$(ip netns exec outside env KP_ECHO_DSTOPTS=1 kp-echo connect udp fd00:100::57 53 2>&1)
kp_check "IPv6 with a destination options header: translated, answered [$(grep reply <<<"$out")]" \
	grep -q '^reply=dns6-6 fd00:12::1$' <<<"$out"
# A routing header with no segments left has reached its destination: the
# service (the backend accepts segment routing headers, as receivers must).
ip netns exec rpod6 sysctl -qw net.ipv6.conf.all.seg6_enabled=1 net.ipv6.conf.eth0.seg6_enabled=1
out=$(ip netns exec outside env KP_ECHO_SRH=1 kp-echo connect udp fd00:100::57 53 2>&1)
kp_check "IPv6 with a routing header, no segments left: translated, answered [$(grep reply <<<"$out")]" \
	grep -q '^reply=dns6-6 fd00:12::1$' <<<"$out"

# A NodePort flow to a remote backend, approved by a host endpoint's policy,
# takes the fast path and still leaves through POST_ROUTING: the source NAT
# (and the reply's reverse translation) are done there.
kpctl node1 policy set fwd-allow apply-on-forward true ingress allow
kpctl node1 endpoint add node1-ext dev ext0 host ingress default:fwd-allow
kpctl node1 service set 0.0.0.0:30090/tcp type nodeport backend 10.244.2.6:8090
ff=$(st fast_forwarded)
ip netns exec outside kp-echo repeat tcp 192.168.50.1 30090 10 200 >/tmp/fastnat.out
kp_check "fast path, NodePort to a remote backend: every answer, source-NATed [$(tr '\n' ' ' </tmp/fastnat.out)]" \
	bash -c "[ \$(grep -c '^reply=hold-6 10.0.12.1$' /tmp/fastnat.out) = 10 ]"
kp_check "...and its packets took the fast path" test "$(st fast_forwarded)" -gt "$ff"

kill $(jobs -p) 2>/dev/null
wait 2>/dev/null
kp_check "node disable drops the flow table" kpctl node1 node disable
kp_check "module unloads after the packet path ran" kp_unload
kp_done

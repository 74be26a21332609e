#!/usr/bin/env bash
# Policy (issue 4): Calico semantics in the datapath, cached verdicts and the
# conntrack bypass, revision re-checks, host endpoints and failsafe ports,
# trace, bad input.
#
#   outside (192.168.50.2) --ext0-- node1 -- pod2, pod3, pod4 (10.244.1.N)
. /scenarios/lib.sh

kp_load
kp_kplane_node node1 2 3 4
# nf_conntrack live in node1 (a NAT rule needs it), as on a real node.
ip netns exec node1 iptables-legacy -t nat -A PREROUTING -d 127.0.0.2 -p tcp --dport 1 \
	-j DNAT --to-destination 127.0.0.3
ip netns add outside
kp_link node1 ext0 outside eth0 192.168.50 fd00:50
ip -n outside link set lo up
ip -n outside route add 10.244.1.0/24 via 192.168.50.1

for n in 2 3 4; do
	ip netns exec pod$n kp-echo serve tcp 0.0.0.0 8080 web-$n &
	ip netns exec pod$n kp-echo serve tcp 0.0.0.0 8081 alt-$n &
	ip netns exec pod$n kp-echo serve tcp :: 8086 web6-$n &
	ip netns exec pod$n kp-echo serve udp 0.0.0.0 8053 dns-$n &
	ip netns exec pod$n kp-echo serve tcp 0.0.0.0 8090 hold-$n hold &
done
for port in 22 9000 9001; do ip netns exec node1 kp-echo serve tcp 0.0.0.0 $port node-$port & done
sleep 0.5
export KP_ECHO_TIMEOUT_MS=1000

# await_lines FILE REGEX N [SECS]: waits (up to SECS, default 10) until N
# lines of a held connection's output match.
await_lines() {
	local i
	for i in $(seq $(( ${4:-10} * 10 ))); do
		[ "$(grep -c "$2" "$1" 2>/dev/null)" -ge "$3" ] && return
		sleep 0.1
	done
}
first_reply() { await_lines "$1" '^reply=' 1; }
st() { kpctl node1 --json status | grep -o "\"$1\":[0-9]*" | cut -d: -f2; }
# reach FROM-NS ADDR PORT [tcp|udp]: the server's name, or "blocked".
reach() {
	local out
	out=$(ip netns exec "$1" kp-echo connect "${4:-tcp}" "$2" "$3" 2>/dev/null) &&
		sed -n 's/^reply=\([^ ]*\).*/\1/p' <<<"$out" || echo blocked
}
pol() { kpctl node1 policy set "$@"; }
attach() { kpctl node1 endpoint policy "$@"; }
trace() { kpctl node1 trace "$@"; }
# rule_pkts POLICY DIR INDEX: the rule's packet counter.
rule_pkts() {
	kpctl node1 policy show "$1" | awk -v d="$2" -v i="$3" '$1 == d && $2 == i { print $3 }'
}

# --- no policy: allowed, untracked, nothing cached ---
created=$(st flows_created)
kp_eq "no policy: pod2 reaches pod3" "$(reach pod2 10.244.1.3 8080)" web-3
kp_eq "no policy: no flow cached" "$(st flows_created)" "$created"
kp_check "no policy: no nf_conntrack entry for pod traffic" \
	bash -c "! ip netns exec node1 conntrack -L 2>/dev/null | grep -q 10.244.1."
kp_check "conntrack is live in the node (it tracks the node's own traffic)" \
	bash -c "ip netns exec outside kp-echo connect tcp 192.168.50.1 9000 >/dev/null &&
		 ip netns exec node1 conntrack -L 2>/dev/null | grep -q 'dport=9000'"

# --- default deny, then an allow in the same tier ---
kp_check "policy with no rules (ingress)" pol deny-in types ingress
kp_check "attach it to pod3's ingress" attach pod3 ingress default:deny-in
kp_eq "default deny: pod2 -> pod3 blocked" "$(reach pod2 10.244.1.3 8080)" blocked
kp_check "dropped packets counted" test "$(st policy_denied)" -gt 0
out=$(trace pod2 tcp 10.244.1.2:40000 10.244.1.3:8080)
kp_check "trace: denied at the end of tier default [$out]" \
	grep -q "pod3 ingress: deny (end of tier, tier default)" <<<"$out"
kp_check "allow tcp 8080 (order 10)" pol allow-web order 10 ingress allow proto tcp to port 8080
kp_check "attach both" attach pod3 ingress default:allow-web,deny-in
kp_eq "allowed port reachable" "$(reach pod2 10.244.1.3 8080)" web-3
kp_eq "other port still denied at the end of the tier" "$(reach pod2 10.244.1.3 8081)" blocked
kp_check "rule counter counted the flow's packets" test "$(rule_pkts allow-web ingress 0)" -ge 3
out=$(trace pod2 tcp 10.244.1.2:40000 10.244.1.3:8080)
kp_check "trace names the deciding rule [$out]" \
	grep -q "pod3 ingress: allow (rule, tier default, policy allow-web ingress rule 0)" <<<"$out"
kp_check "replies of an allowed flow pass (pod3's egress has no policy; pod2 none)" \
	test "$(reach pod2 10.244.1.3 8080)" = web-3
kp_check "an allowed flow is cached" test "$(kpctl node1 --json status | grep -o '"flows":[0-9]*' | cut -d: -f2)" -gt 0
kp_check "approved flows skip policy (bypassed counter)" test "$(st policy_bypassed)" -gt 0
kp_check "no nf_conntrack entry for bypassed flows" \
	bash -c "! ip netns exec node1 conntrack -L 2>/dev/null | grep -q 10.244.1."

# --- a rule's counts follow it across its policy's replacement ---
n=$(rule_pkts allow-web ingress 0)
kp_check "replace allow-web, a new rule before the old one" \
	pol allow-web order 10 ingress allow proto udp to port 9999 ingress allow proto tcp to port 8080
kp_check "the unchanged rule, now rule 1, kept its $n packets" test "$(rule_pkts allow-web ingress 1)" -ge "$n"
kp_eq "the new rule starts from zero" "$(rule_pkts allow-web ingress 0)" 0
reach pod2 10.244.1.3 8080 >/dev/null
kp_check "and goes on counting" test "$(rule_pkts allow-web ingress 1)" -gt "$n"

# --- port ranges, not-port, IPv6, UDP ---
pol allow-web order 10 ingress allow proto tcp to port 8079-8081 not-port 8081 \
	ingress allow proto udp to port 8053 ingress allow proto tcp to port 8086
kp_eq "port range: 8080 in 8079-8081" "$(reach pod2 10.244.1.3 8080)" web-3
kp_eq "not-port: 8081 excluded" "$(reach pod2 10.244.1.3 8081)" blocked
kp_eq "UDP rule" "$(reach pod2 10.244.1.3 8053 udp)" dns-3
kp_eq "IPv6 through the same rules" "$(reach pod2 fd00:244::3 8086)" web6-3

# --- tiers: Pass to the next tier; Deny in tier 1 beats Allow in tier 2 ---
pol sec tier security order 1 ingress deny from net 10.244.1.4/32 ingress pass
pol allow-all ingress allow
kp_check "two tiers on pod3" attach pod3 ingress security:sec ingress default:allow-all
kp_eq "Pass: pod2 goes on to tier default, allowed" "$(reach pod2 10.244.1.3 8081)" alt-3
kp_eq "Deny in tier 1 beats Allow in tier 2: pod4 blocked" "$(reach pod4 10.244.1.3 8081)" blocked
out=$(trace pod4 tcp 10.244.1.4:1234 10.244.1.3:8081)
kp_check "trace: tier security decided [$out]" \
	grep -q "deny (rule, tier security, policy sec ingress rule 0)" <<<"$out"

# --- a policy large enough to be indexed by destination port ---
# 20 rules on ports 9001-9020 (one names 8079-8081, one 8080 twice over),
# a Log and an allow from pod4 that every port walks, then allow 8081:
# the first match must be the one a walk of every rule finds.
args=()
for p in $(seq 9001 9020); do args+=(ingress deny proto tcp to port "$p"); done
args+=(ingress log proto tcp from net 10.244.1.4/32 ingress allow proto tcp to port 8079-8081
       ingress allow proto tcp from net 10.244.1.4/32 ingress deny proto tcp to port 8080 port 8080-8080
       ingress allow proto tcp to port 8081)
kp_check "a policy of 25 rules" pol many order 1 "${args[@]}"
attach pod3 ingress default:many
kp_eq "indexed: 8081 allowed (rule 21)" "$(reach pod2 10.244.1.3 8081)" alt-3
out=$(trace pod2 tcp 10.244.1.2:40000 10.244.1.3:9005)
kp_check "trace: rule 4 decided [$out]" grep -q "policy many ingress rule 4)" <<<"$out"
out=$(trace pod2 tcp 10.244.1.2:40000 10.244.1.3:8080)
kp_check "trace: the range rule before the later ones [$out]" grep -q "allow (rule, tier default, policy many ingress rule 21)" <<<"$out"
kp_eq "indexed: 8080 allowed" "$(reach pod2 10.244.1.3 8080)" web-3
out=$(trace pod4 tcp 10.244.1.4:40000 10.244.1.3:9005)
kp_check "trace: pod4 to 9005 still denied by rule 4 [$out]" grep -q "policy many ingress rule 4)" <<<"$out"
out=$(trace pod4 tcp 10.244.1.4:40000 10.244.1.3:7)
kp_check "trace: pod4 to an unkeyed port allowed by rule 22 [$out]" grep -q "policy many ingress rule 22)" <<<"$out"
out=$(trace pod2 tcp 10.244.1.2:40000 10.244.1.3:7)
kp_check "trace: pod2 to an unkeyed port denied at the end of the tier [$out]" grep -q "deny (end of tier" <<<"$out"
out=$(trace pod2 udp 10.244.1.2:40000 10.244.1.3:8081)
kp_check "trace: UDP to 8081 matches no TCP rule [$out]" grep -q "deny (end of tier" <<<"$out"

# --- IP sets, not-net, not-set, not-proto ---
kp_check "ipset set" kpctl node1 ipset set clients 10.244.1.2
pol sel order 5 tier default ingress allow from set clients
attach pod3 ingress default:sel
kp_eq "set member allowed" "$(reach pod2 10.244.1.3 8080)" web-3
kp_eq "non-member denied" "$(reach pod4 10.244.1.3 8080)" blocked
kp_check "ipset add" kpctl node1 ipset add clients 10.244.1.4/32
kp_eq "new member allowed (revision re-check)" "$(reach pod4 10.244.1.3 8080)" web-3
kp_check "ipset list shows 2 members" grep -Eq '^clients +2$' <<<"$(kpctl node1 ipset list)"
kp_eq "ipset show lists the members" "$(kpctl node1 ipset show clients | tr '\n' ' ')" \
	"10.244.1.2/32 10.244.1.4/32 "
# A set larger than one dump message (up to 32 KiB: about 1,300 members)
# comes back whole.  (No /dev/fd in the guest for a process substitution.)
for i in $(seq 0 31); do for j in $(seq 0 255); do echo "100.64.$i.$j"; done; done >/tmp/big
mapfile -t big </tmp/big
kpctl node1 ipset set big "${big[@]:0:4096}" && kpctl node1 ipset add big "${big[@]:4096}"
kp_eq "ipset show: 8192 members over several messages, each once" \
	"$(kpctl node1 ipset show big | sort -u | wc -l)/$(kpctl node1 ipset show big | wc -l)" "8192/8192"
kpctl node1 ipset del big
pol sel order 5 ingress allow from not-set clients
kp_eq "not-set: members denied" "$(reach pod2 10.244.1.3 8080)" blocked
pol sel order 5 ingress allow from not-net 10.244.1.2/32
kp_eq "not-net: pod4 allowed" "$(reach pod4 10.244.1.3 8080)" web-3
kp_eq "not-net: pod2 denied" "$(reach pod2 10.244.1.3 8080)" blocked
pol sel order 5 ingress allow not-proto udp
kp_eq "not-proto udp: tcp allowed" "$(reach pod2 10.244.1.3 8080)" web-3
kp_eq "not-proto udp: udp denied" "$(reach pod2 10.244.1.3 8053 udp)" blocked

# --- ICMP type/code and not-icmp ---
pol sel order 5 ingress allow proto icmp icmp 8/0
kp_check "icmp 8/0 allows ping" ip netns exec pod2 ping -c 1 -W 1 10.244.1.3
pol sel order 5 ingress allow proto icmp not-icmp 8
kp_check "not-icmp 8 blocks ping" bash -c "! ip netns exec pod2 ping -c 1 -W 1 10.244.1.3"
out=$(trace pod2 icmp 10.244.1.2 10.244.1.3 type 0)
kp_check "trace: echo reply (type 0) allowed by not-icmp 8 [$out]" grep -q "verdict: allow" <<<"$out"

# --- an established flow is cut by a new Deny at its next packet ---
pol sel order 5 ingress allow proto tcp to port 8090
# Long enough for a slow (debug, loaded) guest to program the Deny while the
# flow still runs; stopped once two answers after it have failed.
ip netns exec pod2 kp-echo repeat tcp 10.244.1.3 8090 60 300 >/tmp/held.out &
held=$!
first_reply /tmp/held.out
pol cut tier default order 1 ingress deny from net 10.244.1.2/32
attach pod3 ingress default:cut,sel
await_lines /tmp/held.out '^error=' 2 30
kill $held 2>/dev/null
wait $held
kp_check "established flow answered before the Deny [$(tr '\n' ' ' </tmp/held.out)]" \
	grep -q '^reply=hold-3' /tmp/held.out
kp_check "established flow cut after the Deny" grep -q '^error=' /tmp/held.out
kp_eq "...and stays cut" "$(tail -1 /tmp/held.out | cut -d= -f1)" error

# --- approved forwarded flows leave from the first hook: FORWARD no longer sees them ---
pol sel order 5 ingress allow proto tcp to port 8090
attach pod3 ingress default:sel
ip netns exec pod2 kp-echo repeat tcp 10.244.1.3 8090 24 300 >/tmp/fast.out &
held=$!
first_reply /tmp/fast.out
ip netns exec node1 iptables-legacy -I FORWARD -p tcp --dport 8090 -j DROP
ip netns exec node1 iptables-legacy -I FORWARD -p tcp --sport 8090 -j DROP
ff=$(st fast_forwarded)
before_drop=$(grep -c '^reply=' /tmp/fast.out)
# The held flow's own packets (earlier flows to 8090 may still retransmit).
sport=$(ip netns exec pod2 awk '$3 == "0301F40A:1F9A" && $4 == "01" { split($2, a, ":"); print a[2] }' /proc/net/tcp)
sport=$((16#${sport:-0}))
ip netns exec node1 nft -f - <<NFT
table ip kpt {
	chain pre {
		type filter hook prerouting priority -500;
		tcp sport $sport tcp dport 8090 counter
	}
	chain post {
		type filter hook postrouting priority 0;
		tcp sport $sport tcp dport 8090 counter
	}
}
NFT
wait $held
kp_check "fast path: the established flow ignores a FORWARD DROP added later [$(tr '\n' ' ' </tmp/fast.out)]" \
	bash -c "! grep -q '^error=' /tmp/fast.out && [ \$(grep -c '^reply=' /tmp/fast.out) = 24 ]"
kp_check "fast path: ...answered after the DROP was in place ($before_drop of 24 before)" \
	test "$before_drop" -lt 24
kp_check "fast path: its packets sent from the first hook (counted)" \
	test "$(st fast_forwarded)" -gt "$ff"
fwd_drops() {
	ip netns exec node1 iptables-legacy -L FORWARD -v -x -n | awk '/DROP/ { s += $1 } END { print s + 0 }'
}
kp_eq "fast path: the FORWARD rules saw none of its packets" "$(fwd_drops)" 0
kp_check "fast path: the held flow's source port read ($sport)" test "$sport" -gt 0
kp_eq "fast path: nor did POST_ROUTING (sent to the neighbour)" \
	"$(ip netns exec node1 nft list chain ip kpt post | grep -o 'packets [0-9]*')" "packets 0"
kp_eq "fast path: nor PRE_ROUTING (sent from the pod interface's ingress)" \
	"$(ip netns exec node1 nft list chain ip kpt pre | grep -o 'packets [0-9]*')" "packets 0"
ip netns exec node1 nft delete table ip kpt
kp_eq "fast path: a new flow still meets FORWARD" "$(reach pod2 10.244.1.3 8090)" blocked
kp_check "...and FORWARD dropped it" test "$(fwd_drops)" -gt 0
ip netns exec node1 iptables-legacy -F FORWARD

# --- the fast path holds packets to the route's MTU, as forwarding does ---
# A UDP flow pod2 -> pod3, approved, its route learned from small frames;
# then pod3's link narrows and 1400-byte frames (no DF) follow.  The stack
# must get them and fragment them; sent on whole from the first hook, they
# would be dropped unseen by pod3's narrower interface.
flood() {	# flood SECONDS FRAME-BYTES: pod2 -> pod3:9097 from port 9098
	ip netns exec pod2 kp-pktflood eth0 "$(ip -n node1 link show veth2 |
		awk '/link\/ether/ { print $2 }')" 10.244.1.2 9098 10.244.1.3 9097 "$1" "$2" >/dev/null
}
pol big order 6 ingress allow proto udp to port 9097
attach pod3 ingress default:sel,big
ip netns exec pod3 kp-echo serve udp 0.0.0.0 9097 big sink once &
sink=$!
sleep 0.2
ip netns exec pod2 kp-echo connect udp 10.244.1.3 9097 9098 >/dev/null
ip -n node1 link set veth3 mtu 1280
ip -n pod3 link set eth0 mtu 1280
flood 0.3 64	# the route, changed with the MTU, learned again
ff=$(st fast_forwarded)
frags=$(kp_snmp node1 Ip FragOKs)
flood 0.3 64
kp_check "narrower link: small frames still leave from the first hook ($ff -> $(st fast_forwarded))" \
	test "$(st fast_forwarded)" -gt "$ff"
ff=$(st fast_forwarded)
flood 0.3 1400
kp_eq "narrower link: no frame too big for it sent from the first hook" "$(st fast_forwarded)" "$ff"
kp_check "...the stack fragmented them ($frags -> $(kp_snmp node1 Ip FragOKs) packets)" \
	test "$(kp_snmp node1 Ip FragOKs)" -gt "$frags"
kill $sink
ip -n pod3 link set eth0 mtu 1500
ip -n node1 link set veth3 mtu 1500
attach pod3 ingress default:sel

# --- Log ---
pol logit ingress log proto tcp ingress allow
attach pod3 ingress default:logit
# The log is rate-limited (net_ratelimit, shared by the whole kernel): a
# burst spent elsewhere just before may hold it back a few seconds.
logged() { dmesg | grep -q 'kplane: log endpoint pod3 ingress policy logit rule 0'; }
for i in 1 2 3 4; do
	reach pod2 10.244.1.3 8080 >/dev/null
	logged && break
	sleep 2
done
kp_check "Log records the packet and goes on (attempt $i)" logged

# --- bypass_conntrack=0: pods' egress keeps the node's source NAT, fast path or not ---
# (kube-proxy-less nodes whose pod egress relies on iptables MASQUERADE.)
echo 0 >/sys/module/kplane/parameters/bypass_conntrack
ip netns exec node1 iptables-legacy -t nat -A POSTROUTING -s 10.244.1.0/24 -o ext0 \
	-j SNAT --to-source 192.168.50.1
pol egress-all types egress egress allow
attach pod2 egress default:egress-all
ip netns exec outside kp-echo serve tcp 0.0.0.0 7002 out-hold hold &
sleep 0.3
ip netns exec pod2 kp-echo repeat tcp 192.168.50.2 7002 12 200 >/tmp/masq.out
kp_check "bypass_conntrack=0: a pod's flow is source-NATed to its end [$(tr '\n' ' ' </tmp/masq.out)]" \
	bash -c "[ \$(grep -c '^reply=out-hold 192.168.50.1$' /tmp/masq.out) = 12 ]"
attach pod2
kpctl node1 policy del egress-all
ip netns exec node1 iptables-legacy -t nat -D POSTROUTING -s 10.244.1.0/24 -o ext0 \
	-j SNAT --to-source 192.168.50.1
echo 1 >/sys/module/kplane/parameters/bypass_conntrack

# --- host endpoint, failsafe ---
pol host-in ingress allow proto tcp to port 9000
kp_check "host endpoint with policy" kpctl node1 endpoint add node1-ext dev ext0 host \
	ingress default:host-in
kp_eq "host endpoint: allowed port" "$(reach outside 192.168.50.1 9000)" node-9000
kp_eq "host endpoint: other port denied" "$(reach outside 192.168.50.1 9001)" blocked
kp_eq "failsafe port 22 reachable despite the policy" "$(reach outside 192.168.50.1 22)" node-22
kp_check "failsafe passes counted" test "$(st policy_failsafe)" -gt 0
kp_eq "forwarded to a pod: host endpoint policy does not apply" \
	"$(reach outside 10.244.1.3 8080)" web-3

# --- host endpoint, forwarded traffic: only apply-on-forward policies ---
#   outside --ext0 (host endpoint)-- node1 --ext1-- far (192.168.60.2)
ip netns add far
kp_link node1 ext1 far eth0 192.168.60 fd00:60
ip -n far link set lo up
ip -n far route add 192.168.50.0/24 via 192.168.60.1
ip -n far -6 route add fd00:50::/64 via fd00:60::1
ip -n outside route add 192.168.60.0/24 via 192.168.50.1
ip -n outside -6 route add fd00:60::/64 via fd00:50::1
for port in 7000 8080; do ip netns exec far kp-echo serve tcp 0.0.0.0 $port far-$port & done
for port in 7006 8086; do ip netns exec far kp-echo serve tcp :: $port far6-$port & done
for port in 7000 7001; do ip netns exec outside kp-echo serve tcp 0.0.0.0 $port out-$port & done
sleep 0.5
# Neighbours resolved and servers up before anything is timed out at 1 s.
for a in 192.168.60.2:7000 [fd00:60::2]:7006; do
	addr=${a%:*} addr=${addr#[} addr=${addr%]}
	KP_ECHO_TIMEOUT_MS=5000 ip netns exec outside kp-echo connect tcp "$addr" "${a##*:}" >/dev/null
done
kp_eq "forwarded between networks: host endpoint policy without apply-on-forward does not apply" \
	"$(reach outside 192.168.60.2 7000)" far-7000
kp_eq "the same, IPv6" "$(reach outside fd00:60::2 7006)" far6-7006
kp_check "an apply-on-forward policy" \
	pol fwd-in apply-on-forward true ingress allow proto tcp to port 8080 port 8086
kp_check "policy show says apply-on-forward" \
	bash -c "ip netns exec node1 kplanectl policy show fwd-in | grep -q 'apply-on-forward true'"
attach node1-ext ingress default:host-in,fwd-in
kp_eq "apply-on-forward: forwarded to a pod, allowed port" "$(reach outside 10.244.1.3 8080)" web-3
kp_eq "apply-on-forward: forwarded to a pod, other port denied at the end of the tier" \
	"$(reach outside 10.244.1.3 8081)" blocked
kp_eq "apply-on-forward: forwarded elsewhere, allowed port" "$(reach outside 192.168.60.2 8080)" far-8080
kp_eq "apply-on-forward: forwarded elsewhere, other port denied" "$(reach outside 192.168.60.2 7000)" blocked
kp_eq "apply-on-forward, IPv6: allowed port" "$(reach outside fd00:60::2 8086)" far6-8086
kp_eq "apply-on-forward, IPv6: other port denied" "$(reach outside fd00:60::2 7006)" blocked
kp_eq "to the node itself: both policies apply (9000 allowed)" "$(reach outside 192.168.50.1 9000)" node-9000
kp_eq "to the node itself: 9001 still denied" "$(reach outside 192.168.50.1 9001)" blocked
out=$(trace node1-ext tcp 192.168.50.2:40000 10.244.1.3:8081)
kp_check "trace: the host endpoint's step for forwarded traffic [$out]" \
	grep -q "node1-ext ingress (forwarded): deny (end of tier, tier default)" <<<"$out"
out=$(trace node1-ext tcp 192.168.50.2:40000 192.168.50.1:9000)
kp_check "trace: traffic to the node is not forwarded [$out]" \
	grep -q "node1-ext ingress: allow (rule, tier default, policy host-in ingress rule 0)" <<<"$out"
kp_check "an apply-on-forward egress policy" pol fwd-out apply-on-forward true types egress \
	egress deny proto tcp to port 7001 egress allow
attach node1-ext ingress default:host-in egress default:fwd-out
kp_eq "leaving by the host endpoint: a pod's allowed flow" "$(reach pod4 192.168.50.2 7000)" out-7000
kp_eq "leaving by the host endpoint: a pod's denied flow" "$(reach pod4 192.168.50.2 7001)" blocked
out=$(trace pod4 tcp 10.244.1.4:40000 192.168.50.2:7001)
kp_check "trace: pod4's egress, then the host endpoint's forwarded egress [$out]" \
	bash -c "grep -q 'pod4 egress: allow (no policy)' <<<'$out' &&
		 grep -q 'node1-ext egress (forwarded): deny (rule, tier default, policy fwd-out egress rule 0)' <<<'$out'"
attach node1-ext ingress default:host-in
kp_eq "detached: the pod's flow leaves again" "$(reach pod4 192.168.50.2 7001)" out-7001

# --- a full flow table: new flows refused, established and failsafe pass ---
ip netns exec pod2 kp-echo repeat tcp 10.244.1.3 8090 6 300 >/tmp/full.out &
held=$!
first_reply /tmp/full.out
# The held flow is in the table: a limit of 1 leaves no room for another.
echo 1 >/sys/module/kplane/parameters/max_flows
full=$(st flow_table_full)
kp_eq "table full: new flow refused" "$(reach pod4 10.244.1.3 8080)" blocked
kp_check "table full: counted" test "$(st flow_table_full)" -gt "$full"
kp_eq "table full: failsafe traffic passes" "$(reach outside 192.168.50.1 22)" node-22
wait $held
kp_check "table full: the established flow kept working" \
	bash -c "! grep -q '^error=' /tmp/full.out && [ \$(grep -c '^reply=' /tmp/full.out) = 6 ]"
echo 262144 >/sys/module/kplane/parameters/max_flows

# --- trace agrees with the datapath ---
agree=1
for case in "pod2 10.244.1.3 8080" "pod4 10.244.1.3 8081" "pod2 10.244.1.4 8080"; do
	set -- $case
	ip=$(ip -n "$1" -4 addr show eth0 | grep -o '10\.244\.1\.[0-9]*' | head -1)
	t=$(trace "$1" tcp "$ip:40000" "$2:$3" | head -1)
	r=$(reach "$1" "$2" "$3")
	{ [ "$t" = "verdict: allow" ] && [ "$r" != blocked ]; } ||
		{ [ "$t" = "verdict: deny" ] && [ "$r" = blocked ]; } || agree=0
done
kp_eq "trace verdicts match what the datapath did" "$agree" 1

# --- bad input: refused with a message, nothing half-applied ---
before=$(kpctl node1 policy list; kpctl node1 endpoint list)
kp_refused "unknown IP set" 1 "No such file or directory" "a rule names an IP set that does not exist" \
	kpctl node1 policy set bad ingress allow from set nosuch
kp_refused "invalid CIDR" 1 "Invalid argument" "prefix length is longer than the address" \
	kpctl node1 policy set bad ingress allow from net 10.0.0.0/33
kp_refused "upside-down port range" 1 "Invalid argument" "port range is upside down" \
	kpctl node1 policy set bad ingress allow proto tcp to port 90-80
kp_refused "ports without a protocol" 1 "Invalid argument" "ports need protocol tcp, udp or sctp" \
	kpctl node1 policy set bad ingress allow to port 80
kp_refused "unknown action is a usage error" 2 "policy set" "allow, deny, pass or log" \
	kpctl node1 policy set bad ingress permit
kp_refused "unknown policy on an endpoint" 1 "No such file or directory" \
	"an endpoint names a policy that does not exist" kpctl node1 endpoint policy pod3 ingress default:nosuch
kp_refused "policy in the wrong tier" 1 "Invalid argument" "a policy is listed under a tier it does not belong to" \
	kpctl node1 endpoint policy pod3 ingress security:allow-all
kp_refused "delete an attached policy" 1 "Device or resource busy" "an endpoint attaches this policy" \
	kpctl node1 policy del logit
kp_refused "delete a set in use" 1 "Device or resource busy" "a policy rule uses this IP set" \
	bash -c "ip netns exec node1 kplanectl policy set useset ingress allow from set clients &&
		 ip netns exec node1 kplanectl ipset del clients"
kpctl node1 policy del useset
echo 3 >/sys/module/kplane/parameters/max_rules
kp_refused "more rules than the limit" 1 "No space left on device" "rule limit reached (see max_rules)" \
	kpctl node1 policy set big ingress allow ingress allow ingress allow ingress allow
echo 100000 >/sys/module/kplane/parameters/max_rules
kp_eq "nothing half-applied" "$(kpctl node1 policy list | sed 's/ *[0-9]* pkts.*bytes//'; kpctl node1 endpoint list)" \
	"$(sed 's/ *[0-9]* pkts.*bytes//' <<<"$before")"
kp_refused "policy changes need CAP_NET_ADMIN" 1 "Operation not permitted" "" \
	ip netns exec node1 kp-runas nobody kplanectl policy set x ingress allow
kp_check "trace is open to unprivileged users" \
	ip netns exec node1 kp-runas nobody kplanectl trace pod2 tcp 10.244.1.2:1 10.244.1.3:80

# --- policy_reject: answered with ICMP admin-prohibited, refused at once ---
attach pod3 ingress default:deny-in
echo 1 >/sys/module/kplane/parameters/policy_reject
# (A TCP connect() in the same host would only note it softly: the ICMP
# comes back while connect() still holds the socket.)
unreach() { kp_snmp pod2 Icmp InDestUnreachs; }
before=$(unreach)
out=$(ip netns exec pod2 kp-echo connect udp 10.244.1.3 8053 2>&1)
kp_check "policy_reject: UDP gets no route to host at once [$out]" grep -q "No route to host" <<<"$out"
kp_check "policy_reject: the pod received ICMP unreachable" test "$(unreach)" -gt "$before"
echo 0 >/sys/module/kplane/parameters/policy_reject

# --- ICMP errors quoting a packet of an approved flow pass as related ---
pol tcp-only ingress allow proto tcp
attach pod3 ingress default:tcp-only
before=$(st policy_related)
out=$(ip netns exec pod3 kp-echo connect udp 10.244.1.2 9999 2>&1)
kp_check "pod2's port unreachable passes pod3's TCP-only ingress as related [$out]" \
	grep -q "refused in" <<<"$out"
kp_check "counted as related ($before -> $(st policy_related))" test "$(st policy_related)" -gt "$before"
out=$(trace pod3 icmp 10.244.1.2 10.244.1.3 type 3 code 3)
kp_check "the same ICMP on its own is denied by that policy [$out]" grep -q "verdict: deny" <<<"$out"
attach pod3 ingress default:deny-in
kpctl node1 policy del tcp-only

# --- transactions: policy, IP set and endpoint policy changes, all or nothing ---
attach pod3 ingress default:allow-all
cat >/tmp/ok.batch <<'B'
ipset set admins 10.244.1.4
policy set only-admins order 1 ingress allow from set admins ingress deny
endpoint policy pod3 ingress default:only-admins
B
kp_check "batch: set, policy naming it, attachment: one transaction" kpctl node1 batch /tmp/ok.batch
kp_eq "batch applied: pod4 allowed" "$(reach pod4 10.244.1.3 8080)" web-3
kp_eq "batch applied: pod2 denied" "$(reach pod2 10.244.1.3 8080)" blocked
before=$(kpctl node1 ipset list; kpctl node1 policy list | sed 's/ *[0-9]* pkts.*bytes//';
	 kpctl node1 endpoint list)
cat >/tmp/bad.batch <<'B'
ipset set admins 10.244.1.2
policy set only-admins order 1 ingress deny
endpoint policy pod3 ingress default:allow-all
policy set broken ingress allow from set nosuch
B
kp_refused "batch: a refusal at commit names the line it refused" 1 \
	"line 4: No such file or directory" \
	"a rule names an IP set that does not exist" kpctl node1 batch /tmp/bad.batch
after=$(kpctl node1 ipset list; kpctl node1 policy list | sed 's/ *[0-9]* pkts.*bytes//';
	kpctl node1 endpoint list)
kp_eq "batch refused: every change put back" "$after" "$before"
printf '# policy lines are sent at once, service lines queued\nipset set mixed 10.0.0.1\nservice set 10.96.9.9:80/tcp backend [fd00::1]:80\n' \
	>/tmp/mixed.batch
kp_refused "batch: a queued service change refused after a policy line names its own line" 1 \
	"line 3: Invalid argument" "backend address family differs" kpctl node1 batch /tmp/mixed.batch
kp_eq "batch refused: traffic as before (pod4 allowed)" "$(reach pod4 10.244.1.3 8080)" web-3
kp_eq "batch refused: traffic as before (pod2 denied)" "$(reach pod2 10.244.1.3 8080)" blocked

# A commit is one step for traffic: it moves pod2 into the set and turns
# the rule into its not- form, which denies pod2 before and after; either
# half without the other (the new set with the old rule, or the old set
# with the new) lets pod2 in.  20k members added to another set between the
# halves hold the commit open while pod2 asks pod3 again and again
# (policy_reject answers each denial at once).
{ echo 'ipset set admins 10.244.1.2 10.244.1.4'
  echo 'ipset set filler'
  seq 0 19999 | awk '{ printf "%s10.100.%d.%d", NR % 500 == 1 ? "ipset add filler " : " ", $1 / 250, $1 % 250 + 1 }
		     NR % 500 == 0 { print "" }'
  echo 'policy set only-admins order 1 ingress allow from not-set admins ingress deny'; } >/tmp/flip.batch
echo 1 >/sys/module/kplane/parameters/policy_reject
ip netns exec node1 sh -c 'echo 0 >/proc/sys/net/ipv4/icmp_ratelimit
			 echo 100000 >/proc/sys/net/ipv4/icmp_msgs_per_sec'
ip netns exec pod2 env KP_ECHO_TIMEOUT_MS=300 kp-echo watch udp 10.244.1.3 8053 60000 >/tmp/pwatch.out &
watcher=$!
sleep 1
time kpctl node1 batch /tmp/flip.batch
sleep 1
kill $watcher
wait $watcher 2>/dev/null
echo 0 >/sys/module/kplane/parameters/policy_reject
sort /tmp/pwatch.out | uniq -c
kp_eq "atomic commit: pod2 never let in, before, during or after" "$(grep -c '^dns-3$' /tmp/pwatch.out)" 0
kp_check "atomic commit: pod2 asked throughout ($(wc -l </tmp/pwatch.out) rounds)" \
	test "$(wc -l </tmp/pwatch.out)" -gt 200
kp_eq "atomic commit applied: pod4 now denied" "$(reach pod4 10.244.1.3 8080)" blocked
kp_eq "atomic commit applied: the filler set holds 20000 members" "$(kpctl node1 ipset list | awk '$1 == "filler" {print $2}')" 20000

# --- endpoints join and leave in a transaction ---
eps() { kpctl node1 endpoint list; }
kp_check "pod4 gets a policy of its own" pol pod4-in order 1 ingress deny
kp_check "attached" attach pod4 ingress default:pod4-in
kp_eq "pod2 -> pod4 denied" "$(reach pod2 10.244.1.4 8080)" blocked
printf 'endpoint del pod4\npolicy del pod4-in\n' >/tmp/leave.batch
kp_check "batch: delete pod4 and the policy only it attached" kpctl node1 batch /tmp/leave.batch
kp_check "pod4 is no longer an endpoint" bash -c "! ip netns exec node1 kplanectl endpoint list | grep -qw pod4"
kp_eq "pod2 -> pod4: no policy any more" "$(reach pod2 10.244.1.4 8080)" web-4
cat >/tmp/join.batch <<'B'
policy set pod4-in order 1 ingress allow from net 10.244.1.2/32 ingress deny
endpoint add pod4 dev veth4 netns /run/netns/pod4 addr 10.244.1.4 addr fd00:244::4 ingress default:pod4-in
B
kp_check "batch: a policy, and pod4 added attaching it" kpctl node1 batch /tmp/join.batch
kp_eq "pod2 -> pod4 allowed by the new policy" "$(reach pod2 10.244.1.4 8080)" web-4
kp_eq "pod3 -> pod4 denied by it" "$(reach pod3 10.244.1.4 8080)" blocked
kp_check "pod4's netns bound at commit (kplanectl closed its fd after staging)" \
	bash -c "ip netns exec node1 kplanectl --json endpoint show pod4 | grep -q netnsid"
before=$(eps)
printf 'endpoint del pod4\nendpoint add pod9 dev veth3 addr 10.244.1.9\n' >/tmp/clash.batch
kp_refused "batch: an add refused at commit names its line" 1 "line 2: File exists" \
	"interface belongs to another endpoint" kpctl node1 batch /tmp/clash.batch
kp_eq "refused: pod4 not deleted, no pod9" "$(eps)" "$before"
kp_eq "refused: pod4 keeps its policy (pod3 denied)" "$(reach pod3 10.244.1.4 8080)" blocked
printf 'endpoint del pod4\nendpoint add pod4 dev veth4 addr 10.244.1.4\n' >/tmp/readd.batch
kp_refused "batch: deleting and adding one id in one transaction is refused" 1 "line 2" \
	"add it again in the next" kpctl node1 batch /tmp/readd.batch
kp_eq "refused: endpoints as before" "$(eps)" "$before"
printf 'endpoint del pod4\nendpoint del pod4\n' >/tmp/twice.batch
kp_refused "batch: deleting one endpoint twice is refused" 1 "line 2" \
	"no endpoint with this id" kpctl node1 batch /tmp/twice.batch
kp_eq "refused: endpoints as before" "$(eps)" "$before"

kp_check "node disable with policies, sets, cached flows" kpctl node1 node disable
kp_check "module unloads" kp_unload
kp_done

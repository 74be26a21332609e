#!/usr/bin/env bash
# Guest side of `make bench` (policy): pod-to-pod traffic through a node
# (pod2 -> pod3, forwarded) with a policy of R rules guarding pod3, the
# matching rule last, for kplane and the filtering it replaces:
#   kplane      R rules in a tier on pod3's ingress (verdict cached, flow
#               untracked and sent from the first hook)
#   iptables    FORWARD: ESTABLISHED accept, then R linear rules (conntrack)
#   ipset       FORWARD: ESTABLISHED accept, one rule, an R-member hash:net
#   nftables    ct state established accept, an R-element set
#   flowtable   nftables with the nf_flow_table fast path (one size)
#   floor       no filtering at all (one size)
# and, with 10k unrelated iptables rules in FORWARD, kplane (fast path) and
# the floor.  Each peer at each size has its own node netns.  Per round,
# every one in turn: TCP throughput (iperf3), request/response rate over one
# connection (kp-rr), 64-byte UDP packet rate (iperf3 -u), the node's
# forwarding rate for one established UDP flow (kp-pktflood); then new TCP
# connections to every one in lockstep (kp-connbench: each SYN is a flow's
# first packet, the one the rules judge).
# Prints "BENCH-POLICY peer=... rules=... round=... tput_mbps=... rr_per_s=... udp_pps=... fwd_pps=..."
# and "BENCH-POLICY-CONNECT peer=... rules=... round=... median_us=... p99_us=... conn_per_s=..."
# (rules=0 for the single-size peers).
. /scenarios/lib.sh

SIZES=${BENCH_RULES:-10 100 1000 10000}
ROUNDS=${BENCH_ROUNDS:-3}
SECS=${BENCH_SECS:-2}
CONNS=${BENCH_CONNS:-100}
# One node netns per peer and size, all built before the first round, so
# every round measures every size of every peer back to back: the spread
# across sizes and the ratios between peers are read within a round, not
# across the minutes a TCG guest drifts over.  Single-size peers: fl
# (floor), ft (flowtable), kpx and flx (with 10k unrelated FORWARD rules).
INSTANCES="fl ft kpx flx"
for r in $SIZES; do INSTANCES+=" kp$r ipt$r ips$r nft$r"; done

kp_load
for i in $INSTANCES; do
	kp_calico_node node-$i
	for n in 2 3; do kp_calico_pod node-$i $n $i-; done
	ip netns exec $i-pod3 iperf3 -s -D -p 5201
	ip netns exec $i-pod3 kp-rr serve 7000 &
	ip netns exec $i-pod3 kp-echo serve tcp 0.0.0.0 7100 conn &
	# Thousands of TIME_WAIT sockets per round: reused, so the port search
	# does not grow with the bench's history.
	ip netns exec $i-pod2 sysctl -qw net.ipv4.tcp_tw_reuse=1
done
for i in $INSTANCES; do
	case $i in kp*)
		kpctl node-$i node enable
		for n in 2 3; do kpctl node-$i endpoint add pod$n dev veth$n netns /run/netns/$i-pod$n; done ;;
	esac
done
sleep 1

# The R-1 rules that never match name sources 100.x.y.z that never send.
# kplane: R rules over policies of at most 1000 (a netlink message each),
# ordered in one tier; the last rule of the last policy matches.
kp_program() {	# kp_program NETNS R: one batch (one process, one transaction), as iptables-restore
	local ns=$1 r=$2
	awk -v r="$r" 'BEGIN {
		# 150 rules a policy: a batch line holds at most 2,080 words.
		for (p = 0; p * 150 < r; p++) {
			printf "policy set b%d tier bench order %d", p, p
			for (i = p * 150 + 1; i <= r && i <= (p + 1) * 150; i++)
				if (i == r)
					printf " ingress allow from net 10.244.1.2/32"
				else
					printf " ingress allow proto tcp from net 100.%d.%d.%d/32 to port 1",
						int(i / 65536) % 256, int(i / 256) % 256, i % 256
			print ""
			attach = attach (p ? "," : "") "b" p
		}
		print "endpoint policy pod3 ingress bench:" attach
	}' >/tmp/kp.batch
	kpctl "$ns" batch /tmp/kp.batch
}

ipt_program() {	# ipt_program NETNS R
	local ns=$1 r=$2
	awk -v r="$r" 'BEGIN {
		print "*filter"; print ":FORWARD ACCEPT [0:0]"
		print "-A FORWARD -m conntrack --ctstate ESTABLISHED,RELATED -j ACCEPT"
		for (i = 1; i < r; i++)
			printf "-A FORWARD -s 100.%d.%d.%d/32 -d 10.244.1.3/32 -p tcp --dport 1 -j ACCEPT\n",
				int(i / 65536) % 256, int(i / 256) % 256, i % 256
		print "-A FORWARD -s 10.244.1.2/32 -d 10.244.1.3/32 -j ACCEPT"
		print "-A FORWARD -d 10.244.1.3/32 -j DROP"
		print "COMMIT"
	}' | ip netns exec "$ns" iptables-legacy-restore
}

ips_program() {	# ips_program NETNS R
	local ns=$1 r=$2
	{
		echo "create allowed hash:net maxelem $((r + 16))"
		awk -v r="$r" 'BEGIN { for (i = 1; i < r; i++) printf "add allowed 100.%d.%d.%d/32\n",
			int(i / 65536) % 256, int(i / 256) % 256, i % 256 }'
		echo "add allowed 10.244.1.2/32"
	} | ip netns exec "$ns" ipset restore
	ip netns exec "$ns" iptables-legacy -A FORWARD -m conntrack --ctstate ESTABLISHED,RELATED -j ACCEPT
	ip netns exec "$ns" iptables-legacy -A FORWARD -m set --match-set allowed src -d 10.244.1.3 -j ACCEPT
	ip netns exec "$ns" iptables-legacy -A FORWARD -d 10.244.1.3 -j DROP
}

nft_program() {	# nft_program NETNS R [flowtable]
	local ns=$1 r=$2 ft=${3:-}
	ip netns exec "$ns" nft delete table inet bench 2>/dev/null
	{
		echo "table inet bench {"
		echo "  set allowed { type ipv4_addr; flags interval; }"
		[ -n "$ft" ] && echo "  flowtable ft { hook ingress priority 0; devices = { veth2, veth3 }; }"
		echo "  chain pods { type filter hook forward priority 0; policy accept;"
		[ -n "$ft" ] && echo "    ip protocol { tcp, udp } flow add @ft"
		echo "    ct state established,related accept"
		echo "    ip daddr 10.244.1.3 ip saddr @allowed accept"
		echo "    ip daddr 10.244.1.3 drop"
		echo "  }"
		echo "}"
		awk -v r="$r" 'BEGIN { for (i = 1; i < r; i++) printf "add element inet bench allowed { 100.%d.%d.%d }\n",
			int(i / 65536) % 256, int(i / 256) % 256, i % 256 }'
		echo "add element inet bench allowed { 10.244.1.2 }"
	} >/tmp/nft.bench
	ip netns exec "$ns" nft -f /tmp/nft.bench
}

# 10k FORWARD rules that match nothing the pods send.
unrelated_forward_rules() {
	awk 'BEGIN { print "*filter"; print ":FORWARD ACCEPT [0:0]"
		for (i = 1; i <= 10000; i++)
			printf "-A FORWARD -s 100.%d.%d.%d/32 -p udp --dport 9 -j DROP\n",
				int(i / 65536) % 256, int(i / 256) % 256, i % 256
		print "COMMIT" }' | ip netns exec "$1" iptables-legacy-restore
}

# pstat NODE COUNTER: one of kplane's node counters.
pstat() { kpctl "$1" --json status | grep -o "\"$2\":[0-9]*" | cut -d: -f2; }

# peer_of INSTANCE: sets name and rules.
peer_of() {
	rules=0
	case $1 in
	kpx) name=kplane+10k-fwd ;; flx) name=floor+10k-fwd ;;
	fl) name=floor ;; ft) name=flowtable ;;
	kp*) name=kplane rules=${1#kp} ;; ipt*) name=iptables rules=${1#ipt} ;;
	ips*) name=ipset rules=${1#ips} ;; nft*) name=nftables rules=${1#nft} ;;
	esac
}

# connects ROUND: CONNS new connections to every instance, in lockstep.
connects() {
	local i targets=() label stats name rules
	for i in $INSTANCES; do targets+=("$i=$i-pod2/10.244.1.3:7100"); done
	kp-connbench "$CONNS" "${targets[@]}" >/tmp/connbench || {
		kp_not_ok "bench round $1: a connect failed"; return; }
	while read -r label stats; do
		peer_of "${label#target=}"
		echo "BENCH-POLICY-CONNECT peer=$name rules=$rules round=$1 $stats"
	done </tmp/connbench
}

# fwd_rate INSTANCE ROUND: packets/s the node forwards of one established
# UDP flow pod2 -> pod3: 64-byte frames from a packet socket in pod2 (no
# sender stack to share the CPU with, beyond making the frame), counted
# leaving the node by veth3, per second of flooding.  A sink in pod3
# answers the flow's first datagram (so conntrack has seen a reply and
# kplane approved the flow); then pod3 drops the flood at its interface's
# ingress, before its IP stack: the receiving pod's cost, the same for
# every peer, would otherwise be a sixth of what is measured.
veth3_tx() { ip netns exec "$1" cat /sys/class/net/veth3/statistics/tx_packets; }
fwd_rate() {
	local i=$1 port=$((9100 + $2)) sport=$((9300 + $2)) mac sink tx0 out
	mac=$(ip -n "node-$i" link show veth2 | awk '/link\/ether/ { print $2 }')
	ip netns exec "$i-pod3" kp-echo serve udp 0.0.0.0 "$port" sink once &
	sink=$!
	sleep 0.2
	if ip netns exec "$i-pod2" kp-echo connect udp 10.244.1.3 "$port" "$sport" >/dev/null; then
		ip netns exec "$i-pod3" nft -f - <<-NFT
		table netdev sink { chain in { type filter hook ingress device eth0 priority 0; udp dport $port drop; }; }
		NFT
		tx0=$(veth3_tx "node-$i")
		out=$(ip netns exec "$i-pod2" kp-pktflood eth0 "$mac" 10.244.1.2 "$sport" \
			10.244.1.3 "$port" "$SECS")
		awk -v n=$(( $(veth3_tx "node-$i") - tx0 )) '{ split($2, s, "="); print int(n / s[2]) }' <<<"$out"
		ip netns exec "$i-pod3" nft delete table netdev sink
	fi
	kill $sink
	wait $sink 2>/dev/null
}

measure() {	# measure INSTANCE ROUND
	local i=$1 ns=$1-pod2 tput rr udp fwd name rules work= c0 b0
	peer_of "$i"
	# kplane: how much policy work the measurement's packets cost.
	[[ $i == kp* ]] && { c0=$(pstat "node-$i" policy_checked); b0=$(pstat "node-$i" policy_bypassed); }
	tput=$(ip netns exec "$ns" iperf3 -c 10.244.1.3 -p 5201 -t "$SECS" -f m 2>/dev/null |
		awk '/receiver/ { print $(NF-2) }')
	rr=$(ip netns exec "$ns" kp-rr 10.244.1.3 7000 "$SECS" | sed 's/rr_per_s=//')
	udp=$(ip netns exec "$ns" iperf3 -c 10.244.1.3 -p 5201 -u -l 64 -b 0 -t "$SECS" 2>/dev/null |
		awk -v s="$SECS" '/receiver/ { split($(NF-2), a, "/"); print int((a[2] - a[1]) / s) }')
	fwd=$(fwd_rate "$i" "$2")
	if [ -z "$tput" ] || [ -z "$rr" ] || [ -z "$udp" ] || [ -z "$fwd" ]; then
		kp_not_ok "bench $i: a measurement failed ($tput/$rr/$udp/$fwd)"
		return
	fi
	if [[ $i == kp* ]]; then
		work=" evaluated=$(( $(pstat "node-$i" policy_checked) - c0 ))"
		work+=" bypassed=$(( $(pstat "node-$i" policy_bypassed) - b0 ))"
	fi
	echo "BENCH-POLICY peer=$name rules=$rules round=$2 tput_mbps=$tput rr_per_s=$rr udp_pps=$udp fwd_pps=$fwd$work"
}

nft_program node-ft 10 ft
unrelated_forward_rules node-kpx
unrelated_forward_rules node-flx
kpctl node-kpx policy set allow ingress allow from net 10.244.1.2/32
kpctl node-kpx endpoint policy pod3 ingress default:allow

for r in $SIZES; do
	t0=${EPOCHREALTIME/./}
	kp_program node-kp$r "$r"
	echo "BENCH-POLICY-PROGRAM peer=kplane rules=$r ms=$(( (${EPOCHREALTIME/./} - t0) / 1000 ))"
	t0=${EPOCHREALTIME/./}
	ipt_program node-ipt$r "$r"
	echo "BENCH-POLICY-PROGRAM peer=iptables rules=$r ms=$(( (${EPOCHREALTIME/./} - t0) / 1000 ))"
	ips_program node-ips$r "$r"
	nft_program node-nft$r "$r"
done
kp_ok "every peer programmed"
read -ra list <<<"$INSTANCES"
for round in $(seq "$ROUNDS"); do
	# Each round starts one place further along: no peer always goes first.
	for k in "${!list[@]}"; do
		measure "${list[(k + round) % ${#list[@]}]}" "$round"
	done
	connects "$round"
	kp_ok "round $round"
done
for r in $SIZES; do kpctl node-kp$r status | grep -E 'policy|fast path'; done
kill $(jobs -p) 2>/dev/null
kp_done

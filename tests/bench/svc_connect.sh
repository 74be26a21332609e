#!/usr/bin/env bash
# Guest side of `make bench` (services): connect() latency and rate from a
# pod to a ClusterIP with S services installed, through kplane, kube-proxy's
# iptables mode (legacy, linear KUBE-SERVICES), kube-proxy's IPVS mode
# (ipvsadm, VIPs on a dummy kube-ipvs0) and kube-proxy's nftables mode
# (verdict maps, numgen), beside a direct connect to the backend (the
# floor: a node with no service dataplane at all, the client taking the two
# backends in turn as the services spread it); the time to program S
# services, and to add one more when S exist.  Each peer has its own node
# netns with identical pods, so no peer's NAT or conntrack touches another's
# path.  One kp-connbench process measures every peer in lockstep,
# connection by connection, so all see the same moments of a noisy VM.
# Prints "BENCH peer=... services=... round=... median_us=... p99_us=... conn_per_s=...",
# "BENCH-PROGRAM peer=... services=... rep=... ms=..." (peer=kplane-daemon:
# kplane's transaction timed inside its process) and "BENCH-ADD1 peer=... services=... ms=...".
. /scenarios/lib.sh

SIZES=${BENCH_SIZES:-1 1000 10000 100000}
ROUNDS=${BENCH_ROUNDS:-3}
CONNS=${BENCH_CONNS:-200}
PEERS="kp ipt ipvs nft"
# Peers too slow to program beyond 10k services here are left out above
# SLOW_MAX: nft -f of kube-proxy's shape took 278-293 s for 10k; IPVS's VIPs
# on one dummy device (ip addr add scans the device's addresses) had not
# finished 100k after 10 minutes.
SLOW_MAX=${BENCH_SLOW_MAX:-10000}
PROGRAM_REPS=${BENCH_PROGRAM_REPS:-3}
PROGRAM_REPEAT_MS=${BENCH_PROGRAM_REPEAT_MS:-20000}

kp_load
for peer in floor $PEERS; do
	kp_calico_node node-$peer
	for n in 2 3 5; do kp_calico_pod node-$peer $n $peer-; done
	for n in 2 3; do ip netns exec $peer-pod$n kp-echo serve tcp 0.0.0.0 8080 web-$n & done
	# The clients leave thousands of TIME_WAIT sockets, to one VIP per size
	# (iptables, IPVS, nftables) or to the same two backends at every size
	# (kplane, which connects to the backend, and the floor): without reuse
	# the port search's cost would depend on that history, not on the peer.
	ip netns exec $peer-pod5 sysctl -qw net.ipv4.tcp_tw_reuse=1
done
ip -n node-ipvs link add kube-ipvs0 type dummy
kpctl node-kp node enable
sleep 0.5

# vip I BASE: the I-th service address (1-based): 10.BASE.0.0 + I, as kp-bulk
# numbers them (kplane 96; iptables 104, IPVS 108, nftables 112: apart).
vip() { local a=$(( ($2 << 16) + $1 )); echo "10.$(( a >> 16 )).$(( (a >> 8) & 255 )).$(( a & 255 ))"; }

# awk helper: the dotted address of 10.BASE.0.0 + i.
AWK_VIP='function vip(b, i,  a) { a = b * 65536 + i; return sprintf("10.%d.%d.%d", int(a / 65536), int(a / 256) % 256, a % 256) }'

# kube-proxy's nat rules for services FIRST..LAST of two endpoints each, as
# it writes them (FULL: the whole table; else chains to add with --noflush).
kube_proxy_rules() {
	awk -v first="$1" -v last="$2" -v full="$3" "$AWK_VIP"'
	BEGIN {
		print "*nat"
		if (full) {
			print ":PREROUTING ACCEPT [0:0]"; print ":OUTPUT ACCEPT [0:0]"
			print ":POSTROUTING ACCEPT [0:0]"; print ":KUBE-SERVICES - [0:0]"
		}
		for (i = first; i <= last; i++)
			printf ":KUBE-SVC-%016X - [0:0]\n:KUBE-SEP-%016X - [0:0]\n:KUBE-SEP-%016X - [0:0]\n", i, 2*i, 2*i+1
		if (full) {
			print "-A PREROUTING -m comment --comment \"kubernetes service portals\" -j KUBE-SERVICES"
			print "-A OUTPUT -m comment --comment \"kubernetes service portals\" -j KUBE-SERVICES"
		}
		for (i = first; i <= last; i++) {
			printf "-A KUBE-SERVICES -d %s/32 -p tcp -m comment --comment \"bench/svc-%d cluster IP\" -m tcp --dport 80 -j KUBE-SVC-%016X\n", vip(104, i), i, i
			printf "-A KUBE-SVC-%016X -m comment --comment \"bench/svc-%d\" -m statistic --mode random --probability 0.50000000000 -j KUBE-SEP-%016X\n", i, i, 2*i
			printf "-A KUBE-SVC-%016X -m comment --comment \"bench/svc-%d\" -j KUBE-SEP-%016X\n", i, i, 2*i+1
			printf "-A KUBE-SEP-%016X -p tcp -m comment --comment \"bench/svc-%d\" -m tcp -j DNAT --to-destination 10.244.1.2:8080\n", 2*i, i
			printf "-A KUBE-SEP-%016X -p tcp -m comment --comment \"bench/svc-%d\" -m tcp -j DNAT --to-destination 10.244.1.3:8080\n", 2*i+1, i
		}
		print "COMMIT"
	}'
}

# kube-proxy's IPVS mode: a virtual server per service (round robin, masq)
# and the VIP on kube-ipvs0, for services FIRST..LAST.
ipvs_rules() {
	awk -v first="$1" -v last="$2" "$AWK_VIP"'
	BEGIN {
		for (i = first; i <= last; i++) {
			v = vip(108, i)
			printf "-A -t %s:80 -s rr\n-a -t %s:80 -r 10.244.1.2:8080 -m -w 1\n-a -t %s:80 -r 10.244.1.3:8080 -m -w 1\n", v, v, v
		}
	}'
}
ipvs_addrs() {
	awk -v first="$1" -v last="$2" "$AWK_VIP"'
	BEGIN { for (i = first; i <= last; i++) printf "address add %s/32 dev kube-ipvs0\n", vip(108, i) }'
}

# kube-proxy's nftables mode: a verdict map from address . proto . port to a
# per-service chain that picks an endpoint chain with numgen.  FULL: the
# whole table; else additions.
nft_rules() {
	awk -v first="$1" -v last="$2" -v full="$3" "$AWK_VIP"'
	BEGIN {
		if (full) {
			print "table ip kube-proxy {"
			print "  map service-ips { type ipv4_addr . inet_proto . inet_service : verdict; }"
			print "  chain services { ip daddr . meta l4proto . th dport vmap @service-ips; }"
			print "  chain nat-prerouting { type nat hook prerouting priority dstnat; policy accept; jump services; }"
			print "  chain nat-output { type nat hook output priority -100; policy accept; jump services; }"
			print "}"
		}
		for (i = first; i <= last; i++) {
			printf "add chain ip kube-proxy endpoint-%da\nadd rule ip kube-proxy endpoint-%da meta l4proto tcp dnat to 10.244.1.2:8080\n", i, i
			printf "add chain ip kube-proxy endpoint-%db\nadd rule ip kube-proxy endpoint-%db meta l4proto tcp dnat to 10.244.1.3:8080\n", i, i
			printf "add chain ip kube-proxy service-%d\nadd rule ip kube-proxy service-%d numgen random mod 2 vmap { 0 : goto endpoint-%da, 1 : goto endpoint-%db }\n", i, i, i, i
			printf "add element ip kube-proxy service-ips { %s . tcp . 80 : goto service-%d }\n", vip(112, i), i
		}
	}'
}

ms() { local t=${EPOCHREALTIME/./}; echo $(( t / 1000 )); }

measure() {	# measure SIZE ROUND PEER...: every peer (and the floor) in lockstep
	local s=$1 r=$2 targets=(floor=floor-pod5/10.244.1.2+10.244.1.3:8080) peer line
	shift 2
	for peer; do targets+=("${NAME[$peer]}=$peer-pod5/$(vip "$s" "${BASE[$peer]}"):80"); done
	kp-connbench "$CONNS" "${targets[@]}" >/tmp/connbench || { kp_not_ok "bench at $s: connect failed"; return; }
	while read -r label stats; do
		echo "BENCH peer=${label#target=} services=$s round=$r $stats"
	done </tmp/connbench
}

clear() {	# clear PEER: no services, inputs for SIZE written (not timed)
	case $1 in
	kp)
		kpctl node-kp node disable; kpctl node-kp node enable
		for n in 2 3 5; do kpctl node-kp endpoint add pod$n dev veth$n netns /run/netns/kp-pod$n; done ;;
	ipt) kube_proxy_rules 1 "$2" 1 >/tmp/rules ;;
	ipvs)
		ip netns exec node-ipvs ipvsadm -C; ip -n node-ipvs address flush dev kube-ipvs0
		ipvs_addrs 1 "$2" >/tmp/addrs; ipvs_rules 1 "$2" >/tmp/ipvs ;;
	nft)
		ip netns exec node-nft nft delete table ip kube-proxy 2>/dev/null
		nft_rules 1 "$2" 1 >/tmp/nft ;;
	esac
}

program() {	# program PEER SIZE: S services at once, timed
	case $1 in
	kp) ip netns exec node-kp kp-bulk services-batch "$2" >/tmp/kp-bulk.out ;;
	ipt) ip netns exec node-ipt iptables-legacy-restore </tmp/rules ;;
	ipvs) ip -n node-ipvs -batch /tmp/addrs && ip netns exec node-ipvs ipvsadm -R </tmp/ipvs ;;
	nft) ip netns exec node-nft nft -f /tmp/nft ;;
	esac
}

add_one() {	# add_one PEER SIZE: service SIZE+1, the way each peer does it
	local i=$(( $2 + 1 ))
	case $1 in
	kp)
		kpctl node-kp service set "$(vip $i 96)":80/tcp backend 10.244.1.2:8080 \
			backend 10.244.1.3:8080 ;;
	ipt)
		kube_proxy_rules $i $i 0 >/tmp/rules1
		ip netns exec node-ipt iptables-legacy-restore --noflush </tmp/rules1 ;;
	ipvs)
		ip -n node-ipvs address add "$(vip $i 108)"/32 dev kube-ipvs0
		ipvs_rules $i $i >/tmp/ipvs1
		ip netns exec node-ipvs ipvsadm -R </tmp/ipvs1 ;;
	nft)
		nft_rules $i $i 0 >/tmp/nft1
		ip netns exec node-nft nft -f /tmp/nft1 ;;
	esac
}

declare -A NAME=([kp]=kplane [ipt]=iptables [ipvs]=ipvs [nft]=nftables)
declare -A BASE=([kp]=96 [ipt]=104 [ipvs]=108 [nft]=112)

for s in $SIZES; do
	peers=$PEERS
	if [ "$s" -gt "$SLOW_MAX" ]; then
		peers="kp ipt"
		echo "BENCH-SKIP peer=ipvs services=$s"
		echo "BENCH-SKIP peer=nftables services=$s"
	fi
	# Programming is timed PROGRAM_REPS times, the peers interleaved; a
	# peer whose one sample took over PROGRAM_REPEAT_MS is not repeated
	# (nft -f at 10k, iptables-restore at 100k: minutes each).
	declare -A slow=()
	for rep in $(seq "$PROGRAM_REPS"); do
		for peer in $peers; do
			[ -z "${slow[$peer]:-}" ] || continue
			clear $peer "$s"
			t=$(ms); program $peer "$s" || kp_not_ok "${NAME[$peer]}: program $s services"
			t=$(( $(ms) - t ))
			echo "BENCH-PROGRAM peer=${NAME[$peer]} services=$s rep=$rep ms=$t"
			[ "$t" -le "$PROGRAM_REPEAT_MS" ] || slow[$peer]=1
			# A daemon (kplaned) holds its socket: the same transaction timed
			# inside the process, without exec and netns entry.
			if [ $peer = kp ]; then
				echo "BENCH-PROGRAM peer=kplane-daemon services=$s rep=$rep ms=$(
					sed -n 's/.* in \([0-9]*\) ms (.*/\1/p' /tmp/kp-bulk.out)"
			fi
		done
	done
	unset slow
	for r in $(seq "$ROUNDS"); do
		measure "$s" "$r" $peers
	done
	for peer in $peers; do
		t=$(ms); add_one $peer "$s" || kp_not_ok "${NAME[$peer]}: add one at $s"
		echo "BENCH-ADD1 peer=${NAME[$peer]} services=$s ms=$(( $(ms) - t ))"
	done
	kp_ok "bench at $s services"
done
kill $(jobs -p) 2>/dev/null
kp_done

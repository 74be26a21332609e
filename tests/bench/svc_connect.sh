#!/usr/bin/env bash
# Guest side of `make bench` (services): connect() latency from a pod to a
# ClusterIP with S services installed, through kplane and through
# kube-proxy-style iptables (legacy, linear KUBE-SERVICES), beside a direct
# connect to the backend (the floor); and the time to program S services.
# Each peer has its own node netns with identical pods, so iptables' NAT and
# conntrack never touch kplane's path.  Rounds interleave the peers.
# Prints "BENCH peer=… services=… round=… median_us=… p99_us=… conn_per_s=…"
# and "BENCH-PROGRAM peer=… services=… ms=…".
. /scenarios/lib.sh

SIZES=${BENCH_SIZES:-1 1000 10000 100000}
ROUNDS=${BENCH_ROUNDS:-3}
CONNS=${BENCH_CONNS:-200}

kp_load
for peer in kp ipt; do
	kp_calico_node node-$peer
	for n in 2 3 5; do kp_calico_pod node-$peer $n $peer-; done
	for n in 2 3; do ip netns exec $peer-pod$n kp-echo serve tcp 0.0.0.0 8080 web-$n & done
done
kpctl node-kp node enable
for n in 2 3 5; do kpctl node-kp endpoint add pod$n dev veth$n netns /run/netns/kp-pod$n; done
sleep 0.5

# vip I BASE: the I-th service address (1-based): 10.BASE.0.0 + I, as kp-bulk
# numbers them (kplane: BASE 96; iptables: BASE 104, clear of kplane's range).
vip() { local a=$(( ($2 << 16) + $1 )); echo "10.$(( a >> 16 )).$(( (a >> 8) & 255 )).$(( a & 255 ))"; }

# kube-proxy's nat rules for S services of two endpoints each, as it writes them.
kube_proxy_rules() {
	awk -v s="$1" 'BEGIN {
		print "*nat"
		print ":PREROUTING ACCEPT [0:0]"; print ":OUTPUT ACCEPT [0:0]"
		print ":POSTROUTING ACCEPT [0:0]"; print ":KUBE-SERVICES - [0:0]"
		for (i = 1; i <= s; i++)
			printf ":KUBE-SVC-%016X - [0:0]\n:KUBE-SEP-%016X - [0:0]\n:KUBE-SEP-%016X - [0:0]\n", i, 2*i, 2*i+1
		print "-A PREROUTING -m comment --comment \"kubernetes service portals\" -j KUBE-SERVICES"
		print "-A OUTPUT -m comment --comment \"kubernetes service portals\" -j KUBE-SERVICES"
		for (i = 1; i <= s; i++) {
			a = 104 * 65536 + i
			printf "-A KUBE-SERVICES -d 10.%d.%d.%d/32 -p tcp -m comment --comment \"bench/svc-%d cluster IP\" -m tcp --dport 80 -j KUBE-SVC-%016X\n", int(a / 65536), int(a / 256) % 256, a % 256, i, i
			printf "-A KUBE-SVC-%016X -m comment --comment \"bench/svc-%d\" -m statistic --mode random --probability 0.50000000000 -j KUBE-SEP-%016X\n", i, i, 2*i
			printf "-A KUBE-SVC-%016X -m comment --comment \"bench/svc-%d\" -j KUBE-SEP-%016X\n", i, i, 2*i+1
			printf "-A KUBE-SEP-%016X -p tcp -m comment --comment \"bench/svc-%d\" -m tcp -j DNAT --to-destination 10.244.1.2:8080\n", 2*i, i
			printf "-A KUBE-SEP-%016X -p tcp -m comment --comment \"bench/svc-%d\" -m tcp -j DNAT --to-destination 10.244.1.3:8080\n", 2*i+1, i
		}
		print "COMMIT"
	}'
}

ms() { local t=${EPOCHREALTIME/./}; echo $(( t / 1000 )); }

measure() {	# measure PEER NETNS ADDR PORT SIZE ROUND
	local out
	out=$(ip netns exec "$2" kp-connbench "$3" "$4" "$CONNS") || { kp_not_ok "bench $1 $5: connect failed"; return; }
	echo "BENCH peer=$1 services=$5 round=$6 $out"
}

for s in $SIZES; do
	# Program both peers from scratch.
	kpctl node-kp node disable; kpctl node-kp node enable
	for n in 2 3 5; do kpctl node-kp endpoint add pod$n dev veth$n netns /run/netns/kp-pod$n; done
	t=$(ms); out=$(ip netns exec node-kp kp-bulk services "$s") || kp_not_ok "kplane: program $s services"
	echo "BENCH-PROGRAM peer=kplane services=$s ms=$(( $(ms) - t ))"
	kube_proxy_rules "$s" >/tmp/rules
	t=$(ms); ip netns exec node-ipt iptables-legacy-restore </tmp/rules || kp_not_ok "iptables: program $s services"
	echo "BENCH-PROGRAM peer=iptables services=$s ms=$(( $(ms) - t ))"
	last_kp=$(vip "$s" 96)
	last_ipt=$(vip "$s" 104)
	for r in $(seq "$ROUNDS"); do
		measure floor kp-pod5 10.244.1.2 8080 "$s" "$r"
		measure kplane kp-pod5 "$last_kp" 80 "$s" "$r"
		measure iptables ipt-pod5 "$last_ipt" 80 "$s" "$r"
	done
	kp_ok "bench at $s services"
done
kill $(jobs -p) 2>/dev/null
kp_done

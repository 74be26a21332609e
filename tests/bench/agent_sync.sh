#!/usr/bin/env bash
# Guest side of `make bench` (agent): kplaned programming a node from a
# state directory of Kubernetes objects, beside kube-proxy's own backends
# loading the same services: iptables-restore of its iptables-mode ruleset
# and nft -f of its nftables-mode ruleset.  For each shape SxE (S services
# of E endpoints):
#   - kplaned: start to a fully programmed kernel (its "node programmed N ms
#     after start"), its peak RSS (VmHWM), and the time one EndpointSlice
#     change takes from the file's write to the commit (its "N ms after the
#     change"), over CHANGES changes: p50 and p99;
#   - the peers: time to load the whole ruleset (rounds as given).
# Prints "BENCH-AGENT peer=... services=... endpoints=... ms=... [rss_mib=...]"
# and "BENCH-AGENT-CHANGE services=... endpoints=... n=... p50_ms=... p99_ms=...".
. /scenarios/lib.sh

SHAPES=${BENCH_SHAPES:-10000x10 100000x1}
CHANGES=${BENCH_CHANGES:-100}
SLOW_MAX=${BENCH_SLOW_MAX:-10000}	# nft -f of kube-proxy's shape: minutes beyond 10k

kp_load
for peer in kp ipt nft; do kp_calico_node node-$peer; done
kpctl node-kp node enable

ms() { local t=${EPOCHREALTIME/./}; echo $(( t / 1000 )); }

# objects S E: the Services and EndpointSlices of S services of E endpoints
# (service i at 10.96.0.0 + i, endpoints at 10.128.0.0 + ...), service 1's
# slice left out (it goes in change.yaml).
objects() {
	awk -v S="$1" -v E="$2" '
	function ip(b, i) { return sprintf("10.%d.%d.%d", b + int(i / 65536), int(i / 256) % 256, i % 256) }
	BEGIN {
		for (i = 1; i <= S; i++) {
			printf "---\nkind: Service\nmetadata: {name: svc-%d, namespace: bench}\n", i
			printf "spec: {clusterIP: %s, ports: [{name: http, port: 80, targetPort: 8080}]}\n", ip(96, i)
			if (i == 1)
				continue
			printf "---\nkind: EndpointSlice\nmetadata: {name: svc-%d-a, namespace: bench, ", i
			printf "labels: {kubernetes.io/service-name: svc-%d}}\naddressType: IPv4\n", i
			printf "ports: [{name: http, port: 8080}]\nendpoints:\n"
			for (e = 0; e < E; e++)
				printf "- {addresses: [%s], nodeName: node%d}\n", ip(128, (i * E + e) % 4000000), e % 5
		}
	}'
}
# change N: service 1's slice, its endpoint moved to 10.200.0.N.
change() {
	printf -- '---\nkind: EndpointSlice\nmetadata: {name: svc-1-a, namespace: bench, labels: '
	printf '{kubernetes.io/service-name: svc-1}}\naddressType: IPv4\nports: [{name: http, port: 8080}]\n'
	printf 'endpoints: [{addresses: [10.200.%d.%d]}]\n' $(( $1 / 256 )) $(( $1 % 256 + 1 ))
}

# kube-proxy's iptables-mode nat table for S services of E endpoints.
ipt_rules() {
	awk -v S="$1" -v E="$2" '
	function ip(b, i) { return sprintf("10.%d.%d.%d", b + int(i / 65536), int(i / 256) % 256, i % 256) }
	BEGIN {
		print "*nat"; print ":PREROUTING ACCEPT [0:0]"; print ":OUTPUT ACCEPT [0:0]"
		print ":POSTROUTING ACCEPT [0:0]"; print ":KUBE-SERVICES - [0:0]"
		for (i = 1; i <= S; i++) {
			printf ":KUBE-SVC-%016X - [0:0]\n", i
			for (e = 0; e < E; e++)
				printf ":KUBE-SEP-%016X - [0:0]\n", i * E + e
		}
		print "-A PREROUTING -m comment --comment \"kubernetes service portals\" -j KUBE-SERVICES"
		print "-A OUTPUT -m comment --comment \"kubernetes service portals\" -j KUBE-SERVICES"
		for (i = 1; i <= S; i++) {
			printf "-A KUBE-SERVICES -d %s/32 -p tcp -m comment --comment \"bench/svc-%d:http cluster IP\" -m tcp --dport 80 -j KUBE-SVC-%016X\n", ip(96, i), i, i
			for (e = 0; e < E; e++) {
				if (e < E - 1)
					printf "-A KUBE-SVC-%016X -m comment --comment \"bench/svc-%d:http\" -m statistic --mode random --probability %.11f -j KUBE-SEP-%016X\n", i, i, 1 / (E - e), i * E + e
				else
					printf "-A KUBE-SVC-%016X -m comment --comment \"bench/svc-%d:http\" -j KUBE-SEP-%016X\n", i, i, i * E + e
				printf "-A KUBE-SEP-%016X -p tcp -m comment --comment \"bench/svc-%d:http\" -m tcp -j DNAT --to-destination %s:8080\n", i * E + e, i, ip(128, (i * E + e) % 4000000)
			}
		}
		print "COMMIT"
	}'
}

# kube-proxy's nftables-mode table for S services of E endpoints.
nft_rules() {
	awk -v S="$1" -v E="$2" '
	function ip(b, i) { return sprintf("10.%d.%d.%d", b + int(i / 65536), int(i / 256) % 256, i % 256) }
	BEGIN {
		print "table ip kube-proxy {"
		print "  map service-ips { type ipv4_addr . inet_proto . inet_service : verdict; }"
		print "  chain services { ip daddr . meta l4proto . th dport vmap @service-ips; }"
		print "  chain nat-prerouting { type nat hook prerouting priority dstnat; policy accept; jump services; }"
		print "  chain nat-output { type nat hook output priority -100; policy accept; jump services; }"
		print "}"
		for (i = 1; i <= S; i++) {
			m = ""
			for (e = 0; e < E; e++) {
				printf "add chain ip kube-proxy endpoint-%d-%d\nadd rule ip kube-proxy endpoint-%d-%d meta l4proto tcp dnat to %s:8080\n", i, e, i, e, ip(128, (i * E + e) % 4000000)
				m = m sprintf("%s%d : goto endpoint-%d-%d", e ? ", " : "", e, i, e)
			}
			printf "add chain ip kube-proxy service-%d\nadd rule ip kube-proxy service-%d numgen random mod %d vmap { %s }\n", i, i, E, m
			printf "add element ip kube-proxy service-ips { %s . tcp . 80 : goto service-%d }\n", ip(96, i), i
		}
	}'
}

# The n-th percentile (1..100) of the numbers on stdin.
pct() { sort -n | awk -v p="$1" '{ v[NR] = $1 } END { i = int((NR * p + 99) / 100); if (i < 1) i = 1; print v[i] }'; }

kplaned_sync() {	# kplaned_sync S E
	local S=$1 E=$2 pid log=/tmp/kplaned-$1x$2.log t n i before lat
	rm -rf /tmp/state && mkdir -p /tmp/state
	objects "$S" "$E" >/tmp/state/services.yaml
	change 0 >/tmp/state/change.yaml
	kpctl node-kp node disable
	kpctl node-kp node enable
	ip netns exec node-kp kplaned -d /tmp/state -N node1 -m 0 -s 3600 -l 127.0.0.1:9099 \
		-v info >"$log" 2>&1 &
	pid=$!
	for i in $(seq 6000); do
		grep -q 'node programmed' "$log" && break
		kill -0 $pid 2>/dev/null || break
		sleep 0.1
	done
	t=$(sed -n 's/.*node programmed \([0-9]*\) ms after start.*/\1/p' "$log")
	echo "BENCH-AGENT peer=kplaned services=$S endpoints=$E ms=${t:-fail}" \
	     "rss_mib=$(( $(awk '/VmHWM/ { print $2 }' /proc/$pid/status) / 1024 ))"
	# Where the start went: reading, the first sync, the kernel.
	grep -E 'listed|full sync|programmed' "$log" | sed 's/^/BENCH-AGENT-LOG /'
	for n in $(seq "$CHANGES"); do
		before=$(grep -c 'after the change' "$log")
		change "$n" >/tmp/state/.change.tmp && mv /tmp/state/.change.tmp /tmp/state/change.yaml
		for i in $(seq 200); do
			[ "$(grep -c 'after the change' "$log")" -gt "$before" ] && break
			sleep 0.02
		done
	done
	# The changes after the first sync (which waited for the whole listing).
	lat=$(sed -n '/node programmed/,$ s/.*, \([0-9.]*\) ms after the change.*/\1/p' "$log")
	echo "BENCH-AGENT-CHANGE services=$S endpoints=$E n=$(wc -l <<<"$lat")" \
	     "p50_ms=$(pct 50 <<<"$lat") p99_ms=$(pct 99 <<<"$lat")" \
	     "rss_mib=$(( $(awk '/VmHWM/ { print $2 }' /proc/$pid/status) / 1024 ))"
	kill -TERM $pid
	wait $pid
	grep -E 'error|refused' "$log" | head -5
}

peer_load() {	# peer_load S E
	local S=$1 E=$2 t0 t1
	ipt_rules "$S" "$E" >/tmp/ipt.rules
	t0=$(ms)
	ip netns exec node-ipt iptables-legacy-restore </tmp/ipt.rules
	t1=$(ms)
	echo "BENCH-AGENT peer=iptables-restore services=$S endpoints=$E ms=$(( t1 - t0 ))"
	ip netns exec node-ipt iptables-legacy -t nat -F
	ip netns exec node-ipt iptables-legacy -t nat -X
	[ "$S" -le "$SLOW_MAX" ] || return 0
	nft_rules "$S" "$E" >/tmp/nft.rules
	t0=$(ms)
	ip netns exec node-nft nft -f /tmp/nft.rules
	t1=$(ms)
	echo "BENCH-AGENT peer=nft services=$S endpoints=$E ms=$(( t1 - t0 ))"
	ip netns exec node-nft nft delete table ip kube-proxy
}

for shape in $SHAPES; do
	kplaned_sync "${shape%x*}" "${shape#*x}"
	peer_load "${shape%x*}" "${shape#*x}"
done
kp_ok "agent bench ran"
kp_done

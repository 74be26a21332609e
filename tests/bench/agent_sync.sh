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
#   - the same from etcd (Debian's etcd-server in the node's netns, the
#     objects as JSON under /kplane/v1/, put in transactions of 10k keys).
# Prints "BENCH-AGENT peer=... services=... endpoints=... ms=... [rss_mib=...]"
# and "BENCH-AGENT-CHANGE source=... services=... endpoints=... n=... p50_ms=...
# p99_ms=...".
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

# kplaned_run SOURCE S E: kplaned from SOURCE (files or etcd, its objects in
# place), timed to a programmed node, then through CHANGES changes of svc-1's slice.
kplaned_run() {
	local src=$1 S=$2 E=$3 pid log=/tmp/kplaned-$1-$2x$3.log t n i before lat peer=kplaned
	local from=(-d /tmp/state)

	[ "$src" = etcd ] && from=(-d "" -e "$ETCD") peer=kplaned-etcd
	kpctl node-kp node disable
	kpctl node-kp node enable
	ip netns exec node-kp kplaned "${from[@]}" -N node1 -m 0 -s 3600 -l 127.0.0.1:9099 \
		-v info >"$log" 2>&1 &
	pid=$!
	for i in $(seq 6000); do
		grep -q 'node programmed' "$log" && break
		kill -0 $pid 2>/dev/null || break
		sleep 0.1
	done
	t=$(sed -n 's/.*node programmed \([0-9]*\) ms after start.*/\1/p' "$log")
	echo "BENCH-AGENT peer=$peer services=$S endpoints=$E ms=${t:-fail}" \
	     "rss_mib=$(( $(awk '/VmHWM/ { print $2 }' /proc/$pid/status) / 1024 ))"
	# Where the start went: reading, the first sync, the kernel.
	grep -E 'listed|etcd: read|full sync|programmed' "$log" | sed 's/^/BENCH-AGENT-LOG /'
	for n in $(seq "$CHANGES"); do
		before=$(grep -c 'after the change' "$log")
		"change_$src" "$n"
		for i in $(seq 200); do
			[ "$(grep -c 'after the change' "$log")" -gt "$before" ] && break
			sleep 0.02
		done
	done
	# The changes after the first sync (which waited for the whole listing).
	lat=$(sed -n '/node programmed/,$ s/.*, \([0-9.]*\) ms after the change.*/\1/p' "$log")
	echo "BENCH-AGENT-CHANGE source=$src services=$S endpoints=$E n=$(wc -l <<<"$lat")" \
	     "p50_ms=$(pct 50 <<<"$lat") p99_ms=$(pct 99 <<<"$lat")" \
	     "rss_mib=$(( $(awk '/VmHWM/ { print $2 }' /proc/$pid/status) / 1024 ))"
	kill -TERM $pid
	wait $pid
	grep -E 'error|refused' "$log" | head -5
}

change_files() {
	change "$1" >/tmp/state/.change.tmp && mv /tmp/state/.change.tmp /tmp/state/change.yaml
}

kplaned_files() {	# kplaned_files S E
	rm -rf /tmp/state && mkdir -p /tmp/state
	objects "$1" "$2" >/tmp/state/services.yaml
	change 0 >/tmp/state/change.yaml
	kplaned_run files "$1" "$2"
	rm -rf /tmp/state
}

# --- etcd: one member in the node's netns, on loopback ---
ETCD=http://127.0.0.1:2379
etcd_start() {
	rm -rf /tmp/etcd
	ip netns exec node-kp etcd --name bench --data-dir /tmp/etcd \
		--listen-client-urls $ETCD --advertise-client-urls $ETCD \
		--listen-peer-urls http://127.0.0.1:2380 \
		--initial-advertise-peer-urls http://127.0.0.1:2380 \
		--initial-cluster bench=http://127.0.0.1:2380 --max-txn-ops 10000 \
		--max-request-bytes 33554432 --quota-backend-bytes 8589934592 >/tmp/etcd.log 2>&1 &
	etcd_pid=$!
	for _ in $(seq 300); do
		ip netns exec node-kp busybox wget -q -O /dev/null $ETCD/health 2>/dev/null && return
		sleep 0.2
	done
	echo "BENCH-AGENT etcd did not start"
}
etcd_stop() { kill $etcd_pid; wait $etcd_pid 2>/dev/null; rm -rf /tmp/etcd; }
etcd_post() {	# etcd_post PATH FILE
	ip netns exec node-kp busybox wget -q -O /dev/null --post-file "$2" "$ETCD$1"
}

# json S E: "KEY VALUE" lines, the objects of objects() as etcd holds them.
json() {
	awk -v S="$1" -v E="$2" '
	function ip(b, i) { return sprintf("10.%d.%d.%d", b + int(i / 65536), int(i / 256) % 256, i % 256) }
	BEGIN {
		for (i = 1; i <= S; i++) {
			printf "/kplane/v1/Service/bench/svc-%d {\"kind\":\"Service\",\"metadata\":", i
			printf "{\"name\":\"svc-%d\",\"namespace\":\"bench\"},\"spec\":{\"clusterIP\":", i
			printf "\"%s\",\"ports\":[{\"name\":\"http\",\"port\":80,\"targetPort\":8080}]}}\n", ip(96, i)
			if (i == 1)
				continue
			printf "/kplane/v1/EndpointSlice/bench/svc-%d-a {\"kind\":\"EndpointSlice\",", i
			printf "\"metadata\":{\"name\":\"svc-%d-a\",\"namespace\":\"bench\",\"labels\":", i
			printf "{\"kubernetes.io/service-name\":\"svc-%d\"}},\"addressType\":\"IPv4\",", i
			printf "\"ports\":[{\"name\":\"http\",\"port\":8080}],\"endpoints\":["
			for (e = 0; e < E; e++)
				printf "%s{\"addresses\":[\"%s\"],\"nodeName\":\"node%d\"}", e ? "," : "",
					ip(128, (i * E + e) % 4000000), e % 5
			printf "]}\n"
		}
	}'
}

# etcd_load S E: every key put, 10k to a transaction.  base64 of fixed-width
# fields (keys padded with "_", values with spaces, to a multiple of 3
# bytes) is the lines of one base64 -w run: no per-key process.
etcd_load() {
	local kw=96 vw n f pad
	# the key (field 1) or the value (field 2) of each line, padded to w bytes
	pad='BEGIN { while (length(fill) < w) fill = fill pad }
	{ i = index($0, " "); v = field == 1 ? substr($0, 1, i - 1) : substr($0, i + 1)
	  printf "%s%s", v, substr(fill, 1, w - length(v)) }'
	json "$1" "$2" >/tmp/kv
	vw=$(awk '{ l = length($0) - index($0, " "); if (l > m) m = l } END { print int((m + 2) / 3) * 3 }' /tmp/kv)
	awk -v w=$kw -v pad=_ -v field=1 "$pad" /tmp/kv | busybox base64 -w $((kw / 3 * 4)) >/tmp/k64
	awk -v w="$vw" -v pad=' ' -v field=2 "$pad" /tmp/kv | busybox base64 -w $((vw / 3 * 4)) >/tmp/v64
	rm -f /tmp/kv /tmp/txn.*
	paste -d ' ' /tmp/k64 /tmp/v64 | awk '
		NR % 10000 == 1 { if (f) print "]}" >f; f = sprintf("/tmp/txn.%05d", NR); printf "{\"success\":[" >f; n = 0 }
		{ printf "%s{\"requestPut\":{\"key\":\"%s\",\"value\":\"%s\"}}", n++ ? "," : "", $1, $2 >f }
		END { if (f) print "]}" >f }'
	rm -f /tmp/k64 /tmp/v64
	n=0
	for f in /tmp/txn.*; do etcd_post /v3/kv/txn "$f" && n=$((n + 1)); rm -f "$f"; done
	echo "BENCH-AGENT-LOG etcd: $n transactions of at most 10000 puts"
}

change_etcd() {
	local v
	v=$(change "$1" | sed 1d | busybox base64 -w0)
	ip netns exec node-kp busybox wget -q -O /dev/null --post-data \
		"{\"key\":\"$(printf /kplane/v1/EndpointSlice/bench/svc-1-a | busybox base64 -w0)\",\"value\":\"$v\"}" \
		$ETCD/v3/kv/put
}

kplaned_etcd() {	# kplaned_etcd S E
	etcd_start
	etcd_load "$1" "$2"
	change_etcd 0
	kplaned_run etcd "$1" "$2"
	etcd_stop
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
	kplaned_files "${shape%x*}" "${shape#*x}"
	kplaned_etcd "${shape%x*}" "${shape#*x}"
	peer_load "${shape%x*}" "${shape#*x}"
done
kp_ok "agent bench ran"
kp_done

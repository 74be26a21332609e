#!/usr/bin/env bash
# kplaned from etcd (Debian's etcd-server): two nodes, each with its own
# kplaned, share one etcd.  A change reaches both; a bad value is skipped
# and named by its key; etcd going away leaves both kernels as they were
# (not ready); a watch that resumes after etcd came back with its history
# compacted lists again and converges; a restart writes nothing.
#
#   store (etcd 10.0.81.1, 10.0.82.1) --s1-- node1 (pods 2, 3, 4, 5)
#                                     --s2-- node2
. /scenarios/lib.sh

kp_load
kp_calico_node node1
for n in 2 3 4 5; do kp_calico_pod node1 $n; done
kpctl node1 node enable
kp_calico_node node2
kpctl node2 node enable
ip netns add store
ip -n store link set lo up
kp_link store s1 node1 e1 10.0.81 fd00:81
kp_link store s2 node2 e2 10.0.82 fd00:82
for n in 2 3 4; do
	ip netns exec pod$n kp-echo serve tcp 0.0.0.0 8080 web-$n &
done

# etcd_start [CLIENT_ADDR]: etcd in the store netns, serving CLIENT_ADDR
# (default every address), on a data directory that outlives it.
etcd_start() {
	ip netns exec store etcd --name store --data-dir /tmp/etcd \
		--listen-client-urls "http://${1:-0.0.0.0}:2379" \
		--advertise-client-urls http://10.0.81.1:2379 \
		--listen-peer-urls http://127.0.0.1:2380 \
		--initial-advertise-peer-urls http://127.0.0.1:2380 \
		--initial-cluster store=http://127.0.0.1:2380 >>/tmp/etcd.log 2>&1 &
	etcd_pid=$!
	for _ in $(seq 150); do
		ip netns exec store busybox wget -q -O /dev/null http://127.0.0.1:2379/health \
			2>/dev/null && return 0
		sleep 0.2
	done
	return 1
}
etcd_stop() {
	kill $etcd_pid
	wait $etcd_pid 2>/dev/null
}
# etcd_api PATH JSON: a request to etcd's v3 JSON gateway; prints the reply.
etcd_api() {
	ip netns exec store busybox wget -q -O - --post-data "$2" "http://127.0.0.1:2379$1"
}
b64() { printf '%s' "$1" | busybox base64 -w0; }
# etcd_put KEY VALUE / etcd_del KEY
etcd_put() {
	etcd_api /v3/kv/put "{\"key\":\"$(b64 "$1")\",\"value\":\"$(b64 "$2")\"}" >/dev/null
}
etcd_del() {
	etcd_api /v3/kv/deleterange "{\"key\":\"$(b64 "$1")\"}" >/dev/null
}
etcd_rev() {
	etcd_api /v3/kv/range "{\"key\":\"$(b64 /)\"}" | sed 's/.*"revision":"\([0-9]*\)".*/\1/'
}
slice() {
	local eps="" ip
	for ip in "$@"; do eps="$eps${eps:+,}{\"addresses\":[\"$ip\"],\"nodeName\":\"node1\"}"; done
	printf '{"apiVersion":"discovery.k8s.io/v1","kind":"EndpointSlice","metadata":{"name":"web-1","namespace":"default","labels":{"kubernetes.io/service-name":"web"}},"addressType":"IPv4","ports":[{"name":"http","port":8080,"protocol":"TCP"}],"endpoints":[%s]}' "$eps"
}
P=/kplane/v1
kplaned_start() {
	ip netns exec "$1" kplaned -d "" -e "http://$2:2379" -N "$1" -m 100 -v debug \
		>>"/tmp/kplaned-$1.log" 2>&1 &
	eval "kpd_$1=\$!"
}
backends() {
	kpctl "$1" service show 10.96.0.10:80/tcp 2>/dev/null | awk '$1 == "backend" { print $2 }' |
		sort | tr '\n' ' '
}
has_backends() { [ "$(backends "$1")" = "$2" ]; }

kp_check "etcd starts" etcd_start
etcd_put $P/Service/default/web '{"apiVersion":"v1","kind":"Service","metadata":{"name":"web","namespace":"default"},"spec":{"clusterIP":"10.96.0.10","ports":[{"name":"http","port":80,"protocol":"TCP"}]}}'
etcd_put $P/EndpointSlice/default/web-1 "$(slice 10.244.1.2 10.244.1.3)"
etcd_put $P/Service/default/wide '{"kind":"Service","metadata":{"name":"wide","namespace":"default"},"spec":{"clusterIP":"10.96.0.21","ports":[{"port":70000}]}}'
etcd_put $P/Service/default/junk 'not: [json'
for n in 2 3 4 5; do
	etcd_put $P/WorkloadEndpoint/default/node1-k8s-pod$n-eth0 "{\"kind\":\"WorkloadEndpoint\",\"metadata\":{\"name\":\"node1-k8s-pod$n-eth0\",\"namespace\":\"default\"},\"spec\":{\"node\":\"node1\",\"pod\":\"pod$n\",\"interfaceName\":\"veth$n\",\"netns\":\"/run/netns/pod$n\",\"ipNetworks\":[\"10.244.1.$n/32\"]}}"
done
etcd_put /elsewhere/Service/x/y '{"kind":"Service","metadata":{"name":"y","namespace":"x"},"spec":{"clusterIP":"10.96.0.22","ports":[{"port":80}]}}'

kplaned_start node1 10.0.81.1
kplaned_start node2 10.0.82.1
kp_check "node1's kplaned lists etcd and turns ready" kp_ready node1 300
kp_check "node2's kplaned lists etcd and turns ready" kp_ready node2 300
kp_eq "node1's pods from etcd are its endpoints" "$(kpctl node1 endpoint list | awk 'NR > 1' | wc -l)" 4
kp_eq "and not node2's" "$(kpctl node2 endpoint list | awk 'NR > 1' | wc -l)" 0
for n in node1 node2; do
	kp_eq "$n: the service and its backends" "$(backends $n)" "10.244.1.2:8080 10.244.1.3:8080 "
	kp_eq "$n: nothing from outside the prefix" \
		"$(kpctl $n service list | grep -c 10.96.0.22)" 0
done
out=$(ip netns exec pod5 kp-echo connect tcp 10.96.0.10 80)
kp_check "a pod's connect reaches a backend [$out]" grep -Eq '^reply=web-[23] ' <<<"$out"
kp_check "a bad value is skipped and its key named" \
	grep -q "etcd key $P/Service/default/wide.*port is not 1-65535" /tmp/kplaned-node1.log
kp_check "and a value that is not JSON" \
	grep -q "etcd key $P/Service/default/junk.*syntax" /tmp/kplaned-node1.log
kp_eq "skips counted" "$(kp_metric node1 objects_skipped_total)" 2

etcd_put $P/EndpointSlice/default/web-1 "$(slice 10.244.1.2 10.244.1.3 10.244.1.4)"
kp_wait_for "a change reaches node1" has_backends node1 "10.244.1.2:8080 10.244.1.3:8080 10.244.1.4:8080 "
kp_wait_for "and node2" has_backends node2 "10.244.1.2:8080 10.244.1.3:8080 10.244.1.4:8080 "
etcd_del $P/Service/default/web
kp_wait_for "a deleted key deletes on node1" bash -c '! kplanectl -n node1 service show 10.96.0.10:80/tcp'
kp_wait_for "and on node2" bash -c '! kplanectl -n node2 service show 10.96.0.10:80/tcp'
etcd_put $P/Service/default/web '{"apiVersion":"v1","kind":"Service","metadata":{"name":"web","namespace":"default"},"spec":{"clusterIP":"10.96.0.10","ports":[{"name":"http","port":80,"protocol":"TCP"}]}}'
kp_wait_for "and a put brings it back" has_backends node1 "10.244.1.2:8080 10.244.1.3:8080 10.244.1.4:8080 "

# etcd down: the kernels stay, kplaned is not ready.
gen1=$(kpctl node1 --json status | grep -o '"generation":[0-9]*')
etcd_stop
kp_wait_for "etcd down: node1 not ready" bash -c '! ip netns exec node1 busybox wget -q -O /dev/null http://127.0.0.1:9099/readyz'
sleep 2
kp_eq "and its kernel as it was" "$(kpctl node1 --json status | grep -o '"generation":[0-9]*')" "$gen1"
out=$(ip netns exec pod5 kp-echo connect tcp 10.96.0.10 80)
kp_check "services still answer [$out]" grep -Eq '^reply=web-[234] ' <<<"$out"
kp_check "the outage is logged" grep -q "etcd: unreachable" /tmp/kplaned-node1.log

# While the nodes cannot reach it, etcd changes and compacts its history:
# their watches, resumed, find their revision gone and list again.
etcd_start 127.0.0.1
etcd_put $P/EndpointSlice/default/web-1 "$(slice 10.244.1.4)"
etcd_put $P/EndpointSlice/default/web-1 "$(slice 10.244.1.3)"
rev=$(etcd_rev)
etcd_api /v3/kv/compaction "{\"revision\":$rev}" >/dev/null
etcd_stop
etcd_start
kp_check "etcd back: node1 ready again" kp_ready node1 300
kp_wait_for "node1 converged after the compaction" has_backends node1 "10.244.1.3:8080 "
kp_wait_for "node2 too" has_backends node2 "10.244.1.3:8080 "
kp_check "by listing again" grep -q "cancelled (compacted" /tmp/kplaned-node1.log

# A restart writes nothing.
gen1=$(kpctl node1 --json status | grep -o '"generation":[0-9]*')
kill -TERM $kpd_node1
wait $kpd_node1
kplaned_start node1 10.0.81.1
kp_check "restarted kplaned is ready" kp_ready node1 300
kp_eq "and wrote nothing" "$(kp_metric node1 sync_proxy_rules_writes_total)" 0
kp_eq "the node's generation is unchanged" \
	"$(kpctl node1 --json status | grep -o '"generation":[0-9]*')" "$gen1"
kill -TERM $kpd_node1 $kpd_node2
wait $kpd_node1 $kpd_node2
for n in node1 node2; do
	echo "# kplaned on $n:"
	sed 's/^/#   /' /tmp/kplaned-$n.log
done
etcd_stop
kp_done

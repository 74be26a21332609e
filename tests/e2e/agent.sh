#!/usr/bin/env bash
# kplaned from a directory: Services and EndpointSlices in files reach the
# kernel as kube-proxy would program them (checked by connecting from a
# pod), edits in place and renames over are picked up, bad documents are
# skipped with their file and line, the rest applied; a restart with the
# same state writes nothing and established flows lose no packet; drift is
# repaired; /metrics and the health endpoints answer; kplanectl diff/apply
# read the same files.
#
#   node1: pod2, pod3, pod4 (servers), pod5 (client); outside on ext0
. /scenarios/lib.sh

kp_load
# The pods are registered by their WorkloadEndpoints (below), not by hand.
kp_calico_node node1
for n in 2 3 4 5; do kp_calico_pod node1 $n; done
kpctl node1 node enable
ip netns add outside
kp_link node1 ext0 outside eth0 192.168.50 fd00:50
ip -n outside route add 10.244.1.0/24 via 192.168.50.1
for n in 2 3 4; do
	ip netns exec pod$n kp-echo serve tcp 0.0.0.0 8080 web-$n hold &
	ip netns exec pod$n kp-echo serve udp 0.0.0.0 8053 dns-$n &
	ip netns exec pod$n kp-echo serve tcp :: 8081 web6-$n &
done
state=/tmp/state
mkdir -p $state

cat >$state/web.yaml <<'YAML'
apiVersion: v1
kind: Service
metadata: {name: web, namespace: default}
spec:
  type: NodePort
  clusterIP: 10.96.0.10
  clusterIPs: [10.96.0.10, "fd00:96::10"]
  ipFamilies: [IPv4, IPv6]
  ports:
  - {name: http, port: 80, targetPort: http, protocol: TCP, nodePort: 30080}
---
apiVersion: discovery.k8s.io/v1
kind: EndpointSlice
metadata:
  name: web-v4
  namespace: default
  labels: {kubernetes.io/service-name: web}
addressType: IPv4
ports: [{name: http, port: 8080, protocol: TCP}]
endpoints:
- addresses: [10.244.1.2]
  nodeName: node1
- addresses: [10.244.1.3]
  conditions: {ready: true}
  nodeName: node1
- addresses: [10.244.1.4]
  conditions: {ready: false}
  nodeName: node1
---
apiVersion: discovery.k8s.io/v1
kind: EndpointSlice
metadata:
  name: web-v6
  namespace: default
  labels: {kubernetes.io/service-name: web}
addressType: IPv6
ports: [{name: http, port: 8081, protocol: TCP}]
endpoints:
- addresses: ["fd00:244::2"]
YAML
cat >$state/dns.json <<'JSON'
{"apiVersion": "v1", "kind": "List", "items": [
 {"apiVersion": "v1", "kind": "Service",
  "metadata": {"name": "dns", "namespace": "kube-system"},
  "spec": {"clusterIP": "10.96.0.53", "ports": [{"name": "dns", "port": 53, "protocol": "UDP"}]}},
 {"apiVersion": "discovery.k8s.io/v1", "kind": "EndpointSlice",
  "metadata": {"name": "dns-1", "namespace": "kube-system",
               "labels": {"kubernetes.io/service-name": "dns"}},
  "addressType": "IPv4", "ports": [{"name": "dns", "port": 8053, "protocol": "UDP"}],
  "endpoints": [{"addresses": ["10.244.1.4"]}]}]}
JSON
cat >$state/bad.yaml <<'YAML'
apiVersion: v1
kind: Service
metadata: {name: good, namespace: default}
spec:
  clusterIP: 10.96.0.20
  ports: [{port: 80, targetPort: 8080}]
---
apiVersion: v1
kind: Service
metadata: {name: wide, namespace: default}
spec:
  clusterIP: 10.96.0.21
  ports: [{port: 70000}]
---
apiVersion: v1
kind: Service
metadata: {name: noaddr, namespace: default}
spec:
  clusterIP: 10.96.0.300
  ports: [{port: 80}]
---
apiVersion: v1
kind: ConfigMap
metadata: {name: stray, namespace: default}
---
apiVersion: discovery.k8s.io/v1
kind: EndpointSlice
metadata:
  name: lonely
  namespace: default
  labels: {kubernetes.io/service-name: missing}
addressType: IPv4
endpoints: [{addresses: [10.244.1.9]}]
YAML
# wep NODE N: pod N's WorkloadEndpoint on NODE.
wep() {
	printf -- '---\napiVersion: projectcalico.org/v3\nkind: WorkloadEndpoint\n'
	printf 'metadata: {name: %s-k8s-pod%s-eth0, namespace: default}\n' "$1" "$2"
	printf 'spec: {node: %s, pod: pod%s, endpoint: eth0, interfaceName: veth%s,\n' "$1" "$2" "$2"
	printf '       netns: /run/netns/pod%s, ipNetworks: [10.244.1.%s/32, "fd00:244::%s/128"]}\n' \
		"$2" "$2" "$2"
}
# pod7 has no netns: its endpoint is refused, the others applied.
{ for n in 2 3 4 5 7; do wep node1 $n; done; wep node2 9; } >$state/pods.yaml
cat >$state/node.yaml <<'YAML'
apiVersion: kplane.io/v1
kind: NodeConfig
metadata: {name: default}
spec:
  maxServices: 50
  failsafeInbound: [{protocol: TCP, port: 22}, {protocol: UDP, port: 68}]
---
apiVersion: kplane.io/v1
kind: NodeConfig
metadata: {name: node.node1}
spec: {maxServices: 40, policyReject: true}
YAML
echo 'garbage: [' >$state/broken.yml
echo 'not a state file' >$state/README

kplaned_start() {
	ip netns exec node1 kplaned -d $state -N node1 -m 200 -s 3600 -v debug "$@" \
		>>/tmp/kplaned.log 2>&1 &
	kpd=$!
	kp_ready node1
}
kplaned_stop() {
	kill -TERM $kpd
	wait $kpd
}
metric() {
	kp_metric node1 "$1"
}
backends() {
	kpctl node1 service show "$1" | awk '$1 == "backend" { print $2 }' | sort | tr '\n' ' '
}

kp_check "kplaned lists, syncs and turns ready" kplaned_start
kpctl node1 service list
kpctl node1 endpoint list
kp_eq "this node's WorkloadEndpoints are its endpoints" \
	"$(kpctl node1 endpoint list | awk 'NR > 1 { print $1 }' | sort | tr '\n' ' ')" \
	"default/pod2 default/pod3 default/pod4 default/pod5 "
kp_check "with both addresses and the pod's netns" bash -c \
	"kplanectl -n node1 endpoint show default/pod5 | grep -q 'fd00:244::5'"
kp_eq "NodeConfig: node.node1's limit over the default's" \
	"$(kpctl node1 --json status | grep -o '"service_limit":[0-9]*')" '"service_limit":40'
kp_eq "and its policyReject" "$(kpctl node1 --json status | grep -o '"policy_reject":"[a-z]*"')" \
	'"policy_reject":"on"'
kp_eq "and the default's failsafe list" \
	"$(kpctl node1 --json status | grep -o '"failsafe_in":"[^"]*"')" '"failsafe_in":"tcp:22,udp:68"'
kp_check "a pod whose netns is gone is left out, and named" \
	grep -q "endpoint default/pod7 refused: .*netns /run/netns/pod7: No such file" /tmp/kplaned.log
kp_eq "and counted" "$(metric sync_proxy_rules_refused_total)" 1
# A refused change is tried again at the next sync, whatever changed.
kp_calico_pod node1 7
cp $state/node.yaml $state/.node.tmp && mv $state/.node.tmp $state/node.yaml
kp_wait_for "once its netns is there, an unrelated change brings the refused pod in" \
	kplanectl -n node1 endpoint show default/pod7
kp_eq "ClusterIP: ready and nil-ready endpoints, not the unready one" \
	"$(backends 10.96.0.10:80/tcp)" "10.244.1.2:8080 10.244.1.3:8080 "
kp_eq "dual-stack clusterIPs: the IPv6 frontend has the IPv6 slice" \
	"$(backends '[fd00:96::10]:80/tcp')" "[fd00:244::2]:8081 "
kp_eq "NodePort on both families" \
	"$(kpctl node1 service list | grep -c '^\(0.0.0.0\|\[::\]\):30080')" 2
kp_eq "targetPort by name from the slice's port" "$(backends 10.96.0.53:53/udp)" "10.244.1.4:8053 "
kp_eq "a service with no slice has no backends" "$(backends 10.96.0.20:80/tcp)" ""
out=$(ip netns exec pod5 kp-echo connect tcp 10.96.0.10 80)
kp_check "a pod's connect reaches a ready backend [$out]" grep -Eq '^reply=web-[23] ' <<<"$out"
web_of() { ip netns exec pod5 kp-echo connect tcp 10.96.0.10 80 | sed -n 's/^reply=\(web-[0-9]\).*/\1/p'; }
kp_spread "both ready backends, never the unready one" "web-2 web-3" 10 40 web_of
out=$(ip netns exec pod5 kp-echo connect udp 10.96.0.53 53)
kp_check "UDP service from a JSON file [$out]" grep -q '^reply=dns-4 ' <<<"$out"
out=$(ip netns exec pod5 kp-echo connect tcp fd00:96::10 80)
kp_check "IPv6 clusterIP [$out]" grep -q '^reply=web6-2 ' <<<"$out"
out=$(ip netns exec outside kp-echo connect tcp 192.168.50.1 30080)
kp_check "NodePort from outside [$out]" grep -Eq '^reply=web-[23] ' <<<"$out"

for want in "bad.yaml:7: .*port is not 1-65535" "bad.yaml:14: .*spec.clusterIP is not" \
	"bad.yaml:21: .*unknown kind" \
	"broken.yml:2: .*syntax error: "; do
	kp_check "skipped and named: $want" grep -Eq "$want" /tmp/kplaned.log
done
kp_check "README is not read" bash -c '! grep -q README /tmp/kplaned.log'
kp_eq "skipped documents counted" "$(metric objects_skipped_total)" 4

# A pod deleted (its WorkloadEndpoint gone) and created again.
grep -v -- '-k8s-pod4-' $state/pods.yaml >/dev/null
{ for n in 2 3 5; do wep node1 $n; done; } >$state/.pods.tmp && mv $state/.pods.tmp $state/pods.yaml
kp_wait_for "a WorkloadEndpoint removed deletes the endpoint" \
	bash -c '! kplanectl -n node1 endpoint show default/pod4'
{ for n in 2 3 4 5; do wep node1 $n; done; } >$state/.pods.tmp && mv $state/.pods.tmp $state/pods.yaml
kp_wait_for "and added back, adds it" kplanectl -n node1 endpoint show default/pod4
kp_eq "the orphan slice is reported" "$(metric orphan_endpointslices)" 1

# An edit in place (written and closed): pod4 turns ready.
writes0=$(metric sync_proxy_rules_writes_total)
sed -i 's/ready: false/ready: true/' $state/web.yaml
kp_wait_for "an edit in place reaches the kernel" \
	bash -c "kplanectl -n node1 service show 10.96.0.10:80/tcp | grep -q 10.244.1.4:8080"
kp_eq "only its IPv4 frontends were written (ClusterIP, NodePort)" \
	"$(metric sync_proxy_rules_writes_total)" "$((writes0 + 2))"
# A file renamed over (as editors and config management write): dns moves to pod3.
sed 's/10.244.1.4/10.244.1.3/' $state/dns.json >$state/.dns.json.tmp
mv $state/.dns.json.tmp $state/dns.json
kp_wait_for "a file renamed over reaches the kernel" \
	bash -c "kplanectl -n node1 service show 10.96.0.53:53/udp | grep -q 10.244.1.3:8053"
out=$(ip netns exec pod5 kp-echo connect udp 10.96.0.53 53)
kp_check "and the pod's datagram follows it [$out]" grep -q '^reply=dns-3 ' <<<"$out"
# A new file, then its removal.
printf 'apiVersion: v1\nkind: Service\nmetadata: {name: late, namespace: x}\nspec:\n  clusterIP: 10.96.0.30\n  ports: [{port: 81}]\n' >$state/late.yaml
kp_wait_for "a new file adds its service" kplanectl -n node1 service show 10.96.0.30:81/tcp
rm $state/late.yaml
kp_wait_for "a removed file deletes its service" \
	bash -c '! kplanectl -n node1 service show 10.96.0.30:81/tcp'
# healthCheckNodePort: a Local LoadBalancer service's port answers as kube-proxy's.
lb_file() {
	cat <<YAML
kind: Service
metadata: {name: lb, namespace: default}
spec:
  type: LoadBalancer
  clusterIP: 10.96.0.40
  externalTrafficPolicy: Local
  healthCheckNodePort: 32100
  ports: [{name: http, port: 80, targetPort: 8080, nodePort: 30400}]
status: {loadBalancer: {ingress: [{ip: 192.168.60.1}]}}
---
kind: EndpointSlice
metadata: {name: lb-1, namespace: default, labels: {kubernetes.io/service-name: lb}}
addressType: IPv4
ports: [{name: http, port: 8080}]
endpoints: [{addresses: [10.244.1.2], nodeName: $1}]
YAML
}
hc() { ip netns exec outside busybox wget -S -O - http://192.168.50.1:32100/ 2>&1; }
lb_file node1 >$state/lb.yaml
kp_wait_for "the health check port opens" bash -c "ip netns exec outside busybox wget -q -O /dev/null http://192.168.50.1:32100/"
out=$(hc)
kp_check "200 with a local endpoint [$out]" grep -q 'HTTP/1.1 200' <<<"$out"
kp_check "and kube-proxy's body" grep -q '{"service":{"namespace":"default","name":"lb"},"localEndpoints":1,"serviceProxyHealthy":true}' <<<"$out"
lb_file node9 >$state/lb.yaml
kp_wait_for "503 once the endpoint is on another node" bash -c \
	"ip netns exec outside busybox wget -S -O - http://192.168.50.1:32100/ 2>&1 | grep -q 'HTTP/1.1 503'"
rm $state/lb.yaml
kp_wait_for "the port closes with its service" bash -c \
	"! ip netns exec outside busybox wget -q -O /dev/null http://192.168.50.1:32100/"
kp_check "partial syncs were timed" test "$(metric sync_partial_proxy_rules_duration_seconds_count)" -ge 3
kp_check "programming latency was observed" test "$(metric network_programming_duration_seconds_count)" -ge 3

# Restarts: the same state writes nothing, flows carry on.
kp_check "diff against the kernel is empty" \
	bash -c "kplanectl -n node1 diff -f $state node node1 2>/dev/null | grep -q '^0 to set, 0 to delete'"
ip netns exec pod5 kp-echo repeat tcp 10.96.0.10 80 100 100 >/tmp/tcp.out &
tcp=$!
ip netns exec pod5 kp-echo repeat udp 10.96.0.53 53 100 100 >/tmp/udp.out &
udp=$!
ip netns exec outside kp-echo repeat tcp 192.168.50.1 30080 100 100 >/tmp/np.out &
np=$!
gen0=$(kpctl node1 --json status | grep -o '"generation":[0-9]*')
writes=0
restarts=$(kp_scale 10 3)
for i in $(seq $restarts); do
	kplaned_stop
	kplaned_start || break
	writes=$((writes + $(metric sync_proxy_rules_writes_total)))
done
wait $tcp $udp $np
kp_eq "$restarts restarts wrote nothing (kplaned's count)" "$writes" 0
kp_eq "$restarts restarts left the node's generation" \
	"$(kpctl node1 --json status | grep -o '"generation":[0-9]*')" "$gen0"
for f in tcp udp np; do
	kp_eq "$f flow: 100 of 100 answered, one backend, across the restarts" \
		"$(grep -c '^reply=' /tmp/$f.out) $(sed -n 's/^reply=\([^ ]*\).*/\1/p' /tmp/$f.out | sort -u | wc -l)" \
		"100 1"
done

# Drift: a frontend deleted and one added by hand; SIGHUP runs a full sync.
kpctl node1 service del 10.96.0.53:53/udp
kpctl node1 service set 10.96.0.99:99/tcp backend 10.244.1.2:1
kill -HUP $kpd
kp_wait_for "a full sync repairs drift" bash -c \
	"kplanectl -n node1 service show 10.96.0.53:53/udp && ! kplanectl -n node1 service show 10.96.0.99:99/tcp"
kp_eq "and counts what it repaired" "$(metric sync_proxy_rules_repaired_total)" 2

# Settings the kernel refuses (a limit above the host's cap) are named, the rest goes on.
cp $state/node.yaml /tmp/node.yaml
sed -i 's/policyReject: true}/policyReject: true, maxFlows: 4000000000}/' $state/node.yaml
kp_wait_for "settings above the host's cap are refused and named" \
	grep -q "the node's settings refused: .*above the host's cap" /tmp/kplaned.log
cp /tmp/node.yaml $state/node.yaml

hz=$(ip netns exec node1 busybox wget -q -O - http://127.0.0.1:9099/healthz)
kp_check "healthz answers as kube-proxy's [$hz]" grep -q '"lastUpdated": ".*Z","currentTime"' <<<"$hz"
kp_check "livez answers" ip netns exec node1 busybox wget -q -O /dev/null http://127.0.0.1:9099/livez
lb=$(metric connect_balanced_total)
kp_check "metrics carry the kernel's counters [connect_balanced_total $lb]" test "${lb:-0}" -ge 10
kplaned_stop
kp_eq "SIGTERM: exit 0" "$?" 0
kp_check "and the node stays as it was" kplanectl -n node1 service show 10.96.0.10:80/tcp

# kplanectl apply reads the same files into another node.
ip netns add node2
kpctl node2 node enable
out=$(kplanectl -n node2 apply -f $state node node2 2>/tmp/apply.err)
kp_eq "kplanectl apply -f DIR sets what kplaned did" "$out" \
	"$(kpctl node1 service list | tail -n +2 | wc -l) set, 0 deleted; 0 endpoints added, 0 deleted; node settings set"
kp_eq "with the default NodeConfig's limit" \
	"$(kpctl node2 --json status | grep -o '"service_limit":[0-9]*')" '"service_limit":50'
kp_check "and names what it skipped" grep -q 'bad.yaml:7: skipped' /tmp/apply.err
kp_eq "the same services on both" "$(kpctl node2 service list | sort)" \
	"$(kpctl node1 service list | sort)"
kp_eq "applied again: nothing" "$(kplanectl -n node2 apply -f $state node node2 2>/dev/null)" \
	"0 set, 0 deleted; 0 endpoints added, 0 deleted"
kp_refused "node1's pods cannot be applied where their veths are not" 1 \
	"endpoint default/pod2: No such device" "no such interface" \
	kplanectl -n node2 apply -f $state node node1
kp_eq "and nothing was" "$(kpctl node2 endpoint list | awk 'NR > 1' | wc -l)" 0

ip netns exec node1 kplaned -d /tmp/none -l 127.0.0.1:notaport 2>/tmp/bad.log
kp_eq "a bad option: exit 1" "$?" 1
kp_check "and says why" grep -q 'notaport' /tmp/bad.log
echo "# kplaned's log:"
sed 's/^/#   /' /tmp/kplaned.log
rmmod kplane
ip netns exec node1 kplaned -d $state 2>/tmp/nomod.log
kp_eq "kplaned without the module exits 1" "$?" 1
kp_check "and says why" grep -q "is the kplane module loaded" /tmp/nomod.log
kp_done

#!/usr/bin/env bash
# The kplane CNI plugin, run as a container runtime runs a conflist (each
# plugin in turn with the CNI environment, its config on stdin and the
# previous result as prevResult; DEL in reverse with the cached result):
# chained after Debian's ptp and bridge plugins with host-local IPAM, it
# writes the pod's WorkloadEndpoint, kplaned makes it an endpoint that
# services reach, CHECK agrees, and DEL leaves nothing behind.  Standalone
# (IPAM delegated to host-local), it wires the pod as Calico does itself.
. /scenarios/lib.sh

kp_load
kp_calico_node node1
kpctl node1 node enable
state=/tmp/state
mkdir -p $state /var/lib/cni /run/netns
export CNI_PATH=/opt/cni/bin

ptp_list='{"cniVersion": "1.0.0", "name": "k8s-pod-network", "plugins": [
  {"type": "ptp", "ipMasq": false, "mtu": 1500,
   "ipam": {"type": "host-local", "ranges": [[{"subnet": "10.244.7.0/24"}]],
            "routes": [{"dst": "0.0.0.0/0"}], "dataDir": "/var/lib/cni/ipam"}},
  {"type": "kplane", "state_dir": "/tmp/state", "nodename": "node1"}]}'
solo_list='{"cniVersion": "1.0.0", "name": "solo", "plugins": [
  {"type": "kplane", "state_dir": "/tmp/state", "nodename": "node1", "mtu": 1400,
   "ipam": {"type": "host-local", "ranges": [[{"subnet": "10.246.0.0/24"}], [{"subnet": "fd00:246::/64"}]],
            "dataDir": "/var/lib/cni/ipam"}}]}'
bridge_list='{"cniVersion": "1.0.0", "name": "bridged", "plugins": [
  {"type": "bridge", "bridge": "cni0", "isGateway": true, "ipMasq": false,
   "ipam": {"type": "host-local", "ranges": [[{"subnet": "10.245.0.0/24"}]],
            "dataDir": "/var/lib/cni/ipam"}},
  {"type": "kplane", "state_dir": "/tmp/state", "nodename": "node1"}]}'

# cni_plugin CMD ID POD LIST INDEX PREV: one plugin of LIST, as libcni runs it.
cni_plugin() {
	local cmd=$1 id=$2 pod=$3 list=$4 i=$5 prev=$6 conf type
	conf=$(jq -c --argjson i "$i" --argjson prev "${prev:-null}" \
		'.plugins[$i] + {name: .name, cniVersion: .cniVersion} +
		 (if $prev == null then {} else {prevResult: $prev} end)' <<<"$list")
	type=$(jq -r '.type' <<<"$conf")
	ip netns exec node1 env CNI_COMMAND="$cmd" CNI_CONTAINERID="$id" \
		CNI_NETNS="/run/netns/$pod" CNI_IFNAME=eth0 \
		CNI_ARGS="IgnoreUnknown=1;K8S_POD_NAMESPACE=default;K8S_POD_NAME=$pod" \
		CNI_PATH=$CNI_PATH "$CNI_PATH/$type" <<<"$conf"
}
# cni ADD|CHECK|DEL ID POD LIST: the whole list; ADD caches its result as libcni does.
cni() {
	local cmd=$1 id=$2 pod=$3 list=$4 n i prev="" out
	n=$(jq '.plugins | length' <<<"$list")
	case $cmd in
	ADD)
		for i in $(seq 0 $((n - 1))); do
			out=$(cni_plugin ADD "$id" "$pod" "$list" "$i" "$prev") || { echo "$out"; return 1; }
			prev=$out
		done
		echo "$prev" >"/var/lib/cni/$id.result" ;;
	CHECK)
		prev=$(cat "/var/lib/cni/$id.result")
		for i in $(seq 0 $((n - 1))); do
			cni_plugin CHECK "$id" "$pod" "$list" "$i" "$prev" || return 1
		done ;;
	DEL)
		prev=$(cat "/var/lib/cni/$id.result" 2>/dev/null)
		for i in $(seq $((n - 1)) -1 0); do
			cni_plugin DEL "$id" "$pod" "$list" "$i" "$prev" || return 1
		done
		rm -f "/var/lib/cni/$id.result" ;;
	esac
}
pod_ip() { jq -r '.ips[0].address' "/var/lib/cni/$1.result" | cut -d/ -f1; }
# service_to NAME CLUSTERIP POD_IP: a Service on port 80 and its slice to POD_IP:8080.
service_to() {
	cat <<YAML
kind: Service
metadata: {name: $1, namespace: default}
spec: {clusterIP: $2, ports: [{name: web, port: 80}]}
---
kind: EndpointSlice
metadata: {name: $1-1, namespace: default, labels: {kubernetes.io/service-name: $1}}
addressType: IPv4
ports: [{name: web, port: 8080}]
endpoints: [{addresses: [$3], nodeName: node1}]
YAML
}

ip netns exec node1 kplaned -d $state -N node1 -m 100 -v debug >/tmp/kplaned.log 2>&1 &
kpd=$!
kp_check "kplaned is ready" kp_ready node1

for p in ca cb; do ip netns add $p; ip -n $p link set lo up; done
kp_check "ADD: ptp, then kplane" cni ADD c-a ca "$ptp_list"
kp_check "ADD: a second pod" cni ADD c-b cb "$ptp_list"
cat /var/lib/cni/c-a.result
ls -la $state
kp_check "the plugin wrote the pod's WorkloadEndpoint" test -f $state/wep-c-a-eth0.yaml
host_if=$(jq -r '.interfaces[] | select(.sandbox == null or .sandbox == "") | .name' \
	/var/lib/cni/c-a.result)
kp_wait_for "kplaned made it an endpoint on ptp's host veth" bash -c \
	"kplanectl -n node1 endpoint show default/ca | grep -qw '$host_if'"
kp_check "with the address host-local gave" bash -c \
	"kplanectl -n node1 endpoint show default/ca | grep -q '$(pod_ip c-a)'"
kp_check "the result is ptp's: its interfaces and addresses" \
	jq -e '(.interfaces | length) == 2 and (.ips | length) == 1' /var/lib/cni/c-a.result

# A service whose backend is pod cb, from pod ca.
ip netns exec cb kp-echo serve tcp 0.0.0.0 8080 cni-b &
service_to b 10.96.7.1 "$(pod_ip c-b)" >$state/svc.yaml
kind: Service
metadata: {name: b, namespace: default}
spec: {clusterIP: 10.96.7.1, ports: [{name: web, port: 80}]}
---
kind: EndpointSlice
metadata: {name: b-1, namespace: default, labels: {kubernetes.io/service-name: b}}
addressType: IPv4
ports: [{name: web, port: 8080}]
endpoints: [{addresses: [$(pod_ip c-b)], nodeName: node1}]
YAML
kp_wait_for "the service is programmed" kplanectl -n node1 service show 10.96.7.1:80/tcp
sleep 0.5
out=$(ip netns exec ca kp-echo connect tcp 10.96.7.1 80)
kp_check "pod ca reaches pod cb through the ClusterIP [$out]" \
	grep -q "^reply=cni-b $(pod_ip c-a)\$" <<<"$out"
kp_check "CHECK agrees with ADD" cni CHECK c-a ca "$ptp_list"

# Chained after bridge: the host side is the veth on cni0, not the bridge.
ip netns add cc
kp_check "ADD: bridge, then kplane" cni ADD c-c cc "$bridge_list"
veth=$(jq -r '.interfaces[] | select((.sandbox == null or .sandbox == "") and .name != "cni0") | .name' \
	/var/lib/cni/c-c.result)
kp_wait_for "its endpoint is on the bridge port ($veth)" bash -c \
	"kplanectl -n node1 endpoint show default/cc | grep -qw '$veth'"
kp_check "CHECK agrees" cni CHECK c-c cc "$bridge_list"

# CHECK notices a WorkloadEndpoint that is gone.
mv $state/wep-c-c-eth0.yaml /tmp/wep.saved
out=$(cni_plugin CHECK c-c cc "$bridge_list" 1 "$(cat /var/lib/cni/c-c.result)")
kp_eq "CHECK fails with the spec's error when it is gone" "$?" 1
kp_check "as JSON with a code [$out]" jq -e '.code >= 100' <<<"$out"
mv /tmp/wep.saved $state/wep-c-c-eth0.yaml

for c in "c-a ca $ptp_list" "c-b cb $ptp_list" "c-c cc $bridge_list"; do
	set -- $c
	id=$1 pod=$2
	shift 2
	kp_check "DEL $id" cni DEL "$id" "$pod" "$*"
done
kp_check "DEL again is fine (idempotent)" cni DEL c-a ca "$ptp_list"
kp_wait_for "no endpoint is left" bash -c \
	"[ \$(kplanectl -n node1 endpoint list | awk 'NR > 1' | wc -l) = 0 ]"
kp_eq "no WorkloadEndpoint file is left" "$(ls $state | grep -c wep)" 0
kp_eq "no veth is left on the node" "$(ip -n node1 -o link show type veth | wc -l)" 0
kp_eq "no address is held by host-local" \
	"$(ls /var/lib/cni/ipam/k8s-pod-network /var/lib/cni/ipam/bridged 2>/dev/null | grep -c '^10\.')" 0
# Standalone: the plugin makes the interface (Calico's wiring), host-local the addresses.
for p in sa sb; do ip netns add $p; done
kp_check "ADD standalone" cni ADD s-a sa "$solo_list"
kp_check "ADD standalone, a second pod" cni ADD s-b sb "$solo_list"
cat /var/lib/cni/s-a.result
ip -n sa addr; ip -n sa route
sa_if=$(jq -r '.interfaces[0].name' /var/lib/cni/s-a.result)
kp_check "the pod has its addresses as /32 and /128" bash -c \
	"ip -n sa -br addr show eth0 | grep -q '$(pod_ip s-a)/32' &&
	 ip -n sa -br addr show eth0 | grep -q 'fd00:246::.*/128'"
kp_check "and routes via 169.254.1.1 and fe80::1" bash -c \
	"ip -n sa route | grep -q 'default via 169.254.1.1' && ip -n sa -6 route | grep -q 'default via fe80::1'"
kp_check "the host side answers ARP for the gateway" bash -c \
	"[ \$(ip netns exec node1 cat /proc/sys/net/ipv4/conf/$sa_if/proxy_arp) = 1 ]"
kp_wait_for "kplaned made it an endpoint on the plugin's veth ($sa_if)" bash -c \
	"kplanectl -n node1 endpoint show default/sa | grep -qw '$sa_if'"
kp_check "CHECK agrees" cni CHECK s-a sa "$solo_list"
ip netns exec sb kp-echo serve tcp 0.0.0.0 8080 solo-b &
service_to sb 10.96.7.2 "$(pod_ip s-b)" >$state/svc2.yaml
kind: Service
metadata: {name: sb, namespace: default}
spec: {clusterIP: 10.96.7.2, ports: [{name: web, port: 80}]}
---
kind: EndpointSlice
metadata: {name: sb-1, namespace: default, labels: {kubernetes.io/service-name: sb}}
addressType: IPv4
ports: [{name: web, port: 8080}]
endpoints: [{addresses: [$(pod_ip s-b)], nodeName: node1}]
YAML
kp_wait_for "the service is programmed" kplanectl -n node1 service show 10.96.7.2:80/tcp
sleep 0.5
out=$(ip netns exec sa kp-echo connect tcp 10.96.7.2 80)
kp_check "a standalone pod reaches another through a ClusterIP [$out]" \
	grep -q "^reply=solo-b $(pod_ip s-a)\$" <<<"$out"
kp_check "DEL standalone" cni DEL s-a sa "$solo_list"
kp_check "DEL the second" cni DEL s-b sb "$solo_list"
kp_check "DEL again is fine" cni DEL s-a sa "$solo_list"
kp_eq "no veth is left" "$(ip -n node1 -o link show type veth | wc -l)" 0
kp_eq "no lease is left" "$(ls /var/lib/cni/ipam/solo 2>/dev/null | grep -c '^10\.\|^fd00')" 0
kp_wait_for "no endpoint is left" bash -c \
	"[ \$(kplanectl -n node1 endpoint list | awk 'NR > 1' | wc -l) = 0 ]"

kp_eq "VERSION" "$(CNI_COMMAND=VERSION $CNI_PATH/kplane | jq -c .supportedVersions)" \
	'["0.3.0","0.3.1","0.4.0","1.0.0"]'
out=$(echo '{"cniVersion": "1.0.0", "name": "x", "type": "kplane", "nodename": "node1"}' |
	CNI_COMMAND=ADD CNI_CONTAINERID=x CNI_NETNS=/run/netns/ca CNI_IFNAME=eth0 $CNI_PATH/kplane)
kp_check "ADD without prevResult says what is missing [$out]" grep -q 'prevResult' <<<"$out"
out=$(echo '{"cniVersion": "2.0.0", "name": "x", "type": "kplane"}' |
	CNI_COMMAND=ADD CNI_CONTAINERID=x CNI_NETNS=/run/netns/ca CNI_IFNAME=eth0 $CNI_PATH/kplane)
kp_eq "an unsupported cniVersion is the spec's error 1" "$(jq .code <<<"$out")" 1
kill -TERM $kpd
wait $kpd
echo "# kplaned's log:"
sed 's/^/#   /' /tmp/kplaned.log
kp_done

#!/usr/bin/env bash
# NetworkPolicy from objects: kplaned reads Pods, Namespaces and
# NetworkPolicies from its state directory, compiles them to IP sets,
# policies and endpoint attachments, and the traffic between real pods
# follows the API's semantics.  Each case is a truth table of the upstream
# netpol suite's model (namespaces x, y, z; pods a, b, c in each; every
# pod asked by every pod), compared cell by cell.
#
#   node1: x/a x/b x/c y/a y/b y/c z/a z/b z/c (10.244.1.11-19)
. /scenarios/lib.sh

PODS=(x/a x/b x/c y/a y/b y/c z/a z/b z/c)
n_of() { local i; for i in "${!PODS[@]}"; do [ "${PODS[$i]}" = "$1" ] && echo $((11 + i)); done; }

kp_load
kp_calico_node node1
for p in "${PODS[@]}"; do kp_calico_pod node1 "$(n_of "$p")"; done
kpctl node1 node enable
for p in "${PODS[@]}"; do
	n=$(n_of "$p")
	for port in 80 81; do
		ip netns exec pod$n kp-echo serve tcp 0.0.0.0 $port "$p" &
		ip netns exec pod$n kp-echo serve udp 0.0.0.0 $port "$p" &
	done
done
state=/tmp/state
mkdir -p $state

# pod NS NAME [PORTS-YAML]: the Pod, its WorkloadEndpoint on node1.
pod() {
	local ns=$1 name=$2 n
	n=$(n_of "$ns/$name")
	cat <<YAML
---
apiVersion: v1
kind: Pod
metadata: {name: $name, namespace: $ns, labels: {pod: $name${LABELS:+, $LABELS}}}
spec:
  nodeName: node1
  containers:
  - name: c
    ports:
    - {name: serve-80-tcp, containerPort: 80}
    - {name: serve-81-tcp, containerPort: 81}
    - {name: serve-80-udp, containerPort: 80, protocol: UDP}
    - {name: serve-81-udp, containerPort: 81, protocol: UDP}
${3:-}
status: {phase: Running, podIPs: [{ip: 10.244.1.$n}]}
---
apiVersion: projectcalico.org/v3
kind: WorkloadEndpoint
metadata: {name: node1-k8s-$name-eth0, namespace: $ns}
spec: {node: node1, pod: $name, endpoint: eth0, interfaceName: veth$n,
       netns: /run/netns/pod$n, ipNetworks: [10.244.1.$n/32]}
YAML
}
namespace() {
	printf -- '---\napiVersion: v1\nkind: Namespace\nmetadata: {name: %s, labels: {ns: %s%s}}\n' \
		"$1" "$1" "${2:+, $2}"
}
# put FILE: stdin into the state dir as FILE, renamed over, then waits for
# kplaned's sync of it.
syncs() { kp_metric node1 sync_partial_proxy_rules_duration_seconds_count; }
synced_after() { [ "$(syncs)" -gt "$1" ]; }
put() {
	local before
	before=$(syncs)
	cat >"$state/.$1" && mv "$state/.$1" "$state/$1"
	kp_until 20 synced_after "$before"
}
drop() {
	local before
	before=$(syncs)
	rm -f "$state/$1"
	kp_until 20 synced_after "$before"
}

{ for ns in x y z; do namespace $ns; done; } >$state/namespaces.yaml
{ for p in "${PODS[@]}"; do pod "${p%/*}" "${p#*/}"; done; } >$state/pods.yaml
cat >$state/node.yaml <<'YAML'
apiVersion: kplane.io/v1
kind: NodeConfig
metadata: {name: default}
spec: {policyReject: true}
YAML
# A pod on another node: only in the sets.
cat >$state/remote.yaml <<'YAML'
apiVersion: v1
kind: Pod
metadata: {name: r, namespace: y, labels: {pod: b}}
spec: {nodeName: node2}
status: {phase: Running, podIPs: [{ip: 10.244.2.9}, {ip: "fd00:244:2::9"}]}
YAML
ip netns exec node1 kplaned -d $state -N node1 -s 3600 -v debug >>/tmp/kplaned.log 2>&1 &
kp_ready node1
export KP_ECHO_TIMEOUT_MS=1500

# members: every member of every set kplaned keeps, a line each.
members() {
	local s
	for s in $(kpctl node1 ipset list | awk '$1 ~ /^(s|np):/ { print $1 }'); do
		kpctl node1 ipset show "$s"
	done
}
knp() { kpctl node1 policy list | awk '$1 == "policy" && $2 ~ /^knp:/ { print $2, $4, $6 }'; }

# --- the truth tables ---

declare -A want
# expect FROM TO 0|1: the cells whose source and destination match the globs.
expect() {
	local f t
	for f in "${PODS[@]}"; do
		for t in "${PODS[@]}"; do
			# shellcheck disable=SC2053
			[[ $f == $1 && $t == $2 ]] && want[$f,$t]=$3
		done
	done
}
# observe PORT PROTO: "FROM TO 0|1" for every pair, asked all at once per source.
observe() {
	local f t addrs=() pids=() i
	for t in "${PODS[@]}"; do addrs+=("10.244.1.$(n_of "$t")"); done
	for f in "${PODS[@]}"; do
		ip netns exec "pod$(n_of "$f")" kp-echo probe "$2" "${addrs[0]}" "$1" "${addrs[@]:1}" \
			>"/tmp/probe.$(n_of "$f")" &
		pids+=($!)
	done
	wait "${pids[@]}"
	for f in "${PODS[@]}"; do
		i=0
		while read -r _ name; do
			echo "$f ${PODS[$i]} $([ "$name" = "${PODS[$i]}" ] && echo 1 || echo 0)"
			i=$((i + 1))
		done <"/tmp/probe.$(n_of "$f")"
	done
}
# table NAME PORT [PROTO]: the observed table must be the wanted one.
table() {
	local name=$1 port=$2 proto=${3:-tcp} f t v bad=""
	while read -r f t v; do
		[ "$v" = "${want[$f,$t]}" ] || bad="$bad $f->$t=$v"
	done < <(observe "$port" "$proto")
	if [ -z "$bad" ]; then
		kp_ok "$name ($proto/$port: 81 cells)"
	else
		kp_not_ok "$name ($proto/$port): cells wrong:$bad"
	fi
}
# np FILE YAML-SPEC: a NetworkPolicy in namespace x named after FILE.
np() {
	printf 'apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {name: %s, namespace: %s}\nspec:\n%s\n' \
		"$1" "${NS:-x}" "$2" | put "np-$1.yaml"
}
reset() {
	local f
	for f in "$state"/np-*.yaml; do [ -e "$f" ] && drop "${f##*/}"; done
	expect '*' '*' 1
}

expect '*' '*' 1
table "no policy: every pod reaches every pod" 80
kp_eq "kplaned holds no policy while none is written" "$(knp | wc -l)" 0

np deny-ingress '  podSelector: {}
  policyTypes: [Ingress]'
expect '*' 'x/*' 0
table "default-deny-ingress in x" 80
kp_eq "one kernel policy, default tier, order 1000" \
	"$(knp)" "knp:x/deny-ingress default 1000"
reset

np deny-all '  podSelector: {}
  policyTypes: [Ingress, Egress]'
expect '*' 'x/*' 0
expect 'x/*' '*' 0
table "default-deny-all in x" 80
reset

np allow-b '  podSelector: {matchLabels: {pod: a}}
  ingress: [{from: [{podSelector: {matchLabels: {pod: b}}}]}]'
expect '*' x/a 0
expect x/b x/a 1
table "x/a from pods of its namespace by podSelector" 80
kp_check "the remote pod y/r (pod=b, another namespace) is not in the set" \
	test -z "$(members | grep 10.244.2.9)"
reset

np allow-ns-y '  podSelector: {matchLabels: {pod: a}}
  ingress: [{from: [{namespaceSelector: {matchLabels: {ns: y}}}]}]'
expect '*' x/a 0
expect 'y/*' x/a 1
table "x/a from namespace y by namespaceSelector" 80
kp_eq "the remote pod of y is in the set, both families" \
	"$(members | grep -c '^\(10.244.2.9/32\|fd00:244:2::9/128\)$')" 2
reset

np ns-notin '  podSelector: {matchLabels: {pod: a}}
  ingress:
  - from:
    - namespaceSelector: {matchExpressions: [{key: ns, operator: NotIn, values: [x]}]}'
expect '*' x/a 0
expect 'y/*' x/a 1
expect 'z/*' x/a 1
table "namespaceSelector with matchExpressions NotIn" 80
reset

np or-peers '  podSelector: {matchLabels: {pod: a}}
  ingress:
  - from:
    - namespaceSelector: {matchExpressions: [{key: ns, operator: NotIn, values: [x]}]}
    - podSelector: {matchLabels: {pod: b}}'
expect '*' x/a 0
expect 'y/*' x/a 1
expect 'z/*' x/a 1
expect x/b x/a 1
table "podSelector OR namespaceSelector (two peers)" 80
reset

np and-peer '  podSelector: {matchLabels: {pod: a}}
  ingress:
  - from:
    - namespaceSelector: {matchExpressions: [{key: ns, operator: NotIn, values: [x]}]}
      podSelector: {matchLabels: {pod: b}}'
expect '*' x/a 0
expect y/b x/a 1
expect z/b x/a 1
table "podSelector AND namespaceSelector (one peer)" 80
kp_eq "and the remote pod y/r (pod=b) is in its set" "$(members | grep -c '^10.244.2.9/32$')" 1
reset

np multi '  podSelector: {matchLabels: {pod: a}}
  ingress:
  - from:
    - namespaceSelector: {matchExpressions: [{key: ns, operator: NotIn, values: [x]}]}
      podSelector: {matchExpressions: [{key: pod, operator: In, values: [b, c]}]}'
expect '*' x/a 0
expect '[yz]/[bc]' x/a 1
table "several podSelector and namespaceSelector expressions" 80
reset

np default-ns-label '  podSelector: {matchLabels: {pod: a}}
  ingress: [{from: [{namespaceSelector: {matchLabels: {kubernetes.io/metadata.name: y}}}]}]'
expect '*' x/a 0
expect 'y/*' x/a 1
table "namespaceSelector on the default kubernetes.io/metadata.name label" 80
reset

np port81 '  podSelector: {matchLabels: {pod: a}}
  ingress:
  - from: [{namespaceSelector: {matchLabels: {ns: y}}}]
    ports: [{port: 81, protocol: TCP}]'
expect '*' x/a 0
table "ports: 80 is not allowed" 80
expect 'y/*' x/a 1
table "ports: 81 is, from y" 81
reset

np stack-80 '  podSelector: {matchLabels: {pod: a}}
  ingress:
  - from: [{namespaceSelector: {matchLabels: {ns: y}}}]
    ports: [{port: 80}]'
np stack-81 '  podSelector: {matchLabels: {pod: a}}
  ingress:
  - from: [{namespaceSelector: {matchLabels: {ns: y}}}]
    ports: [{port: 81}]'
expect '*' x/a 0
expect 'y/*' x/a 1
table "stacked policies add up: 80" 80
table "stacked policies add up: 81" 81
reset

np deny-ingress '  podSelector: {}
  policyTypes: [Ingress]'
np allow-all '  podSelector: {}
  ingress: [{}]'
table "an allow-all ingress policy beside a deny: allowed" 80
reset

np named '  podSelector: {}
  ingress: [{ports: [{port: serve-81-tcp}]}]'
expect '*' 'x/*' 0
table "named port serve-81-tcp: 80 is not allowed" 80
expect '*' 'x/*' 1
table "named port serve-81-tcp: 81 is" 81
reset

np endport '  podSelector: {matchLabels: {pod: a}}
  ingress: [{ports: [{port: 81, endPort: 82, protocol: TCP}]}]'
expect '*' x/a 0
table "endPort 81-82: 80 is not allowed" 80
expect '*' x/a 1
table "endPort 81-82: 81 is" 81
reset

np egress-named '  podSelector: {}
  policyTypes: [Egress]
  egress: [{ports: [{port: serve-80-tcp}]}]'
table "egress on named port serve-80-tcp: 80 allowed" 80
expect 'x/*' '*' 0
table "egress on named port serve-80-tcp: 81 not" 81
reset

np egress-deny-a '  podSelector: {matchLabels: {pod: a}}
  policyTypes: [Egress]'
expect x/a '*' 0
table "egress deny of x/a by podSelector" 80
NS=y np allow-y '  podSelector: {}
  ingress: [{}]'
table "a server that allows does not undo the client's egress deny" 80
reset

np egress-block '  podSelector: {matchLabels: {pod: a}}
  policyTypes: [Egress]
  egress: [{to: [{ipBlock: {cidr: 10.244.1.0/24, except: [10.244.1.14/32]}}]}]'
expect x/a y/a 0
table "egress ipBlock with except" 80
reset

np ingress-block '  podSelector: {matchLabels: {pod: a}}
  ingress:
  - from:
    - ipBlock: {cidr: 10.244.1.0/24, except: [10.244.1.12/32]}'
expect x/b x/a 0
table "ingress ipBlock with except" 80
np ingress-block '  podSelector: {matchLabels: {pod: a}}
  ingress:
  - from:
    - ipBlock: {cidr: 10.244.1.0/24, except: [10.244.1.12/32]}
    - ipBlock: {cidr: 10.244.1.12/32}'
expect '*' '*' 1
table "an address in one block's except and in another block: allowed" 80
reset

np udp-only '  podSelector: {matchLabels: {pod: a}}
  ingress: [{ports: [{port: 80, protocol: UDP}]}]'
expect '*' x/a 0
table "a policy of UDP only: TCP is not allowed" 80
expect '*' x/a 1
table "and UDP is" 80 udp
reset

np sctp-only '  podSelector: {matchLabels: {pod: a}}
  ingress: [{ports: [{port: 80, protocol: SCTP}]}]'
expect '*' x/a 0
table "SCTP is not taken for TCP" 80
reset

np any-tcp '  podSelector: {matchLabels: {pod: a}}
  ingress: [{ports: [{protocol: TCP}]}]'
table "every port of a protocol: 81" 81
expect '*' x/a 0
table "and not another protocol" 81 udp
reset

kp_done

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
ip netns add outside
kp_link node1 ext0 outside eth0 192.168.50 fd00:50
ip -n outside link set lo up
ip -n outside route add 10.244.1.0/24 via 192.168.50.1
for port in 9000 9001; do ip netns exec node1 kp-echo serve tcp 0.0.0.0 $port node-$port & done
for p in "${PODS[@]}"; do kp_calico_pod node1 "$(n_of "$p")"; done
kpctl node1 node enable
for p in "${PODS[@]}"; do
	n=$(n_of "$p")
	for port in 80 81; do
		ip netns exec pod$n kp-echo serve tcp 0.0.0.0 $port "$p" &
		ip netns exec pod$n kp-echo serve udp 0.0.0.0 $port "$p" &
	done
	ip netns exec pod$n kp-echo serve tcp 0.0.0.0 82 "$p" hold &
done
state=/tmp/state
mkdir -p $state

# pod NS NAME [LABELS] [N]: the Pod (labels "pod: NAME" unless given) at
# 10.244.1.N (NS/NAME's unless given), and its WorkloadEndpoint on node1.
pod() {
	local ns=$1 name=$2 labels=${3:-pod: $2} n=${4:-$(n_of "$1/$2")}
	cat <<YAML
---
apiVersion: v1
kind: Pod
metadata: {name: $name, namespace: $ns, labels: {$labels}}
spec:
  nodeName: node1
  containers:
  - name: c
    ports:
    - {name: serve-80-tcp, containerPort: 80}
    - {name: serve-81-tcp, containerPort: 81}
    - {name: serve-80-udp, containerPort: 80, protocol: UDP}
    - {name: serve-81-udp, containerPort: 81, protocol: UDP}
status: {phase: Running, podIPs: [{ip: 10.244.1.$n}]}
---
apiVersion: projectcalico.org/v3
kind: WorkloadEndpoint
metadata: {name: node1-k8s-$name-eth0, namespace: $ns}
spec: {node: node1, pod: $name, endpoint: eth0, interfaceName: veth$n,
       netns: /run/netns/pod$n, ipNetworks: [10.244.1.$n/32]}
YAML
}
# namespace NAME [MORE-LABELS]
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
# pods [NS/NAME=LABELS...]: every pod, with the labels given for some.
pods() {
	local p o labels
	for p in "${PODS[@]}"; do
		labels=
		for o in "$@"; do [ "${o%%=*}" = "$p" ] && labels=${o#*=}; done
		pod "${p%/*}" "${p#*/}" "$labels"
	done
}
pods >$state/pods.yaml
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
knp() { kpctl node1 policy list | awk '$1 == "policy" && $2 ~ /^(knp|cnp|gnp):/ { print $2, $4, $6 }'; }

# full: every table (stock kernel); the debug kernel, ten times slower to
# ask 81 pairs, runs one table of each kind of kernel change (sets,
# policies, attachments, endpoints replaced) and skips the rest.
full() { [ "$(kp_scale 1 0)" = 1 ]; }
cal() {	# cal FILE YAML: a projectcalico.org/v3 object
	printf 'apiVersion: projectcalico.org/v3\n%s\n' "$2" | put "cal-$1.yaml"
}
cal_drop() { drop "cal-$1.yaml"; }

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
kp_eq "one kernel policy, default tier, order 1000 (x1000: Calico's orders are decimals)" \
	"$(knp)" "knp:x/deny-ingress default 1000000"
reset

if full; then
np deny-all '  podSelector: {}
  policyTypes: [Ingress, Egress]'
expect '*' 'x/*' 0
expect 'x/*' '*' 0
table "default-deny-all in x" 80
reset

fi

np allow-b '  podSelector: {matchLabels: {pod: a}}
  ingress: [{from: [{podSelector: {matchLabels: {pod: b}}}]}]'
expect '*' x/a 0
expect x/b x/a 1
table "x/a from pods of its namespace by podSelector" 80
kp_check "the remote pod y/r (pod=b, another namespace) is not in the set" \
	test -z "$(members | grep 10.244.2.9)"
reset

if full; then
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

fi

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

if full; then
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

fi

np named '  podSelector: {}
  ingress: [{ports: [{port: serve-81-tcp}]}]'
expect '*' 'x/*' 0
full && table "named port serve-81-tcp: 80 is not allowed" 80
expect '*' 'x/*' 1
table "named port serve-81-tcp: 81 is" 81
reset

if full; then
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

fi

if full; then
np egress-block '  podSelector: {matchLabels: {pod: a}}
  policyTypes: [Egress]
  egress: [{to: [{ipBlock: {cidr: 10.244.1.0/24, except: [10.244.1.14/32]}}]}]'
expect x/a y/a 0
table "egress ipBlock with except" 80
reset
fi

if full; then
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

fi

if full; then
np udp-only '  podSelector: {matchLabels: {pod: a}}
  ingress: [{ports: [{port: 80, protocol: UDP}]}]'
expect '*' x/a 0
table "a policy of UDP only: TCP is not allowed" 80
expect '*' x/a 1
table "and UDP is" 80 udp
reset
fi

if full; then
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

fi

# --- live changes: labels, namespaces, pods replaced ---

np allow-b '  podSelector: {matchLabels: {pod: a}}
  ingress: [{from: [{podSelector: {matchLabels: {pod: b}}}]}]'
ip netns exec pod12 kp-echo repeat tcp 10.244.1.11 82 60 200 >/tmp/held.out &
held=$!
kp_until 10 grep -q '^reply=' /tmp/held.out
pods x/b='pod: z' x/c='pod: b' | put pods.yaml
expect '*' x/a 0
expect x/c x/a 1
table "x/b relabelled out of the set, x/c into it" 80
errors() { [ "$(grep -c '^error=' /tmp/held.out)" -ge 2 ]; }
kp_until 30 errors
kill $held 2>/dev/null
wait $held 2>/dev/null
kp_check "x/b's established connection is cut at its next packet [$(tr '\n' ' ' </tmp/held.out)]" \
	bash -c "grep -q '^reply=' /tmp/held.out && [ \"\$(tail -1 /tmp/held.out | cut -d= -f1)\" = error ]"
pods | put pods.yaml
reset

np from-team '  podSelector: {matchLabels: {pod: a}}
  ingress: [{from: [{namespaceSelector: {matchLabels: {team: t}}}]}]'
expect '*' x/a 0
full && table "namespaceSelector team=t: no namespace has it" 80
{ namespace x; namespace y; namespace z 'team: t'; } | put namespaces.yaml
expect 'z/*' x/a 1
table "namespace z labelled team=t: its pods are in" 80
{ for ns in x y z; do namespace $ns; done; } | put namespaces.yaml
reset

# x/a deleted, x/n created with its address: x/a's policy must not follow.
np allow-b '  podSelector: {matchLabels: {pod: a}}
  ingress: [{from: [{podSelector: {matchLabels: {pod: b}}}]}]'
kp_eq "x/a is isolated" "$(ip netns exec pod14 kp-echo probe tcp 10.244.1.11 80 | cut -d' ' -f2)" -
{ pods | awk '/^---$/ { doc++ } { d[doc] = d[doc] $0 "\n" }
	END { for (i = 1; i <= doc; i++) if (d[i] !~ /name: (a|node1-k8s-a-eth0), namespace: x/) printf "%s", d[i] }'
  pod x n 'pod: n' 11; } | put pods.yaml
kp_eq "x/n on x/a's address is not" "$(ip netns exec pod14 kp-echo probe tcp 10.244.1.11 80 | cut -d' ' -f2)" x/a
kp_eq "its endpoint is x/n's, with no policy" \
	"$(kpctl node1 endpoint list | awk '$1 == "x/n" || $1 == "x/a" { print $1 }')" x/n
grep -E "x/[an]|sync" /tmp/kplaned.log | tail -4 | sed 's/^/# kplaned: /'
kpctl node1 endpoint list | sed 's/^/# /' 
pods | put pods.yaml
reset

# A finished pod's address leaves the sets: it may be given to another.
np allow-y '  podSelector: {matchLabels: {pod: a}}
  ingress: [{from: [{namespaceSelector: {matchLabels: {ns: y}}}]}]'
kp_eq "the remote y/r is in the set while it runs" "$(members | grep -c '^10.244.2.9/32$')" 1
sed 's/phase: Running/phase: Succeeded/' $state/remote.yaml | put remote.yaml
kp_eq "and out once it has Succeeded" "$(members | grep -c '^10.244.2.9/32$')" 0
reset
kp_eq "no policy, no set is left once every NetworkPolicy is gone" "$(knp | wc -l) $(members | wc -l)" "0 0"

# --- Calico: tiers, Pass, network sets, host endpoints ---

cal tiers 'kind: Tier
metadata: {name: security}
spec: {order: 100}
---
apiVersion: projectcalico.org/v3
kind: Tier
metadata: {name: platform}
spec: {order: 200}'
cal deny-y "kind: GlobalNetworkPolicy
metadata: {name: deny-y}
spec:
  tier: security
  order: 10
  selector: pod == 'a' && projectcalico.org/namespace == 'x'
  types: [Ingress]
  ingress:
  - {action: Deny, source: {namespaceSelector: ns == 'y'}}
  - {action: Pass}"
np allow-all-a '  podSelector: {matchLabels: {pod: a}}
  ingress: [{}]'
expect 'y/*' x/a 0
table "a Deny in an earlier tier wins over an Allow in the default tier" 80
kp_check "the kernel's policy: tier security, order 10 (x1000)" \
	bash -c "kplanectl -n node1 policy list | grep -q '^policy gnp:security/deny-y tier security order 10000 '"
out=$(kpctl node1 trace y/a tcp 10.244.1.14:40000 10.244.1.11:80)
kp_check "trace names the Calico policy and its rule [$out]" \
	grep -q "deny (rule, tier security, policy gnp:security/deny-y ingress rule 0)" <<<"$out"
out=$(kpctl node1 trace y/a tcp 10.244.1.14:40000 10.244.1.11:80 -f $state node node1)
kp_check "trace -f names the object's own rule [$out]" \
	grep -q "x/a ingress: from GlobalNetworkPolicy security/deny-y, its ingress rule 0" <<<"$out"
cal deny-y "kind: GlobalNetworkPolicy
metadata: {name: deny-y}
spec:
  tier: security
  selector: pod == 'a' && projectcalico.org/namespace == 'x'
  ingress:
  - {action: Pass, source: {namespaceSelector: ns == 'z'}}
  - {action: Deny}"
drop np-allow-all-a.yaml
expect '*' '*' 1
expect '*' x/a 0
expect 'z/*' x/a 1
table "Pass: z goes on to the tiers after, none of which has a policy for x/a" 80
cal ns-policy "kind: NetworkPolicy
metadata: {name: only-c, namespace: x}
spec:
  tier: platform
  selector: pod == 'a'
  ingress: [{action: Allow, source: {selector: pod == 'c'}}]"
expect 'z/*' x/a 0
table "and a namespaced Calico policy in the next tier then decides" 80
cal_drop ns-policy
cal_drop deny-y

cal nets "kind: GlobalNetworkSet
metadata: {name: ext-nets, labels: {role: ext}}
spec: {nets: [192.168.50.0/24]}"
cal from-ext "kind: GlobalNetworkPolicy
metadata: {name: from-ext}
spec:
  selector: pod == 'a' && projectcalico.org/namespace == 'x'
  ingress: [{action: Allow, protocol: TCP, source: {selector: role == 'ext'}, destination: {ports: [80]}}]"
expect '*' '*' 1
expect '*' x/a 0
table "a GlobalNetworkSet's selector takes no pod" 80
kp_eq "outside, in the GlobalNetworkSet, reaches x/a" \
	"$(ip netns exec outside kp-echo probe tcp 10.244.1.11 80 | cut -d' ' -f2)" x/a
cal nets "kind: GlobalNetworkSet
metadata: {name: ext-nets, labels: {role: ext}}
spec: {nets: [192.168.60.0/24]}"
kp_eq "and not once its nets change" \
	"$(ip netns exec outside kp-echo probe tcp 10.244.1.11 80 | cut -d' ' -f2)" -
cal_drop from-ext
cal_drop nets

cal hep "kind: HostEndpoint
metadata: {name: node1-ext0, labels: {hep: ext}}
spec: {node: node1, interfaceName: ext0, expectedIPs: [192.168.50.1]}
---
apiVersion: projectcalico.org/v3
kind: GlobalNetworkPolicy
metadata: {name: host-in}
spec:
  selector: hep == 'ext'
  ingress: [{action: Deny, protocol: TCP, destination: {ports: [9000]}}, {action: Allow}]"
kp_eq "a HostEndpoint is a host endpoint" \
	"$(kpctl node1 endpoint list | awk '$1 == "hep:node1-ext0" { print $1 }')" hep:node1-ext0
kp_eq "its policy: the node's port 9000 refused from outside" \
	"$(ip netns exec outside kp-echo probe tcp 192.168.50.1 9000 192.168.50.1 | head -1 | cut -d' ' -f2)" -
kp_eq "and 9001 allowed" "$(ip netns exec outside kp-echo probe tcp 192.168.50.1 9001 | cut -d' ' -f2)" \
	node-9001
kp_eq "traffic it forwards meets no policy (none applies on forward)" \
	"$(ip netns exec outside kp-echo probe tcp 10.244.1.11 80 | cut -d' ' -f2)" x/a
cal_drop hep
kp_eq "the HostEndpoint gone, its host endpoint is" \
	"$(kpctl node1 endpoint list | grep -c '^hep:')" 0

skipped0=$(kp_metric node1 objects_skipped_total)
cal untracked "kind: GlobalNetworkPolicy
metadata: {name: untracked}
spec: {selector: all(), doNotTrack: true, ingress: [{action: Allow}]}"
kp_check "doNotTrack is refused with its reason" \
	grep -q "cal-untracked.yaml.*doNotTrack: kplane evaluates policy on tracked flows only" /tmp/kplaned.log
kp_eq "and counted as skipped" "$(kp_metric node1 objects_skipped_total)" $((skipped0 + 1))
cal_drop untracked
cal lost "kind: GlobalNetworkPolicy
metadata: {name: lost}
spec: {tier: nowhere, selector: all(), ingress: [{action: Deny}]}"
kp_check "a policy in a tier that does not exist is skipped, and named" \
	grep -q "GlobalNetworkPolicy lost: spec.tier: no Tier of this name; skipped" /tmp/kplaned.log
kp_eq "counted as skipped once" "$(kp_metric node1 objects_skipped_total)" $((skipped0 + 2))
kp_eq "and nothing denied: every pod still reaches x/a" \
	"$(ip netns exec pod14 kp-echo probe tcp 10.244.1.11 80 | cut -d' ' -f2)" x/a
cal_drop lost
reset
rm -f "$state"/cal-*.yaml
kp_check "kplaned logged no failed sync" bash -c "! grep -q 'sync failed' /tmp/kplaned.log"
grep -E "refused|failed|warn" /tmp/kplaned.log | sed 's/^/# kplaned: /'

kp_done

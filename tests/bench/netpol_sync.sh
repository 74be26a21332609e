#!/usr/bin/env bash
# Guest side of `make bench` (netpol): kplaned programming policy for a
# cluster of NS namespaces, PODS pods and POLS NetworkPolicies (each
# selecting the pods of one app, from the pods of one role in the
# namespaces of one team, on port 80 and the named port http), with LOCAL
# of the pods on this node (real veths):
#   - start to a fully programmed node ("node programmed N ms after start")
#     and kplaned's peak RSS;
#   - one pod's label changed (role r1 <-> r2: out of some peers' sets and
#     into others), CHANGES times: from the file's write to the commit, p50
#     and p99, and the selectors the change evaluated (its sync's log line);
#   - the same change with a tenth of the policies: the work per change
#     must not grow with them.
# Prints "BENCH-NETPOL pols=... ms=... rss_mib=..." and "BENCH-NETPOL-CHANGE
# pols=... n=... p50_ms=... p99_ms=... evals_p50=... evals_max=...".
. /scenarios/lib.sh

NS=${BENCH_NS:-1000}
PODS=${BENCH_PODS:-10000}
POLS=${BENCH_POLS:-1000}
LOCAL=${BENCH_LOCAL:-20}
CHANGES=${BENCH_CHANGES:-50}

kp_load
kp_calico_node node1
for n in $(seq 2 $((LOCAL + 1))); do kp_calico_pod node1 "$n"; done
kpctl node1 node enable

# The pct-th percentile of the numbers on stdin.
pct() { sort -n | awk -v p="$1" '{ v[NR] = $1 } END { i = int((NR * p + 99) / 100); if (i < 1) i = 1; print v[i] }'; }

# world POLS: namespaces, pods (pod 0 left out: change.yaml), WEPs of the
# local pods (pod i local for i in 2..LOCAL+1, at 10.244.1.i), policies.
world() {
	awk -v NS="$NS" -v PODS="$PODS" -v POLS="$1" -v LOCAL="$LOCAL" '
	function ip(i) { return i >= 2 && i <= LOCAL + 1 ? sprintf("10.244.1.%d", i) :
			 sprintf("10.%d.%d.%d", 100 + int(i / 65536), int(i / 256) % 256, i % 256) }
	BEGIN {
		for (n = 0; n < NS; n++)
			printf "---\nkind: Namespace\nmetadata: {name: ns%d, labels: {team: t%d}}\n", n, n % 10
		for (i = 1; i < PODS; i++) {
			local = i >= 2 && i <= LOCAL + 1
			printf "---\nkind: Pod\nmetadata: {name: p%d, namespace: ns%d, labels: {app: a%d, role: r%d}}\n", i, i % NS, i % POLS, i % 7
			printf "spec: {nodeName: %s, containers: [{name: c, ports: [{name: http, containerPort: %d}]}]}\n", local ? "node1" : "node2", 8080 + i % 3
			printf "status: {phase: Running, podIPs: [{ip: %s}]}\n", ip(i)
			if (local) {
				printf "---\nkind: WorkloadEndpoint\nmetadata: {name: w%d, namespace: ns%d}\n", i, i % NS
				printf "spec: {node: node1, pod: p%d, interfaceName: veth%d, netns: /run/netns/pod%d, ipNetworks: [%s/32]}\n", i, i, i, ip(i)
			}
		}
		for (p = 0; p < POLS; p++) {
			printf "---\napiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\n"
			printf "metadata: {name: np%d, namespace: ns%d}\nspec:\n  podSelector: {matchLabels: {app: a%d}}\n", p, p % NS, p
			printf "  ingress:\n  - from: [{namespaceSelector: {matchLabels: {team: t%d}}, podSelector: {matchLabels: {role: r%d}}}]\n", p % 10, p % 7
			printf "    ports: [{port: 80}, {port: http}]\n"
		}
	}'
}
# change N: pod 0, its role r1 or r2 by N's parity.
change() {
	printf -- '---\nkind: Pod\nmetadata: {name: p0, namespace: ns0, labels: {app: a0, role: r%d}}\n' $(( $1 % 2 + 1 ))
	printf 'spec: {nodeName: node2}\nstatus: {phase: Running, podIPs: [{ip: 10.100.0.0}]}\n'
}

run() {	# run POLS
	local pols=$1 pid log=/tmp/kplaned-$1.log t n i before lat evals
	rm -rf /tmp/state && mkdir -p /tmp/state
	world "$pols" >/tmp/state/world.yaml
	change 0 >/tmp/state/change.yaml
	ip netns exec node1 kplaned -d /tmp/state -N node1 -m 0 -s 3600 -l 127.0.0.1:9099 \
		-v info >"$log" 2>&1 &
	pid=$!
	for i in $(seq 3000); do
		grep -q 'node programmed' "$log" && break
		kill -0 $pid 2>/dev/null || break
		sleep 0.1
	done
	t=$(sed -n 's/.*node programmed \([0-9]*\) ms after start.*/\1/p' "$log")
	echo "BENCH-NETPOL ns=$NS pods=$PODS pols=$pols local=$LOCAL ms=${t:-fail}" \
	     "rss_mib=$(( $(awk '/VmHWM/ { print $2 }' /proc/$pid/status) / 1024 ))"
	grep -E 'listed|full sync|programmed' "$log" | sed 's/^/BENCH-NETPOL-LOG /'
	for n in $(seq "$CHANGES"); do
		before=$(grep -c 'after the change' "$log")
		change "$n" >/tmp/state/.change.tmp && mv /tmp/state/.change.tmp /tmp/state/change.yaml
		for i in $(seq 250); do
			[ "$(grep -c 'after the change' "$log")" -gt "$before" ] && break
			sleep 0.02
		done
	done
	lat=$(sed -n '/node programmed/,$ s/.*, \([0-9.]*\) ms after the change.*/\1/p' "$log")
	evals=$(sed -n '/node programmed/,$ { /after the change/ s/.* \([0-9]*\) selectors evaluated.*/\1/p }' "$log")
	echo "BENCH-NETPOL-CHANGE pols=$pols n=$(wc -l <<<"$lat") p50_ms=$(pct 50 <<<"$lat")" \
	     "p99_ms=$(pct 99 <<<"$lat") evals_p50=$(pct 50 <<<"$evals") evals_max=$(pct 100 <<<"$evals")" \
	     "rss_mib=$(( $(awk '/VmHWM/ { print $2 }' /proc/$pid/status) / 1024 ))"
	kp_check "kplaned programmed $pols policies" test -n "$t"
	kill -TERM $pid
	wait $pid
	grep -E 'error|refused' "$log" | head -5
	kpctl node1 node disable
	kpctl node1 node enable
}

run $((POLS / 10))
run "$POLS"
kp_done

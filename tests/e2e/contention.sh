#!/usr/bin/env bash
# One node's long transaction holds up no other node.  node1 commits
# 100,000 services as one "kplanectl batch", three times over (each commit
# replaces them all).  Meanwhile three loops work on node2: its commits
# (service set), deletions of its pods' interfaces (NETDEV_UNREGISTER, under
# rtnl) and exits of its pods' netns (kplane's pernet exit reaps the
# endpoint), each timed.  A node1 status request made during a commit waits
# for node1's lock until the commit ends: the time it waited is a stretch
# in which node1's commit certainly held its lock.  An operation on node2
# that began and ended within such a stretch did not wait for it; behind a
# module-wide lock none can.  Each operation's worst time is also held to a
# bound of its idle time.
. /scenarios/lib.sh

# The debug kernel (KASAN, lockdep under emulation: 3 batches of 20,000 took
# it 475 s) runs the same concurrent paths once at 5,000, for lockdep's and
# KASAN's sake; holding the figures to bounds is the stock kernel's job.
N=$(kp_scale 100000 5000)
ROUNDS=$(kp_scale 3 1)
PODS=$(kp_scale 60 20)
# N services in one transaction need the per-node service cap (max_services)
# and the transaction size (max_txn_ops) above N: their defaults, spelled
# out.  And ~80 MB of configuration memory with the 251-entry Maglev tables
# used below (1021 entries, the default, would take ~230 MB): a node's
# default share is RAM/8, ~120 MB in a 1 GiB VM, so both shares are raised.
kp_load max_services=131072 max_txn_ops=262144 max_config_mb=512 max_node_config_mb=256
kp_kplane_node node1
kp_kplane_node node2

# node2's pods: a netns, a veth whose node end is an endpoint (with the fast
# path's ingress hook).  Links l1.. are deleted by one loop, netns n1.. by
# another.
pod() {
	ip netns add "$1$2"
	ip -n node2 link add "c$1$2" type veth peer name eth0 netns "$1$2"
	ip -n node2 link set "c$1$2" up
	echo "endpoint add $1$2 dev c$1$2 netns /run/netns/$1$2"
}
for i in $(seq "$PODS"); do pod l "$i"; pod n "$i"; done >/tmp/pods.batch
kp_check "node2: $((2 * PODS)) pods" kpctl node2 batch /tmp/pods.batch

# timed OP CMD...: runs CMD; appends "OP START END STATUS" (µs) to $samples.
timed() {
	local op=$1 t0=${EPOCHREALTIME/./} rc
	shift
	"$@" >/dev/null 2>&1
	rc=$?
	echo "$op $t0 ${EPOCHREALTIME/./} $rc" >>"$samples"
}
reaped() {
	[ "$(kpctl node2 --json status | grep -o '"endpoints_reaped":[0-9]*' | cut -d: -f2)" -ge "$1" ]
}
# gone K: deletes pod nK's netns and waits until node2 has reaped K endpoints.
gone() { ip netns del "n$1" && kp_until 60 reaped "$1"; }
svc=0
commit() {
	svc=$((svc + 1))
	kpctl node2 service set "10.97.$((svc / 250)).$((svc % 250 + 1)):80/tcp" \
		backend 10.244.2.2:8080
}

# The three loops; each stops at /tmp/stop or when it runs out of pods.
loops() {
	local k=0
	while [ ! -e /tmp/stop ]; do timed commit commit; done &
	while [ ! -e /tmp/stop ] && [ "$k" -lt "$PODS" ]; do
		k=$((k + 1)); timed linkdel ip -n node2 link del "cl$k"; done &
	k=$nexit
	while [ ! -e /tmp/stop ] && [ "$k" -lt "$PODS" ]; do
		k=$((k + 1)); timed netns gone "$k"; echo "$k" >/tmp/nexit; done &
	wait
}

# figure FILE OP median|p90|max|count: of the OP samples' durations (ms).
figure() {
	awk -v op="$2" '$1 == op { print int(($3 - $2) / 1000) }' "$1" | sort -n |
		awk -v s="$3" '{ v[NR] = $1 } END {
			if (s == "count") print NR; else if (!NR) print 0
			else if (s == "max") print v[NR]
			else print v[int((NR + 1) * (s == "p90" ? 0.9 : 0.5))] + 0 }'
}

# Idle: a few of each, nothing else running.
samples=/tmp/idle.samples
for k in 1 2 3; do
	timed commit commit
	timed linkdel ip -n node2 link del "cl$((PODS - 3 + k))"
	timed netns gone "$k"
done
nexit=3
lpods=$((PODS - 3))

# Loaded: node1's batches, its status polled alongside (each poll during a
# commit waits for it), node2's loops until the last batch is done.
samples=/tmp/load.samples
rm -f /tmp/stop /tmp/probe.out
PODS=$lpods
(
	PODS=$lpods
	loops
) &
looper=$!
while [ ! -e /tmp/stop ]; do
	t0=${EPOCHREALTIME/./}
	n=$(kpctl node1 --json status | grep -o '"generation":[0-9]*' | cut -d: -f2)
	echo "${n:--} $t0 ${EPOCHREALTIME/./}" >>/tmp/probe.out
	sleep 0.05
done &
prober=$!
t0=${EPOCHREALTIME/./}
for r in $(seq "$ROUNDS"); do
	awk -v n="$N" -v r="$r" 'BEGIN { for (i = 0; i < n; i++)
		printf "service set 10.%d.%d.%d:80/tcp maglev 251 backend 10.244.1.2:%d\n",
			100 + int(i / 62500), int(i / 250) % 250, i % 250 + 1, 8080 + r }' >/tmp/big.batch
	kp_check "node1: batch $r of $N services commits" kpctl node1 batch /tmp/big.batch
done
t1=${EPOCHREALTIME/./}
touch /tmp/stop
wait "$looper" "$prober"

# A commit's certain stretch: the first poll to see node1's generation move,
# if it took 3x the polls' median or more (it waited for node1's lock), less
# a median's worth at its start (before its request reached the lock).
pmed=$(awk '{ print $3 - $2 }' /tmp/probe.out | sort -n |
	awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] + 0 }')
awk -v m="$pmed" 'NR > 1 && $1 != last && $3 - $2 >= 3 * m { print $2 + m, $3 } { last = $1 }' \
	/tmp/probe.out >/tmp/held
echo "# node1: $ROUNDS batches of $N services in $(( (t1 - t0) / 1000000 )) s; its status polls" \
	"took $((pmed / 1000)) ms (median), and waited out its commits for:" \
	"$(awk '{ printf "%d ms ", ($2 - $1) / 1000 }' /tmp/held)"

inside=$(awk 'NR == FNR { a[NR] = $1; b[NR] = $2; n = NR; next }
	{ for (i = 1; i <= n; i++) if ($2 >= a[i] && $3 <= b[i]) { k++; print $1 >"/dev/stderr" } }
	END { print k + 0 }' /tmp/held /tmp/load.samples 2>/tmp/inside.ops)
echo "# node2 operations entirely within node1's commits: $inside" \
	"($(sort /tmp/inside.ops | uniq -c | awk '{ printf "%s %s ", $1, $2 }'))"
if [ ! -e /sys/kernel/debug/kmemleak ]; then
	kp_check "node1's commits held its lock in $(wc -l </tmp/held) polls" test -s /tmp/held
	kp_check "node2 worked while node1's commit held node1's lock ($inside operations)" \
		test "$inside" -ge 1
fi
kp_eq "every timed operation succeeded" \
	"$(cat /tmp/idle.samples /tmp/load.samples | awk '$4 != 0 { n++ } END { print n + 0 }')" 0
# A sanity bound, not the test of the locks (that is the one above): 5x
# idle, for sharing the one online CPU with the batch, its Maglev builder and
# the two other loops, plus 1 s of noise on a busy host.
declare -A what=([commit]="node2 commits"
	[linkdel]="a node2 pod's interface is deleted (ip link del)"
	[netns]="a node2 pod's netns exits (ip netns del until node2 reaps it)")
for op in commit linkdel netns; do
	idle=$(figure /tmp/idle.samples "$op" median)
	p90=$(figure /tmp/load.samples "$op" p90)
	bound=$((5 * idle + 1000))
	echo "# $op: idle median $idle ms; during the batches median" \
		"$(figure /tmp/load.samples "$op" median) ms, p90 $p90 ms," \
		"max $(figure /tmp/load.samples "$op" max) ms over $(figure /tmp/load.samples "$op" count)"
	[ -e /sys/kernel/debug/kmemleak ] ||
		kp_check "${what[$op]} during node1's batches: p90 $p90 ms <= $bound ms" \
			test "$p90" -le "$bound"
done

kp_eq "node1 holds the $N services" "$(kpctl node1 --json status | grep -o '"services":[0-9]*')" \
	"\"services\":$N"
kp_eq "node2 holds every service its loop set" \
	"$(kpctl node2 --json status | grep -o '"services":[0-9]*')" \
	"\"services\":$(awk '$1 == "commit" { n++ } END { print n }' /tmp/idle.samples /tmp/load.samples)"
kp_eq "node2 reaped every exited netns's endpoint" \
	"$(kpctl node2 --json status | grep -o '"endpoints_reaped":[0-9]*')" \
	"\"endpoints_reaped\":$(cat /tmp/nexit 2>/dev/null || echo 3)"
kp_check "no kernel warning, stall or hung task" \
	bash -c "! dmesg | grep -E 'WARNING:|BUG:|rcu.*stall|blocked for more than'"
kp_check "module unloads" kp_unload
kp_done

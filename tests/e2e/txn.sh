#!/usr/bin/env bash
# Transactions and batches (issue 3): "kplanectl batch" applies a file of
# service changes as one transaction, all or nothing; a refused change names
# its line and leaves every dump byte-identical; commit re-checks limits;
# commit without begin is refused; a client that dies mid-transaction leaves
# nothing behind; traffic keeps working across a committed swap.
. /scenarios/lib.sh

kp_load
kp_kplane_node node1 2 3 4 5
for n in 2 3 4; do ip netns exec pod$n kp-echo serve tcp 0.0.0.0 8080 web-$n & done
for n in 2 3; do ip netns exec pod$n kp-echo serve udp 0.0.0.0 5353 dns-$n & done
sleep 0.5

snapshot() { kpctl node1 --json service list; kpctl node1 --json status | grep -o '"generation":[0-9]*'; }

kpctl node1 service set 10.96.0.9:80/tcp backend 10.244.1.2:8080
cat >/tmp/ok.batch <<'EOF'
# a comment, then the changes
service set 10.96.0.10:80/tcp id default/web backend 10.244.1.2:8080 backend 10.244.1.3:8080

service set 10.96.0.11:80/tcp backend 10.244.1.4:8080
service set 10.96.0.11:80/tcp backend 10.244.1.3:8080
service set [fd00:96::10]:80/tcp backend [fd00:244::2]:8081
service del 10.96.0.9:80/tcp
service set 10.96.0.12:53/udp
service del 10.96.0.12:53/udp
EOF
kp_check "batch applies" kpctl node1 batch /tmp/ok.batch
kpctl node1 service list
kp_eq "batch: three services, the deleted one gone, set-then-deleted never made" \
	"$(kpctl node1 service list | awk 'NR > 1 {print $1}' | sort | tr '\n' ' ')" \
	"10.96.0.10:80 10.96.0.11:80 [fd00:96::10]:80 "
kp_eq "batch: the last change to a frontend wins" \
	"$(kpctl node1 --json service show 10.96.0.11:80/tcp | grep -o '"address":"10.244.1.[0-9]"')" \
	'"address":"10.244.1.3"'
out=$(ip netns exec pod5 kp-echo connect tcp 10.96.0.11 80)
kp_check "batch: traffic uses the committed service [$out]" grep -q '^reply=web-3 ' <<<"$out"

before=$(snapshot)
cat >/tmp/bad.batch <<'EOF'
service set 10.96.0.20:80/tcp backend 10.244.1.2:8080
service del 10.96.0.10:80/tcp
service set [fd00:96::20]:80/tcp backend 10.244.1.2:8080
service set 10.96.0.21:80/tcp backend 10.244.1.2:8080
EOF
kp_refused "batch: a refused change names its line; all is aborted" 1 "line 3: Invalid argument" \
	"backend address family differs from the service's" kpctl node1 batch /tmp/bad.batch
kp_eq "batch: after the abort every dump is byte-identical" "$(snapshot)" "$before"
printf 'service set 10.96.0.20:80/tcp\nservice frobnicate\n' >/tmp/usage.batch
kp_refused "batch: a usage error names its line; nothing sent" 2 "line 2:" "" \
	kpctl node1 batch /tmp/usage.batch
printf 'service del 10.96.0.77:80/tcp\n' >/tmp/del.batch
kp_refused "batch: deleting an unknown service" 1 "line 1: No such file or directory" \
	"no service with this frontend" kpctl node1 batch /tmp/del.batch
kp_eq "nothing half-applied" "$(snapshot)" "$before"

# Commit re-checks the limit against the tables as they are then.
count=$(kpctl node1 --json status | grep -o '"services":[0-9]*' | cut -d: -f2)
echo $((count + 1)) >/sys/module/kplane/parameters/max_services
printf 'service set 10.96.0.30:80/tcp\nservice set 10.96.0.31:80/tcp\n' >/tmp/limit.batch
kp_refused "commit over the service limit" 1 "No space left on device" \
	"transaction would exceed the service limit" kpctl node1 batch /tmp/limit.batch
kp_eq "the over-limit transaction applied nothing" "$(snapshot)" "$before"
printf 'service del 10.96.0.10:80/tcp\nservice set 10.96.0.30:80/tcp\nservice set 10.96.0.31:80/tcp\n' \
	>/tmp/swap.batch
kp_check "a delete in the same transaction makes room" kpctl node1 batch /tmp/swap.batch
echo 131072 >/sys/module/kplane/parameters/max_services

# A batch goes a window of requests at a time: a refusal deep in a large
# one still names its change (the 1501st of 1502, sent in the second window).
ip netns add bulk && kpctl bulk node enable
awk 'BEGIN { for (i = 0; i < 1502; i++)
	printf "---\nkind: Service\nmetadata: {name: s%d}\nspec: {clusterIP: 10.96.%d.%d, ports: [{port: 80}]}\n",
		i, int(i / 200), i % 200 + 1 }' >/tmp/bulk.yaml
echo 1500 >/sys/module/kplane/parameters/max_txn_ops
kp_refused "apply: the 1501st of 1502 staged changes is refused and named" 1 \
	"service 10.96.7.101:80/tcp" "too many changes" kpctl bulk apply -f /tmp/bulk.yaml
echo 262144 >/sys/module/kplane/parameters/max_txn_ops
kp_eq "and nothing of it applied" "$(kpctl bulk service list | grep -c 10.96)" 0

kp_refused "commit without begin" 1 "No such file or directory" "no such transaction" \
	ip netns exec node1 kp-bulk commit-without-begin 0
before=$(snapshot)
for i in $(seq 20); do ip netns exec node1 kp-bulk txn-leak 50 || break; done
kp_eq "20 clients that exit mid-transaction: nothing applied" "$(snapshot)" "$before"
kp_check "their transactions were released (a 21st can begin and commit)" \
	ip netns exec node1 kp-bulk services-batch 1000
# kp-bulk's 10.96.0.1-10.96.3.232 replace the IPv4 ones; the IPv6 one stays.
kp_eq "1000 services in one transaction" \
	"$(kpctl node1 --json status | grep -o '"services":[0-9]*')" '"services":1001'
kp_refused "permission: batch needs CAP_NET_ADMIN" 1 "Operation not permitted" "" \
	ip netns exec node1 kp-runas nobody kplanectl batch /tmp/ok.batch

# A commit is one step for traffic: a transaction moves service A (its
# first change) and service Z (its last) from dns-2 to dns-3, with 20k new
# services between them (2k on the debug kernel, where 20k took longer than
# the watcher's minute), while pod5 asks A, then Z, again and again on new
# sockets.  No round may see A moved and Z not.
between=$(kp_scale 20000 2000)
printf 'service set 10.96.5.1:5353/udp backend 10.244.1.2:5353\nservice set 10.96.5.2:5353/udp backend 10.244.1.2:5353\n' \
	>/tmp/az0.batch
kpctl node1 batch /tmp/az0.batch
{ echo 'service set 10.96.5.1:5353/udp backend 10.244.1.3:5353'
  seq 0 $((between - 1)) | awk '{ printf "service set 10.98.%d.%d:80/tcp backend 10.244.1.4:8080\n", $1 / 200, $1 % 200 + 1 }'
  echo 'service set 10.96.5.2:5353/udp backend 10.244.1.3:5353'; } >/tmp/az1.batch
ip netns exec pod5 env KP_ECHO_TIMEOUT_MS=1000 kp-echo watch udp 10.96.5.1 5353 180000 10.96.5.2 \
	>/tmp/watch.out &
watcher=$!
# And one connected socket to A all along: the commit moves it to A's new backend.
ip netns exec pod5 kp-echo repeat udp 10.96.5.1 5353 100000 100 >/tmp/repeat.out &
repeater=$!
sleep 1
time kpctl node1 batch /tmp/az1.batch
sleep 1
kill $watcher $repeater; wait $watcher $repeater 2>/dev/null
sort /tmp/watch.out | uniq -c
kp_check "atomic commit: rounds saw A and Z both before, then both after" \
	bash -c "grep -q '^dns-2 dns-2$' /tmp/watch.out && [ \"\$(tail -n1 /tmp/watch.out)\" = 'dns-3 dns-3' ]"
kp_eq "atomic commit: no round saw A moved and Z not" "$(grep -c '^dns-3 dns-2$' /tmp/watch.out)" 0
# (One round of slack for the moment the commit lands.  The connected socket
# below has none: it moves to a live backend at its next send, so even an
# answer in flight as the commit lands still reaches it.)
unanswered=$(grep -cE '(^| )-( |$)' /tmp/watch.out)
kp_check "atomic commit: every round answered but at most one in flight ($unanswered)" \
	test "$unanswered" -le 1
replies=$(sed -n 's/^reply=\([^ ]*\).*/\1/p' /tmp/repeat.out | uniq | tr '\n' ' ')
kp_eq "a connected UDP socket to A: answered by dns-2, then (moved by the commit) dns-3" \
	"$replies" "dns-2 dns-3 "
kp_eq "...losing no answer, not even one in flight" "$(grep -c '^error=' /tmp/repeat.out)" 0

# Traffic across repeated committed swaps of a service's backend set:
# every connection is answered by one of the two sets.
printf 'service set 10.96.0.40:80/tcp backend 10.244.1.2:8080 backend 10.244.1.3:8080\n' >/tmp/a.batch
printf 'service set 10.96.0.40:80/tcp backend 10.244.1.4:8080\n' >/tmp/b.batch
kpctl node1 batch /tmp/a.batch
(for i in $(seq 10); do kpctl node1 batch /tmp/b.batch; kpctl node1 batch /tmp/a.batch; done) &
swapper=$!
got=$(for i in $(seq 15); do ip netns exec pod5 kp-echo connect tcp 10.96.0.40 80 | sed -n 's/^reply=//p'; done)
wait $swapper
kp_check "connections during swaps: 15 answered, each by web-2, web-3 or web-4" \
	bash -c "[ \$(grep -c . <<<'$got') = 15 ] && ! grep -Evq '^web-[234] 10\.244\.1\.5$' <<<'$got'"

kill $(jobs -p) 2>/dev/null
wait 2>/dev/null
kp_check "module unloads" kp_unload
kp_done

#!/usr/bin/env bash
# kplaned starts, enables its node, logs, and exits cleanly on SIGTERM,
# leaving the node (and its state) in place.
. /scenarios/lib.sh

kp_load
ip netns add node1
ip netns exec node1 kplaned 2>/tmp/kplaned.log &
pid=$!
for _ in $(seq 50); do
	grep -q "waiting for SIGTERM" /tmp/kplaned.log && break
	sleep 0.1
done
kp_eq "kplaned enabled its node" "$(kpctl node1 --json status | grep -o '"enabled":[a-z]*')" '"enabled":true'
kill -TERM $pid
wait $pid
kp_eq "kplaned exits 0 on SIGTERM" "$?" 0
cat /tmp/kplaned.log
kp_check "kplaned logged its exit" grep -q "exiting; node state left in place" /tmp/kplaned.log
kp_eq "node stays enabled after kplaned exits" "$(kpctl node1 --json status | grep -o '"enabled":[a-z]*')" '"enabled":true'
rmmod kplane
ip netns exec node1 kplaned 2>/tmp/kplaned2.log
kp_eq "kplaned without the module exits 1" "$?" 1
kp_check "and says why" grep -q "is the kplane module loaded" /tmp/kplaned2.log
kp_done

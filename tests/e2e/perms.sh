#!/usr/bin/env bash
# Without CAP_NET_ADMIN over the netns every mutating command gets EPERM;
# reading still works.
. /scenarios/lib.sh

kp_load
kplanectl node enable
kp_pod "" pod-a veth-a 10.0.0.2
kplanectl endpoint add keep dev veth-a

for mode in nobody userns; do
	run=(kp-runas "$mode" kplanectl)
	kp_refused "$mode: node enable" 1 "Operation not permitted" "" "${run[@]}" node enable
	kp_refused "$mode: node disable" 1 "Operation not permitted" "" "${run[@]}" node disable
	kp_refused "$mode: endpoint add" 1 "Operation not permitted" "" "${run[@]}" endpoint add x dev lo
	kp_refused "$mode: endpoint del" 1 "Operation not permitted" "" "${run[@]}" endpoint del keep
	kp_check "$mode: status works" "${run[@]}" status
	kp_check "$mode: endpoint list works" "${run[@]}" endpoint list
	kp_check "$mode: endpoint show works" "${run[@]}" endpoint show keep
done
kp_eq "nothing changed" "$(kplanectl --json endpoint list | grep -o '"id":"[^"]*"')" '"id":"keep"'
# A user namespace that owns its netns is admin there: that netns can be a node.
kp_check "userns-owned netns may enable itself" unshare -Urn kplanectl node enable
kp_unload
kp_done

#!/usr/bin/env bash
# Malformed and refused requests: each gets the right errno and an extack
# message, printed by kplanectl (or, for framing kplanectl never builds, by
# kp-nlcraft through the same libkplane path).
. /scenarios/lib.sh

kp_load
kp_refused "endpoint add before node enable" 1 "No such file or directory" \
	"kplane is not enabled in this netns" kplanectl endpoint add a dev lo
kp_refused "endpoint list before node enable" 1 "No such file or directory" \
	"kplane is not enabled in this netns" kplanectl endpoint list
kplanectl node enable
kp_pod "" pod-a veth-a 10.0.0.2

kp_refused "interface that does not exist" 1 "No such device" \
	"no such interface in this netns" kplanectl endpoint add a dev nosuch0
kp_refused "delete unknown endpoint" 1 "No such file or directory" \
	"no endpoint with this id" kplanectl endpoint del nosuch
kp_refused "id with a space" 1 "Invalid argument" \
	"id may only contain" kplanectl endpoint add "a b" dev veth-a
kp_refused "multicast address" 1 "Invalid argument" \
	"multicast address is not allowed" kplanectl endpoint add a dev veth-a addr 224.0.0.1
kp_refused "duplicate address" 1 "Invalid argument" \
	"duplicate address" kplanectl endpoint add a dev veth-a addr 10.0.0.2 addr 10.0.0.2
kp_refused "netns path that is not a netns" 1 "Invalid argument" \
	"netns fd does not refer to a network namespace" kplanectl endpoint add a dev veth-a netns /proc/self/ns/uts
kp_refused "pod netns = node netns" 1 "Invalid argument" \
	"pod netns must not be the node's own netns" kplanectl endpoint add a dev veth-a netns /proc/self/ns/net
kplanectl endpoint add a dev veth-a
kp_refused "duplicate id" 1 "File exists" \
	"an endpoint with this id exists" kplanectl endpoint add a dev lo
kp_refused "interface used twice" 1 "File exists" \
	"interface belongs to another endpoint" kplanectl endpoint add b dev veth-a
kp_refused "usage error exits 2" 2 "usage" "" kplanectl endpoint add
kp_refused "unknown command exits 2" 2 "unknown command" "" kplanectl frobnicate

# Framing that only a broken or hostile client sends.
kp_refused "missing endpoint attribute" 1 "Invalid argument" \
	"endpoint attribute (KPLANE_A_ENDPOINT) is missing" kp-nlcraft missing-endpoint
kp_refused "missing id" 1 "Invalid argument" "endpoint id is missing" kp-nlcraft missing-id
kp_refused "wrong attribute type" 1 "Invalid argument" "invalid attribute length" kp-nlcraft wrong-type
kp_refused "oversize id string" 1 "Invalid argument" "" kp-nlcraft oversize-id
out=$(kp-nlcraft oversize-id 2>&1)
kp_check "oversize id has a message [$out]" [ "${out#*Invalid argument: }" != "$out" ]
kp_refused "unknown nested attribute" 1 "Invalid argument" "Unknown attribute type" kp-nlcraft unknown-nested
kp_refused "bad address family" 1 "Invalid argument" \
	"address family must be AF_INET or AF_INET6" kp-nlcraft bad-family
kp_refused "short IPv4 address" 1 "Invalid argument" "IPv4 address must be 4 bytes" kp-nlcraft short-ip
kp_refused "nest without NLA_F_NESTED" 1 "Invalid argument" "NLA_F_NESTED is missing" kp-nlcraft no-nested-flag
kp_refused "reply-only attribute in a request" 1 "Invalid argument" \
	"attribute is only sent by the kernel" kp-nlcraft reply-only-top
kp_refused "unknown top-level attribute" 1 "Invalid argument" "Unknown attribute type" kp-nlcraft unknown-top

# The endpoint limit: refused with ENOSPC and counted.
echo 2 >/sys/module/kplane/parameters/max_endpoints
kp_pod "" pod-b veth-b 10.0.0.3
kp_pod "" pod-c veth-c 10.0.0.4
kplanectl endpoint add b dev veth-b
kp_refused "table full" 1 "No space left on device" "endpoint table is full" \
	kplanectl endpoint add c dev veth-c
kp_eq "table-full counter" "$(kplanectl --json status | grep -o '"endpoint_table_full":[0-9]*')" \
	'"endpoint_table_full":1'
kp_eq "nothing half-applied" "$(kplanectl --json endpoint list | grep -o '"id":"[^"]*"' | tr '\n' ' ')" \
	'"id":"a" "id":"b" '
kp_unload
kp_done

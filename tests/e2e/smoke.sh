#!/usr/bin/env bash
# Load, enable, one endpoint, status and list, unload.
. /scenarios/lib.sh

kp_check "module loads" kp_load
kp_check "node enable" kplanectl node enable
kp_pod "" pod-a veth-a 10.0.0.2
kp_check "endpoint add" kplanectl endpoint add default/pod-a dev veth-a netns /run/netns/pod-a addr 10.0.0.2 addr fd00::2
kplanectl status
kplanectl endpoint list
kplanectl --json endpoint list
kp_eq "list shows the endpoint" "$(kplanectl --json endpoint list | grep -c '"id":"default/pod-a"')" 1
kp_check "module unloads" kp_unload
kp_done

#!/usr/bin/env bash
# Booted with a DKMS-built kplane.ko: it loads, works and unloads.
. /scenarios/lib.sh

kp_check "DKMS-built module loads" kp_load
kp_eq "module version" "$(cat /sys/module/kplane/version)" "0.1"
kp_eq "built for the running kernel" \
	"$(tr '\0' '\n' </lib/kplane/kplane.ko | sed -n 's/^vermagic=\([^ ]*\).*/\1/p')" "$(uname -r)"
kp_check "node enable" kplanectl node enable
kp_pod "" pod-a veth-a 10.0.0.2
kp_check "endpoint add" kplanectl endpoint add a dev veth-a netns /run/netns/pod-a addr 10.0.0.2
kp_eq "endpoint listed" "$(kplanectl --json endpoint list | grep -o '"id":"a"')" '"id":"a"'
kp_check "module unloads" kp_unload
kp_done

#!/usr/bin/env bash
# 10,000 endpoints: the dump spans many messages and stays consistent while
# the table changes under it.
. /scenarios/lib.sh

# The debug kernel (KASAN, lockdep, kmemleak) checks the same code with
# 2,000 (still dozens of dump messages): under TCG it spends ~8 minutes
# creating 10,200 interfaces and longer on kmemleak's scan of them at exit.
N=${N:-$(kp_scale 10000 2000)}
CHURN=200
kp_load
kplanectl node enable
# One dummy interface per endpoint (an interface backs one endpoint).
seq 0 $((N + CHURN - 1)) | sed 's/.*/link add d& type dummy/' >/tmp/links
kp_check "create $((N + CHURN)) dummy interfaces" ip -batch /tmp/links
kp_check "add $N endpoints" kp-bulk add "$N"
kp_eq "status counts $N" "$(kplanectl --json status | grep -o '"endpoints":[0-9]*')" "\"endpoints\":$N"
kp_check "dump returns each of $N exactly once" kp-bulk check "$N"
kp_eq "kplanectl lists $N" "$(kplanectl endpoint list | tail -n +2 | wc -l)" "$N"
kp_check "dumps stay consistent under churn" kp-bulk churn "$N" "$CHURN" 10
kp_unload
kp_done

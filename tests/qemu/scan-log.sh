#!/usr/bin/env bash
# scan-log.sh LOG: exit 1 (and print the lines) if the guest's kernel log
# shows a WARN, BUG, Oops, KASAN, kmemleak, lockdep or RCU report.
set -u
pat='WARNING:|BUG:|Oops|general protection fault|KASAN|kmemleak: [0-9]+ new suspected|unreferenced object|possible circular locking|possible recursive locking|suspicious RCU usage|inconsistent lock state|Kernel panic|Call Trace:|UBSAN:|refcount_t:'
if grep -a -n -E "$pat" "$1" | head -40 | grep .; then
	exit 1
fi
exit 0

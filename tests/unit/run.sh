#!/usr/bin/env bash
# Userspace unit tests: code shared with the module (kmod/lib/validate.c, through
# the shim), kplanectl's parser, kplaned's Kubernetes translation, Calico's
# selector language and the label index, built with ASan and UBSan (any
# report is fatal).  Prints TAP; exits non-zero if a case failed.
set -euo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
out=$top/build/unit
mkdir -p "$out"
cflags=(-std=gnu11 -g -O1 -Wall -Wextra -Werror -D_GNU_SOURCE
	-fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer
	-I"$top/tests/unit" -I"$top/tests/unit/shim" -I"$top/kmod/lib" -I"$top/include"
	-I"$top/include/uapi" -I"$top/userspace/lib" -I"$top/userspace/kplanectl"
	-I"$top/userspace/agent")
cc=${CC:-gcc}
"$cc" "${cflags[@]}" "$top/tests/unit/validate_test.c" "$top/kmod/lib/validate.c" -o "$out/validate_test"
"$cc" "${cflags[@]}" "$top/tests/unit/args_test.c" "$top/userspace/kplanectl/args.c" \
	"$top/userspace/kplanectl/policy_args.c" -o "$out/args_test"
"$cc" "${cflags[@]}" "$top/tests/unit/maglev_test.c" "$top/kmod/lib/maglev.c" -o "$out/maglev_test"
"$cc" "${cflags[@]}" "$top/tests/unit/match_test.c" "$top/kmod/lib/match.c" "$top/kmod/lib/prefix.c" \
	-o "$out/match_test"
# kplaned's model: plain C, no I/O but files (agent_test makes its own);
# sync.c speaks to the kernel (libkplane), tested in the VM.
agent_src=()
for f in "$top"/userspace/agent/*.c; do [ "${f##*/}" = sync.c ] || agent_src+=("$f"); done
"$cc" "${cflags[@]}" "$top/tests/unit/k8s_test.c" "${agent_src[@]}" -lfyaml -o "$out/k8s_test"
"$cc" "${cflags[@]}" -DKP_DIST="\"$top/dist\"" "$top/tests/unit/agent_test.c" "${agent_src[@]}" \
	-lfyaml -o "$out/agent_test"
"$cc" "${cflags[@]}" -DKP_CASES="\"$top/tests/unit/selector_cases.tsv\"" \
	"$top/tests/unit/selector_test.c" "$top/userspace/agent/selector.c" -o "$out/selector_test"
"$cc" "${cflags[@]}" "$top/tests/unit/labelindex_test.c" "${agent_src[@]}" -lfyaml \
	-o "$out/labelindex_test"
"$cc" "${cflags[@]}" "$top/tests/unit/netpol_test.c" "${agent_src[@]}" -lfyaml \
	-o "$out/netpol_test"
fail=0
for t in validate_test args_test maglev_test match_test k8s_test agent_test selector_test \
	labelindex_test netpol_test; do
	echo "# unit: $t"
	ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1 "$out/$t" || fail=1
done

# The example CNI configuration the README points at is valid JSON.
if jq -e '.plugins | length == 2' "$top/dist/10-kplane.conflist" >/dev/null; then
	echo "ok - dist/10-kplane.conflist is a conflist"
else
	echo "not ok - dist/10-kplane.conflist"; fail=1
fi

# The VM verdict's log scanner must catch each kind of kernel report.
scan=$top/tests/qemu/scan-log.sh
scan_ok=1
for report in "WARNING: CPU: 1 PID: 42 at kmod/node.c:10 kp_node_enable+0x1" \
	"BUG: KASAN: slab-use-after-free in kp_ep_table_del" \
	"kmemleak: 2 new suspected memory leaks" "unreferenced object 0xffff8880 (size 512):" \
	"WARNING: possible circular locking dependency detected" "Oops: 0000 [#1] SMP" \
	"WARNING: suspicious RCU usage"; do
	printf '[ 1.0] fine\n[ 2.0] %s\n' "$report" >"$out/scan.log"
	"$scan" "$out/scan.log" >/dev/null && { echo "# scan-log missed: $report"; scan_ok=0; }
done
printf '[ 1.0] kplane: loading out-of-tree module taints kernel.\nok 1 - fine\n' >"$out/scan.log"
"$scan" "$out/scan.log" >/dev/null || { echo "# scan-log flagged a clean log"; scan_ok=0; }
if [ $scan_ok = 1 ]; then echo "ok - scan-log.sh catches kernel reports, passes clean logs"
else echo "not ok - scan-log.sh"; fail=1; fi

# A bounded libFuzzer run over the same parsers (a crash or sanitizer report
# fails it).  KPLANE_FUZZ_SECONDS lengthens it for a real campaign.
fuzz_cflags=("${cflags[@]/-fsanitize=address,undefined/-fsanitize=fuzzer,address,undefined}")
if clang "${fuzz_cflags[@]}" "$top/tests/unit/fuzz_parsers.c" "$top/tests/unit/fuzz_rules.c" \
	"$top/kmod/lib/validate.c" \
	"$top/userspace/kplanectl/args.c" "$top/userspace/kplanectl/policy_args.c" \
	"$top/kmod/lib/match.c" "$top/kmod/lib/prefix.c" "${agent_src[@]}" -lfyaml \
	-o "$out/fuzz_parsers" 2>"$out/fuzz-build.log"; then
	secs=${KPLANE_FUZZ_SECONDS:-20}
	if "$out/fuzz_parsers" -max_total_time="$secs" -max_len=512 -timeout=10 >"$out/fuzz.log" 2>&1; then
		echo "ok - fuzz_parsers: $(grep -o 'Done [0-9]* runs' "$out/fuzz.log") in ${secs}s, no crash"
	else
		tail -30 "$out/fuzz.log"
		echo "not ok - fuzz_parsers found a crash (see $out/fuzz.log)"
		fail=1
	fi
else
	cat "$out/fuzz-build.log"
	echo "not ok - fuzz_parsers does not build"
	fail=1
fi
exit $fail

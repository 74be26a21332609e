#!/usr/bin/env bash
# Userspace unit tests: code shared with the module (kmod/validate.c, through
# the shim) and kplanectl's parser, built with ASan and UBSan (any report is
# fatal).  Prints TAP; exits non-zero if a case failed.
set -euo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
out=$top/build/unit
mkdir -p "$out"
cflags=(-std=gnu11 -g -O1 -Wall -Wextra -Werror -D_GNU_SOURCE
	-fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer
	-I"$top/tests/unit" -I"$top/tests/unit/shim" -I"$top/kmod" -I"$top/include"
	-I"$top/include/uapi" -I"$top/userspace/lib" -I"$top/userspace/kplanectl")
cc=${CC:-gcc}
"$cc" "${cflags[@]}" "$top/tests/unit/validate_test.c" "$top/kmod/validate.c" -o "$out/validate_test"
"$cc" "${cflags[@]}" "$top/tests/unit/args_test.c" "$top/userspace/kplanectl/args.c" -o "$out/args_test"
fail=0
for t in validate_test args_test; do
	echo "# unit: $t"
	ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1 "$out/$t" || fail=1
done
exit $fail

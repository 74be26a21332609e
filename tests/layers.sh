#!/usr/bin/env bash
# layers.sh [BUILD_DIR]: the module's layer rule, from its object files.  A
# layer (kmod/objects.mk, lowest first) may call or read only its own and
# lower layers: every symbol an object takes from another must be defined in
# the same layer or below.  kmod/lib/ builds in userspace too, so its files
# may include only each other, core.h and the uapi header.  Prints TAP; exits
# non-zero on a violation.  BUILD_DIR: a module build (build-module.sh's).
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
dir=${1:-$(dirname "$("$top/tests/qemu/build-module.sh" "$("$top/tests/qemu/kernels.sh" kdir)")")}
fail=0

# "layer-number layer object" per line, lowest first, main.o last.
layers=$(make -s --no-print-directory -f - -C "$top" <<'MK' | awk -F: '
		$1 != last { n++; last = $1 } { print n, $1, $2 }
		END { print n + 1, "main", "kmod/main.o" }'
include kmod/objects.mk
all:
	@printf '%s\n' $(foreach l,$(kplane-layers),$(foreach o,$(kplane-$(l)),$(l):$(o)))
MK
)
while read -r _ _ o; do
	[ -f "$dir/$o" ] || { echo "not ok - layers: $dir/$o is missing (build first)"; exit 1; }
done <<<"$layers"
# "symbol layer-number layer object" for every symbol an object defines.
defs=$(while read -r n l o; do
	nm --defined-only "$dir/$o" | awk -v d="$n $l $o" '$2 ~ /^[TDBR]$/ {print $3, d}'
done <<<"$layers")
bad=$(while read -r n l o; do
	nm --undefined-only "$dir/$o" | awk -v n="$n" -v what="$o ($l)" '
		NR == FNR { num[$1] = $2; at[$1] = $4 " (" $3 ")"; next }
		($2 in num) && num[$2] > n { print what " -> " at[$2] ": " $2 }' \
		<(echo "$defs") -
done <<<"$layers")
if [ -z "$bad" ]; then
	echo "ok - layers: no object calls a layer above its own ($(wc -l <<<"$layers") objects)"
else
	sed 's/^/# upward: /' <<<"$bad"
	echo "not ok - layers: $(wc -l <<<"$bad") references to a layer above"
	fail=1
fi

inc=$(grep -Hn '#include' "$top"/kmod/lib/*.[ch] |
	grep -vE '#include "(core|validate|prefix|match|maglev)\.h"|#include <uapi/linux/kplane\.h>' |
	grep -vE 'core\.h:.*#include <linux/|kp_shim\.h' || true)
if [ -z "$inc" ]; then
	echo "ok - layers: kmod/lib/ includes only itself, core.h and the uapi header"
else
	sed "s|^$top/|# |" <<<"$inc"
	echo "not ok - layers: kmod/lib/ includes from outside"
	fail=1
fi
exit $fail

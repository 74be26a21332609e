#!/usr/bin/env bash
# Guest side of the KUnit run: load the test module (KUnit runs its suites on
# load), then turn the KTAP in the kernel log into one TAP case per KUnit case.
. /scenarios/lib.sh

ko=/lib/kplane/extra/kplane_kunit.ko
dmesg -c >/dev/null
if ! insmod "$ko"; then
	kp_not_ok "insmod kplane_kunit.ko"
	kp_done
fi
# Strip printk timestamps; KTAP cases of a suite are indented by 4 spaces.
ktap=$(dmesg | sed -E 's/^\[[ 0-9.]+\] //')
echo "$ktap" | grep -E '^(    )?(ok|not ok|# Subtest|KTAP|TAP|1\.\.)|^    # ' || true
suite=
while IFS= read -r line; do
	case "$line" in
	"    # Subtest: "*) suite=${line#    # Subtest: } ;;
	"        ok "*|"        not ok "*) ;;	# parameterised sub-cases: counted by their case
	"    ok "*|"    not ok "*)
		# "    ok 3 name" (6.1) or "    ok 3 - name"
		rest=${line#    }
		verdict=ok
		[[ $rest == "not ok "* ]] && verdict="not ok"
		rest=${rest#"$verdict "}
		rest=${rest#* }
		rest=${rest#- }
		if [ "$verdict" = ok ]; then kp_ok "kunit $suite.$rest"; else kp_not_ok "kunit $suite.$rest"; fi ;;
	esac
done <<<"$ktap"
suites=$(echo "$ktap" | grep -c '^    # Subtest: ' || true)
kp_eq "kunit ran all 6 kplane suites" "$suites" 6
rmmod kplane_kunit
kp_done

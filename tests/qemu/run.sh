#!/usr/bin/env bash
# Boot a kernel in QEMU with kplane and run one scenario inside it.
#
#   run.sh --kernel stock|debug|VERSION --scenario NAME [options]
#     --kernel K     stock: newest installed Debian kernel (found at run time);
#                    debug: the KUnit/KASAN kernel (tests/kunit/build-kernel.sh,
#                    or the tree in $KPLANE_DEBUG_KDIR);
#                    VERSION: an installed /boot/vmlinuz-VERSION
#     --scenario N   tests/e2e/N.sh (or tests/kunit/N.sh), run by bash under PID 1
#     --module KO    boot this kplane.ko instead of building one
#     --extra FILE   also copy FILE into the guest's /lib/kplane/extra (repeatable)
#     --log FILE     keep the guest's serial log here
#     --timeout S    give up after S seconds (default 900)
#     --env VAR=VAL  set VAR in the scenario's environment (repeatable)
#     --smp N        virtual CPUs (default 2; without --acpi the guest sees
#                    one: SeaBIOS's MP table lists only the boot CPU)
#     --acpi         boot with ACPI, so that every CPU is online (the benches
#                    that measure parallel work; slower to boot the debug kernel)
#     --base IMG     the kernel's base initramfs (mkinitramfs.sh base), built
#                    once by a suite; without it one is built for this run
#   run.sh --kernel K [--module KO] --make-base IMG
#     only build K's base initramfs into IMG (and settle the accelerator)
#   KPLANE_DEADLINE (epoch seconds, set by make check): no VM outlives it, so
#   a suite that runs away fails by its own clock, not by CI's.
#
# Streams the guest's console.  Exits with the scenario's status, or 1 when
# the guest log shows a kernel WARN/BUG/Oops/KASAN/kmemleak/lockdep report,
# the scenario never reported, or the time ran out.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
cache=${KPLANE_CACHE_DIR:-/var/cache/kplane}

kernel=stock scenario= module= log= timeout=900 smp=2 acpi=0 base= make_base= extras=() envs=()
while [ $# -gt 0 ]; do
	case "$1" in
	--kernel) kernel=$2; shift 2 ;;
	--scenario) scenario=$2; shift 2 ;;
	--module) module=$2; shift 2 ;;
	--extra) extras+=("$2"); shift 2 ;;
	--log) log=$2; shift 2 ;;
	--timeout) timeout=$2; shift 2 ;;
	--env) envs+=("$2"); shift 2 ;;
	--smp) smp=$2; shift 2 ;;
	--acpi) acpi=1; shift ;;
	--base) base=$2; shift 2 ;;
	--make-base) make_base=$2; shift 2 ;;
	*) echo "run.sh: unknown argument $1" >&2; exit 2 ;;
	esac
done
if [ -z "$make_base" ]; then
	[ -n "$scenario" ] || { echo "run.sh: --scenario is required" >&2; exit 2; }
	script=$top/tests/e2e/$scenario.sh
	[ -f "$script" ] || script=$top/tests/kunit/$scenario.sh
	[ -f "$script" ] || script=$top/tests/bench/$scenario.sh
	[ -f "$script" ] || { echo "run.sh: no scenario $scenario in tests/e2e, tests/kunit or tests/bench" >&2; exit 2; }
fi

# --- the kernel: image, build tree, module directory ------------------------
case "$kernel" in
debug)
	kdir=${KPLANE_DEBUG_KDIR:-$("$top/tests/kunit/build-kernel.sh")}
	image=$kdir/arch/x86/boot/bzImage
	kver=$(cat "$kdir/include/config/kernel.release")
	moddir= ;;
*)
	[ "$kernel" = stock ] && kernel=$("$here/kernels.sh" stock-version)
	[ -n "$kernel" ] || { echo "run.sh: no Debian kernel with headers installed (make deps)" >&2; exit 1; }
	kver=$kernel
	image=/boot/vmlinuz-$kver
	kdir=/usr/src/linux-headers-$kver
	moddir=/lib/modules/$kver ;;
esac
[ -r "$image" ] || { echo "run.sh: kernel image $image not readable" >&2; exit 1; }
# What QEMU boots: a stock kernel uncompressed, through its PVH entry (the
# debug kernel's PVH entry would run KASAN-instrumented code too early).
boot=$image
[ "$kernel" = debug ] || boot=$("$here/vmlinux.sh" "$image")
accel=$("$here/accel.sh" "$image")

make_base_img() {
	[ -n "$module" ] || module=$("$here/build-module.sh" "$kdir")
	"$here/mkinitramfs.sh" base --out "$1" --kver "$kver" --moddir "$moddir" --module "$module"
}
if [ -n "$make_base" ]; then
	make_base_img "$make_base"
	exit 0
fi
work=$(mktemp -d /tmp/kplane-vm.XXXXXX)
trap 'rm -rf "$work"' EXIT
if [ -z "$base" ]; then
	base=$work/base.img
	make_base_img "$base"
fi
"$here/mkinitramfs.sh" overlay --out "$work/overlay.img" --scenario "$script" \
	${extras[@]+"${extras[@]/#/--extra=}"} ${envs[@]+"${envs[@]/#/--env=}"}
cat "$base" "$work/overlay.img" >"$work/initrd.img"

# --- boot -------------------------------------------------------------------
if [ -n "${KPLANE_DEADLINE:-}" ]; then
	left=$(( KPLANE_DEADLINE - $(date +%s) ))
	if [ "$left" -lt 30 ]; then
		echo "run.sh: FAIL: make check's time budget is spent; $scenario not run" >&2
		exit 1
	fi
	[ "$left" -lt "$timeout" ] && timeout=$left
fi
# 1 GiB on the debug kernel too: kmemleak's exit scan reads every used
# page's struct page (37 s against 76 s at 2 GiB, once, under unequal load).
mem=1024
[ -n "${KPLANE_VM_MEM:-}" ] && mem=$KPLANE_VM_MEM
[ -n "$log" ] || log=$work/console.log
echo "run.sh: booting $kver ($accel, $smp CPU$([ "$acpi" = 1 ] || echo ", one online: no ACPI")) for scenario $scenario" >&2
# acpi=off: the debug kernel spent about 15 s of each boot in the ACPI
# interpreter; the guest ends with a reset, which -no-reboot turns into exit.
# Without ACPI there is no HPET, and the clocksource watchdog would move the
# guest to jiffies (which lose ticks on a busy host: the guest's clock fell
# behind the wall clock by half): TCG's TSC follows the host clock, so trust it.
# qemu64, not max: in a noisy side-by-side probe, execs ran 10-25% faster.
append="console=ttyS0 loglevel=5 panic=-1 oops=panic slab_nomerge tsc=reliable"
[ "$acpi" = 1 ] || append="$append acpi=off"
set +e
timeout --foreground -k 10 "$timeout" qemu-system-x86_64 -accel "$accel" \
	-M q35 -cpu qemu64 -smp "$smp" -m "$mem" -nographic -no-reboot -net none \
	-kernel "$boot" -initrd "$work/initrd.img" \
	-append "$append" \
	</dev/null 2>&1 | tee "$log"
qemu_rc=${PIPESTATUS[0]}
set -e

# --- verdict ----------------------------------------------------------------
# Where the guest's time went (guest uptime): boot, scenario, leak scan.
at() { { grep -a -o "$1.* at [0-9.]* s" "$log" || true; } | tail -1 | sed 's/.* at \([0-9.]*\) s/\1/'; }
b=$(at KPLANE-SCENARIO-BEGIN) e=$(at KPLANE-SCENARIO-END) k=$(at KPLANE-KMEMLEAK)
[ -n "$b" ] && [ -n "$e" ] && awk -v b="$b" -v e="$e" -v k="$k" 'BEGIN {
	printf "run.sh: guest times: boot %.0f s, scenario %.0f s", b, e - b
	if (k != "") printf ", leak scan %.0f s", k - e
	print "" }' >&2
rc=$(grep -a -o 'KPLANE-SCENARIO-EXIT=[0-9]*' "$log" | tail -1 | cut -d= -f2 || true)
if [ "$qemu_rc" = 124 ] || [ "$qemu_rc" = 137 ]; then
	echo "run.sh: FAIL: guest timed out after ${timeout}s" >&2
	exit 1
fi
if [ -z "$rc" ]; then
	echo "run.sh: FAIL: the scenario never reported (guest crashed?)" >&2
	exit 1
fi
if "$here/scan-log.sh" "$log" >&2; then :; else
	echo "run.sh: FAIL: kernel reported a problem (see above)" >&2
	exit 1
fi
exit "$rc"

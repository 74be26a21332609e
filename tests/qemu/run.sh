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
#
# Streams the guest's console.  Exits with the scenario's status, or 1 when
# the guest log shows a kernel WARN/BUG/Oops/KASAN/kmemleak/lockdep report,
# the scenario never reported, or the time ran out.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
cache=${KPLANE_CACHE_DIR:-/var/cache/kplane}

kernel=stock scenario= module= log= timeout=900 extras=() envs=()
while [ $# -gt 0 ]; do
	case "$1" in
	--kernel) kernel=$2; shift 2 ;;
	--scenario) scenario=$2; shift 2 ;;
	--module) module=$2; shift 2 ;;
	--extra) extras+=("$2"); shift 2 ;;
	--log) log=$2; shift 2 ;;
	--timeout) timeout=$2; shift 2 ;;
	--env) envs+=("$2"); shift 2 ;;
	*) echo "run.sh: unknown argument $1" >&2; exit 2 ;;
	esac
done
[ -n "$scenario" ] || { echo "run.sh: --scenario is required" >&2; exit 2; }
script=$top/tests/e2e/$scenario.sh
[ -f "$script" ] || script=$top/tests/kunit/$scenario.sh
[ -f "$script" ] || script=$top/tests/bench/$scenario.sh
[ -f "$script" ] || { echo "run.sh: no scenario $scenario in tests/e2e, tests/kunit or tests/bench" >&2; exit 2; }

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
[ -n "$module" ] || module=$("$here/build-module.sh" "$kdir")

work=$(mktemp -d /tmp/kplane-vm.XXXXXX)
trap 'rm -rf "$work"' EXIT
"$here/mkinitramfs.sh" --out "$work/initrd.img" --kver "$kver" --moddir "$moddir" \
	--module "$module" --scenario "$script" ${extras[@]+"${extras[@]/#/--extra=}"} \
	${envs[@]+"${envs[@]/#/--env=}"}

# --- boot -------------------------------------------------------------------
accel=$("$here/accel.sh" "$image")
mem=1024
[ "$kernel" = debug ] && mem=2048	# KASAN shadow and kmemleak
[ -n "${KPLANE_VM_MEM:-}" ] && mem=$KPLANE_VM_MEM
[ -n "$log" ] || log=$work/console.log
echo "run.sh: booting $kver ($accel) for scenario $scenario" >&2
set +e
timeout --foreground -k 10 "$timeout" qemu-system-x86_64 -accel "$accel" \
	-M q35 -cpu max -smp 2 -m "$mem" -nographic -no-reboot -net none \
	-kernel "$image" -initrd "$work/initrd.img" \
	-append "console=ttyS0 loglevel=5 panic=-1 oops=panic slab_nomerge" \
	</dev/null 2>&1 | tee "$log"
qemu_rc=${PIPESTATUS[0]}
set -e

# --- verdict ----------------------------------------------------------------
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

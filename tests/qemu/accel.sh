#!/usr/bin/env bash
# accel.sh IMAGE: print "kvm" if QEMU can boot IMAGE with KVM here, else "tcg".
# /dev/kvm may exist and still fail or hang, so a real boot decides; the
# answer is cached per host.  KPLANE_ACCEL=tcg|kvm overrides.
set -u
if [ -n "${KPLANE_ACCEL:-}" ]; then echo "$KPLANE_ACCEL"; exit 0; fi
cache=${KPLANE_CACHE_DIR:-/var/cache/kplane}/accel
if [ -f "$cache" ]; then cat "$cache"; exit 0; fi
mkdir -p "$(dirname "$cache")"
answer=tcg
if [ -r /dev/kvm ] && [ -w /dev/kvm ]; then
	# No initrd: the kernel panics at the root mount, panic=-1 reboots and
	# -no-reboot ends QEMU.  Seeing that panic in time means KVM works.
	out=$(timeout -k 5 30 qemu-system-x86_64 -accel kvm -M q35 -m 256 -nographic \
		-no-reboot -kernel "$1" -append "console=ttyS0 panic=-1" </dev/null 2>&1 || true)
	if echo "$out" | grep -q "Kernel panic"; then answer=kvm; fi
fi
echo "$answer" | tee "$cache"

# SPDX-License-Identifier: MIT
# Issue 12 part 5 end to end, seen from a Linux guest: /chosen rng-seed and
# kaslr-seed arrive fresh on every boot and the kernel consumes them, and
# unused virtio-mmio slots answer "no device". Two boots of the default
# guest, the second with --rng (slot 0 taken). Sourced by suite.sh inside
# the arm64 host.

# compat_boot N ARGS...: boot, keep what the probe printed in $W/compatN.
# (Not $n: lib.sh's waits count with it.)
compat_boot() {
	cb=$1
	shift
	start_vm --no-reboot --cmdline "$QUIET" "$@"
	if wait_for '/ # ' 90; then
		ok "compat boot $cb: guest reaches its shell"
	else
		not_ok "compat boot $cb: guest reaches its shell"
	fi
	guest_run "s$cb" "$COMPAT_PROBE"
	result "s$cb" >"$W/compat$cb" # the next boot starts a new $W/out
	send 'poweroff -f'
	finish_vm 60
	check "compat boot $cb: power-off ends cellvm with status 0" [ "$VM_STATUS" = 0 ]
	check "compat boot $cb: no external abort for the slot reads" \
		sh -c "! grep -q 'external abort' '$W/err'"
}

# line N K: line K of what boot N's probe printed.
line() { sed -n "$2p" "$W/compat$1"; }

# One line (the shell prompts between lines): 1 kaslr-seed as the kernel
# left it, 2 whether rng-seed is still there, 3 when the RNG was ready,
# 4 where start_kernel is (virtual), 5-7 slot 8's MagicValue, Version and
# DeviceID, 8 slot 31's MagicValue, 9 the virtio devices' IDs. (devmem
# maps whole pages, and a page a driver claimed cannot be mapped: slot 8
# starts the second page of the region.)
COMPAT_PROBE='od -An -tx1 /proc/device-tree/chosen/kaslr-seed | tr -d " \n"; echo; '\
'if [ -e /proc/device-tree/chosen/rng-seed ]; then echo rng-seed-left; else echo rng-seed-consumed; fi; '\
'dmesg | grep -m1 "crng init done" || echo no-crng-line; '\
'echo 0 >/proc/sys/kernel/kptr_restrict; grep -m1 " T start_kernel$" /proc/kallsyms | cut -d" " -f1; '\
'for a in 0x0a001000 0x0a001004 0x0a001008 0x0a003e00; do devmem $a 32; done; '\
'cat /sys/bus/virtio/devices/*/device 2>/dev/null | tr "\n" " "; echo'

compat_boot 1
compat_boot 2 --rng
for cb in 1 2; do
	check "compat boot $cb: the kernel read kaslr-seed and zeroed it ($(line $cb 1))" \
		[ "$(line $cb 1)" = 0000000000000000 ]
	check "compat boot $cb: the kernel took rng-seed and removed it" \
		[ "$(line $cb 2)" = rng-seed-consumed ]
	crng=$(line $cb 3)
	# Seeded by the boot loader, the RNG is ready within the first
	# second of boot (timestamps are [seconds.micros]).
	secs=$(echo "$crng" | sed -n 's/^\[ *\([0-9]*\)\..*crng init done.*/\1/p')
	check "compat boot $cb: RNG ready at once ($crng)" [ "${secs:-99}" = 0 ]
done
t1=$(line 1 4)
t2=$(line 2 4)
check "compat: KASLR places the kernel differently on two boots ($t1, $t2)" \
	sh -c "[ -n '$t1' ] && [ -n '$t2' ] && [ '$t1' != '$t2' ]"
for cb in 1 2; do
	check "compat boot $cb: empty slot 8 reads magic, version 2, device ID 0" \
		[ "$(sed -n '5,7p' "$W/compat$cb" | tr '\n' ' ')" = "0x74726976 0x00000002 0x00000000 " ]
	check "compat boot $cb: empty slot 31 reads magic" [ "$(line $cb 8)" = 0x74726976 ]
done
# Boot 1 has no virtio device, boot 2 the rng (ID 4) in slot 0.
check "compat boot 1: no virtio device found ($(line 1 9))" [ -z "$(line 1 9 | tr -d ' ')" ]
check "compat boot 2: the rng found ($(line 2 9))" [ "$(line 2 9)" = "0x0004 " ]
# The tree itself, from the host side: both seeds are in /chosen, and two
# VMs get different ones.
cellvm --dump-dtb "$W/seed1.dtb" </dev/null >/dev/null 2>&1
cellvm --dump-dtb "$W/seed2.dtb" </dev/null >/dev/null 2>&1
check "compat: --dump-dtb shows rng-seed and kaslr-seed" \
	sh -c "grep -q rng-seed '$W/seed1.dtb' && grep -q kaslr-seed '$W/seed1.dtb'"
check "compat: two VMs' trees differ (fresh seeds)" \
	sh -c "[ -s '$W/seed1.dtb' ] && ! cmp -s '$W/seed1.dtb' '$W/seed2.dtb'"

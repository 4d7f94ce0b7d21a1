# SPDX-License-Identifier: MIT
# Issue 12 part 3 end to end: device accesses without an instruction
# syndrome (ldp/stp, pre/post-index, SIMD&FP, ...) emulated by cellvm, with
# the MMU off and on, against the PL011 and two virtio-mmio slots, under
# the in-kernel irqchip and --irqchip=user, and on the GICv3 host (whose
# CPU has SVE) with SVE on, where KVM gives the V registers only as the
# low half of the Z registers. Needs /tmp/guest-isv
# (tests/guests/isv.S), which checks every value and written-back register
# itself and prints "isv: done pass=P fail=F".

ISV_GUEST=/tmp/guest-isv
ISV_CHECKS=82 # 41 checks, once with the MMU off and once with it on
head -c 4096 /dev/zero >"$W/isv.img"

isv_modes="--irqchip=auto --irqchip=user"
[ "$HOST_GIC" = 3 ] && isv_modes="$isv_modes --cpu-features=sve"
for isv_mode in $isv_modes; do
	tag="gic$HOST_GIC isv ($isv_mode)"
	start_vm --no-reboot --kernel "$ISV_GUEST" --mem 64M "$isv_mode" \
		--disk "$W/isv.img" --rng
	if wait_for '^isv: (done|unexpected)' 120; then
		ok "$tag: the guest ran to its end"
	else
		not_ok "$tag: the guest ran to its end"
	fi
	finish_vm 30
	check "$tag: cellvm exits with status 0 ($VM_STATUS)" [ "$VM_STATUS" = 0 ]
	check "$tag: no unexpected exception in the guest" \
		[ "$(count '^isv: unexpected')" = 0 ]
	check "$tag: all $ISV_CHECKS values and written-back registers right" \
		grep -q "^isv: done pass=$ISV_CHECKS fail=0" "$W/out"
	check "$tag: stp/strb/str s to UARTDR printed, MMU off and on" \
		[ "$(count '^isv: dr=OK!')" = 2 ]
	# The LD1 is not emulated: its abort is logged with the reason.
	check "$tag: the refused LD1 is logged as not emulated" \
		grep -q 'not a load/store cellvm emulates, insn 0x4c407aa0' "$W/err"
done

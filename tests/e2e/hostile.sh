# SPDX-License-Identifier: MIT
# Issue 11 item 5: a hostile guest (tests/guests/hostile.S, /tmp/guest-hostile)
# attacks cellvm: unmapped accesses of every size, every device window swept
# with reads and writes of every size, garbage virtqueues on each virtio
# device (two disks, one read-only, and the rng), a well-formed write to the
# read-only disk, PSCI abuse, a WFI storm. Under each irqchip cellvm must
# keep running until the guest reports done and powers off (status 0),
# within a bound, and neither disk may change: the guest makes no
# legitimate write (its garbage can never form a write request, see the
# guest's header), so every byte of both images is compared (sha256).
# HOSTILE_IRQCHIPS chooses the modes (default: kernel and user).

HOSTILE=/tmp/guest-hostile
HD=/tmp/e2e-hostile
HOSTILE_SECONDS=${HOSTILE_SECONDS:-300}

# hostile_case IRQCHIP
hostile_case() {
	hc=$1
	dd if=/dev/zero bs=64k count=16 2>/dev/null | tr '\000' '\245' >"$HD/rw.img"
	dd if=/dev/urandom of="$HD/ro.img" bs=64k count=16 2>/dev/null
	chmod 0444 "$HD/ro.img"
	before=$(sha256sum "$HD/rw.img" "$HD/ro.img" | cut -d' ' -f1 | tr '\n' ' ')
	t0=$(date +%s)
	start_vm --kernel "$HOSTILE" --mem 64M --cpus 2 --irqchip="$hc" --rng \
		--disk "$HD/rw.img" --disk "$HD/ro.img,ro"
	if wait_for '^hostile: done' "$HOSTILE_SECONDS"; then
		ok "hostile/$hc: the guest ran every attack to the end ($(($(date +%s) - t0)) s)"
	else
		not_ok "hostile/$hc: the guest ran every attack to the end (within $HOSTILE_SECONDS s)"
	fi
	finish_vm 30
	check "hostile/$hc: cellvm exits with status 0 after the guest's power-off (got $VM_STATUS)" \
		[ "$VM_STATUS" = 0 ]
	check "hostile/$hc: each unmapped access got exactly one external abort" \
		grep -aq '^hostile: unmapped ok' "$W/out"
	check "hostile/$hc: garbage virtqueues on all three virtio devices" \
		grep -aq '^hostile: garbage virtqueues on 3 devices' "$W/out"
	check "hostile/$hc: a write to the read-only disk completes with IOERR" \
		grep -aq '^hostile: ro write status 1$' "$W/out"
	check "hostile/$hc: CPU 1 started by PSCI CPU_ON ran" grep -aq '^hostile: cpu1 ran' "$W/out"
	check "hostile/$hc: the WFI storm returned" grep -aq '^hostile: wfi storm' "$W/out"
	after=$(sha256sum "$HD/rw.img" "$HD/ro.img" | cut -d' ' -f1 | tr '\n' ' ')
	check "hostile/$hc: no byte of either disk changed" [ "$before" = "$after" ]
	grep -a '^hostile: \(swept\|psci\|done\)' "$W/out" | sed "s|^|  # $hc: |"
}

if [ ! -f "$HOSTILE" ]; then
	not_ok "hostile: $HOSTILE missing (make build/guests/hostile)"
else
	mkdir -p "$HD"
	for hc in ${HOSTILE_IRQCHIPS:-kernel user}; do
		hostile_case "$hc"
	done
	rm -rf "$HD"
fi

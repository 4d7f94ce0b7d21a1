# SPDX-License-Identifier: MIT
# Issue 12 part 2 end to end: --cpu-features. The GICv3 host's CPU (QEMU
# -cpu max) has PMUv3, SVE and pointer authentication, so KVM offers all
# three; the GICv2 host's (Makefile E2E_CPU_GIC2: max,sve=off,pauth=off)
# has only the PMU, so the other two are refused there. Each guest is the
# default one with pmucount (tests/e2e/pmucount.c) added to its initramfs;
# the checks read /proc/cpuinfo, sysfs and the kernel log, and see PMU
# counters count and overflow (the PMU interrupt, PPI 23, through the
# in-kernel vGIC or cellvm's GICv2 model).
CF_INITRD=/tmp/guest-initrd-pmu

# cf_boot NAME ARGS...: boot the guest with ARGS to its shell.
cf_boot() {
	cf_name="gic$HOST_GIC $1"
	shift
	start_vm --no-reboot --initrd "$CF_INITRD" --cmdline "$QUIET" "$@"
	if wait_for "cellvm guest ready" 120 && wait_for '/ # ' 30; then
		ok "$cf_name: guest boots to its shell ($(grep -o 'uptime [0-9.]*s' "$W/out"))"
	else
		not_ok "$cf_name: guest boots to its shell"
	fi
}

# cf_flags: the guest's CPU feature flags, one per line.
cf_flags() {
	guest_run 40 'grep -m1 ^Features /proc/cpuinfo'
	result 40 | cut -d: -f2 | tr ' ' '\n' | grep .
}

# cf_has FLAG... / cf_lacks FLAG...: in the flags cf_flags read.
cf_has() {
	for f in "$@"; do
		echo "$CF_FLAGS" | grep -qx "$f" || { not_ok "$cf_name: /proc/cpuinfo lacks $f"; return; }
	done
	ok "$cf_name: /proc/cpuinfo has $*"
}
cf_lacks() {
	for f in "$@"; do
		! echo "$CF_FLAGS" | grep -qx "$f" || { not_ok "$cf_name: /proc/cpuinfo has $f"; return; }
	done
	ok "$cf_name: /proc/cpuinfo has no $*"
}

# PMU interrupts so far, summed over the CPUs' columns.
CF_PMU_IRQS='awk "/arm-pmu/ {for (i = 2; i <= NF && \$i ~ /^[0-9]+$/; i++) s += \$i} END {print s + 0}" /proc/interrupts'

# cf_pmu: the PMU is found, counts cycles and interrupts on overflow.
cf_pmu() {
	guest_run 41 'dmesg | grep -c "hw perfevents: enabled with armv8_pmuv3"; ls -d /sys/bus/event_source/devices/armv8_pmuv3* | wc -l'
	r=$(result 41)
	check "$cf_name: kernel log 'hw perfevents: enabled with armv8_pmuv3'" [ "$(echo "$r" | sed -n 1p)" = 1 ]
	check "$cf_name: /sys/bus/event_source/devices/armv8_pmuv3* exists" [ "$(echo "$r" | sed -n 2p)" -ge 1 ]
	TIMEOUT=60 guest_run 42 "$CF_PMU_IRQS; pmucount; $CF_PMU_IRQS"
	r=$(result 42)
	i0=$(echo "$r" | sed -n 1p)
	cycles=$(echo "$r" | sed -n 's/^cycles //p')
	i1=$(echo "$r" | sed -n '$p')
	check "$cf_name: a PMU counter counts cycles (${cycles:-none})" [ "${cycles:-0}" -gt 0 ]
	check "$cf_name: PMU overflow interrupts arrive ($i0 -> $i1)" [ "${i1:-0}" -gt "${i0:-0}" ]
}

# cf_no_pmu: no PMU device, and perf finds no hardware counter.
cf_no_pmu() {
	guest_run 43 'ls -d /sys/bus/event_source/devices/armv8_pmuv3* 2>/dev/null | wc -l; pmucount >/dev/null 2>&1; echo $?'
	r=$(result 43)
	check "$cf_name: no armv8_pmuv3 device" [ "$(echo "$r" | sed -n 1p)" = 0 ]
	check "$cf_name: no hardware cycle counter (pmucount fails)" [ "$(echo "$r" | sed -n 2p)" = 1 ]
}

cf_end() {
	send poweroff
	finish_vm 60
	check "$cf_name: power-off ends cellvm with status 0" [ "$VM_STATUS" = 0 ]
}

# cf_refused NAME CAPABILITY ARGS...: status 4, one line naming it.
cf_refused() {
	cf_what=$1
	cf_cap=$2
	shift 2
	expect_status "gic$HOST_GIC $cf_what refused" 4 --no-reboot "$@"
	check "gic$HOST_GIC $cf_what: the message names $cf_cap" \
		grep -q "KVM lacks $cf_cap" "$W/err"
}

if [ "$HOST_GIC" = 2 ]; then
	# This host's KVM has a PMU but no SVE or pointer authentication.
	cf_refused "--cpu-features sve" KVM_CAP_ARM_SVE --cpu-features sve
	cf_refused "--cpu-features pauth" KVM_CAP_ARM_PTRAUTH_ADDRESS/GENERIC \
		--cpu-features pauth
	cf_refused "--cpu-features pmu,sve" KVM_CAP_ARM_SVE --cpu-features pmu,sve
	# "host" takes what there is: the PMU, with the in-kernel vGICv2.
	cf_boot "--cpu-features host" --cpus 2 --cpu-features host
	CF_FLAGS=$(cf_flags)
	cf_lacks sve paca pacg
	cf_pmu
	cf_end
fi

if [ "$HOST_GIC" = 3 ]; then
	# The default: none of them.
	cf_boot "no --cpu-features"
	CF_FLAGS=$(cf_flags)
	cf_lacks sve paca pacg
	cf_no_pmu
	cf_end

	# All three, by name, with the in-kernel vGICv3.
	cf_boot "--cpu-features pmu,sve,pauth" --cpus 2 --cpu-features pmu,sve,pauth
	CF_FLAGS=$(cf_flags)
	cf_has sve paca pacg
	guest_run 44 'cat /proc/sys/abi/sve_default_vector_length'
	check "$cf_name: SVE vector length $(result 44) bytes" [ "$(result 44)" -ge 16 ]
	cf_pmu
	cf_end
fi

# The PMU under --irqchip=user: its line comes in KVM's device_irq_level.
cf_boot "--irqchip=user --cpu-features pmu" --cpus 2 --irqchip=user --cpu-features pmu
CF_FLAGS=$(cf_flags)
cf_lacks sve paca pacg
cf_pmu
cf_end

if [ "$HOST_GIC" = 3 ]; then
	# "host": whatever KVM offers, here all three.
	cf_boot "--cpu-features host" --cpu-features host
	CF_FLAGS=$(cf_flags)
	cf_has sve paca pacg
	guest_run 45 'ls -d /sys/bus/event_source/devices/armv8_pmuv3* | wc -l'
	check "$cf_name: armv8_pmuv3 device" [ "$(result 45)" -ge 1 ]
	cf_end
fi

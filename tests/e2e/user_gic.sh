# SPDX-License-Identifier: MIT
# Issue 3 end to end: cellvm's own GICv2 model (--irqchip=user) with 4 vCPUs.
# Every interrupt goes through the model: timer PPIs from KVM's reported
# line levels, SGIs between vCPUs, the PL011's SPI.

start_vm --no-reboot --irqchip=user --cpus 4 --cmdline "$QUIET"
if wait_for "cellvm guest ready" 120 && wait_for '/ # ' 30; then
	ok "gic$HOST_GIC user: guest boots to its shell with --irqchip=user --cpus 4"
else
	not_ok "gic$HOST_GIC user: guest boots to its shell with --irqchip=user --cpus 4"
fi
# Console input reaches the guest through the PL011's SPI in the model.
guest_run 11 'echo $((6 * 7))'
check "gic$HOST_GIC user: console input works (PL011 SPI through the model)" \
	[ "$(result 11)" = 42 ]
# Secondary CPUs come online only if IPIs (SGIs) are delivered.
guest_run 12 'cat /sys/devices/system/cpu/online'
check "gic$HOST_GIC user: all 4 CPUs online (IPIs work)" [ "$(result 12)" = 0-3 ]
guest_run 13 'grep -c -e GIC-0 -e GICv2 /proc/interrupts'
check "gic$HOST_GIC user: the guest drives a GICv2" [ "$(result 13)" -ge 1 ]
# The timer advances: sleep returns, and the arch timer's interrupt count
# (summed over CPUs) grows.
ticks='awk "/arch_timer/ {for (i = 2; i <= 5; i++) s += \$i} END {print s}" /proc/interrupts'
guest_run 14 "$ticks; sleep 1; echo slept; $ticks"
r=$(result 14)
t0=$(echo "$r" | sed -n 1p)
t1=$(echo "$r" | sed -n 3p)
check "gic$HOST_GIC user: sleep 1 returns" [ "$(echo "$r" | sed -n 2p)" = slept ]
check "gic$HOST_GIC user: timer interrupts grow ($t0 -> $t1)" [ "${t1:-0}" -gt "${t0:-0}" ]
# Work on every CPU at once: IPIs for scheduling and TLB maintenance.
guest_run 15 'for c in 0 1 2 3; do taskset -c $c sh -c "i=0; while [ \$i -lt 2000 ]; do i=\$((i+1)); done; echo cpu$c" & done; wait'
check "gic$HOST_GIC user: processes run on all 4 CPUs" [ "$(result 15 | grep -c '^cpu[0-3]$')" = 4 ]
send poweroff
finish_vm 60
check "gic$HOST_GIC user: power-off ends cellvm with status 0" [ "$VM_STATUS" = 0 ]

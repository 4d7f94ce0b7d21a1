# SPDX-License-Identifier: MIT
# Issue 2 end to end: boot, console, SMP, memory, reboot, aborts.
# Sourced by suite.sh inside the arm64 host; HOST_GIC is 2 or 3.

# The default guest boots to its shell, runs what is typed, and a guest
# power-off ends cellvm with status 0.
start_vm --no-reboot --cmdline "$QUIET" --boot-timing
if wait_for "cellvm guest ready" 90 && wait_for '/ # ' 30; then
	ok "gic$HOST_GIC: default guest reaches its shell"
else
	not_ok "gic$HOST_GIC: default guest reaches its shell"
fi
guest_run 1 'echo $((6 * 7))'
check "gic$HOST_GIC: a command typed on the console runs, output comes back" \
	[ "$(result 1)" = 42 ]
guest_run 2 'cat /proc/interrupts | grep -c -e GICv3 -e GIC-0 -e GICv2'
check "gic$HOST_GIC: guest uses the GICv$HOST_GIC in-kernel irqchip" \
	[ "$(result 2)" -ge 1 ]
# A guest access to an address nothing decodes gets an external abort:
# the process dies of SIGBUS (status 135), the guest and cellvm live on.
guest_run 3 'devmem 0x0b000000 32; echo status=$?'
check "gic$HOST_GIC: access to unmapped address gets an external abort" \
	sh -c "grep -q 'status=135' '$W/out' && grep -q 'injecting external abort' '$W/err'"
send poweroff
finish_vm 60
check "gic$HOST_GIC: guest power-off ends cellvm with status 0" [ "$VM_STATUS" = 0 ]
check "gic$HOST_GIC: --boot-timing reports the init mark" grep -q '  init [0-9]' "$W/err"

# --cpus 4: every CPU comes up through PSCI CPU_ON.
start_vm --no-reboot --cpus 4 --cmdline "$QUIET"
wait_for '/ # ' 90
guest_run 4 'cat /sys/devices/system/cpu/online; grep -c ^processor /proc/cpuinfo'
check "gic$HOST_GIC: --cpus 4 gives 4 CPUs online" [ "$(result 4 | tr '\n' ' ')" = "0-3 4 " ]
send poweroff
finish_vm 60
check "gic$HOST_GIC: --cpus 4 guest powers off with status 0" [ "$VM_STATUS" = 0 ]

# --mem 512M is the RAM the guest sees (MemTotal is RAM less the kernel's
# own reservations, so it lies between 450 and 512 MiB).
start_vm --no-reboot --mem 512M --cmdline "$QUIET"
wait_for '/ # ' 90
guest_run 5 "awk '/MemTotal/ {print \$2}' /proc/meminfo"
mt=$(result 5)
check "gic$HOST_GIC: --mem 512M is what the guest sees (MemTotal ${mt} kB)" \
	[ "${mt:-0}" -gt 460800 -a "${mt:-0}" -le 524288 ]
send poweroff
finish_vm 60

# Reboot restarts the guest; --no-reboot ends cellvm with status 6.
start_vm --cmdline "$QUIET"
wait_for '/ # ' 90
send reboot
if wait_count 'cellvm guest ready' 2 90; then
	ok "gic$HOST_GIC: guest reboot restarts the guest"
else
	not_ok "gic$HOST_GIC: guest reboot restarts the guest"
fi
wait_count '/ # ' 3 30
guest_run 6 'echo again'
check "gic$HOST_GIC: the rebooted guest's console works" [ "$(result 6)" = again ]
send poweroff
finish_vm 60
check "gic$HOST_GIC: rebooted guest powers off with status 0" [ "$VM_STATUS" = 0 ]

start_vm --no-reboot --cmdline "$QUIET"
wait_for '/ # ' 90
send reboot
finish_vm 60
check "gic$HOST_GIC: reboot with --no-reboot ends cellvm with status 6" [ "$VM_STATUS" = 6 ]

# Ctrl-A x quits (status 8).
start_vm --no-reboot --cmdline "$QUIET"
wait_for '/ # ' 90
printf '\001x' >&3
finish_vm 30
check "gic$HOST_GIC: Ctrl-A x quits with status 8" [ "$VM_STATUS" = 8 ]

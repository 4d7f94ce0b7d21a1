# SPDX-License-Identifier: MIT
# Issue 11 item 2 end to end: every thread of a running cellvm has its
# seccomp filter (Seccomp: 2 in /proc/PID/task/*/status), before and after
# a guest reboot, with every kind of thread there (2 vCPUs, the event
# loop, the virtio-blk, -net, -rng and -console workers), and the devices
# still work under the filters. --no-seccomp runs unfiltered and says so.
# (A forbidden call is shown by the unit test tests/unit/test_seccomp.c;
# every other e2e part runs with the filters on.)
if [ "$HOST_GIC" = 3 ]; then VIRQ=""; else VIRQ="--irqchip=user"; fi
tag="gic$HOST_GIC seccomp${VIRQ:+ (user irqchip)}"
D=/tmp/e2e-seccomp
mkdir -p "$D"
dd if=/dev/urandom of="$D/disk.img" bs=1M count=1 2>/dev/null
disk_sum=$(sha256sum <"$D/disk.img" | cut -d' ' -f1)

# threads_filtered PID N: at least N threads, each with Seccomp: 2.
threads_filtered() {
	total=0
	bad=0
	for s in /proc/"$1"/task/*/status; do
		total=$((total + 1))
		grep -q '^Seccomp:[[:space:]]*2$' "$s" || bad=$((bad + 1))
	done
	echo "  $total threads, $bad without a filter"
	[ "$total" -ge "$2" ] && [ "$bad" = 0 ]
}

start_vm $VIRQ --cpus 2 --cmdline "console=hvc0 quiet" --console virtio --rng \
	--disk "$D/disk.img" --net tap=cvtap9
wait_for '/ # ' 120
# Bring the second vCPU up for sure and touch every device.
guest_run 31 'head -c 1048576 /dev/vda | sha256sum | cut -d" " -f1'
check "$tag: the disk reads under the filters" [ "$(result 31)" = "$disk_sum" ]
guest_run 32 'head -c 64 /dev/hwrng | wc -c'
check "$tag: virtio-rng works under the filters" [ "$(result 32)" = 64 ]
guest_run 33 'grep -c ^processor /proc/cpuinfo'
check "$tag: both vCPUs run" [ "$(result 33)" = 2 ]
# main + 2 vCPUs + blk, net, rng and console workers
check "$tag: every thread has a seccomp filter" threads_filtered "$VM_PID" 7
send reboot
wait_count 'cellvm guest ready' 2 120
wait_count '/ # ' 2 60
guest_run 34 'head -c 1048576 /dev/vda | sha256sum | cut -d" " -f1'
check "$tag: after a reboot the disk reads" [ "$(result 34)" = "$disk_sum" ]
check "$tag: after a reboot every thread has a seccomp filter" \
	threads_filtered "$VM_PID" 7
send poweroff
finish_vm 60
check "$tag: powers off with status 0 under the filters" [ "$VM_STATUS" = 0 ]
check "$tag: no forbidden system call" sh -c "! grep -q 'seccomp' '$W/err'"

# --no-seccomp: a warning, and threads without filters.
start_vm --no-reboot $VIRQ --no-seccomp --cmdline "$QUIET"
wait_for '/ # ' 120
check "$tag: --no-seccomp warns on stderr" \
	grep -q '^cellvm: warning: --no-seccomp' "$W/err"
check "$tag: --no-seccomp leaves the threads unfiltered" \
	grep -q '^Seccomp:[[:space:]]*0$' "/proc/$VM_PID/status"
send poweroff
finish_vm 60
check "$tag: --no-seccomp powers off with status 0" [ "$VM_STATUS" = 0 ]

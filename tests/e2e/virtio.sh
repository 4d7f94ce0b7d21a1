# SPDX-License-Identifier: MIT
# Issue 4 end to end: virtio-blk, virtio-net, virtio-rng, virtio-console.
# On a GICv3 host the devices use the in-kernel vGIC (ioeventfd + irqfd);
# on a GICv2 host they run under --irqchip=user (exits + the GIC model).
if [ "$HOST_GIC" = 3 ]; then VIRQ=""; else VIRQ="--irqchip=user"; fi
tag="gic$HOST_GIC virtio${VIRQ:+ (user irqchip)}"
D=/tmp/e2e-disks
mkdir -p "$D"
# A disk with known content, an empty one to write to, a read-only one.
dd if=/dev/urandom of="$D/data.img" bs=1M count=8 2>/dev/null
dd if=/dev/zero of="$D/rw.img" bs=1M count=4 2>/dev/null
dd if=/dev/urandom of="$D/ro.img" bs=1M count=1 2>/dev/null
data_sum=$(sha256sum <"$D/data.img" | cut -d' ' -f1)
ro_sum=$(sha256sum <"$D/ro.img" | cut -d' ' -f1)
PATTERN=cellvm-was-here-0123456789abcdef

start_vm -v -v --no-reboot $VIRQ --cmdline "$QUIET" --rng \
	--disk "$D/data.img" --disk "$D/rw.img" --disk "$D/ro.img,ro" \
	--net tap=cvtap0,mac=52:54:00:12:34:56
wait_for '/ # ' 120
guest_run 21 'ls /sys/block | grep -c "^vd[abc]$"'
check "$tag: three virtio-blk disks appear" [ "$(result 21)" = 3 ]
guest_run 22 'head -c 8388608 /dev/vda | sha256sum | cut -d" " -f1'
check "$tag: the guest reads a disk whose checksum the host knows" \
	[ "$(result 22)" = "$data_sum" ]
# Write a pattern at sector 100 of vdb and sync it.
guest_run 23 "printf '$PATTERN' | dd of=/dev/vdb bs=512 seek=100 conv=notrunc,fsync 2>/dev/null; sync; echo rc=\$?"
check "$tag: guest writes and syncs a pattern" [ "$(result 23)" = rc=0 ]
# The read-only disk: advertised read-only, and writes that get past the
# guest's own check fail with an I/O error (VIRTIO_BLK_S_IOERR).
guest_run 24 'cat /sys/block/vdc/ro'
check "$tag: a read-only disk is advertised read-only" [ "$(result 24)" = 1 ]
guest_run 25 'blockdev --setrw /dev/vdc; dd if=/dev/zero of=/dev/vdc bs=4096 count=1 conv=notrunc,fsync 2>/dev/null; echo rc=$?'
check "$tag: writes to a read-only disk fail" [ "$(result 25)" != rc=0 ]
# virtio-rng.
guest_run 26 'head -c 64 /dev/hwrng | wc -c; cat /sys/class/misc/hw_random/rng_current'
check "$tag: /dev/hwrng yields bytes from virtio-rng" \
	[ "$(result 26 | tr '\n' ' ')" = "64 virtio_rng.0 " ]
# virtio-net on a TAP device cellvm created: ping both ways on link-local
# addresses (the arm64 host has no other network: nothing leaves it).
ip link set cvtap0 up && ip addr add 169.254.7.1/16 dev cvtap0
guest_run 27 'ip link set eth0 up && ip addr add 169.254.7.2/16 dev eth0 && cat /sys/class/net/eth0/address'
check "$tag: virtio-net has the configured MAC" [ "$(result 27)" = 52:54:00:12:34:56 ]
TIMEOUT=60 guest_run 28 'ping -c 3 -W 5 169.254.7.1 >/dev/null; echo rc=$?'
check "$tag: the guest pings the arm64 host over TAP" [ "$(result 28)" = rc=0 ]
check "$tag: the arm64 host pings the guest over TAP" \
	sh -c 'ping -c 3 -W 5 169.254.7.2 >/dev/null'
send poweroff
finish_vm 60
check "$tag: power-off with devices ends with status 0" [ "$VM_STATUS" = 0 ]
# Queue notifications reach the device without an exit (ioeventfd) in
# both modes; interrupts bypass user space (irqfd) only with the vGIC.
check "$tag: queue notifications use ioeventfd" grep -q 'ioeventfd in use' "$W/err"
if [ -z "$VIRQ" ]; then
	check "$tag: interrupts use irqfd with the in-kernel vGIC" grep -q 'irqfd in use' "$W/err"
else
	check "$tag: interrupts go through the user GIC model (no irqfd)" \
		sh -c "! grep -q 'irqfd in use' '$W/err'"
fi
# The host finds exactly the guest's bytes in the image: zeros except the
# pattern at byte 51200; the read-only image is untouched.
dd if=/dev/zero of="$D/expect.img" bs=1M count=4 2>/dev/null
printf '%s' "$PATTERN" | dd of="$D/expect.img" bs=512 seek=100 conv=notrunc 2>/dev/null
check "$tag: the image holds exactly what the guest wrote" cmp -s "$D/rw.img" "$D/expect.img"
check "$tag: the read-only image is unchanged" \
	[ "$(sha256sum <"$D/ro.img" | cut -d' ' -f1)" = "$ro_sum" ]

# Durability: data the guest wrote and fsynced survives SIGKILL of cellvm
# right after.
dd if=/dev/zero of="$D/rw.img" bs=1M count=4 2>/dev/null
start_vm --no-reboot $VIRQ --cmdline "$QUIET" --disk "$D/rw.img"
wait_for '/ # ' 120
send "printf 'durable-$PATTERN' | dd of=/dev/vda bs=512 seek=7 conv=notrunc,fsync 2>/dev/null && echo SYNCED-OK"
wait_for '^SYNCED-OK' 60
kill -9 "$VM_PID"
finish_vm 30
got=$(dd if="$D/rw.img" bs=512 skip=7 count=1 2>/dev/null | head -c $((8 + ${#PATTERN})))
check "$tag: fsynced data survives SIGKILL of cellvm" [ "$got" = "durable-$PATTERN" ]

# virtio-console: the guest's console on hvc0.
start_vm --no-reboot $VIRQ --console virtio --cmdline "console=hvc0 quiet"
if wait_for 'cellvm guest ready' 120 && wait_for '/ # ' 30; then
	ok "$tag: the guest boots with its console on hvc0"
else
	not_ok "$tag: the guest boots with its console on hvc0"
fi
guest_run 29 'echo $((6 * 7)); cat /sys/class/tty/console/active'
check "$tag: input and output work on hvc0" [ "$(result 29 | tr '\n' ' ')" = "42 hvc0 " ]
send poweroff
finish_vm 60
check "$tag: hvc0 guest powers off with status 0" [ "$VM_STATUS" = 0 ]
rm -f "$D/expect.img"

# Bad input: one line, status 5 (I/O) or 2 (usage), nothing modified.
sum_before=$(sha256sum <"$D/data.img" | cut -d' ' -f1)
expect_status "missing disk file" 5 --disk /nonexistent/disk.img
expect_status "disk is a directory" 5 --disk /tmp
expect_status "TAP device that cannot be opened" 5 --disk "$D/data.img" --net tap=bad/name
expect_status "malformed --disk" 2 --disk ,ro
expect_status "malformed --net" 2 --net tap0
expect_status "malformed MAC" 2 --net tap=t0,mac=zz:54:00:12:34:56
check "virtio: a failed start modifies no disk" \
	[ "$(sha256sum <"$D/data.img" | cut -d' ' -f1)" = "$sum_before" ]
rm -rf "$D"

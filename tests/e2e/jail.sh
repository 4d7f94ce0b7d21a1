# SPDX-License-Identifier: MIT
# Issue 11 item 3 end to end: cellvm --jail. A jailed cellvm (uid/gid 1234,
# an empty root) runs the default guest with virtio blk/net/rng/console,
# survives a guest reboot (the VM is re-created from the kept fds), and from
# its own view cannot open a host file or signal a root process; its ids,
# capabilities, fds and limits are checked in /proc.
if [ "$HOST_GIC" = 3 ]; then VIRQ=""; else VIRQ="--irqchip=user"; fi
tag="gic$HOST_GIC jail"
D=/tmp/e2e-jail
mkdir -p "$D"
dd if=/dev/urandom of="$D/data.img" bs=1M count=4 2>/dev/null
dd if=/dev/zero of="$D/rw.img" bs=1M count=1 2>/dev/null
data_sum=$(sha256sum <"$D/data.img" | cut -d' ' -f1)
JID=1234
BIN=$(readlink -f "$(command -v cellvm)")

start_vm -v -v --jail --uid $JID --gid $JID --jail-probe $VIRQ \
	--console virtio --cmdline "console=hvc0 quiet" --rng \
	--disk "$D/data.img" --disk "$D/rw.img" --net tap=cvjail0
P=$VM_PID
# Checks on the running jailed cellvm $P (its guest at a shell).
jailed_checks() {
	S=/proc/$P/status
	check "$tag: uid is $JID (real, effective, saved, fs)" \
		grep -qE "^Uid:[[:space:]]+$JID[[:space:]]+$JID[[:space:]]+$JID[[:space:]]+$JID\$" $S
	check "$tag: gid is $JID" \
		grep -qE "^Gid:[[:space:]]+$JID[[:space:]]+$JID[[:space:]]+$JID[[:space:]]+$JID\$" $S
	check "$tag: no supplementary groups" grep -qE '^Groups:[[:space:]]*$' $S
	# all_threads FIELD VALUE: every thread's FIELD is VALUE (and one exists).
	all_threads() {
		v=$(grep -h "^$1:" /proc/$P/task/*/status | awk '{print $2}' | sort -u)
		[ "$v" = "$2" ]
	}
	for cap in CapInh CapPrm CapEff CapBnd CapAmb; do
		check "$tag: $cap is 0 in every thread" all_threads $cap 0000000000000000
	done
	check "$tag: NoNewPrivs 1 in every thread" all_threads NoNewPrivs 1
	check "$tag: the root it sees is empty" \
		sh -c "[ -d /proc/$P/root/. ] && [ -z \"\$(ls -A /proc/$P/root)\" ]"
	check "$tag: the vCPU and device threads run (every one checked below)" \
		[ "$(ls /proc/$P/task | wc -l)" -ge 6 ]
	check "$tag: own mount, IPC, UTS and network namespaces" sh -c \
		"for n in mnt ipc uts net; do [ \"\$(readlink /proc/$P/ns/\$n)\" != \"\$(readlink /proc/1/ns/\$n)\" ] || exit 1; done"
	check "$tag: cannot open a host file" \
		grep -q '^cellvm: jail-probe: open /etc/passwd: No such file or directory$' "$W/err"
	check "$tag: cannot signal a root process" \
		grep -q '^cellvm: jail-probe: kill 1: Operation not permitted$' "$W/err"
	# Every fd: stdio, /dev/kvm, the binary (embedded images), the disks, the
	# TAP, the power-off pipe, or an anonymous inode of the VM or the
	# command (KVM, eventfd, epoll, timerfd: the stop timer).
	fds() { for f in /proc/$P/fd/*; do readlink "$f"; done; }
	fds >"$D/fds"
	bad=$(grep -vE "^($W/(in|out|err)|/dev/kvm|$BIN|$D/(data|rw)\.img|/dev/net/tun|pipe:.*|anon_inode:.*)\$" "$D/fds")
	check "$tag: only the fds it should have${bad:+ (also: $bad)}" [ -z "$bad" ]
	check "$tag: /dev/kvm, the binary, disks and the TAP are open" sh -c \
		"grep -qx /dev/kvm $D/fds && grep -qx '$BIN' $D/fds && grep -qx $D/data.img $D/fds && grep -qx /dev/net/tun $D/fds"
	# Kept fds: stdio, the stop timer, the power-off pipe (2), kvm, kernel,
	# initrd, 2 disks, the TAP = 12; 1 vCPU, 4 devices + a console:
	# 12 + 34 + 4 + 8 * 5 (src/cli/jail.h; the base counts the RTC's and
	# the power key's timerfds).
	L=/proc/$P/limits
	check "$tag: RLIMIT_NOFILE is what is open + the margin (90)" \
		grep -qE '^Max open files +90 +90 ' $L
	check "$tag: RLIMIT_NPROC is its threads + 8 (15)" \
		grep -qE '^Max processes +15 +15 ' $L
	check "$tag: RLIMIT_CORE is 0" grep -qE '^Max core file size +0 +0 ' $L
	as=$(awk '/^Max address space/ {print $4}' $L)
	check "$tag: RLIMIT_AS ($as) is above guest RAM + 512 MiB" \
		[ "${as:-0}" -gt $(( (256 + 512) << 20 )) ]
	nfd=$(ls /proc/$P/fd | wc -l)
	# The devices work inside the jail.
	devices_work() { # $1: a tag suffix; $2: an id base
		guest_run "${2}1" 'head -c 4194304 /dev/vda | sha256sum | cut -d" " -f1'
		check "$tag: virtio-blk reads$1" [ "$(result "${2}1")" = "$data_sum" ]
		guest_run "${2}2" "printf 'jailed$2' | dd of=/dev/vdb bs=512 seek=3 conv=notrunc,fsync 2>/dev/null; echo rc=\$?"
		check "$tag: virtio-blk writes$1" sh -c \
			"[ \"\$(dd if=$D/rw.img bs=512 skip=3 count=1 2>/dev/null | head -c 8)\" = 'jailed$2' ]"
		guest_run "${2}3" 'head -c 64 /dev/hwrng | wc -c'
		check "$tag: virtio-rng$1" [ "$(result "${2}3")" = 64 ]
		guest_run "${2}4" 'echo $((6 * 7)); cat /sys/class/tty/console/active'
		check "$tag: virtio-console$1" [ "$(result "${2}4" | tr '\n' ' ')" = "42 hvc0 " ]
		TIMEOUT=60 guest_run "${2}5" 'ip link set eth0 up && ip addr add 169.254.9.2/16 dev eth0 && ping -c 3 -W 5 169.254.9.1 >/dev/null; echo rc=$?'
		check "$tag: virtio-net pings the host$1" [ "$(result "${2}5")" = rc=0 ]
	}
	ip link set cvjail0 up && ip addr add 169.254.9.1/16 dev cvjail0
	devices_work "" 90
	# A guest reboot re-creates the VM from the kept fds.
	send reboot
	wait_count 'cellvm guest ready' 2 120 && wait_for '/ # ' 30
	check "$tag: the guest reboots inside the jail" kill -0 $P
	sleep 1
	devices_work " after a reboot" 95
	check "$tag: the same number of fds after a reboot ($nfd)" \
		[ "$(ls /proc/$P/fd | wc -l)" = "$nfd" ]
	send poweroff
	finish_vm 60
	check "$tag: power-off ends the jailed cellvm with status 0" [ "$VM_STATUS" = 0 ]
}
if wait_for '/ # ' 120; then
	ok "$tag: the jailed cellvm boots the guest to a shell"
	jailed_checks
else
	not_ok "$tag: the jailed cellvm boots the guest to a shell"
	kill -9 $P 2>/dev/null
	finish_vm 5
fi

# --jail-root: the given directory is the root it sees.
mkdir -p "$D/root" && echo marker >"$D/root/marker"
start_vm --jail --jail-root "$D/root" --uid $JID --gid $JID --no-reboot \
	$VIRQ --cmdline "$QUIET"
if wait_for '/ # ' 120; then
	check "$tag: --jail-root DIR is its root" [ "$(ls -A /proc/$VM_PID/root)" = marker ]
	send poweroff
	finish_vm 60
	check "$tag: --jail-root guest powers off with status 0" [ "$VM_STATUS" = 0 ]
else
	not_ok "$tag: a guest boots under --jail-root"
	kill -9 $VM_PID 2>/dev/null
	finish_vm 5
fi

# Errors: one line naming the step and errno; usage errors are status 2.
expect_status "--jail without --uid" 2 --jail --gid 1
expect_status "--uid without --jail" 2 --uid 1 --gid 1
expect_status "--jail with a bad --uid" 2 --jail --uid -5 --gid 1
expect_status "--jail-root that does not exist" 4 --jail --uid 1 --gid 1 --jail-root /nonexistent
check "--jail-root error names the step and errno" \
	grep -q '^cellvm: --jail: bind --jail-root: No such file or directory$' "$W/err"
expect_status "--jail with a missing disk" 5 --jail --uid 1 --gid 1 --disk /nonexistent.img
rm -rf "$D"

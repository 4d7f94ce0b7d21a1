# SPDX-License-Identifier: MIT
# Issue 11: the stop, fault and host-input bugs, one scenario each (the
# row numbers are the issue's). Sourced by suite.sh inside the arm64 host.
H=/tmp/e2e-h
mkdir -p "$H"
RL=/tmp/guest-reboot-loop

now_ms() { awk '{ printf "%d", $1 * 1000 }' /proc/uptime; }

# stop_pid PID [SIG]: send SIG (TERM) and wait for the exit, with a
# watchdog that sends SIGKILL after 3 s. Sets STOP_STATUS (137 if it had
# to be killed) and STOP_MS, the time from signal to exit (wait returns
# the moment it exits; polling would add the cost of a process per round
# under emulation).
stop_pid() {
	(sleep 3; kill -9 "$1" 2>/dev/null) &
	dog=$!
	t0=$(now_ms)
	kill -"${2:-TERM}" "$1"
	wait "$1"
	STOP_STATUS=$?
	t1=$(now_ms)
	kill "$dog" 2>/dev/null
	wait "$dog" 2>/dev/null
	STOP_MS=$((t1 - t0))
}

# stop_after DELAY SIG ARGS...: start cellvm, wait until it is cellvm (not
# the shell that execs it), sleep DELAY, stop_pid it with SIG.
stop_after() {
	delay=$1
	sig=$2
	shift 2
	cellvm "$@" </dev/null >"$W/out" 2>"$W/err" &
	pid=$!
	n=0
	while [ "$(cat "/proc/$pid/comm" 2>/dev/null)" != cellvm ] && [ $n -lt 2000 ]; do
		n=$((n + 1))
	done
	sleep "$delay"
	stop_pid "$pid" "$sig"
}

# stop_series NAME DELAYS -- ARGS...: every stop signal after every delay
# must end cellvm with status 8 within a second.
stop_series() {
	name=$1
	delays=$2
	shift 2
	good=0
	bad=""
	bad_err=""
	worst=0
	for d in $delays; do
		for s in TERM INT HUP; do
			stop_after "$d" "$s" "$@"
			[ "$STOP_MS" -gt "$worst" ] && worst=$STOP_MS
			if [ "$STOP_STATUS" = 8 ] && [ "$STOP_MS" -le 1000 ]; then
				good=$((good + 1))
			else
				bad="$bad $s@${d}s:status=$STOP_STATUS/${STOP_MS}ms"
				[ -n "$bad_err" ] || bad_err=$(head -c 400 "$W/err")
			fi
		done
	done
	[ -z "$bad_err" ] || echo "  first failure's stderr: $bad_err"
	check "$name: $good stopped with status 8 within 1 s (slowest ${worst} ms)${bad:+; failed:$bad}" \
		[ -z "$bad" ]
}

# Stop signals here run with --shutdown-timeout 0: they stop at once, as
# before the power button (whose graceful path is tests/e2e/power.sh).

# Row 1: a stop signal is never lost: at start-up (before the VM exists),
# in a guest that reboots in a tight loop (between VMs), while running.
stop_series "row 1: stop signals during start-up of the default guest" \
	"0 0.002 0.005 0.01 0.02 0.05 0.1 0.3" --shutdown-timeout 0 --cmdline "$QUIET"
stop_series "row 1: stop signals during a reboot storm" \
	"0 0.005 0.02 0.05 0.1 0.2 0.5 1" --shutdown-timeout 0 --kernel "$RL" --mem 64M

# A crash of cellvm itself is a bug, reported in one line on stderr
# before the process dies of the signal (src/cli/crash.c).
stop_after 0.3 SEGV --kernel "$RL" --mem 64M
check "crash report: cellvm dies of the SIGSEGV (status $STOP_STATUS, want 139)" \
	[ "$STOP_STATUS" = 139 ]
check "crash report: one line on stderr names the signal and the thread" \
	grep -q "^cellvm: internal error: SIGSEGV in the [a-z-]* thread: a bug in cellvm, please report it$" "$W/err"

# expect_quick NAME WANT ARGS...: as expect_status, but a hang fails in 10 s
# (SIGKILL: a hung cellvm may be deaf to SIGTERM, the very bug of row 4).
expect_quick() {
	expect_status_in 10 KILL "$@"
}

# Row 4: a FIFO where a file is expected is refused at once, never waited
# on in open() for a writer or reader.
rm -f "$H/fifo"
mkfifo "$H/fifo"
expect_quick "row 4: FIFO as --kernel" 3 --kernel "$H/fifo"
expect_quick "row 4: FIFO as --initrd" 3 --initrd "$H/fifo"
expect_quick "row 4: FIFO as --dtb" 3 --dtb "$H/fifo"
expect_quick "row 4: FIFO as --disk ro" 5 --disk "$H/fifo,ro"
expect_quick "row 4: FIFO as --disk (read-write)" 5 --disk "$H/fifo"
expect_quick "row 4: FIFO nobody reads as --dump-dtb" 5 --dump-dtb "$H/fifo"

# Row 7: a closed stdin means no console input, not a refusal to run (fd 0
# was reused for the epoll fd, which was then added to itself).
timeout -s KILL 30 cellvm --kernel "$RL" --mem 64M --no-reboot <&- >"$W/out" 2>"$W/err"
st=$?
check "row 7: closed stdin runs the guest without input (status $st, want 6)" \
	sh -c "[ $st = 6 ] && grep -q R '$W/out' && [ ! -s '$W/err' ]"

# Row 6: the shell's stdin gets its file status flags back (O_NONBLOCK
# was left set on the description the shell shares).
rm -f "$H/in6"
mkfifo "$H/in6"
exec 5<>"$H/in6"
f0=$(awk '/^flags:/ { print $2 }' "/proc/$$/fdinfo/5")
timeout -s KILL 30 cellvm --kernel "$RL" --mem 64M --no-reboot <&5 >"$W/out" 2>"$W/err"
st=$?
f1=$(awk '/^flags:/ { print $2 }' "/proc/$$/fdinfo/5")
exec 5>&-
check "row 6: stdin flags restored after exit ($f0 -> $f1, status $st)" \
	[ "$st" = 6 -a -n "$f0" -a "$f0" = "$f1" ]

# Row 10: an empty --dtb or --initrd is an unusable image (status 3), not
# "none given".
: >"$H/empty"
expect_quick "row 10: zero-byte --dtb" 3 --dtb "$H/empty"
expect_quick "row 10: zero-byte --initrd" 3 --initrd "$H/empty"

# Row 8: more vCPUs than any interrupt controller serves, with the default
# --irqchip auto, is a host limit (status 4), not a usage error.
expect_quick "row 8: --cpus 124 with --irqchip auto" 4 --cpus 124
check "row 8: the message names the interrupt controller" \
	grep -q 'no usable interrupt controller for 124 vCPUs' "$W/err"

# Row 9: --mem beyond the 40-bit guest-physical space is a usage error
# naming the limit, also where the size arithmetic would wrap.
for m in 1T 16T 18446744073709547520; do
	expect_quick "row 9: --mem $m" 2 --mem "$m"
done
check "row 9: the message names the limit" grep -q '1023 GiB' "$W/err"

# Row 11: disk images are locked (OFD locks, as QEMU's): a read-write disk
# in use refuses a second cellvm (status 5); read-only opens share.
dd if=/dev/zero of="$H/disk" bs=1M count=1 2>/dev/null
start_vm --no-reboot --cmdline "$QUIET" --disk "$H/disk"
if wait_for '/ # ' 90; then
	cp "$W/out" "$H/out11"
	expect_quick "row 11: a disk in read-write use refuses a second read-write user" 5 \
		--kernel "$RL" --mem 64M --no-reboot --disk "$H/disk"
	expect_quick "row 11: ... and a read-only user" 5 \
		--kernel "$RL" --mem 64M --no-reboot --disk "$H/disk,ro"
	cp "$H/out11" "$W/out"
else
	not_ok "row 11: the guest with the disk did not boot"
fi
send poweroff
finish_vm 60
start_vm --no-reboot --cmdline "$QUIET" --disk "$H/disk,ro"
if wait_for '/ # ' 90; then
	timeout -s KILL 30 cellvm --kernel "$RL" --mem 64M --no-reboot --disk "$H/disk,ro" \
		</dev/null >"$H/out11" 2>"$H/err11"
	st=$?
	check "row 11: read-only users share a disk (status $st, want 6)" [ "$st" = 6 ]
else
	not_ok "row 11: the guest with the read-only disk did not boot"
fi
send poweroff
finish_vm 60

# Row 2: a delivered abort is progress: a guest that handles every
# external abort runs past 1000 of them.
timeout -s KILL 60 cellvm --kernel /tmp/guest-abort-loop --mem 64M </dev/null >"$W/out" 2>"$W/err"
st=$?
check "row 2: 1100 handled external aborts, the guest carries on (status $st, want 0)" \
	sh -c "[ $st = 0 ] && grep -q 'aborts survived: 1100' '$W/out'"

# Row 3: console output nobody reads (stdout a FIFO whose reader sleeps)
# never blocks a vCPU for long, so a stop signal still ends cellvm.
rm -f "$H/out3"
mkfifo "$H/out3"
(exec 7<"$H/out3"; sleep 60) &
reader=$!
# Fill the pipe first (16 pages): at one byte per exit under emulation
# the guest alone would take long to.
dd if=/dev/zero of="$H/out3" bs=4096 count=16 2>/dev/null
cellvm --shutdown-timeout 0 --kernel /tmp/guest-chatter --mem 64M </dev/null >"$H/out3" 2>"$W/err" &
pid=$!
# Until cellvm has given up waiting for the reader.
n=0
while ! grep -q 'dropping guest output' "$W/err" && [ $n -lt 150 ]; do
	sleep 0.2
	n=$((n + 1))
done
sleep 0.5
stop_pid "$pid"
kill "$reader" 2>/dev/null
wait "$reader" 2>/dev/null
check "row 3: guest output nobody reads is dropped after a second, with a warning" \
	grep -q 'dropping guest output' "$W/err"
check "row 3: SIGTERM ends cellvm whose output nobody reads (status $STOP_STATUS, $STOP_MS ms)" \
	[ "$STOP_STATUS" = 8 -a "$STOP_MS" -le 1000 ]

# Row 5a: console input survives guest reboots: with a guest that never
# reads its UART and reboots in a loop, cellvm reads at most 4 KiB ahead
# of the guest and carries it from boot to boot, so the rest of a
# 140000-byte file stays unread in the file (it was all read and dropped).
dd if=/dev/zero bs=1000 count=140 2>/dev/null | tr '\0' 'a' >"$H/in5"
cellvm --shutdown-timeout 0 --kernel "$RL" --mem 64M <"$H/in5" >"$W/out" 2>"$W/err" &
pid=$!
sleep 2
pos=$(awk '/^pos:/ { print $2 }' "/proc/$pid/fdinfo/0" 2>/dev/null)
boots=$(count '^R')
stop_pid "$pid"
check "row 5a: input is not consumed across $boots reboots (stdin at $pos of 140000, status $STOP_STATUS)" \
	[ "$boots" -ge 3 -a -n "$pos" -a "${pos:-140000}" -le 4096 -a "$STOP_STATUS" = 8 ]

# Row 5b: a TAP and its host-side configuration survive guest reboots
# (it was destroyed and recreated: new ifindex, address gone, link down).
cellvm --shutdown-timeout 0 --kernel "$RL" --mem 64M --net tap=cvh5 </dev/null >"$W/out" 2>"$W/err" &
pid=$!
n=0
while [ ! -e /sys/class/net/cvh5 ] && [ $n -lt 200 ]; do sleep 0.05; n=$((n + 1)); done
ip link set cvh5 up && ip addr add 169.254.11.1/16 dev cvh5
idx0=$(cat /sys/class/net/cvh5/ifindex 2>/dev/null)
b0=$(count '^R')
sleep 2
b1=$(count '^R')
idx1=$(cat /sys/class/net/cvh5/ifindex 2>/dev/null)
naddr=$(ip addr show cvh5 2>/dev/null | grep -c 169.254.11.1)
flags=$(cat /sys/class/net/cvh5/flags 2>/dev/null || echo 0)
stop_pid "$pid"
check "row 5b: the TAP survives $((b1 - b0)) reboots (ifindex $idx0 -> $idx1, address $naddr, flags $flags)" \
	[ $((b1 - b0)) -ge 2 -a -n "$idx0" -a "$idx0" = "$idx1" -a "$naddr" = 1 -a $((flags & 1)) = 1 ]

# Row 11, across reboots: the image stays open and locked from boot to
# boot of a rebooting guest, so no second cellvm slips in between.
dd if=/dev/zero of="$H/disk2" bs=1M count=1 2>/dev/null
cellvm --shutdown-timeout 0 --kernel "$RL" --mem 64M --disk "$H/disk2" </dev/null >"$W/out" 2>"$W/err" &
pid=$!
sleep 1
refused=0
for i in 1 2 3 4 5 6; do
	timeout -s KILL 10 cellvm --kernel "$RL" --mem 64M --no-reboot --disk "$H/disk2" \
		</dev/null >/dev/null 2>"$H/err11"
	[ $? = 5 ] && refused=$((refused + 1))
done
boots=$(count '^R')
stop_pid "$pid"
check "row 11: a disk stays locked across $boots reboots ($refused of 6 refused)" \
	[ "$refused" = 6 -a "$boots" -ge 3 ]

# SPDX-License-Identifier: MIT
# Issue 10 item 5 end to end: graceful shutdown through the power button.
# The PL061 and its gpio-keys power key in the device tree and in the
# guest; SIGTERM and SIGHUP power the default guest off cleanly (its
# shutdown actions run) with status 8; a guest that ignores the key is
# stopped at --shutdown-timeout; a second signal, SIGINT and
# --shutdown-timeout 0 stop at once; bad values are usage errors.
# Sourced by suite.sh inside the arm64 host; HOST_GIC is 2 or 3.
RL=/tmp/guest-reboot-loop

pw_ms() { awk '{ printf "%d", $1 * 1000 }' /proc/uptime; }

# pw_wait SECS: wait up to SECS for VM_PID to exit; VM_STATUS (124 when it
# had to be killed) and PW_MS, the time since PW_T0.
pw_wait() {
	(sleep "$1"; kill -9 "$VM_PID" 2>/dev/null) &
	dog=$!
	wait "$VM_PID"
	VM_STATUS=$?
	PW_MS=$(( $(pw_ms) - PW_T0 ))
	kill "$dog" 2>/dev/null
	wait "$dog" 2>/dev/null
	[ "$VM_STATUS" = 137 ] && VM_STATUS=124
	exec 3>&-
}

# pw_signal SIG...: send each signal, 0.3 s apart (two of a kind sent
# together would be one pending signal); PW_T0 is the last's.
pw_signal() {
	pw_first=1
	for s in "$@"; do
		[ "$pw_first" = 1 ] || sleep 0.3
		pw_first=0
		PW_T0=$(pw_ms)
		kill -"$s" "$VM_PID"
	done
}

# The generated tree: the PL061 at QEMU virt's address and the power key.
cellvm --dump-dtb "$W/power.dtb" </dev/null >/dev/null 2>"$W/err"
check "power: --dump-dtb has the PL061 and a gpio-keys power key" sh -c \
	"grep -q 'pl061@9030000' '$W/power.dtb' && grep -q 'arm,pl061' '$W/power.dtb' && grep -q 'gpio-keys' '$W/power.dtb' && grep -q 'GPIO Key Poweroff' '$W/power.dtb'"

# The guest sees the key: its device tree, the gpio-keys input device,
# acpid watching it. Then SIGTERM powers it off cleanly.
start_vm --shutdown-timeout 30 --cmdline "$QUIET"
if wait_for '/ # ' 120; then
	guest_run 61 'tr -d "\0" </proc/device-tree/gpio-keys/poweroff/label; echo; od -An -tx1 /proc/device-tree/gpio-keys/poweroff/linux,code | tr -d " "; grep -c "Name=\"gpio-keys\"" /proc/bus/input/devices; ls /dev/input; pidof acpid >/dev/null && echo acpid-runs; cat /proc/device-tree/pl061@9030000/compatible | tr "\0" " "; echo'
	r=$(result 61)
	check "power: the guest's device tree has the key (KEY_POWER)" sh -c \
		"[ '$(echo "$r" | sed -n 1p)' = 'GPIO Key Poweroff' ] && [ '$(echo "$r" | sed -n 2p)' = 00000074 ]"
	check "power: the guest has the gpio-keys input device ($(echo "$r" | sed -n 3p) in /proc/bus/input/devices)" \
		[ "$(echo "$r" | sed -n 3p)" = 1 ]
	check "power: /dev/input has an event device, acpid watches it" sh -c \
		"echo '$r' | grep -q '^event' && echo '$r' | grep -q '^acpid-runs$'"
	check "power: the PL061 is arm,pl061 ($(echo "$r" | sed -n '$p'))" sh -c \
		"echo '$r' | grep -q '^arm,pl061 arm,primecell'"
	pw_signal TERM
	pw_wait 60
	check "power: SIGTERM powers the default guest off cleanly: status $VM_STATUS, ${PW_MS} ms (want 8, < 30 s)" \
		sh -c "[ $VM_STATUS = 8 ] && [ $PW_MS -lt 30000 ]"
	check "power: ... the guest's power key handler and shutdown actions ran" sh -c \
		"grep -q 'power key pressed, powering off' '$W/out' && grep -q 'running shutdown actions' '$W/out' && grep -q 'reboot: Power down' '$W/out'"
else
	not_ok "power: the default guest did not boot"
	kill -9 "$VM_PID" 2>/dev/null
	finish_vm 10
fi

# SIGHUP too, with the default --shutdown-timeout (10 s).
start_vm --cmdline "$QUIET"
if wait_for '/ # ' 120; then
	pw_signal HUP
	pw_wait 60
	check "power: SIGHUP powers the default guest off within the default 10 s: status $VM_STATUS, ${PW_MS} ms" \
		sh -c "[ $VM_STATUS = 8 ] && [ $PW_MS -lt 10000 ] && grep -q 'running shutdown actions' '$W/out' && grep -q 'reboot: Power down' '$W/out'"
else
	not_ok "power: the default guest did not boot (SIGHUP)"
	kill -9 "$VM_PID" 2>/dev/null
	finish_vm 10
fi

# The key's interrupt through cellvm's own GICv2 model (a level line).
start_vm --irqchip user --shutdown-timeout 30 --cmdline "$QUIET"
if wait_for '/ # ' 120; then
	pw_signal TERM
	pw_wait 60
	check "power: --irqchip user: SIGTERM powers the guest off cleanly: status $VM_STATUS, ${PW_MS} ms" \
		sh -c "[ $VM_STATUS = 8 ] && [ $PW_MS -lt 30000 ] && grep -q 'running shutdown actions' '$W/out' && grep -q 'reboot: Power down' '$W/out'"
else
	not_ok "power: the default guest did not boot (--irqchip user)"
	kill -9 "$VM_PID" 2>/dev/null
	finish_vm 10
fi

# A guest that ignores the key (it reboots in a tight loop) is stopped at
# the deadline, which holds across its reboots.
start_vm --shutdown-timeout 2 --kernel "$RL" --mem 64M
sleep 0.5
pw_signal TERM
pw_wait 20
check "power: a guest ignoring the key is stopped after --shutdown-timeout 2: status $VM_STATUS, ${PW_MS} ms (want 8, 1.7-4 s)" \
	sh -c "[ $VM_STATUS = 8 ] && [ $PW_MS -ge 1700 ] && [ $PW_MS -lt 4000 ]"
check "power: ... and it kept running (rebooting) until then" \
	[ "$(count '^R')" -gt 2 ]

# A second SIGTERM (or a SIGHUP after it) stops at once.
for second in TERM HUP; do
	start_vm --shutdown-timeout 30 --kernel "$RL" --mem 64M
	sleep 0.5
	pw_signal TERM "$second"
	pw_wait 20
	check "power: SIGTERM then SIG$second stops at once: status $VM_STATUS, ${PW_MS} ms after the second (want 8, < 1 s)" \
		sh -c "[ $VM_STATUS = 8 ] && [ $PW_MS -lt 1000 ]"
done

# SIGINT stops at once whatever the timeout; --shutdown-timeout 0 makes
# SIGTERM and SIGHUP do so too.
for case in INT TERM:0 HUP:0; do
	sig=${case%%:*}
	opt=
	[ "$sig" = "$case" ] || opt="--shutdown-timeout ${case#*:}"
	start_vm $opt --kernel "$RL" --mem 64M
	sleep 0.5
	pw_signal "$sig"
	pw_wait 20
	check "power: SIG$sig${opt:+ with $opt} stops at once: status $VM_STATUS, ${PW_MS} ms (want 8, < 1 s)" \
		sh -c "[ $VM_STATUS = 8 ] && [ $PW_MS -lt 1000 ]"
done

# A request at start-up, before any VM exists, is not lost: the deadline
# runs from the signal.
cellvm --shutdown-timeout 1 --kernel "$RL" --mem 64M </dev/null >"$W/out" 2>"$W/err" &
VM_PID=$!
n=0
while [ "$(cat "/proc/$VM_PID/comm" 2>/dev/null)" != cellvm ] && [ $n -lt 2000 ]; do
	n=$((n + 1))
done
pw_signal TERM
pw_wait 20
check "power: SIGTERM at start-up stops at the 1 s deadline: status $VM_STATUS, ${PW_MS} ms (want 8, < 3 s)" \
	sh -c "[ $VM_STATUS = 8 ] && [ $PW_MS -lt 3000 ]"

# Bad values: status 2, one line.
for v in -1 abc 1.5 86401 ''; do
	expect_status_in 10 KILL "power: --shutdown-timeout '$v' is a usage error" 2 \
		--shutdown-timeout "$v"
done
check "power: the message names the range" \
	grep -q 'expected whole seconds from 0 to 86400' "$W/err"

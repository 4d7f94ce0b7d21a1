# SPDX-License-Identifier: MIT
# Helpers for end-to-end scenarios. They run inside the arm64 host (busybox
# sh), drive a guest through a FIFO on its console and read its output from
# a file. Every wait is bounded; a scenario that fails says why.

W=${W:-/tmp/e2e}
mkdir -p "$W"
PASSED=0
FAILED=0
QUIET="console=ttyAMA0 quiet"

ok() { PASSED=$((PASSED + 1)); echo "ok - $*"; }
not_ok() {
	FAILED=$((FAILED + 1))
	echo "not ok - $*"
	if [ -f "$W/out" ]; then
		echo "  --- guest output (last 15 lines) ---"
		tail -n 15 "$W/out" | sed 's/^/  | /'
	fi
	if [ -s "$W/err" ]; then
		echo "  --- cellvm stderr ---"
		tail -n 10 "$W/err" | sed 's/^/  | /'
	fi
}
check() { # check NAME COMMAND...: ok if COMMAND succeeds
	name=$1
	shift
	if "$@"; then ok "$name"; else not_ok "$name"; fi
}

# start_vm ARGS...: cellvm with its console on a FIFO we hold open (fd 3).
start_vm() {
	rm -f "$W/in" "$W/out" "$W/err"
	mkfifo "$W/in"
	cellvm "$@" <"$W/in" >"$W/out" 2>"$W/err" &
	VM_PID=$!
	exec 3>"$W/in"
}

# wait_for PATTERN [SECONDS]: until the guest printed PATTERN (grep -E).
wait_for() {
	n=$(( ${2:-60} * 5 ))
	while ! grep -qE "$1" "$W/out" 2>/dev/null; do
		n=$((n - 1))
		if [ "$n" -le 0 ] || ! kill -0 "$VM_PID" 2>/dev/null; then
			grep -qE "$1" "$W/out" 2>/dev/null && return 0
			return 1
		fi
		sleep 0.2
	done
}

# wait_count PATTERN N [SECONDS]: until PATTERN was printed N times.
wait_count() {
	n=$(( ${3:-60} * 5 ))
	while [ "$(count "$1")" -lt "$2" ]; do
		n=$((n - 1))
		if [ "$n" -le 0 ] || ! kill -0 "$VM_PID" 2>/dev/null; then
			[ "$(count "$1")" -ge "$2" ]
			return
		fi
		sleep 0.2
	done
}

# count PATTERN: how many output lines match.
count() { grep -cE "$1" "$W/out" 2>/dev/null || true; }

send() { printf '%s\n' "$*" >&3; }

# Run a shell command in the guest; its output is framed by markers so a
# check can read exactly it: guest_run ID COMMAND, then `result ID`.
guest_run() {
	id=$1
	shift
	send "echo @@B$id@@; $*; echo @@E$id@@"
	wait_for "^@@E$id@@" "${TIMEOUT:-30}"
}
result() {
	sed -n "/^@@B$1@@/,/^@@E$1@@/p" "$W/out" | tr -d '\r' | sed '1d;$d'
}

# finish_vm [SECONDS]: close the console, wait for cellvm, set VM_STATUS
# (124 when it had to be killed).
finish_vm() {
	n=$(( ${1:-60} * 5 ))
	while kill -0 "$VM_PID" 2>/dev/null; do
		n=$((n - 1))
		if [ "$n" -le 0 ]; then
			kill -9 "$VM_PID" 2>/dev/null
			wait "$VM_PID" 2>/dev/null
			VM_STATUS=124
			exec 3>&-
			return
		fi
		sleep 0.2
	done
	wait "$VM_PID"
	VM_STATUS=$?
	exec 3>&-
}

# expect_status_in SECS SIGNAL NAME WANT ARGS...: cellvm with ARGS, sent
# SIGNAL if still running after SECS s, must exit WANT and print exactly
# one line on stderr that starts with "cellvm: ".
expect_status_in() {
	secs=$1
	sig=$2
	name=$3
	want=$4
	shift 4
	timeout -s "$sig" "$secs" cellvm "$@" </dev/null >"$W/out" 2>"$W/err"
	got=$?
	lines=$(wc -l <"$W/err")
	if [ "$got" = "$want" ] && [ "$lines" = 1 ] && grep -q '^cellvm: ' "$W/err"; then
		ok "$name (status $got: $(cat "$W/err"))"
	else
		not_ok "$name: want status $want and one 'cellvm:' line, got $got and $lines line(s)"
	fi
}

# expect_status NAME WANT ARGS...: expect_status_in with 60 s (SIGTERM).
expect_status() {
	expect_status_in 60 TERM "$@"
}

summary() {
	echo "e2e: $PASSED passed, $FAILED failed"
	[ "$FAILED" -eq 0 ]
}

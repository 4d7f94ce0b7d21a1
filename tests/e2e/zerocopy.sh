# SPDX-License-Identifier: MIT
# Issues 5 and 14 end to end: images in guest RAM. cellvm maps the guest
# embedded in its own binary (which the kernel write-protects while it
# runs) into guest RAM copy-on-write, and reads image files given with
# --kernel/--initrd, so a host rewriting or truncating them cannot change
# a running guest; guest writes must never reach any file, and
# --no-zero-copy copies the embedded guest too. Sourced by suite.sh inside
# the arm64 host (GICv3 run); needs /tmp/guest-scribble (tests/guests/scribble).

SCRIBBLE=/tmp/guest-scribble
ZC_INITRD=$W/zc-initrd

# stop_vm: end an idle guest with SIGTERM; status 8 is "stopped by a signal"
# (the guests run with --shutdown-timeout 0: at once, no power button).
stop_vm() {
	kill "$VM_PID" 2>/dev/null
	finish_vm 30
}

# scribble_case NAME EXPECT_MAPPED CELLVM-ARGS...: boot the scribble guest
# over a random initrd; it writes over its own image and the initrd.
scribble_case() {
	zc_name=$1 want_mapped=$2
	shift 2
	before=$(md5sum "$SCRIBBLE" "$ZC_INITRD" | cut -d' ' -f1 | tr '\n' ' ')
	start_vm --shutdown-timeout 0 --kernel "$SCRIBBLE" --initrd "$ZC_INITRD" --mem 64M "$@"
	if wait_for '^scribble done' 60; then
		ok "$zc_name: scribble guest wrote over its image and initrd"
	else
		not_ok "$zc_name: scribble guest wrote over its image and initrd"
	fi
	check "$zc_name: guest read its image as the file holds it" \
		grep -q '^scribble: body ok' "$W/out"
	check "$zc_name: guest read back what it wrote" grep -q '^scribble ok: ' "$W/out"
	if [ "$want_mapped" = yes ]; then
		check "$zc_name: kernel and initrd files are mapped, not copied" \
			sh -c "grep -q '$SCRIBBLE' /proc/$VM_PID/maps && grep -q '$ZC_INITRD' /proc/$VM_PID/maps"
	else
		check "$zc_name: neither file is mapped" \
			sh -c "! grep -q -e '$SCRIBBLE' -e '$ZC_INITRD' /proc/$VM_PID/maps"
	fi
	stop_vm
	after=$(md5sum "$SCRIBBLE" "$ZC_INITRD" | cut -d' ' -f1 | tr '\n' ' ')
	check "$zc_name: kernel and initrd files unchanged (md5 $before)" [ "$before" = "$after" ]
}

if [ ! -f "$SCRIBBLE" ]; then
	not_ok "zero-copy: $SCRIBBLE missing (make build/guests/scribble)"
else
	# 1 MiB of random bytes: a page-multiple initrd.
	dd if=/dev/urandom of="$ZC_INITRD" bs=4096 count=256 2>/dev/null
	scribble_case "default, files" no
	scribble_case "--no-zero-copy" no --no-zero-copy
fi

# linux_case NAME MAPPED CELLVM-ARGS...: a Linux boot to the shell that
# writes over its kernel image (.data, .bss) and frees and reuses its
# initramfs pages; then `poweroff -f`. FILES (set by the caller) must be
# unchanged afterwards; MAPPED is the pattern that must show in cellvm's
# mappings, MIN_MAPS to MAX_MAPS times, or "none" for: none of FILES.
# AT_SHELL, if set, is a function run once the guest is at its shell.
linux_case() {
	zc_name=$1 mapped=$2
	shift 2
	before=$(sha256sum $FILES | cut -d' ' -f1 | tr '\n' ' ')
	start_vm --shutdown-timeout 0 --no-reboot --cmdline "$QUIET" "$@"
	if wait_for '/ # ' 90; then
		ok "$zc_name: guest reaches its shell"
	else
		not_ok "$zc_name: guest reaches its shell"
	fi
	maps=$(grep -cE -e "$mapped" "/proc/$VM_PID/maps" 2>/dev/null)
	if [ "$mapped" = none ]; then
		maps=0
		for f in $FILES; do
			grep -q -- "$f" "/proc/$VM_PID/maps" && maps=$((maps + 1))
		done
		check "$zc_name: no image file is mapped" [ "$maps" = 0 ]
	else
		check "$zc_name: $MIN_MAPS to $MAX_MAPS mappings match $mapped ($maps)" \
			[ "${maps:-0}" -ge "$MIN_MAPS" -a "${maps:-0}" -le "$MAX_MAPS" ]
	fi
	[ -z "$AT_SHELL" ] || "$AT_SHELL"
	check "$zc_name: cellvm still runs" kill -0 "$VM_PID"
	guest_run zca 'echo "alive $((6 * 7))"'
	check "$zc_name: guest answers on its console" [ "$(result zca)" = "alive 42" ]
	guest_run zc 'dd if=/dev/zero of=/tmp/fill bs=1M count=32 2>/dev/null; rm /tmp/fill; echo filled'
	check "$zc_name: guest filled 32 MiB of tmpfs" [ "$(result zc)" = filled ]
	send 'poweroff -f'
	finish_vm 60
	check "$zc_name: guest powers off with status 0" [ "$VM_STATUS" = 0 ]
	after=$(sha256sum $FILES | cut -d' ' -f1 | tr '\n' ' ')
	[ -n "$CLOBBERED" ] ||
		check "$zc_name: $FILES unchanged (sha256)" [ "$before" = "$after" ]
}

# The kernel keeps a running executable from being written or truncated
# (ETXTBSY), which is what makes mapping the embedded guest safe. Neither
# probe changes the file should it succeed: an open for appending that
# writes nothing, a truncation to the size it has.
exe_is_protected() {
	check "embedded: cellvm's executable cannot be opened for writing while it runs" \
		sh -c "! sh -c 'exec 4>>\"\$1\"' sh '$FILES' 2>/dev/null"
	check "embedded: nor truncated" \
		sh -c "! truncate -s $(stat -c %s "$FILES") '$FILES' 2>/dev/null"
}

# The embedded guest, mapped from cellvm's own binary: of the binary's own
# segments one is writable (rw-p), the kernel and initramfs add two; with
# --no-zero-copy they are copied and only the one is left.
FILES=$(command -v cellvm) MIN_MAPS=3 MAX_MAPS=99 AT_SHELL=exe_is_protected
linux_case "default, embedded guest" "rw-p .*$FILES"
MIN_MAPS=1 MAX_MAPS=1 AT_SHELL=
linux_case "--no-zero-copy, embedded guest" "rw-p .*$FILES" --no-zero-copy

# The default guest from copies of its files, which the host then
# rewrites in place with random bytes and truncates to nothing while the
# guest runs (issue 14): files are read, never mapped, so the guest runs
# on, answers, fills its tmpfs and powers off with 0 (a mapping would have
# shown it the new bytes, then failed KVM_RUN with EFAULT or killed
# cellvm with SIGBUS).
GUEST_INITRD=/tmp/guest-initrd
ISO_K=$W/iso-Image ISO_I=$W/iso-initrd
cp "$GUEST_KERNEL" "$ISO_K"
cp "$GUEST_INITRD" "$ISO_I"
clobber_files() {
	for f in "$ISO_K" "$ISO_I"; do
		kib=$(( ($(stat -c %s "$f") + 1023) / 1024 ))
		dd if=/dev/urandom of="$f" bs=1k count="$kib" conv=notrunc 2>/dev/null
	done
	check "files: both rewritten in place (sizes kept)" \
		[ "$(stat -c %s "$ISO_K")" -ge "$(stat -c %s "$GUEST_KERNEL")" ]
	sleep 1
	check "files: cellvm still runs after the rewrite" kill -0 "$VM_PID"
	guest_run zcr 'echo "after rewrite $((6 * 7))"'
	check "files: guest answers after the rewrite" \
		[ "$(result zcr)" = "after rewrite 42" ]
	truncate -s 0 "$ISO_K" "$ISO_I"
	check "files: both truncated to 0 bytes" \
		[ "$(stat -c %s "$ISO_K")$(stat -c %s "$ISO_I")" = 00 ]
	sleep 1
}
FILES="$ISO_K $ISO_I" AT_SHELL=clobber_files CLOBBERED=yes
linux_case "default, files rewritten and truncated" none \
	--kernel "$ISO_K" --initrd "$ISO_I"
check "files: no fault, signal or failure reported on stderr" \
	sh -c "! grep -qiE 'bad address|sigbus|signal|fail' '$W/err'"
AT_SHELL= CLOBBERED=
rm -f "$ISO_K" "$ISO_I"

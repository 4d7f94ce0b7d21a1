# SPDX-License-Identifier: MIT
# Issue 5 end to end: zero-copy images. cellvm maps page-aligned image
# files (and the guest embedded in its own binary) into guest RAM
# copy-on-write; guest writes must never reach the files, and
# --no-zero-copy must still copy and boot. Sourced by suite.sh inside the
# arm64 host (GICv3 run); needs /tmp/guest-scribble (tests/guests/scribble).

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
	scribble_case "zero-copy" yes
	scribble_case "--no-zero-copy" no --no-zero-copy
fi

# linux_case NAME MAPPED CELLVM-ARGS...: a Linux boot to the shell that
# writes over its kernel image (.data, .bss) and frees and reuses its
# initramfs pages; then `poweroff -f`. FILES (set by the caller) must be
# unchanged afterwards; MAPPED is the pattern that must show in cellvm's
# mappings, or "none" for: none of FILES.
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
		check "$zc_name: image files are mapped ($maps mappings match $mapped)" \
			[ "${maps:-0}" -ge "$MIN_MAPS" ]
	fi
	guest_run zc 'dd if=/dev/zero of=/tmp/fill bs=1M count=32 2>/dev/null; rm /tmp/fill; echo filled'
	check "$zc_name: guest filled 32 MiB of tmpfs" [ "$(result zc)" = filled ]
	send 'poweroff -f'
	finish_vm 60
	check "$zc_name: guest powers off with status 0" [ "$VM_STATUS" = 0 ]
	after=$(sha256sum $FILES | cut -d' ' -f1 | tr '\n' ' ')
	check "$zc_name: $FILES unchanged (sha256)" [ "$before" = "$after" ]
}

# The embedded guest, mapped from cellvm's own binary: of the binary's own
# segments one is writable (rw-p), the kernel and initramfs add two.
FILES=$(command -v cellvm) MIN_MAPS=3
linux_case "zero-copy, embedded guest" "rw-p .*$FILES"
# The default guest from files: mapped, and copied with --no-zero-copy.
GUEST_INITRD=/tmp/guest-initrd
FILES="$GUEST_KERNEL $GUEST_INITRD" MIN_MAPS=2
linux_case "zero-copy, files" "$GUEST_KERNEL|$GUEST_INITRD" \
	--kernel "$GUEST_KERNEL" --initrd "$GUEST_INITRD"
linux_case "--no-zero-copy, files" none \
	--kernel "$GUEST_KERNEL" --initrd "$GUEST_INITRD" --no-zero-copy

# SPDX-License-Identifier: MIT
# Issue 12 part 4 end to end: kernels as distributions ship them. The
# default guest's kernel gzip'd and as an ELF vmlinux boots to the shell;
# a headerless test guest runs with --kernel-format raw; each bad input
# gets one line and status 3. The files come from mk/kfmt.mk (made on the
# build host); sourced by suite.sh inside the arm64 host (GICv3 run).

KF=/tmp/kfmt
KF_INITRD=/tmp/guest-initrd
mkdir -p "$KF"

# kf_boot NAME MAPPED KERNEL CELLVM-ARGS...: a Linux boot from KERNEL to
# the shell, a command, `poweroff -f` and status 0. MAPPED (yes/no): whether
# cellvm must map KERNEL; since issue 14 no file is mapped (an Image is read,
# others inflated or copied), only the embedded guest (part zerocopy).
# Prints how long cellvm took to put the images in place (--boot-timing).
kf_boot() {
	kf_name=$1 kf_mapped=$2 kf_kernel=$3
	shift 3
	start_vm --no-reboot --boot-timing --cmdline "$QUIET" --initrd "$KF_INITRD" \
		--kernel "$kf_kernel" "$@"
	if wait_for '/ # ' 120; then
		ok "$kf_name: guest reaches its shell"
	else
		not_ok "$kf_name: guest reaches its shell"
	fi
	if grep -q "$kf_kernel" "/proc/$VM_PID/maps" 2>/dev/null; then kf_m=yes; else kf_m=no; fi
	check "$kf_name: kernel file mapped: $kf_m (want $kf_mapped)" [ "$kf_m" = "$kf_mapped" ]
	guest_run kf 'uname -m'
	check "$kf_name: guest runs commands (uname -m: $(result kf))" \
		[ "$(result kf)" = aarch64 ]
	send 'poweroff -f'
	finish_vm 60
	check "$kf_name: guest powers off with status 0 (got $VM_STATUS)" [ "$VM_STATUS" = 0 ]
	echo "  $kf_name: $(tr -d '\r' <"$W/err" | grep images_loaded)"
}

missing=
for f in kfmt-Image.gz kfmt-vmlinux kfmt-vmlinux-far kfmt-vmlinux-dtb \
	kfmt-bomb.gz kfmt-raw-hello guest-initrd; do
	[ -f "/tmp/$f" ] || missing="$missing $f"
done
if [ -n "$missing" ]; then
	not_ok "kernel formats: missing in the arm64 host:$missing (see mk/kfmt.mk)"
else
	kf_boot "Image (baseline)" no "$GUEST_KERNEL"
	kf_boot "gzip'd Image, detected" no /tmp/kfmt-Image.gz
	kf_boot "ELF vmlinux, detected" no /tmp/kfmt-vmlinux
	kf_boot "ELF vmlinux, --kernel-format elf" no /tmp/kfmt-vmlinux --kernel-format elf

	# The raw guest checks where it runs and x0, then powers off.
	timeout 60 cellvm --kernel /tmp/kfmt-raw-hello --kernel-format raw --mem 64M \
		</dev/null >"$W/out" 2>"$W/err"
	st=$?
	check "raw: powers off with status 0 (got $st)" [ "$st" = 0 ]
	check "raw: loaded and entered at RAM base + 0x80000" \
		grep -q '^raw: loaded at 0x40080000 ok' "$W/out"
	check "raw: x0 holds the DTB address" grep -q '^raw: DTB at x0 ok' "$W/out"

	# Bad input, each one line and status 3 (2 for a bad option).
	head -c 1000000 /tmp/kfmt-Image.gz >"$KF/truncated.gz"
	printf 'not a kernel at all\n' | gzip -c >"$KF/text.gz"
	head -c 1048576 /tmp/kfmt-vmlinux >"$KF/truncated-vmlinux"
	dd if=/dev/urandom of="$KF/garbage" bs=4k count=4 2>/dev/null
	dd if=/dev/zero of="$KF/raw-big" bs=1M count=0 seek=80 2>/dev/null
	expect_status "truncated gzip" 3 --kernel "$KF/truncated.gz"
	check "truncated gzip: says so" grep -q 'gzip data truncated' "$W/err"
	expect_status "gzip bomb over RAM (128 MiB into 64 MiB)" 3 \
		--kernel /tmp/kfmt-bomb.gz --mem 64M
	check "gzip bomb: says so" grep -q 'decompresses to more than' "$W/err"
	expect_status "gzip'd text" 3 --kernel "$KF/text.gz"
	expect_status "truncated ELF" 3 --kernel "$KF/truncated-vmlinux"
	check "truncated ELF: says so" grep -q 'ELF truncated' "$W/err"
	expect_status "ELF with a segment outside RAM" 3 --kernel /tmp/kfmt-vmlinux-far
	expect_status "ELF with a segment over the DTB" 3 \
		--kernel /tmp/kfmt-vmlinux-dtb --mem 64M
	check "ELF over the DTB: names the DTB" grep -q 'DTB' "$W/err"
	# The arm64 host's own static busybox: an AArch64 ELF, but no kernel.
	expect_status "ELF that is no kernel (busybox)" 3 --kernel /bin/busybox
	check "busybox: its first segment holds no Image header" \
		grep -q "ELF's first loadable segment: not an arm64 Image" "$W/err"
	expect_status "raw binary larger than RAM" 3 \
		--kernel "$KF/raw-big" --kernel-format raw --mem 64M
	expect_status "garbage" 3 --kernel "$KF/garbage"
	expect_status "headerless binary without --kernel-format raw" 3 \
		--kernel /tmp/kfmt-raw-hello
	expect_status "--kernel-format gzip on an Image" 3 \
		--kernel "$GUEST_KERNEL" --kernel-format gzip
	check "format mismatch: points at --kernel-format" \
		grep -q '^cellvm: --kernel-format: kernel: format gzip asked for' "$W/err"
	expect_status "--kernel-format bogus" 2 --kernel "$GUEST_KERNEL" --kernel-format bogus
	expect_status "--kernel-format without --kernel" 2 --kernel-format raw
fi
rm -rf "$KF"

# SPDX-License-Identifier: MIT
# Bad input: each gets one line naming the problem and its exit status.
K=/tmp/e2e-k
mkdir -p "$K"
# A truncated and a non-Image kernel, a directory, garbage DTB, a big file.
head -c 1048576 "$GUEST_KERNEL" >"$K/truncated"
head -c 40 "$GUEST_KERNEL" >"$K/short"
i=0
while [ $i -lt 20 ]; do echo "this is a text file, not an arm64 Image"; i=$((i + 1)); done >"$K/text"
dd if=/dev/urandom of="$K/garbage.dtb" bs=1k count=4 2>/dev/null
dd if=/dev/zero of="$K/big" bs=1M count=300 2>/dev/null
dd if=/dev/zero of="$K/big.dtb" bs=1M count=3 2>/dev/null

expect_status "missing kernel" 3 --kernel /nonexistent/Image
expect_status "kernel is a directory" 3 --kernel /tmp
expect_status "kernel shorter than its header" 3 --kernel "$K/short"
expect_status "truncated kernel (header intact)" 3 --kernel "$K/truncated"
expect_status "non-Image kernel" 3 --kernel "$K/text"
expect_status "initrd that does not fit in RAM" 3 --initrd "$K/big"
expect_status "missing initrd" 3 --initrd /nonexistent.cpio
expect_status "DTB larger than 2 MiB" 3 --dtb "$K/big.dtb"
expect_status "malformed DTB" 3 --dtb "$K/garbage.dtb"
expect_status "--mem too small for the kernel" 3 --mem 16M
expect_status "--mem malformed" 2 --mem 12X
expect_status "--mem not a multiple of 4 KiB" 2 --mem 1000000
expect_status "--cpus 0" 2 --cpus 0
expect_status "--cpus malformed" 2 --cpus four
expect_status "unknown option" 2 --frobnicate
expect_status "--irqchip bogus" 2 --irqchip=bogus
if [ "$HOST_GIC" = 2 ]; then
	# A GICv2 host's KVM allows at most 8 vCPUs.
	expect_status "--cpus 9: more than KVM allows" 4 --cpus 9 --irqchip=kernel
else
	expect_status "--cpus 513: more than cellvm allows" 2 --cpus 513
fi
rm -rf "$K"

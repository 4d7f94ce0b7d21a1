# SPDX-License-Identifier: MIT
# Benchmarks: cellvm against Debian's arm64 QEMU, side by side inside one
# arm64 host boot (bench/run; see docs/benchmarks.md).
#
#   make bench           run everything, write docs/benchmarks.{md,png}
#   make bench BENCH_REPS=7 BENCH_CASES="init mmio"

BENCH_REPS ?= 5
BENCH_CASES ?=
QEMU_ARM64 := build/qemu-arm64/qemu/.stamp

build/bench/stamp: bench/stamp.c | $(DEPS_STAMP)
	@mkdir -p $(dir $@)
	@echo "  CC      $@"
	$(Q)$(CROSS_CC) -std=gnu11 -O2 -Wall -Wextra -Werror -D_GNU_SOURCE -static -o $@ $<

$(QEMU_ARM64): tools/fetch-qemu-arm64 | $(DEPS_STAMP)
	tools/fetch-qemu-arm64 build/qemu-arm64

.PHONY: bench
bench: build/arm64/cellvm build/bench/stamp $(QEMU_ARM64) guests $(GUEST_INITRD)
	bench/run --reps $(BENCH_REPS) $(BENCH_CASES)

# The guest side of the virtio-blk case: blkio in an initramfs appended to
# the default guest's (the kernel unpacks concatenated archives in turn).
build/bench/blkio: bench/blkio.c | $(DEPS_STAMP)
	@mkdir -p $(dir $@)
	@echo "  CC      $@"
	$(Q)$(CROSS_CC) -std=gnu11 -O2 -Wall -Wextra -Werror -D_GNU_SOURCE -static -o $@ $<

build/bench/initrd-blk: build/bench/blkio $(GUEST_INITRD) tools/mkinitramfs
	@rm -rf build/bench/blk-root
	@mkdir -p build/bench/blk-root/usr/bin
	$(Q)cp build/bench/blkio build/bench/blk-root/usr/bin/
	$(Q)tools/mkinitramfs build/bench/blk-root build/bench/blk.cpio
	$(Q)cp $(GUEST_INITRD) $@
	@# The kernel looks for the next archive at a 4-byte aligned offset
	@# (init/initramfs.c); zero padding between archives is skipped.
	$(Q)truncate -s %512 $@
	$(Q)cat build/bench/blk.cpio >>$@
	@rm -rf build/bench/blk-root build/bench/blk.cpio
bench: build/bench/initrd-blk

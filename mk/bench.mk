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
	$(guest-prog-cc)

$(QEMU_ARM64): tools/fetch-qemu-arm64 | $(DEPS_STAMP)
	tools/fetch-qemu-arm64 build/qemu-arm64

.PHONY: bench
bench: build/arm64/cellvm build/bench/stamp $(QEMU_ARM64) guests $(GUEST_INITRD)
	bench/run --reps $(BENCH_REPS) $(BENCH_CASES)

# The guest side of the virtio-blk case: blkio in an initramfs appended to
# the default guest's (the kernel unpacks concatenated archives in turn).
build/bench/blkio: bench/blkio.c | $(DEPS_STAMP)
	$(guest-prog-cc)

build/bench/initrd-blk: build/bench/blkio $(GUEST_INITRD) tools/mkinitramfs
	$(call initrd-append,build/bench/blkio,build/bench/blk)
bench: build/bench/initrd-blk

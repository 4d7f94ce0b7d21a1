// SPDX-License-Identifier: MIT
/*
 * libFuzzer target for the empty virtio-mmio slots
 * (src/dev/virtio_mmio_empty.c). The input is a sequence of accesses,
 * each: flags(1) offset(2) value(8); flags bit 0 = write, bits 1-2 = size
 * 1 << n, bits 3-7 the vCPU. Invariants: whatever was written before, a 32-bit read of a
 * slot's MagicValue is "virt", of its Version 2, and every other read is
 * 0 (DeviceID included: no device).
 */
#include <stddef.h>
#include <stdint.h>

#include "dev/virtio_mmio.h"
#include "dev/virtio_mmio_empty.h"

#define WINDOW (32 * VIRTIO_MMIO_WINDOW_SIZE) /* a whole region */
#define BASE 0x0a000000u
#define OP_BYTES 11

#define CHECK(cond)                                                       \
	do {                                                              \
		if (!(cond))                                              \
			__builtin_trap();                                 \
	} while (0)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static uint64_t expected(uint64_t off, unsigned size)
{
	if (size != 4)
		return 0;
	switch (off % VIRTIO_MMIO_WINDOW_SIZE) {
	case VIRTIO_MMIO_MAGIC_VALUE:
		return VIRTIO_MMIO_MAGIC;
	case VIRTIO_MMIO_VERSION:
		return VIRTIO_MMIO_VERSION_2;
	default:
		return 0;
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const struct cellvm_log quiet = { .level = CELLVM_LOG_ERROR };
	struct virtio_mmio_empty *e;
	size_t i;

	if (virtio_mmio_empty_create(&quiet, &e))
		return 0;
	for (i = 0; i + OP_BYTES <= size; i += OP_BYTES) {
		unsigned len = 1u << ((data[i] >> 1) & 3);
		uint64_t off = (data[i + 1] | (uint64_t)data[i + 2] << 8) % WINDOW;
		uint64_t val = 0;
		struct cellvm_access_info a;
		unsigned b;

		for (b = 0; b < 8; b++)
			val |= (uint64_t)data[i + 3 + b] << (8 * b);
		if (off + len > WINDOW)
			off = WINDOW - len;
		a = (struct cellvm_access_info){ .addr = BASE + off,
						 .offset = off,
						 .size = len,
						 .cpu = data[i] >> 3 };
		if (data[i] & 1)
			virtio_mmio_empty_ops.write(e, &a, val);
		else
			CHECK(virtio_mmio_empty_ops.read(e, &a) ==
			      expected(off, len));
	}
	virtio_mmio_empty_destroy(e);
	return 0;
}

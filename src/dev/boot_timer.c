// SPDX-License-Identifier: MIT
/*
 * Boot timer (cellvm-specific, after Firecracker's boot-timer device): a
 * 4 KiB window at CELLVM_BOOT_TIMER_BASE. Any write to offset 0 marks
 * "guest init reached" (the default guest's /init does
 * `devmem 0x0a100000 32 1`); the VM records the first such write for
 * --boot-timing. Everything else reads as zero and ignores writes.
 *
 * It has no device-tree node: only software that knows the address uses
 * it, and a guest that does not is unaffected.
 */
#include "dev/boot_timer.h"

static uint64_t boot_timer_read(void *opaque,
				const struct cellvm_access_info *a)
{
	return 0;
}

static void boot_timer_write(void *opaque, const struct cellvm_access_info *a,
			     uint64_t value)
{
	struct boot_timer *t = opaque;

	if (a->offset == BOOT_TIMER_REG_MARK && t->mark)
		t->mark(t->opaque);
}

const struct cellvm_mmio_ops boot_timer_mmio_ops = {
	.read = boot_timer_read,
	.write = boot_timer_write,
};

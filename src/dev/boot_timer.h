/* SPDX-License-Identifier: MIT */
/* The boot timer: a guest write marks "init reached" (see boot_timer.c). */
#ifndef CELLVM_DEV_BOOT_TIMER_H
#define CELLVM_DEV_BOOT_TIMER_H

#include "core/bus.h"

struct boot_timer {
	/* Called on the guest's first write to the mark register. */
	void (*mark)(void *opaque);
	void *opaque;
};

#define BOOT_TIMER_REG_MARK 0x0

extern const struct cellvm_mmio_ops boot_timer_mmio_ops;

#endif

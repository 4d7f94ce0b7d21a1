/* SPDX-License-Identifier: MIT */
/*
 * Interrupt lines. A device holds a struct cellvm_irq (a chip and a line
 * number, opaque to the device) and raises or lowers it; the chip behind it
 * is either the hypervisor's in-kernel controller or cellvm's own model.
 * Line numbers are the platform interrupt controller's IDs (on arm64 the
 * GIC INTID, SPIs from 32).
 */
#ifndef CELLVM_CORE_IRQ_H
#define CELLVM_CORE_IRQ_H

#include <stdbool.h>
#include "cellvm/err.h"

struct cellvm_irqchip;

struct cellvm_irqchip_ops {
	/* Drive a device (shared peripheral) line; level true = asserted. */
	int (*set_line)(struct cellvm_irqchip *chip, unsigned line,
			bool level);
	/*
	 * Optional fast path: have the hypervisor assert `line` (edge) each
	 * time `fd` (an eventfd) is signalled. -EOPNOTSUPP when unavailable;
	 * the device then raises the line itself.
	 */
	int (*irqfd)(struct cellvm_irqchip *chip, unsigned line, int fd);
};

struct cellvm_irqchip {
	const struct cellvm_irqchip_ops *ops;
	void *priv;
};

struct cellvm_irq {
	struct cellvm_irqchip *chip;
	unsigned line;
};

int cellvm_irq_set(const struct cellvm_irq *irq, bool level);

/* Assert then deassert: an edge. */
int cellvm_irq_pulse(const struct cellvm_irq *irq);

#endif

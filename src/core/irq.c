// SPDX-License-Identifier: MIT
/* Interrupt lines: a device's handle on the VM's interrupt controller. */
#include <errno.h>

#include "core/irq.h"

int cellvm_irq_set(const struct cellvm_irq *irq, bool level)
{
	if (!irq || !irq->chip || !irq->chip->ops->set_line)
		return -ENODEV;
	return irq->chip->ops->set_line(irq->chip, irq->line, level);
}

int cellvm_irq_pulse(const struct cellvm_irq *irq)
{
	int ret = cellvm_irq_set(irq, true);

	if (ret)
		return ret;
	return cellvm_irq_set(irq, false);
}

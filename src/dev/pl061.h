/* SPDX-License-Identifier: MIT */
/*
 * ARM PrimeCell GPIO (PL061) model, ARM DDI 0190, with an optional
 * gpio-keys power key on one of its pins. See pl061.c for what is and is
 * not emulated.
 *
 * The device is reached through pl061_mmio_ops (opaque = struct pl061 *)
 * on any vCPU thread; the board drives its input pins with
 * pl061_set_input() from any thread (the event loop: the power button).
 * It talks back to the VM only through the interrupt line in struct
 * pl061_host, driven with the device lock held.
 */
#ifndef CELLVM_DEV_PL061_H
#define CELLVM_DEV_PL061_H

#include <stdbool.h>
#include <stdint.h>

#include "cellvm/err.h"
#include "cellvm/log.h"
#include "core/bus.h"
#include "core/irq.h"

#define PL061_NR_PINS 8

/* No gpio-keys power key (pl061_host.power_pin). */
#define PL061_NO_KEY (-1)

/* Linux input event code of the power key (include/uapi/linux/
 * input-event-codes.h, KEY_POWER). */
#define PL061_KEY_POWER 116

struct pl061;

/* What the device needs from the VM; copied by pl061_create(). */
struct pl061_host {
	/* Interrupt output (GPIOINTR), level-sensitive; chip may be NULL. */
	struct cellvm_irq irq;
	/* The pin (0-7) a gpio-keys power key sits on, active high, or
	 * PL061_NO_KEY: the device-tree gets no gpio-keys node. */
	int power_pin;
	/* Where guest-triggered warnings go (rate limited); may be NULL. */
	const struct cellvm_log *log;
};

/*
 * The guest-visible state, plain integers for a snapshot. Pins are bit
 * n for pin n. The pin levels are `in` for inputs (GPIODIR 0) and
 * `data` for outputs.
 */
struct pl061_state {
	uint8_t data; /* output data (GPIODATA as last written) */
	uint8_t in; /* levels the host drives on the pins */
	uint8_t dir; /* GPIODIR: 1 = output */
	uint8_t is; /* GPIOIS: 1 = level-sensitive */
	uint8_t ibe; /* GPIOIBE: 1 = both edges */
	uint8_t iev; /* GPIOIEV: 1 = rising edge / high level */
	uint8_t ie; /* GPIOIE: 1 = not masked */
	uint8_t edge_ris; /* edge-detected bits of GPIORIS (latched) */
	uint8_t afsel; /* GPIOAFSEL (stored only) */
	uint8_t old_level; /* pin levels at the last edge check */
};

/* Allocate a GPIO in its reset state. 0, -EINVAL or -ENOMEM. */
int pl061_create(const struct pl061_host *host,
		 struct pl061 **out) CELLVM_MUST_CHECK;

/* Free it; NULL is allowed. No accesses may be in flight. */
void pl061_destroy(struct pl061 *gpio);

/* MMIO register window (4 KiB) and the device-tree nodes (the PL061
 * and, with a power pin, a gpio-keys node using it). */
extern const struct cellvm_mmio_ops pl061_mmio_ops;

/* Drive input pin `pin` (0-7) to `level`: edge or level interrupts as
 * the guest programmed them. 0, or -EINVAL for a pin out of range. */
int pl061_set_input(struct pl061 *gpio, unsigned pin,
		    bool level) CELLVM_MUST_CHECK;

/* The current GPIOINTR level (tests). */
bool pl061_irq_level(struct pl061 *gpio);

/* Copy out the state (for snapshots and tests). */
void pl061_save(struct pl061 *gpio, struct pl061_state *out);

/* Load a saved state. 0, or -EINVAL for a NULL state. */
int pl061_restore(struct pl061 *gpio,
		  const struct pl061_state *st) CELLVM_MUST_CHECK;

#endif

/* SPDX-License-Identifier: MIT */
/*
 * ARM PrimeCell Real Time Clock (PL031) model, ARM DDI 0224.
 * See pl031.c for what is and is not emulated.
 *
 * The device is reached through pl031_mmio_ops (opaque = struct pl031 *)
 * on any vCPU thread; pl031_tick() is called by whoever runs the alarm
 * timer (the board: a timerfd on the event loop). It talks back to the VM
 * only through the hooks in struct pl031_host, which are called with the
 * device lock held and must not call back into the device.
 */
#ifndef CELLVM_DEV_PL031_H
#define CELLVM_DEV_PL031_H

#include <stdbool.h>
#include <stdint.h>

#include "cellvm/err.h"
#include "cellvm/log.h"
#include "core/bus.h"
#include "core/irq.h"

/* No alarm pending (pl031_host.set_alarm, pl031_state.alarm_ns). */
#define PL031_NO_ALARM INT64_MAX

struct pl031;

/* What the device needs from the VM; copied by pl031_create(). */
struct pl031_host {
	/* Interrupt output (RTCINTR), level-sensitive; chip may be NULL. */
	struct cellvm_irq irq;
	/* Host UTC in ns (CLOCK_REALTIME). NULL: clock_gettime(). Tests
	 * inject a fake clock here. */
	int64_t (*now_ns)(void *opaque);
	/*
	 * Call pl031_tick() at host UTC `when_ns` (or later), replacing any
	 * earlier request; PL031_NO_ALARM cancels. NULL: no timer, the
	 * match is then only seen when the guest reads a register.
	 */
	void (*set_alarm)(void *opaque, int64_t when_ns);
	/* The guest loaded the counter: the new offset, to keep across a
	 * reboot. NULL: not told. */
	void (*offset_changed)(void *opaque, int64_t offset_ns);
	void *cb_opaque;
	/* Guest time minus host UTC in ns at creation (a previous boot's). */
	int64_t offset_ns;
	/* Where guest-triggered warnings go (rate limited); may be NULL. */
	const struct cellvm_log *log;
};

/*
 * The whole guest-visible state, in a shape a snapshot can store: plain
 * integers, no pointers. The counter itself is not stored: it is
 * (host UTC ns + offset_ns) / 10^9, truncated to 32 bits.
 */
struct pl031_state {
	int64_t offset_ns; /* guest counter time minus host UTC, ns */
	int64_t alarm_ns; /* host UTC of the next match, or PL031_NO_ALARM */
	uint32_t mr; /* RTCMR */
	uint32_t lr; /* RTCLR: the last value loaded */
	uint32_t cr; /* RTCCR: the start bit */
	uint32_t imsc; /* RTCIMSC */
	uint32_t ris; /* RTCRIS */
};

/* Allocate an RTC in its reset state. 0, -EINVAL or -ENOMEM. */
int pl031_create(const struct pl031_host *host,
		 struct pl031 **out) CELLVM_MUST_CHECK;

/* Free it; NULL is allowed. No accesses or ticks may be in flight. */
void pl031_destroy(struct pl031 *rtc);

/* MMIO register window (4 KiB) and the device-tree node. */
extern const struct cellvm_mmio_ops pl031_mmio_ops;

/* The alarm time came: latch a match that is due, drive the line. */
void pl031_tick(struct pl031 *rtc);

/* Copy out the state (for snapshots and tests). */
void pl031_save(struct pl031 *rtc, struct pl031_state *out);

/* Load a saved state: 0, or -EINVAL for bits no PL031 has. */
int pl031_restore(struct pl031 *rtc,
		  const struct pl031_state *st) CELLVM_MUST_CHECK;

#endif

/* SPDX-License-Identifier: MIT */
/*
 * ARM PrimeCell UART (PL011) model, ARM DDI 0183 (PL011 TRM r1p5).
 * See pl011.c for what is and is not emulated.
 *
 * The device is reached through pl011_mmio_ops (opaque = struct pl011 *)
 * on any vCPU thread, and fed host input through pl011_receive() (usable
 * as a struct cellvm_console_port receive hook) on the event-loop thread.
 * It talks back to the VM only through the hooks in struct pl011_host,
 * always called without the device lock held.
 */
#ifndef CELLVM_DEV_PL011_H
#define CELLVM_DEV_PL011_H

#include <stddef.h>
#include <stdint.h>

#include "core/bus.h"
#include "cellvm/err.h"
#include "core/irq.h"
#include "cellvm/log.h"

/* Depth of the receive FIFO when UARTLCR_H.FEN is set (TRM 2.4.3). */
#define PL011_FIFO_DEPTH 32u

struct pl011;

/* What the device needs from the VM; copied by pl011_create(). */
struct pl011_host {
	/* Interrupt output (UARTINTR), level-sensitive; chip may be NULL. */
	struct cellvm_irq irq;
	/* Bytes the guest transmitted (written to UARTDR). NULL: dropped. */
	void (*tx)(void *opaque, const uint8_t *buf, size_t len);
	/*
	 * The receive FIFO has room again after pl011_receive() accepted
	 * fewer bytes than offered: offer the rest. NULL: not told.
	 */
	void (*rx_ready)(void *opaque);
	/* Passed to tx and rx_ready (the VM glue points it at its console). */
	void *cb_opaque;
	/* Where guest-triggered warnings go (rate limited); may be NULL. */
	const struct cellvm_log *log;
};

/* Allocate a UART in its reset state. 0, -EINVAL or -ENOMEM. */
int pl011_create(const struct pl011_host *host,
		 struct pl011 **out) CELLVM_MUST_CHECK;

/* Free it; NULL is allowed. No accesses may be in flight. */
void pl011_destroy(struct pl011 *u);

/* MMIO register window (4 KiB) and the device-tree node. */
extern const struct cellvm_mmio_ops pl011_mmio_ops;

/*
 * Host -> guest bytes (opaque = struct pl011 *). Returns how many were
 * put in the receive FIFO: none while UARTCR.UARTEN or UARTCR.RXE is
 * clear, at most the free space otherwise. When fewer than len are taken,
 * host->rx_ready() is called once the guest is ready for more.
 */
size_t pl011_receive(void *opaque, const uint8_t *buf, size_t len);

/* Bytes transmitted to host->tx so far (e.g. to time the first output). */
uint64_t pl011_tx_count(struct pl011 *u);

/* Bytes waiting in the receive FIFO (for tests and diagnostics). */
unsigned pl011_rx_level(struct pl011 *u);

#endif

/* SPDX-License-Identifier: MIT */
/*
 * The console: bytes between the user's terminal (or a pipe) and one guest
 * serial device (the PL011, or virtio-console). The device side is a small
 * interface so either device can be the guest's console.
 *
 * Input flows host -> console buffer -> device FIFO with back-pressure: the
 * console offers bytes when the device has room, and the device calls
 * cellvm_console_rx_ready() when the guest has drained some.
 *
 * Escape sequences on input (as QEMU's): Ctrl-A x quits, Ctrl-A Ctrl-A sends
 * one Ctrl-A.
 */
#ifndef CELLVM_CORE_CONSOLE_H
#define CELLVM_CORE_CONSOLE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "cellvm/err.h"

struct cellvm_console;

/* Implemented by the device that is the guest console. */
struct cellvm_console_port {
	/* Take up to len bytes; returns how many were accepted. */
	size_t (*receive)(void *opaque, const uint8_t *buf, size_t len);
	void *opaque;
};

/* Make `port` the device that receives the user's input. */
void console_attach(struct cellvm_console *c,
		    const struct cellvm_console_port *port);

/* Device -> host: transmit bytes to the user's output. */
void cellvm_console_write(struct cellvm_console *c, const uint8_t *buf,
			  size_t len);

/* Device -> console: the guest freed room in the receive FIFO. Safe to call
 * from any thread, with the device's lock held. */
void cellvm_console_rx_ready(struct cellvm_console *c);

#endif

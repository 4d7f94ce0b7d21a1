/* SPDX-License-Identifier: MIT */
/*
 * virtio-console (hvc0) as the guest console instead of the PL011
 * (virtio 1.2, "5.3 Console Device"), one port, no MULTIPORT.
 */
#ifndef CELLVM_DEV_VIRTIO_CONSOLE_H
#define CELLVM_DEV_VIRTIO_CONSOLE_H

#include <stddef.h>
#include <stdint.h>

#include "core/console.h"
#include "cellvm/err.h"
#include "dev/virtio_mmio.h"

struct virtio_console_params {
	struct virtio_mmio_params mmio;
	/* Guest output, called on the worker thread (may block it). */
	void (*tx)(void *opaque, const uint8_t *buf, size_t len);
	/* The guest posted receive buffers after a receive() that could not
	 * take everything; called without the device lock. */
	void (*rx_ready)(void *opaque);
	void *cb_opaque;
};

/* The returned transport is run with virtio_mmio_start/stop/destroy(). */
int virtio_console_create(const struct virtio_console_params *p,
			  struct virtio_mmio **out,
			  struct cellvm_err *err) CELLVM_MUST_CHECK;

/* Host input: copy up to len bytes into the guest's receive buffers;
 * returns how many were taken. Any thread. opaque: the device, as in
 * virtio_console_port(). */
size_t virtio_console_receive(void *opaque, const uint8_t *buf, size_t len);
/* The port to hand to the console, for the transport console_create
 * returned. */
struct cellvm_console_port virtio_console_port(struct virtio_mmio *t);

#endif

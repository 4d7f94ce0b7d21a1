/* SPDX-License-Identifier: MIT */
/*
 * Virtio device types: one per device file, one row each in the board's
 * device table (src/arch/arm64/devices.c). A type turns a device's
 * configuration into a started-later transport in the slot the board
 * gives it; the transport writes the device-tree node and attaches the
 * window to the bus, so creation is the whole factory.
 */
#ifndef CELLVM_DEV_VIRTIO_DEVICES_H
#define CELLVM_DEV_VIRTIO_DEVICES_H

#include "cellvm/cellvm.h"
#include "core/console.h"
#include "cellvm/err.h"
#include "dev/virtio_mmio.h"

/* What the board gives every virtio device. */
struct virtio_dev_env {
	/* The slot: window, interrupt line, guest memory, bus, log and
	 * the hypervisor's fast paths. */
	struct virtio_mmio_params mmio;
	/* The VM's console, for a device that can be the guest console. */
	struct cellvm_console *console;
};

struct virtio_dev_type {
	const char *name; /* "virtio-blk": messages and logs */
	enum cellvm_dev_type type; /* the config entries it serves */
	/*
	 * Create the device for `cfg` (NULL for a type the board adds
	 * itself, the console) in env's slot. The returned transport is
	 * on the bus; the caller starts, stops and destroys it with
	 * virtio_mmio_start/stop/destroy().
	 */
	int (*create)(const struct cellvm_dev_cfg *cfg,
		      const struct virtio_dev_env *env,
		      struct virtio_mmio **out, struct cellvm_err *err);
};

extern const struct virtio_dev_type virtio_blk_type;
extern const struct virtio_dev_type virtio_net_type;
extern const struct virtio_dev_type virtio_rng_type;
extern const struct virtio_dev_type virtio_console_type;
extern const struct virtio_dev_type virtio_vsock_type;

#endif

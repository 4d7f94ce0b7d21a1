// SPDX-License-Identifier: MIT
/*
 * The VM's virtio devices, from its configuration: each in its own
 * virtio-mmio slot (include/cellvm/layout.h) with its own SPI, in the order
 * disks, network devices, rng, console. Queue notifications reach the
 * device's worker through an eventfd that the backend signals directly
 * (ioeventfd) where it can; interrupts go through irqfd where the irqchip
 * offers it. Both fall back to ordinary exits and line changes.
 */
#include <errno.h>
#include <string.h>

#include "cellvm/layout.h"
#include "core/vm.h"
#include "dev/virtio_blk.h"
#include "dev/virtio_console.h"
#include "dev/virtio_devices.h"
#include "dev/virtio_mmio.h"
#include "dev/virtio_net.h"
#include "dev/virtio_rng.h"

static int vm_ioeventfd(void *ctx, uint64_t addr, unsigned len, int fd)
{
	struct cellvm_vm *vm = ctx;

	return vm->hv_ops->ioeventfd(vm->hv, addr, len, fd);
}

static void transport_stop(void *t)
{
	virtio_mmio_stop(t);
}

static void transport_destroy(void *t)
{
	virtio_mmio_destroy(t);
}

static void console_tx(void *opaque, const uint8_t *buf, size_t len)
{
	cellvm_console_write(opaque, buf, len);
}

static void console_rx_ready(void *opaque)
{
	cellvm_console_rx_ready(opaque);
}

/* Parameters for the next free slot. */
static int next_slot(struct cellvm_vm *vm, unsigned *slot,
		     struct virtio_mmio_params *p, struct cellvm_err *err)
{
	if (*slot >= CELLVM_VIRTIO_MMIO_SLOTS)
		return cellvm_err_set(err, CELLVM_E_USAGE, ENOSPC,
				      "more than %d virtio devices",
				      CELLVM_VIRTIO_MMIO_SLOTS);
	*p = (struct virtio_mmio_params){
		.mem = &vm->mem,
		.irq = { &vm->irqchip, CELLVM_VIRTIO_MMIO_IRQ0 + *slot },
		.log = &vm->log,
		.base = CELLVM_VIRTIO_MMIO_BASE +
			*slot * CELLVM_VIRTIO_MMIO_SLOT_SIZE,
		.bus = &vm->bus,
		.ioeventfd = vm_ioeventfd,
		.hv_ctx = vm,
	};
	(*slot)++;
	return 0;
}

/* The VM owns the transport from here on; start its worker. */
static int adopt(struct cellvm_vm *vm, struct virtio_mmio *t,
		 struct cellvm_err *err)
{
	int ret = vm_own_device(vm, t, transport_stop, transport_destroy);

	if (ret) {
		virtio_mmio_destroy(t);
		return cellvm_err_set(err, CELLVM_E_INTERNAL, ret,
				      "too many devices");
	}
	return virtio_mmio_start(t, err);
}

static int setup_disks_nets(struct cellvm_vm *vm, unsigned *slot,
			    struct cellvm_err *err)
{
	struct virtio_mmio *t;
	unsigned i;
	int ret;

	for (i = 0; i < vm->cfg.nr_disks; i++) {
		struct virtio_blk_params bp = {
			.path = vm->cfg.disk[i].path,
			.readonly = vm->cfg.disk[i].readonly,
		};

		ret = next_slot(vm, slot, &bp.mmio, err);
		if (!ret)
			ret = virtio_blk_create(&bp, &t, err);
		if (!ret)
			ret = adopt(vm, t, err);
		if (ret)
			return ret;
	}
	for (i = 0; i < vm->cfg.nr_nets; i++) {
		struct virtio_net_params np = {
			.tap = vm->cfg.net[i].tap,
			.has_mac = vm->cfg.net[i].has_mac,
		};

		memcpy(np.mac, vm->cfg.net[i].mac, sizeof(np.mac));
		ret = next_slot(vm, slot, &np.mmio, err);
		if (!ret)
			ret = virtio_net_create(&np, &t, err);
		if (!ret)
			ret = adopt(vm, t, err);
		if (ret)
			return ret;
	}
	return 0;
}

int virtio_devices_setup(struct cellvm_vm *vm, struct cellvm_err *err)
{
	struct virtio_mmio *t;
	unsigned slot = 0;
	int ret;

	ret = setup_disks_nets(vm, &slot, err);
	if (ret)
		return ret;
	if (vm->cfg.rng) {
		struct virtio_rng_params rp;

		ret = next_slot(vm, &slot, &rp.mmio, err);
		if (!ret)
			ret = virtio_rng_create(&rp, &t, err);
		if (!ret)
			ret = adopt(vm, t, err);
		if (ret)
			return ret;
	}
	if (vm->cfg.console == CELLVM_CONSOLE_VIRTIO) {
		struct virtio_console_params cp = {
			.tx = console_tx,
			.rx_ready = console_rx_ready,
			.cb_opaque = vm->console,
		};
		struct cellvm_console_port port;

		ret = next_slot(vm, &slot, &cp.mmio, err);
		if (!ret)
			ret = virtio_console_create(&cp, &t, err);
		if (!ret)
			ret = adopt(vm, t, err);
		if (ret)
			return ret;
		port = virtio_console_port(t);
		console_attach(vm->console, &port);
	}
	return 0;
}

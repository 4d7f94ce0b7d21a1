// SPDX-License-Identifier: MIT
/*
 * The arm64 virt board's virtio devices: the device table and the
 * virtio-mmio slots (src/arch/arm64/memmap.h), one window and one SPI per
 * device. Devices are created by type in table order, and within a type
 * in the order of the configuration's list, so the guest sees the same
 * slots for the same configuration. Queue notifications reach a device's
 * worker through an eventfd the backend signals directly (ioeventfd)
 * where it can; interrupts go through irqfd where the irqchip offers it;
 * both fall back to ordinary exits and line changes. The slots left over
 * answer "no device" (src/dev/virtio_mmio_empty.c).
 *
 * A new virtio device is one file under src/dev/ with its
 * struct virtio_dev_type, plus one row here.
 */
#include <errno.h>
#include <string.h>

#include "arch/arm64/arm64.h"
#include "arch/arm64/memmap.h"
#include "core/vm.h"
#include "dev/virtio_blk.h"
#include "dev/virtio_devices.h"
#include "dev/virtio_mmio_empty.h"

static const struct virtio_dev_type *const virtio_types[] = {
	&virtio_blk_type,
	&virtio_net_type,
	&virtio_rng_type,
	&virtio_console_type,
	&virtio_vsock_type,
};

#define NR_TYPES (sizeof(virtio_types) / sizeof(virtio_types[0]))

static int vm_ioeventfd(void *ctx, uint64_t addr, unsigned len, int fd)
{
	struct cellvm_vm *vm = ctx;

	return vm->hv_ops->ioeventfd(vm->hv, addr, len, fd);
}

static void transport_stop(void *t)
{
	virtio_mmio_stop(t);
}

/* Resume after a pause (cellvm_vm_resume): a new worker thread. */
static int transport_start(void *t, struct cellvm_err *err)
{
	return virtio_mmio_start(t, err);
}

static int disk_replace(void *t, const char *path, struct cellvm_err *err)
{
	return virtio_blk_replace(t, path, err);
}

static void transport_destroy(void *t)
{
	virtio_mmio_destroy(t);
}

/* Create one device in the next free slot; the VM owns and starts it. */
static int add_device(struct cellvm_vm *vm, const struct virtio_dev_type *type,
		      const struct cellvm_dev_cfg *cfg, unsigned *slot,
		      struct cellvm_err *err)
{
	struct virtio_dev_env env;
	struct virtio_mmio *t;
	int ret;

	if (*slot >= CELLVM_VIRTIO_MMIO_SLOTS)
		return cellvm_err_set_field(err, "devs", CELLVM_E_USAGE, ENOSPC,
				      "%s: the machine has %d virtio-mmio slots, all in use",
				      type->name, CELLVM_VIRTIO_MMIO_SLOTS);
	env = (struct virtio_dev_env){
		.mmio = {
			.mem = &vm->mem,
			.irq = { &vm->irqchip, CELLVM_VIRTIO_MMIO_IRQ0 + *slot },
			.log = &vm->log,
			.base = CELLVM_VIRTIO_MMIO_BASE +
				*slot * CELLVM_VIRTIO_MMIO_SLOT_SIZE,
			.bus = &vm->bus,
			.ioeventfd = vm_ioeventfd,
			.hv_ctx = vm,
			.thread_enter = vm_thread_enter,
			.thread_ctx = vm,
		},
		.console = vm->console,
	};
	(*slot)++;
	ret = type->create(cfg, &env, &t, err);
	if (ret)
		return ret;
	ret = vm_own_device(vm, t, transport_stop, transport_destroy);
	if (ret) {
		virtio_mmio_destroy(t);
		return cellvm_err_set(err, CELLVM_E_INTERNAL, ret,
				      "%s: more than %d devices", type->name,
				      CELLVM_MAX_DEVICES);
	}
	vm_device_set_start(vm, transport_start);
	if (type->type == CELLVM_DEV_VIRTIO_BLK)
		vm_device_set_replace(vm, disk_replace);
	return virtio_mmio_start(t, err);
}

/* Every listed device must have a type in the table. */
static int check_list(const struct cellvm_config *cfg, struct cellvm_err *err)
{
	unsigned i, k;

	for (i = 0; i < cfg->nr_devs; i++) {
		enum cellvm_dev_type type = cfg->devs[i].type;

		if (type == CELLVM_DEV_VIRTIO_CONSOLE)
			return cellvm_err_set_field(err, "devs", CELLVM_E_USAGE, EINVAL,
					      "device %u: virtio-console is chosen by the console setting, not listed",
					      i);
		for (k = 0; k < NR_TYPES; k++)
			if (virtio_types[k]->type == type)
				break;
		if (k == NR_TYPES)
			return cellvm_err_set_field(err, "devs", CELLVM_E_USAGE, EINVAL,
					      "device %u: unknown type %d", i,
					      (int)type);
	}
	return 0;
}

static void empty_destroy(void *e)
{
	virtio_mmio_empty_destroy(e);
}

/* Slots from `slot` on hold no device: one window answers for them. */
static int add_empty_slots(struct cellvm_vm *vm, unsigned slot,
			   struct cellvm_err *err)
{
	struct virtio_mmio_empty *e;
	int ret;

	if (slot >= CELLVM_VIRTIO_MMIO_SLOTS)
		return 0;
	ret = virtio_mmio_empty_create(&vm->log, &e);
	if (ret)
		return cellvm_err_set(err, CELLVM_E_INTERNAL, ret,
				      "empty virtio slots: %s", strerror(-ret));
	ret = vm_own_device(vm, e, NULL, empty_destroy);
	if (ret) {
		virtio_mmio_empty_destroy(e);
		return cellvm_err_set(err, CELLVM_E_INTERNAL, ret,
				      "empty virtio slots: more than %d devices",
				      CELLVM_MAX_DEVICES);
	}
	ret = cellvm_bus_add(&vm->bus, "virtio-mmio-empty",
			     CELLVM_VIRTIO_MMIO_BASE +
				     slot * CELLVM_VIRTIO_MMIO_SLOT_SIZE,
			     (CELLVM_VIRTIO_MMIO_SLOTS - slot) *
				     CELLVM_VIRTIO_MMIO_SLOT_SIZE,
			     &virtio_mmio_empty_ops, e);
	if (ret)
		return cellvm_err_set(err, CELLVM_E_INTERNAL, ret,
				      "empty virtio slots: %s", strerror(-ret));
	return 0;
}

int arm64_virtio_setup(struct cellvm_vm *vm, struct cellvm_err *err)
{
	const struct cellvm_config *cfg = &vm->cfg;
	unsigned slot = 0, k, i;
	int ret;

	ret = check_list(cfg, err);
	if (ret)
		return ret;
	for (k = 0; k < NR_TYPES; k++) {
		const struct virtio_dev_type *type = virtio_types[k];

		if (type->type == CELLVM_DEV_VIRTIO_CONSOLE) {
			if (cfg->console != CELLVM_CONSOLE_VIRTIO)
				continue;
			ret = add_device(vm, type, NULL, &slot, err);
			if (ret)
				return ret;
			continue;
		}
		for (i = 0; i < cfg->nr_devs; i++) {
			if (cfg->devs[i].type != type->type)
				continue;
			ret = add_device(vm, type, &cfg->devs[i], &slot, err);
			if (ret)
				return ret;
		}
	}
	return add_empty_slots(vm, slot, err);
}

// SPDX-License-Identifier: MIT
/*
 * Virtio devices from the configuration, each in its own virtio-mmio slot
 * with its own SPI. Filled in as the device models land.
 */
#include <errno.h>

#include "core/vm.h"
#include "dev/virtio_devices.h"

int virtio_devices_setup(struct cellvm_vm *vm, struct cellvm_err *err)
{
	if (vm->cfg.nr_disks || vm->cfg.nr_nets || vm->cfg.rng ||
	    vm->cfg.console == CELLVM_CONSOLE_VIRTIO)
		return cellvm_err_set(err, CELLVM_E_USAGE, ENOTSUP,
				      "virtio devices are not available yet");
	return 0;
}

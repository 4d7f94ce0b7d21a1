/* SPDX-License-Identifier: MIT */
/* Creating the configured virtio devices in the VM's virtio-mmio slots. */
#ifndef CELLVM_DEV_VIRTIO_DEVICES_H
#define CELLVM_DEV_VIRTIO_DEVICES_H

#include "cellvm/err.h"

struct cellvm_vm;

int virtio_devices_setup(struct cellvm_vm *vm,
			 struct cellvm_err *err) CELLVM_MUST_CHECK;

#endif

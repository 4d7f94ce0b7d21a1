/* SPDX-License-Identifier: MIT */
/* Unused virtio-mmio slots: "no device here" (see virtio_mmio_empty.c). */
#ifndef CELLVM_DEV_VIRTIO_MMIO_EMPTY_H
#define CELLVM_DEV_VIRTIO_MMIO_EMPTY_H

#include <stdint.h>

#include "core/bus.h"
#include "cellvm/err.h"
#include "cellvm/log.h"

struct virtio_mmio_empty;

/* State for one bus window of whole unused slots. 0 or -ENOMEM / the
 * mutex error. */
int virtio_mmio_empty_create(const struct cellvm_log *log,
			     struct virtio_mmio_empty **out) CELLVM_MUST_CHECK;
void virtio_mmio_empty_destroy(struct virtio_mmio_empty *e);

/* Read/write of the window; opaque is the struct virtio_mmio_empty. Any
 * offset, size and value is accepted. */
extern const struct cellvm_mmio_ops virtio_mmio_empty_ops;

#endif

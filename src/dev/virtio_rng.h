/* SPDX-License-Identifier: MIT */
/* virtio-rng fed by getrandom() (virtio 1.2, "5.4 Entropy Device"). */
#ifndef CELLVM_DEV_VIRTIO_RNG_H
#define CELLVM_DEV_VIRTIO_RNG_H

#include "cellvm/err.h"
#include "dev/virtio_mmio.h"

struct virtio_rng_params {
	struct virtio_mmio_params mmio;
};

/* The returned transport is run with virtio_mmio_start/stop/destroy(). */
int virtio_rng_create(const struct virtio_rng_params *p,
		      struct virtio_mmio **out,
		      struct cellvm_err *err) CELLVM_MUST_CHECK;

#endif

// SPDX-License-Identifier: MIT
/*
 * virtio-rng: virtio 1.2, "5.4 Entropy Device".
 *
 * Emulated: the single requestq; each chain's device-writable buffers are
 * filled from getrandom() (the host kernel's CSPRNG), at most
 * RNG_MAX_PER_CHAIN bytes per chain and RNG_BUDGET chains per wake-up, so
 * a guest cannot keep the worker busy with one notification. No feature
 * bits, no configuration space (5.4.3, 5.4.4). Device-readable buffers
 * are ignored.
 *
 * Device tree node: the transport's (see virtio_mmio.c).
 */
#include <errno.h>
#include <stdlib.h>
#include <sys/random.h>

#include "dev/virtio_devices.h"
#include "dev/virtio_rng.h"

#define RNG_MAX_PER_CHAIN 65536u
#define RNG_BUDGET 64

struct virtio_rng {
	struct virtio_mmio *t;
	struct virtq_chain chain; /* worker-thread only */
};

static int rng_piece(void *ctx, uint8_t *p, size_t n)
{
	ssize_t r;

	while (n) {
		r = getrandom(p, n, 0);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			return -EIO;
		p += r;
		n -= (size_t)r;
	}
	return 0;
}

/* Worker: fill the writable part; the used length is what was filled. */
static uint32_t rng_request(void *dev, struct virtq_chain *c)
{
	uint32_t n = c->in_len < RNG_MAX_PER_CHAIN ? c->in_len
						    : RNG_MAX_PER_CHAIN;

	if (virtq_chain_walk(c, true, 0, n, rng_piece, NULL))
		return 0;
	return n;
}

static bool rng_process(void *dev)
{
	struct virtio_rng *r = dev;

	return virtio_mmio_serve(r->t, 0, &r->chain, RNG_BUDGET, rng_request,
				 r);
}

static void rng_free(void *dev)
{
	free(dev);
}

static const struct virtio_dev_ops rng_ops = {
	.name = "virtio-rng",
	.device_id = VIRTIO_ID_RNG,
	.thread_kind = CELLVM_THREAD_VIRTIO_RNG,
	.num_queues = 1,
	.process = rng_process,
	.destroy = rng_free,
};

int virtio_rng_create(const struct virtio_rng_params *p,
		      struct virtio_mmio **out, struct cellvm_err *err)
{
	struct virtio_rng *r = calloc(1, sizeof(*r));
	int ret;

	if (!r)
		return cellvm_err_set(err, CELLVM_E_HOST, ENOMEM,
				      "virtio-rng: out of memory");
	ret = virtio_mmio_create(&p->mmio, &rng_ops, r, &r->t, err);
	if (ret) {
		free(r);
		return ret;
	}
	ret = virtio_mmio_attach(r->t, p->mmio.bus, err);
	if (ret) {
		virtio_mmio_destroy(r->t);
		return ret;
	}
	*out = r->t;
	return 0;
}

static int rng_new(const struct cellvm_dev_cfg *cfg,
		   const struct virtio_dev_env *env, struct virtio_mmio **out,
		   struct cellvm_err *err)
{
	struct virtio_rng_params p = { .mmio = env->mmio };

	return virtio_rng_create(&p, out, err);
}

const struct virtio_dev_type virtio_rng_type = {
	.name = "virtio-rng",
	.type = CELLVM_DEV_VIRTIO_RNG,
	.create = rng_new,
};

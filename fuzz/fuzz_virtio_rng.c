// SPDX-License-Identifier: MIT
/*
 * Fuzz virtio-rng (virtio 1.2, 5.4) behind the MMIO transport, with the
 * hostile driver of tests/lib/virtio_oracle.h: chains of any shape, readable
 * and writable buffers mixed, indirect tables, rings anywhere. Besides
 * the common checks (RAM written only in used rings and device-writable
 * buffers, used ring bounded by what was made available), each completed
 * request reports either nothing (a rejected chain) or exactly what the
 * device promises to fill: all the writable bytes, up to 64 KiB.
 */
#include <stdlib.h>

#include "dev/virtio_rng.h"
#include "virtio_oracle.h"

/* virtio_rng.c fills at most this much per chain (RNG_MAX_PER_CHAIN). */
#define RNG_FILL_MAX 65536u

static int rng_create(struct fz *f, const struct virtio_mmio_params *mp)
{
	struct virtio_rng_params p = { .mmio = *mp };
	struct cellvm_err err = { 0 };

	return virtio_rng_create(&p, &f->t, &err);
}

static void rng_used(struct fz *f, unsigned q, uint32_t first,
		     const struct fz_used *u, unsigned n)
{
	uint64_t want;
	unsigned i;

	for (i = 0; i < n; i++) {
		want = f->q[q].in_len[u[i].id];
		if (want > RNG_FILL_MAX)
			want = RNG_FILL_MAX;
		if (u[i].len && u[i].len != want)
			fz_fail(f, "rng chain %u: used len %u, %llu writable",
				u[i].id, u[i].len, (unsigned long long)want);
	}
}

static const struct fz_dev_ops rng_fz_ops = {
	.num_queues = 1,
	.create = rng_create,
	.used = rng_used,
};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	fz_run(&rng_fz_ops, NULL, data, size);
	return 0;
}

// SPDX-License-Identifier: MIT
/*
 * Fuzz virtio-blk (virtio 1.2, 5.2) behind the MMIO transport, with the
 * hostile driver and ring oracle of tests/lib/virtio_oracle.h: a
 * memfd-backed disk, read-write or read-only (bit 0 of the target control
 * byte), requests of every type and shape, valid or not, rings anywhere.
 * Besides the sanitizers and the common checks (RAM written only in the
 * used ring and device-writable buffers, used ring bounded by what was
 * made available, used lengths within the writable part of each chain),
 * the last completed request of each pass, if of non-zero length, ends in
 * a status byte the device may send (5.2.6: OK, IOERR or UNSUPP) when the
 * layout lets the oracle read it back.
 */
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <unistd.h>

#include "dev/virtio_blk.h"
#include "virtio_oracle.h"

#define BLK_DISK_SIZE 0x10000
#define BLK_C_READONLY 0x01
/* 5.2.6 status values */
#define BLK_S_OK 0
#define BLK_S_IOERR 1
#define BLK_S_UNSUPP 2

struct blk_fz {
	int fd;
	uint8_t in[FZ_RAM_SIZE]; /* a chain's writable bytes */
};

static int blk_create(struct fz *f, const struct virtio_mmio_params *mp)
{
	struct blk_fz *b = f->priv;
	struct virtio_blk_params p = { .mmio = *mp };
	struct cellvm_err err = { 0 };
	char path[64];

	snprintf(path, sizeof(path), "/proc/self/fd/%d", b->fd);
	p.path = path;
	p.readonly = f->ctrl_target & BLK_C_READONLY;
	return virtio_blk_create(&p, &f->t, &err);
}

/* The status goes to the last writable byte of the chain, after the
 * data (5.2.6), so it is the last write there. Only judged while the
 * writable buffers stand apart from readable ones and the rings
 * ("exact"), and for the last element of the pass (a later element may
 * share its buffers). */
static void blk_used(struct fz *f, unsigned q, uint32_t first,
		     const struct fz_used *u, unsigned n)
{
	struct blk_fz *b = f->priv;
	uint64_t total;
	uint8_t st;

	if (!n || !f->exact || !u[n - 1].len)
		return;
	total = fz_gather(f, q, u[n - 1].id, FZ_SEG_WRITE, b->in,
			  sizeof(b->in));
	if (!total || total > sizeof(b->in))
		return; /* fz_check_used judges the length */
	st = b->in[total - 1];
	if (st != BLK_S_OK && st != BLK_S_IOERR && st != BLK_S_UNSUPP)
		fz_fail(f, "blk chain %u: status %u", u[n - 1].id, st);
}

static const struct fz_dev_ops blk_fz_ops = {
	.num_queues = 1,
	.create = blk_create,
	.used = blk_used,
};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct blk_fz *b = calloc(1, sizeof(*b));

	if (!b)
		abort();
	b->fd = memfd_create("fuzz-disk", MFD_CLOEXEC);
	if (b->fd < 0 || ftruncate(b->fd, BLK_DISK_SIZE))
		abort();
	fz_run(&blk_fz_ops, b, data, size);
	close(b->fd);
	free(b);
	return 0;
}

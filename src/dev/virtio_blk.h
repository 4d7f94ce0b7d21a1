/* SPDX-License-Identifier: MIT */
/*
 * virtio-blk on a raw image file or block device (virtio 1.2, "5.2 Block
 * Device"), over the MMIO transport. Requests are served by one worker
 * thread per disk with blocking pread/pwrite/fdatasync (docs/virtio.md).
 */
#ifndef CELLVM_DEV_VIRTIO_BLK_H
#define CELLVM_DEV_VIRTIO_BLK_H

#include <stdbool.h>

#include "cellvm/err.h"
#include "dev/virtio_mmio.h"

struct virtio_blk_params {
	struct virtio_mmio_params mmio;
	const char *path;
	bool readonly; /* open O_RDONLY, offer VIRTIO_BLK_F_RO */
	/* Use a duplicate of fd (opened to match readonly) instead of
	 * opening path, which then only names the disk in messages. */
	bool has_fd;
	int fd;
};

/*
 * Open the image (CELLVM_E_IO naming the path on failure), fill the
 * configuration space, attach to params.mmio.bus. Starts nothing: the
 * returned transport is started, stopped and destroyed with
 * virtio_mmio_start/stop/destroy().
 */
int virtio_blk_create(const struct virtio_blk_params *p,
		      struct virtio_mmio **out,
		      struct cellvm_err *err) CELLVM_MUST_CHECK;

/*
 * Replace a disk's backing file by path (opened in the disk's mode and
 * locked as at creation): the guest sees the new capacity through a
 * configuration change. CELLVM_E_IO naming the path on failure, when the
 * old file stays.
 */
int virtio_blk_replace(struct virtio_mmio *t, const char *path,
		       struct cellvm_err *err) CELLVM_MUST_CHECK;

#endif

/* SPDX-License-Identifier: MIT */
/*
 * Split virtqueues, device side (virtio 1.2, "2.7 Split Virtqueues").
 *
 * The guest owns the three ring areas and may rewrite them at any time,
 * so every field is read once into a local copy, every descriptor is
 * re-validated against the guest memory map on each pop, and nothing the
 * driver publishes (avail idx, next links, table lengths) is trusted to
 * bound a loop. The rings are plain guest RAM reached only through
 * cellvm_mem_ptr()/cellvm_mem_read()/cellvm_mem_write().
 *
 * Not thread-safe: the caller serialises all calls on one queue (the
 * transport's lock).
 */
#ifndef CELLVM_DEV_VIRTQUEUE_H
#define CELLVM_DEV_VIRTQUEUE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cellvm/err.h"
#include "core/mem.h"

/* Largest queue this implementation offers (QueueNumMax). */
#define VIRTQ_MAX_SIZE 256
/* Most buffers one chain may describe, direct and indirect together. */
#define VIRTQ_MAX_SEGS VIRTQ_MAX_SIZE

/* 2.7.5 The Virtqueue Descriptor Table */
#define VIRTQ_DESC_F_NEXT 1u
#define VIRTQ_DESC_F_WRITE 2u
#define VIRTQ_DESC_F_INDIRECT 4u
#define VIRTQ_DESC_SIZE 16u

/* 2.7.7 / 2.7.8 notification suppression flags */
#define VIRTQ_AVAIL_F_NO_INTERRUPT 1u
#define VIRTQ_USED_F_NO_NOTIFY 1u

/* Alignment of the three areas ("2.7 Split Virtqueues", table). */
#define VIRTQ_DESC_ALIGN 16u
#define VIRTQ_AVAIL_ALIGN 2u
#define VIRTQ_USED_ALIGN 4u

/* One guest buffer of a chain, already translated to a host pointer. */
struct virtq_seg {
	uint8_t *base;
	uint32_t len;
	bool writable;
};

/*
 * A popped descriptor chain. The first nr_out segments are
 * device-readable, the rest device-writable (2.7.4.2 is enforced).
 * Zero-length descriptors are accepted but not recorded.
 */
struct virtq_chain {
	uint16_t head;
	unsigned nr;
	unsigned nr_out;
	uint32_t out_len; /* readable bytes */
	uint32_t in_len; /* writable bytes */
	struct virtq_seg seg[VIRTQ_MAX_SEGS];
};

struct virtq {
	const struct cellvm_mem *mem;
	uint64_t desc_gpa, avail_gpa, used_gpa;
	uint16_t size;
	bool event_idx; /* VIRTIO_F_EVENT_IDX negotiated */
	bool indirect; /* VIRTIO_F_INDIRECT_DESC negotiated */
	uint16_t last_avail; /* next avail ring slot to consume */
	uint16_t used_idx; /* our copy of used->idx */
	uint16_t signalled_used; /* used_idx at the last interrupt decision */
};

/*
 * Set a queue up from the driver's registers. Fails with -EINVAL when the
 * size is not a power of two in 1..VIRTQ_MAX_SIZE (2.7 "Queue Size"), or
 * an area is misaligned or not wholly in guest RAM.
 */
int virtq_init(struct virtq *vq, const struct cellvm_mem *mem, uint16_t size,
	       uint64_t desc, uint64_t avail, uint64_t used, bool event_idx,
	       bool indirect) CELLVM_MUST_CHECK;

/*
 * Take the next available chain.
 *   1        a valid chain is in *c
 *   0        nothing available
 *   -EINVAL  the chain at c->head is malformed; it was consumed and the
 *            caller should return it with virtq_push(vq, c->head, 0)
 *   -EIO     the ring itself is broken (avail idx ran more than a queue
 *            size ahead, head index out of range, ring out of RAM): the
 *            device must stop using the queue (DEVICE_NEEDS_RESET)
 * *why receives a static description of the error, for the log.
 */
int virtq_pop(struct virtq *vq, struct virtq_chain *c, const char **why);

/* Give back the chain just popped, unconsumed (a device that could not
 * use it after all, e.g. a frame too large for it). */
void virtq_unpop(struct virtq *vq);

/* Does the driver have chains we have not consumed? (false on error) */
bool virtq_has_avail(const struct virtq *vq);

/* Publish a used element (2.7.8); len = bytes written by the device.
 * 0, or -EFAULT when the used ring is not RAM any more. */
int virtq_push(struct virtq *vq, uint16_t head, uint32_t len);

/*
 * After pushes: should the driver be interrupted? Applies
 * VIRTQ_AVAIL_F_NO_INTERRUPT or, with EVENT_IDX, the used_event rule of
 * 2.7.10 (vring_need_event). Records the decision point.
 */
bool virtq_need_interrupt(struct virtq *vq);

/*
 * Before going idle: ask the driver to notify on the next chain (with
 * EVENT_IDX, avail_event = last_avail, 2.7.10), then re-check the ring.
 * Returns true when chains arrived meanwhile (the caller must go on).
 */
bool virtq_enable_notify(struct virtq *vq);

/*
 * Walk bytes [skip, skip + len) of the chain's readable (writable=false)
 * or writable part, calling fn on each contiguous host piece; stops at
 * the first non-zero return and returns it. -ERANGE when the part is
 * shorter than skip + len.
 */
typedef int (*virtq_piece_fn)(void *ctx, uint8_t *p, size_t n);
int virtq_chain_walk(const struct virtq_chain *c, bool writable, size_t skip,
		     size_t len, virtq_piece_fn fn, void *ctx);

/* Copy out of the readable part / into the writable part at an offset.
 * 0 or -ERANGE. */
int virtq_chain_read(const struct virtq_chain *c, size_t off, void *dst,
		     size_t len) CELLVM_MUST_CHECK;
int virtq_chain_write(const struct virtq_chain *c, size_t off,
		      const void *src, size_t len) CELLVM_MUST_CHECK;

#endif

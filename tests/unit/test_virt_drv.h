/* SPDX-License-Identifier: MIT */
/*
 * A tiny virtio driver for the unit tests: fake guest RAM, split rings
 * built by hand in it, the MMIO registers driven through a real bus, and
 * a fake irqchip that counts edges. Only what the virtio tests share.
 */
#ifndef TEST_VIRT_DRV_H
#define TEST_VIRT_DRV_H

#include <endian.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/bus.h"
#include "core/irq.h"
#include "cellvm/log.h"
#include "core/mem.h"
#include "dev/virtio_mmio.h"

#define DRV_RAM_GPA 0x40000000ull
#define DRV_RAM_SIZE (1u << 20)
#define DRV_MMIO_BASE 0x0a000000ull
#define DRV_IRQ 48
#define DRV_Q_STRIDE 0x4000u /* per queue: desc, avail, used pages */
#define DRV_BUF_AREA 0x10000u /* buffers from here */

struct drv_buf {
	uint64_t gpa;
	uint32_t len;
	bool writable;
};

struct drv_q {
	uint16_t size;
	uint16_t avail_idx;
	uint16_t next_desc;
	uint64_t desc, avail, used;
};

struct drv {
	uint8_t *ram;
	struct cellvm_mem mem;
	struct cellvm_bus bus;
	struct cellvm_irqchip chip;
	unsigned edges; /* rising edges seen on DRV_IRQ */
	bool level;
	unsigned log_lines;
	struct cellvm_log log;
	uint64_t next_buf;
	struct drv_q q[VIRTIO_MMIO_MAX_QUEUES];
};

static inline int drv_set_line(struct cellvm_irqchip *chip, unsigned line,
			       bool level)
{
	struct drv *d = chip->priv;

	if (level && !d->level && line == DRV_IRQ)
		d->edges++;
	d->level = level;
	return 0;
}

static inline void drv_sink(void *opaque, enum cellvm_log_level lvl,
			    const char *line)
{
	struct drv *d = opaque;

	d->log_lines++;
	if (getenv("VIRT_TEST_VERBOSE"))
		fprintf(stderr, "%s\n", line);
}

static const struct cellvm_irqchip_ops drv_chip_ops = {
	.set_line = drv_set_line,
};

static inline struct drv *drv_new(void)
{
	struct drv *d = calloc(1, sizeof(*d));

	d->ram = aligned_alloc(4096, DRV_RAM_SIZE);
	memset(d->ram, 0, DRV_RAM_SIZE);
	if (cellvm_mem_add(&d->mem, DRV_RAM_GPA, DRV_RAM_SIZE, d->ram))
		abort();
	d->chip.ops = &drv_chip_ops;
	d->chip.priv = d;
	d->log = (struct cellvm_log){ .level = CELLVM_LOG_DEBUG,
				      .sink = drv_sink, .opaque = d };
	d->next_buf = DRV_RAM_GPA + DRV_BUF_AREA;
	return d;
}

static inline void drv_free(struct drv *d)
{
	free(d->ram);
	free(d);
}

static inline struct virtio_mmio_params drv_params(struct drv *d)
{
	return (struct virtio_mmio_params){
		.mem = &d->mem,
		.irq = { .chip = &d->chip, .line = DRV_IRQ },
		.log = &d->log,
		.base = DRV_MMIO_BASE,
		.bus = &d->bus,
	};
}

static inline void *drv_ptr(struct drv *d, uint64_t gpa)
{
	return d->ram + (gpa - DRV_RAM_GPA);
}

/* A buffer in fake RAM, 16-byte aligned. */
static inline uint64_t drv_alloc(struct drv *d, uint32_t len)
{
	uint64_t gpa = d->next_buf;

	d->next_buf += (len + 15u) & ~15u;
	if (d->next_buf > DRV_RAM_GPA + DRV_RAM_SIZE)
		abort();
	return gpa;
}

static inline uint32_t mmio_r(struct drv *d, uint64_t off)
{
	uint64_t v = 0;

	if (cellvm_bus_access(&d->bus, 0, DRV_MMIO_BASE + off, 4, false, &v))
		abort();
	return (uint32_t)v;
}

static inline uint64_t mmio_rn(struct drv *d, uint64_t off, unsigned len)
{
	uint64_t v = 0;

	if (cellvm_bus_access(&d->bus, 0, DRV_MMIO_BASE + off, len, false, &v))
		abort();
	return v;
}

static inline void mmio_w(struct drv *d, uint64_t off, uint32_t val)
{
	uint64_t v = val;

	if (cellvm_bus_access(&d->bus, 0, DRV_MMIO_BASE + off, 4, true, &v))
		abort();
}

/* Lay queue qi out (no device involved): used by the virtqueue tests. */
static inline struct drv_q *drv_layout(struct drv *d, unsigned qi,
				       uint16_t size)
{
	struct drv_q *q = &d->q[qi];

	q->size = size;
	q->avail_idx = 0;
	q->next_desc = 0;
	q->desc = DRV_RAM_GPA + qi * DRV_Q_STRIDE;
	q->avail = q->desc + 0x1000;
	q->used = q->desc + 0x2000;
	memset(drv_ptr(d, q->desc), 0, DRV_Q_STRIDE);
	return q;
}

/* Steps 1-8 of 3.1.1 for a device with nq queues of `size` entries. */
static inline uint32_t drv_setup(struct drv *d, unsigned nq, uint16_t size,
				 uint64_t features)
{
	unsigned i;

	mmio_w(d, VIRTIO_MMIO_STATUS, 0);
	mmio_w(d, VIRTIO_MMIO_STATUS,
	       VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER);
	mmio_w(d, VIRTIO_MMIO_DRIVER_FEATURES_SEL, 0);
	mmio_w(d, VIRTIO_MMIO_DRIVER_FEATURES, (uint32_t)features);
	mmio_w(d, VIRTIO_MMIO_DRIVER_FEATURES_SEL, 1);
	mmio_w(d, VIRTIO_MMIO_DRIVER_FEATURES, (uint32_t)(features >> 32));
	mmio_w(d, VIRTIO_MMIO_STATUS,
	       VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER |
		       VIRTIO_STATUS_FEATURES_OK);
	for (i = 0; i < nq; i++) {
		struct drv_q *q = drv_layout(d, i, size);

		mmio_w(d, VIRTIO_MMIO_QUEUE_SEL, i);
		mmio_w(d, VIRTIO_MMIO_QUEUE_NUM, size);
		mmio_w(d, VIRTIO_MMIO_QUEUE_DESC_LOW, (uint32_t)q->desc);
		mmio_w(d, VIRTIO_MMIO_QUEUE_DESC_HIGH, (uint32_t)(q->desc >> 32));
		mmio_w(d, VIRTIO_MMIO_QUEUE_DRIVER_LOW, (uint32_t)q->avail);
		mmio_w(d, VIRTIO_MMIO_QUEUE_DRIVER_HIGH,
		       (uint32_t)(q->avail >> 32));
		mmio_w(d, VIRTIO_MMIO_QUEUE_DEVICE_LOW, (uint32_t)q->used);
		mmio_w(d, VIRTIO_MMIO_QUEUE_DEVICE_HIGH,
		       (uint32_t)(q->used >> 32));
		mmio_w(d, VIRTIO_MMIO_QUEUE_READY, 1);
	}
	mmio_w(d, VIRTIO_MMIO_STATUS,
	       VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER |
		       VIRTIO_STATUS_FEATURES_OK | VIRTIO_STATUS_DRIVER_OK);
	return mmio_r(d, VIRTIO_MMIO_STATUS);
}

#define DRV_FEATURES_DEFAULT                                                \
	(VIRTIO_BIT(VIRTIO_F_VERSION_1) | VIRTIO_BIT(VIRTIO_F_EVENT_IDX) |  \
	 VIRTIO_BIT(VIRTIO_F_INDIRECT_DESC))

/* Write descriptor idx of the table at `table`. */
static inline void drv_desc(struct drv *d, uint64_t table, uint16_t idx,
			    uint64_t addr, uint32_t len, uint16_t flags,
			    uint16_t next)
{
	uint8_t *p = drv_ptr(d, table + 16ull * idx);
	uint64_t a = htole64(addr);
	uint32_t l = htole32(len);
	uint16_t f = htole16(flags), n = htole16(next);

	memcpy(p, &a, 8);
	memcpy(p + 8, &l, 4);
	memcpy(p + 12, &f, 2);
	memcpy(p + 14, &n, 2);
}

static inline void drv_put16(struct drv *d, uint64_t gpa, uint16_t v)
{
	v = htole16(v);
	memcpy(drv_ptr(d, gpa), &v, 2);
}

static inline uint16_t drv_get16(struct drv *d, uint64_t gpa)
{
	uint16_t v;

	memcpy(&v, drv_ptr(d, gpa), 2);
	return le16toh(v);
}

static inline uint32_t drv_get32(struct drv *d, uint64_t gpa)
{
	uint32_t v;

	memcpy(&v, drv_ptr(d, gpa), 4);
	return le32toh(v);
}

/* Make `head` available and publish the new avail idx. */
static inline void drv_publish(struct drv *d, unsigned qi, uint16_t head)
{
	struct drv_q *q = &d->q[qi];

	drv_put16(d, q->avail + 4 + 2u * (q->avail_idx % q->size), head);
	q->avail_idx++;
	drv_put16(d, q->avail + 2, q->avail_idx);
}

/* Chain n buffers in fresh descriptors, publish it, return its head. */
static inline uint16_t drv_chain(struct drv *d, unsigned qi,
				 const struct drv_buf *b, unsigned n)
{
	struct drv_q *q = &d->q[qi];
	uint16_t head = q->next_desc % q->size, idx = head;
	unsigned i;

	for (i = 0; i < n; i++) {
		uint16_t next = (idx + 1) % q->size;
		uint16_t fl = (b[i].writable ? VIRTQ_DESC_F_WRITE : 0) |
			      (i + 1 < n ? VIRTQ_DESC_F_NEXT : 0);

		drv_desc(d, q->desc, idx, b[i].gpa, b[i].len, fl, next);
		idx = next;
	}
	q->next_desc = idx;
	drv_publish(d, qi, head);
	return head;
}

/* EVENT_IDX: interrupt me once the used idx passes v (2.7.10). */
static inline void drv_used_event(struct drv *d, unsigned qi, uint16_t v)
{
	drv_put16(d, d->q[qi].avail + 4 + 2u * d->q[qi].size, v);
}

static inline uint16_t drv_used_idx(struct drv *d, unsigned qi)
{
	return drv_get16(d, d->q[qi].used + 2);
}

/* Used element i: id and len. */
static inline uint32_t drv_used_len(struct drv *d, unsigned qi, uint16_t i)
{
	struct drv_q *q = &d->q[qi];

	return drv_get32(d, q->used + 4 + 8u * (i % q->size) + 4);
}

static inline uint32_t drv_used_id(struct drv *d, unsigned qi, uint16_t i)
{
	struct drv_q *q = &d->q[qi];

	return drv_get32(d, q->used + 4 + 8u * (i % q->size));
}

#endif

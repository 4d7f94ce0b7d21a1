// SPDX-License-Identifier: MIT
/*
 * The virtio test driver (virtio_drv.h): fake RAM, bus, irqchip and the
 * driver side of a split-ring virtio-mmio device (virtio 1.2, 2.7, 3.1.1,
 * 4.2.2). Test code: it aborts on what only a broken test can cause.
 */
#include <endian.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "virtio_drv.h"

int drv_set_line(struct cellvm_irqchip *chip, unsigned line, bool level)
{
	struct drv *d = chip->priv;

	if (level && !d->level && line == DRV_IRQ)
		d->edges++;
	d->level = level;
	return 0;
}

static const struct cellvm_irqchip_ops drv_chip_ops = {
	.set_line = drv_set_line,
};

static void drv_sink(void *opaque, enum cellvm_log_level lvl,
		     const char *line)
{
	struct drv *d = opaque;

	d->log_lines++;
	if (d->verbose)
		fprintf(stderr, "%s\n", line);
}

struct drv *drv_new_ram(uint32_t ram_size)
{
	struct drv *d = calloc(1, sizeof(*d));

	if (!d)
		abort();
	d->ram = aligned_alloc(4096, ram_size);
	if (!d->ram)
		abort();
	memset(d->ram, 0, ram_size);
	d->ram_size = ram_size;
	if (cellvm_mem_add(&d->mem, DRV_RAM_GPA, ram_size, d->ram))
		abort();
	d->chip.ops = &drv_chip_ops;
	d->chip.priv = d;
	d->verbose = getenv("VIRT_TEST_VERBOSE") != NULL;
	d->log = (struct cellvm_log){ .level = CELLVM_LOG_DEBUG,
				      .sink = drv_sink, .opaque = d };
	d->next_buf = DRV_RAM_GPA + DRV_BUF_AREA;
	return d;
}

struct drv *drv_new(void)
{
	return drv_new_ram(DRV_RAM_SIZE);
}

void drv_free(struct drv *d)
{
	free(d->ram);
	free(d);
}

struct virtio_mmio_params drv_params(struct drv *d)
{
	return (struct virtio_mmio_params){
		.mem = &d->mem,
		.irq = { .chip = &d->chip, .line = DRV_IRQ },
		.log = &d->log,
		.base = DRV_MMIO_BASE,
		.bus = &d->bus,
	};
}

/* ---- the device ---- */

int drv_reg(struct drv *d, uint64_t off, unsigned width, bool write,
	    uint64_t *val)
{
	return cellvm_bus_access(&d->bus, d->cpu, DRV_MMIO_BASE + off, width,
				 write, val);
}

int drv_serve(struct virtio_mmio *t)
{
	/* 0 ms: handle what is pending now, never wait. */
	return virtio_mmio_run_once(t, 0);
}

void drv_destroy(struct virtio_mmio *t)
{
	virtio_mmio_destroy(t);
}

uint64_t drv_readn(struct drv *d, uint64_t off, unsigned len)
{
	uint64_t v = 0;

	if (drv_reg(d, off, len, false, &v))
		abort();
	return v;
}

uint32_t drv_read(struct drv *d, uint64_t off)
{
	return (uint32_t)drv_readn(d, off, 4);
}

void drv_write(struct drv *d, uint64_t off, uint32_t val)
{
	uint64_t v = val;

	if (drv_reg(d, off, 4, true, &v))
		abort();
}

/* 64-bit registers are LOW/HIGH pairs, 4 bytes apart (4.2.2). */
void drv_write64(struct drv *d, uint64_t lo_off, uint64_t val)
{
	drv_write(d, lo_off, (uint32_t)val);
	drv_write(d, lo_off + 4, (uint32_t)(val >> 32));
}

/* ---- guest RAM ---- */

bool drv_ram_off(const struct drv *d, uint64_t gpa, uint64_t len,
		 uint32_t *off)
{
	if (gpa < DRV_RAM_GPA || gpa - DRV_RAM_GPA > d->ram_size ||
	    len > d->ram_size - (gpa - DRV_RAM_GPA))
		return false;
	*off = (uint32_t)(gpa - DRV_RAM_GPA);
	return true;
}

void *drv_ptr(struct drv *d, uint64_t gpa)
{
	return d->ram + (gpa - DRV_RAM_GPA);
}

uint64_t drv_alloc(struct drv *d, uint32_t len)
{
	uint64_t gpa = d->next_buf;

	d->next_buf += (len + 15u) & ~15u;
	if (d->next_buf > DRV_RAM_GPA + d->ram_size)
		abort();
	return gpa;
}

void drv_put16(struct drv *d, uint64_t gpa, uint16_t v)
{
	v = htole16(v);
	memcpy(drv_ptr(d, gpa), &v, sizeof(v));
}

uint16_t drv_get16(struct drv *d, uint64_t gpa)
{
	uint16_t v;

	memcpy(&v, drv_ptr(d, gpa), sizeof(v));
	return le16toh(v);
}

uint32_t drv_get32(struct drv *d, uint64_t gpa)
{
	uint32_t v;

	memcpy(&v, drv_ptr(d, gpa), sizeof(v));
	return le32toh(v);
}

uint64_t drv_get64(struct drv *d, uint64_t gpa)
{
	uint64_t v;

	memcpy(&v, drv_ptr(d, gpa), sizeof(v));
	return le64toh(v);
}

/* ---- rings ---- */

struct drv_q *drv_layout(struct drv *d, unsigned qi, uint16_t size)
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

uint32_t drv_setup(struct drv *d, unsigned nq, uint16_t size,
		   uint64_t features)
{
	uint32_t st = VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER;
	unsigned i;

	drv_write(d, VIRTIO_MMIO_STATUS, 0);
	drv_write(d, VIRTIO_MMIO_STATUS, st);
	drv_write(d, VIRTIO_MMIO_DRIVER_FEATURES_SEL, 0);
	drv_write(d, VIRTIO_MMIO_DRIVER_FEATURES, (uint32_t)features);
	drv_write(d, VIRTIO_MMIO_DRIVER_FEATURES_SEL, 1);
	drv_write(d, VIRTIO_MMIO_DRIVER_FEATURES, (uint32_t)(features >> 32));
	st |= VIRTIO_STATUS_FEATURES_OK;
	drv_write(d, VIRTIO_MMIO_STATUS, st);
	for (i = 0; i < nq; i++) {
		struct drv_q *q = drv_layout(d, i, size);

		drv_write(d, VIRTIO_MMIO_QUEUE_SEL, i);
		drv_write(d, VIRTIO_MMIO_QUEUE_NUM, size);
		drv_write64(d, VIRTIO_MMIO_QUEUE_DESC_LOW, q->desc);
		drv_write64(d, VIRTIO_MMIO_QUEUE_DRIVER_LOW, q->avail);
		drv_write64(d, VIRTIO_MMIO_QUEUE_DEVICE_LOW, q->used);
		drv_write(d, VIRTIO_MMIO_QUEUE_READY, 1);
	}
	drv_write(d, VIRTIO_MMIO_STATUS, st | VIRTIO_STATUS_DRIVER_OK);
	return drv_read(d, VIRTIO_MMIO_STATUS);
}

void drv_desc(struct drv *d, uint64_t table, uint16_t idx, uint64_t addr,
	      uint32_t len, uint16_t flags, uint16_t next)
{
	uint8_t *p = drv_ptr(d, table + (uint64_t)DRV_DESC_SIZE * idx);
	uint64_t a = htole64(addr);
	uint32_t l = htole32(len);
	uint16_t f = htole16(flags), n = htole16(next);

	/* struct virtq_desc, 2.7.5: addr, len, flags, next */
	memcpy(p, &a, 8);
	memcpy(p + 8, &l, 4);
	memcpy(p + 12, &f, 2);
	memcpy(p + 14, &n, 2);
}

void drv_publish(struct drv *d, unsigned qi, uint16_t head)
{
	struct drv_q *q = &d->q[qi];

	drv_put16(d, q->avail + DRV_AVAIL_RING + 2u * (q->avail_idx % q->size),
		  head);
	q->avail_idx++;
	drv_put16(d, q->avail + DRV_AVAIL_IDX, q->avail_idx);
}

uint16_t drv_chain(struct drv *d, unsigned qi, const struct drv_buf *b,
		   unsigned n)
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

void drv_used_event(struct drv *d, unsigned qi, uint16_t v)
{
	/* used_event sits after the avail ring's entries (2.7.6). */
	drv_put16(d, d->q[qi].avail + DRV_AVAIL_RING + 2u * d->q[qi].size, v);
}

uint16_t drv_used_idx(struct drv *d, unsigned qi)
{
	return drv_get16(d, d->q[qi].used + DRV_USED_IDX);
}

/* Used element i (2.7.8): id, then len. */
uint32_t drv_used_id(struct drv *d, unsigned qi, uint16_t i)
{
	struct drv_q *q = &d->q[qi];

	return drv_get32(d, q->used + DRV_USED_RING +
				    DRV_USED_ELEM * (i % q->size));
}

uint32_t drv_used_len(struct drv *d, unsigned qi, uint16_t i)
{
	struct drv_q *q = &d->q[qi];

	return drv_get32(d, q->used + DRV_USED_RING +
				    DRV_USED_ELEM * (i % q->size) + 4);
}

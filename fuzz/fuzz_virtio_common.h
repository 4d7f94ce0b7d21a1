/* SPDX-License-Identifier: MIT */
/*
 * The shared harness of the virtio device fuzzers (fuzz_virtio_net.c,
 * fuzz_virtio_console.c, fuzz_virtio_rng.c). The fuzzer plays a hostile
 * driver against one device: a small guest RAM taken from the input, the
 * device set up through its MMIO registers (virtio 1.2, 3.1.1 and 4.2.2)
 * with queue sizes and ring addresses from the input, then a script of
 * driver actions, the device served on this thread with
 * virtio_mmio_run_once(t, 0). No worker thread is started.
 *
 * Input: FZ_CTRL_BYTES control bytes (see fz_parse), a script of up to
 * FZ_MAX_OPS two-byte operations (see enum fz_op_kind), then the initial
 * guest RAM image (zero-padded to FZ_RAM_SIZE).
 *
 * Besides the sanitizers, every check pass (after each step that lets the
 * device run) asserts, with an oracle that reads the rings itself rather
 * than through the device's walker (virtqueue.c):
 *   - guest RAM changed only in the used rings and in the buffers of
 *     device-writable descriptors (so never in device-readable ones);
 *   - each used ring advanced by no more than the driver made available,
 *     naming only heads the driver put in the avail ring, with lengths no
 *     larger than the writable part of the chain;
 *   - the device's own checks (its used hook) on what it sent or wrote.
 * A hostile layout can make the device rewrite its own rings (a writable
 * buffer over a descriptor table, a used ring over an avail ring): then
 * the oracle cannot know the rings any more and only the sanitizers
 * judge ("stable" false). Content checks also need writable buffers and
 * used rings apart from readable buffers ("exact").
 *
 * The code lives in this header because each fuzz target is built from
 * one source file (Makefile); the functions are static inline so each
 * target takes what it uses.
 */
#ifndef FUZZ_VIRTIO_COMMON_H
#define FUZZ_VIRTIO_COMMON_H

#include <endian.h>
#include <stdarg.h>
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

/* The harness's own byte loops: no coverage feedback (it would only
 * steer the fuzzer towards the oracle, and costs most of the time). */
#define FZ_NO_COVERAGE __attribute__((no_sanitize("coverage"), noinline))

#define FZ_RAM_GPA 0x40000000ull
#define FZ_RAM_SIZE 0x10000u
#define FZ_MMIO_BASE 0x0a000000ull
#define FZ_IRQ 48
#define FZ_CTRL_BYTES 18
#define FZ_MAX_OPS 64
/* Notify-and-run rounds after the script, so queued work drains. */
#define FZ_FINAL_ROUNDS 4

/* Control byte 0: what the driver does during set-up. */
#define FZ_C_EVENT_IDX 0x01
#define FZ_C_INDIRECT 0x02
#define FZ_C_DEV_FEATURES 0x04 /* accept every device-type feature */
#define FZ_C_BAD_FEATURE 0x08 /* ask for one the device does not offer */
#define FZ_C_NO_VERSION_1 0x10
#define FZ_C_EARLY_DRIVER_OK 0x20 /* DRIVER_OK before the queues */
/* A feature bit no cellvm device offers (VIRTIO_NET_F_CSUM etc.). */
#define FZ_UNOFFERED_FEATURE 0
/* Queue size byte: bit 7 set, any size (low bits x 5); else 2^(b % 9). */
#define FZ_QSIZE_RAW 0x80
#define FZ_QSIZE_RAW_STEP 5u
#define FZ_QSIZE_LOG_MAX 9u

/* Ring placement per queue (two bits of control byte 4). */
enum fz_layout {
	FZ_LAYOUT_PACKED, /* from RAM offset 0, the queues' rings back to back */
	FZ_LAYOUT_PACKED_TOO, /* (twice as likely as the others) */
	FZ_LAYOUT_ALIGNED, /* anywhere in RAM, aligned */
	FZ_LAYOUT_RAW, /* anywhere near RAM: misaligned, partly outside */
};
#define FZ_RAW_BIAS 0x1000u /* raw addresses start this far below RAM */

/* Script operations: byte 0 = kind | queue << 3 | extra << 4, byte 1 =
 * argument. */
enum fz_op_kind {
	FZ_OP_PUBLISH, /* avail entry = arg | (extra & 1) << 8 */
	FZ_OP_PUBLISH_TOO,
	FZ_OP_NOTIFY, /* QueueNotify, run once, check */
	FZ_OP_BUMP, /* avail idx += arg without writing entries */
	FZ_OP_DEVICE, /* the target's action (inject a frame, ...), check */
	FZ_OP_POLL, /* config read, interrupt ack, run once, check */
	FZ_OP_RESET, /* Status 0, then the whole set-up again */
	FZ_OP_REENABLE, /* QueueReady 0 then 1 */
};
#define FZ_OP_KIND_MASK 7u
#define FZ_OP_QUEUE_SHIFT 3
#define FZ_OP_EXTRA_SHIFT 4

/* What each RAM byte is, for the oracle (fz_oracle). */
#define FZ_M_DESC 0x01u /* a descriptor table, direct or indirect */
#define FZ_M_AVAIL(q) (0x02u << (q))
#define FZ_M_USED(q) (0x08u << (q))
#define FZ_M_AVAIL_ANY (FZ_M_AVAIL(0) | FZ_M_AVAIL(1))
#define FZ_M_USED_ANY (FZ_M_USED(0) | FZ_M_USED(1))
#define FZ_M_READ 0x20u /* a device-readable buffer */
#define FZ_M_WRITE 0x40u /* a device-writable buffer */

/* Ring layout, 2.7.5/2.7.6/2.7.8 */
#define FZ_DESC_SIZE 16u
#define FZ_AVAIL_IDX 2u
#define FZ_AVAIL_RING 4u
#define FZ_USED_IDX 2u
#define FZ_USED_RING 4u
#define FZ_USED_ELEM 8u

enum fz_seg_kind { FZ_SEG_READ, FZ_SEG_WRITE, FZ_SEG_TABLE };

struct fz_queue {
	/* As written to the registers */
	uint32_t num;
	uint64_t desc, avail, used;
	bool live; /* QueueReady read back 1 */
	uint16_t avail_idx; /* the driver's avail idx */
	uint32_t made_avail; /* chains made available since set-up */
	uint16_t used_seen; /* used idx at the last check */
	uint32_t used_total; /* used elements seen since set-up */
	/* Oracle: heads ever in the avail ring, their writable bytes. */
	bool head_known[VIRTQ_MAX_SIZE];
	uint64_t in_len[VIRTQ_MAX_SIZE];
};

struct fz_op {
	uint8_t kind, q, extra, arg;
};

/* One used element, as the device published it. */
struct fz_used {
	uint16_t id;
	uint32_t len;
};

struct fz;

/* What a target adds; all hooks but create are optional. */
struct fz_dev_ops {
	unsigned num_queues;
	/* Create the device on mp (adds it to the bus), set f->t. */
	int (*create)(struct fz *f, const struct virtio_mmio_params *mp);
	void (*action)(struct fz *f, unsigned q, uint8_t arg, uint8_t extra);
	/* New used elements of live queue q, the first being the
	 * first-th since set-up; called on every pass while stable. */
	void (*used)(struct fz *f, unsigned q, uint32_t first,
		     const struct fz_used *u, unsigned n);
	/* End of every check pass, stable or not. */
	void (*settle)(struct fz *f);
};

struct fz {
	const struct fz_dev_ops *ops;
	void *priv; /* the target's state */
	uint8_t *ram; /* FZ_RAM_SIZE bytes, exactly: ASan guards both ends */
	uint8_t *shadow; /* RAM as of the last check */
	uint8_t *map; /* FZ_M_* per RAM byte */
	uint16_t *owner; /* fz_check_written scratch, zero between uses */
	struct cellvm_mem mem;
	struct cellvm_bus bus;
	struct cellvm_log log;
	struct cellvm_irqchip chip;
	unsigned edges;
	struct virtio_mmio *t;
	unsigned nq;
	uint8_t ctrl0;
	uint64_t features;
	bool stable, exact;
	struct fz_queue q[VIRTIO_MMIO_MAX_QUEUES];
	struct fz_op op[FZ_MAX_OPS];
	unsigned nops;
};

/*
 * The fuzz build has -fsanitize=undefined without
 * -fno-sanitize-recover, so UBSan would only print and go on; stop at
 * the first report instead, so libFuzzer records it as a crash. Each
 * target includes this header once.
 */
const char *__ubsan_default_options(void);
const char *__ubsan_default_options(void)
{
	return "halt_on_error=1:print_stacktrace=1";
}

static inline void fz_fail(const char *fmt, ...) CELLVM_PRINTF(1, 2);
static inline void fz_fail(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	fprintf(stderr, "fuzz_virtio: invariant broken: ");
	vfprintf(stderr, fmt, ap);
	fprintf(stderr, "\n");
	va_end(ap);
	abort();
}

/* ---- guest RAM and registers ---- */

/* Is [gpa, gpa + len) in RAM? Its offset in *off. */
static inline bool fz_ram_off(uint64_t gpa, uint64_t len, uint32_t *off)
{
	if (gpa < FZ_RAM_GPA || gpa - FZ_RAM_GPA > FZ_RAM_SIZE ||
	    len > FZ_RAM_SIZE - (gpa - FZ_RAM_GPA))
		return false;
	*off = (uint32_t)(gpa - FZ_RAM_GPA);
	return true;
}

static inline uint16_t fz_get16(const struct fz *f, uint32_t off)
{
	uint16_t v;

	memcpy(&v, f->ram + off, sizeof(v));
	return le16toh(v);
}

static inline uint32_t fz_get32(const struct fz *f, uint32_t off)
{
	uint32_t v;

	memcpy(&v, f->ram + off, sizeof(v));
	return le32toh(v);
}

/* The driver writes a ring field: RAM and shadow alike, so the check
 * does not blame the device. Ignored outside RAM. */
static inline void fz_put16(struct fz *f, uint64_t gpa, uint16_t v)
{
	uint32_t off;

	if (!fz_ram_off(gpa, sizeof(v), &off))
		return;
	v = htole16(v);
	memcpy(f->ram + off, &v, sizeof(v));
	memcpy(f->shadow + off, &v, sizeof(v));
}

static inline uint32_t fz_r(struct fz *f, uint64_t reg, unsigned width)
{
	uint64_t v = 0;

	if (cellvm_bus_access(&f->bus, 0, FZ_MMIO_BASE + reg, width, false, &v))
		fz_fail("register read %#llx", (unsigned long long)reg);
	return (uint32_t)v;
}

static inline void fz_w(struct fz *f, uint64_t reg, uint32_t val)
{
	uint64_t v = val;

	if (cellvm_bus_access(&f->bus, 0, FZ_MMIO_BASE + reg, 4, true, &v))
		fz_fail("register write %#llx", (unsigned long long)reg);
}

static inline void fz_w64(struct fz *f, uint64_t lo_reg, uint64_t val)
{
	fz_w(f, lo_reg, (uint32_t)val);
	fz_w(f, lo_reg + 4, (uint32_t)(val >> 32));
}

static inline int fz_set_line(struct cellvm_irqchip *chip, unsigned line,
			      bool level)
{
	struct fz *f = chip->priv;

	f->edges += level;
	return 0;
}

static const struct cellvm_irqchip_ops fz_chip_ops = {
	.set_line = fz_set_line,
};

static inline void fz_quiet(void *opaque, enum cellvm_log_level lvl,
			    const char *line)
{
}

/* ---- input ---- */

static inline uint16_t fz_u16(const uint8_t *p)
{
	return (uint16_t)(p[0] | p[1] << 8);
}

static inline uint64_t fz_align(uint64_t v, unsigned align)
{
	return (v + align - 1) & ~(uint64_t)(align - 1);
}

/* Packed layout: desc, avail, used of queue 0 from RAM offset 0, those
 * of queue 1 right after them; sizes above the maximum count as it. */
static inline void fz_pack(struct fz *f, unsigned q)
{
	struct fz_queue *fq = &f->q[q];
	uint32_t n = fq->num < VIRTQ_MAX_SIZE ? fq->num : VIRTQ_MAX_SIZE;
	uint32_t prev_n;

	fq->desc = FZ_RAM_GPA;
	if (q) {
		prev_n = f->q[q - 1].num < VIRTQ_MAX_SIZE ? f->q[q - 1].num
							  : VIRTQ_MAX_SIZE;
		fq->desc = fz_align(f->q[q - 1].used + FZ_USED_RING + 2 +
					    (uint64_t)FZ_USED_ELEM * prev_n,
				    VIRTQ_DESC_ALIGN);
	}
	fq->avail = fq->desc + (uint64_t)FZ_DESC_SIZE * n;
	fq->used = fz_align(fq->avail + FZ_AVAIL_RING + 2ull * n + 2,
			    VIRTQ_USED_ALIGN);
}

/* An area anywhere: aligned inside RAM, or raw. */
static inline uint64_t fz_place(unsigned mode, uint16_t v, unsigned align)
{
	if (mode == FZ_LAYOUT_RAW)
		return FZ_RAM_GPA - FZ_RAW_BIAS + v;
	return FZ_RAM_GPA + (v & (FZ_RAM_SIZE - 1) & ~(align - 1u));
}

static inline void fz_parse_queue(struct fz *f, unsigned q,
				  const uint8_t *c)
{
	struct fz_queue *fq = &f->q[q];
	const uint8_t *a = c + 6 + 6 * q;
	unsigned mode = (c[4] >> (2 * q)) & 3;
	uint8_t s = c[2 + q];

	fq->num = s & FZ_QSIZE_RAW ? (s & 0x7fu) * FZ_QSIZE_RAW_STEP
				   : 1u << (s % FZ_QSIZE_LOG_MAX);
	if (mode <= FZ_LAYOUT_PACKED_TOO) {
		fz_pack(f, q);
		return;
	}
	fq->desc = fz_place(mode, fz_u16(a), VIRTQ_DESC_ALIGN);
	fq->avail = fz_place(mode, fz_u16(a + 2), VIRTQ_AVAIL_ALIGN);
	fq->used = fz_place(mode, fz_u16(a + 4), VIRTQ_USED_ALIGN);
}

/* Control bytes: [0] FZ_C_*, [1] script length, [2..3] queue sizes,
 * [4] layouts, [5] for the target, [6..17] desc/avail/used per queue. */
static inline size_t fz_parse(struct fz *f, const uint8_t *d, size_t size)
{
	size_t used = FZ_CTRL_BYTES;
	unsigned i, q;

	f->ctrl0 = d[0];
	f->nops = d[1] % (FZ_MAX_OPS + 1);
	for (q = 0; q < f->nq; q++)
		fz_parse_queue(f, q, d);
	for (i = 0; i < f->nops && used + 2 <= size; i++, used += 2) {
		f->op[i].kind = d[used] & FZ_OP_KIND_MASK;
		f->op[i].q = (d[used] >> FZ_OP_QUEUE_SHIFT) & 1;
		f->op[i].extra = d[used] >> FZ_OP_EXTRA_SHIFT;
		f->op[i].arg = d[used + 1];
	}
	f->nops = i;
	return used;
}

/* ---- the driver ---- */

static inline void fz_setup_queue(struct fz *f, unsigned q)
{
	struct fz_queue *fq = &f->q[q];

	fz_w(f, VIRTIO_MMIO_QUEUE_SEL, q);
	fz_w(f, VIRTIO_MMIO_QUEUE_NUM, fq->num);
	fz_w64(f, VIRTIO_MMIO_QUEUE_DESC_LOW, fq->desc);
	fz_w64(f, VIRTIO_MMIO_QUEUE_DRIVER_LOW, fq->avail);
	fz_w64(f, VIRTIO_MMIO_QUEUE_DEVICE_LOW, fq->used);
	fz_w(f, VIRTIO_MMIO_QUEUE_READY, 1);
	fq->live = fz_r(f, VIRTIO_MMIO_QUEUE_READY, 4) == 1;
	fq->avail_idx = 0;
	fq->made_avail = 0;
	fq->used_seen = 0;
	fq->used_total = 0;
	if (fq->live) {
		/* A driver starts both rings at idx 0 (2.7.6, 2.7.8). */
		fz_put16(f, fq->avail + FZ_AVAIL_IDX, 0);
		fz_put16(f, fq->used + FZ_USED_IDX, 0);
	}
}

/* 3.1.1 steps 1-8, with the input's features and queues. */
static inline void fz_setup(struct fz *f)
{
	uint32_t st = VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER;
	uint64_t feat = 0;
	unsigned q;

	fz_w(f, VIRTIO_MMIO_STATUS, 0);
	fz_w(f, VIRTIO_MMIO_STATUS, st);
	fz_w(f, VIRTIO_MMIO_DEVICE_FEATURES_SEL, 0);
	if (f->ctrl0 & FZ_C_DEV_FEATURES)
		feat = fz_r(f, VIRTIO_MMIO_DEVICE_FEATURES, 4) &
		       (VIRTIO_BIT(VIRTIO_F_INDIRECT_DESC) - 1);
	feat |= f->ctrl0 & FZ_C_EVENT_IDX ? VIRTIO_BIT(VIRTIO_F_EVENT_IDX) : 0;
	feat |= f->ctrl0 & FZ_C_INDIRECT ? VIRTIO_BIT(VIRTIO_F_INDIRECT_DESC)
					 : 0;
	feat |= f->ctrl0 & FZ_C_BAD_FEATURE ? VIRTIO_BIT(FZ_UNOFFERED_FEATURE)
					    : 0;
	feat |= f->ctrl0 & FZ_C_NO_VERSION_1 ? 0
					     : VIRTIO_BIT(VIRTIO_F_VERSION_1);
	f->features = feat;
	fz_w(f, VIRTIO_MMIO_DRIVER_FEATURES_SEL, 0);
	fz_w(f, VIRTIO_MMIO_DRIVER_FEATURES, (uint32_t)feat);
	fz_w(f, VIRTIO_MMIO_DRIVER_FEATURES_SEL, 1);
	fz_w(f, VIRTIO_MMIO_DRIVER_FEATURES, (uint32_t)(feat >> 32));
	st |= VIRTIO_STATUS_FEATURES_OK;
	fz_w(f, VIRTIO_MMIO_STATUS, st);
	if (f->ctrl0 & FZ_C_EARLY_DRIVER_OK)
		fz_w(f, VIRTIO_MMIO_STATUS, st | VIRTIO_STATUS_DRIVER_OK);
	for (q = 0; q < f->nq; q++)
		fz_setup_queue(f, q);
	fz_w(f, VIRTIO_MMIO_STATUS, st | VIRTIO_STATUS_DRIVER_OK);
}

/* Make head available (2.7.13.2), or just move idx on (hostile). */
static inline void fz_publish(struct fz *f, unsigned q, uint16_t head,
			      bool entry, uint16_t advance)
{
	struct fz_queue *fq = &f->q[q];

	if (entry)
		fz_put16(f, fq->avail + FZ_AVAIL_RING +
				    2ull * (fq->avail_idx % fq->num),
			 head);
	fq->avail_idx += advance;
	fq->made_avail += advance;
	fz_put16(f, fq->avail + FZ_AVAIL_IDX, fq->avail_idx);
}

/* QueueReady 0 then 1: the device starts the rings from 0 again, and
 * takes everything up to the avail idx as new. */
static inline void fz_reenable(struct fz *f, unsigned q)
{
	struct fz_queue *fq = &f->q[q];

	fz_w(f, VIRTIO_MMIO_QUEUE_SEL, q);
	fz_w(f, VIRTIO_MMIO_QUEUE_READY, 0);
	fz_put16(f, fq->used + FZ_USED_IDX, 0);
	fz_w(f, VIRTIO_MMIO_QUEUE_READY, 1);
	fq->made_avail = fq->avail_idx;
	fq->used_seen = 0;
	fq->used_total = 0;
}

/* ---- the oracle: chains as the rings describe them ---- */

struct fz_desc {
	uint64_t addr;
	uint32_t len;
	uint16_t flags, next;
};

static inline bool fz_read_desc(const struct fz *f, uint64_t table,
				uint32_t idx, struct fz_desc *d)
{
	uint32_t off;

	if (!fz_ram_off(table + (uint64_t)FZ_DESC_SIZE * idx, FZ_DESC_SIZE,
			&off))
		return false;
	memcpy(&d->addr, f->ram + off, 8);
	d->addr = le64toh(d->addr);
	d->len = fz_get32(f, off + 8);
	d->flags = fz_get16(f, off + 12);
	d->next = fz_get16(f, off + 14);
	return true;
}

typedef void (*fz_seg_fn)(struct fz *f, void *ctx, uint32_t off,
			  uint32_t len, enum fz_seg_kind kind);

/*
 * Walk chain head of queue q, calling fn on each buffer in RAM and each
 * indirect table, in the order the device uses a well-formed chain
 * (2.7.5, 2.7.5.3). Malformed chains are walked as far as they go: the
 * device rejects them and pushes length 0, so whatever this reports for
 * them only widens what the checks allow. The bounds are the device's:
 * an indirect table of at most num entries, no more steps than entries.
 */
static inline void fz_walk(struct fz *f, unsigned q, uint16_t head,
			   fz_seg_fn fn, void *ctx)
{
	const struct fz_queue *fq = &f->q[q];
	uint64_t table = fq->desc;
	uint32_t entries = fq->num, visited = 0, idx = head, off;
	bool in_table = false;
	struct fz_desc d;

	while (idx < entries && ++visited <= entries &&
	       fz_read_desc(f, table, idx, &d)) {
		if (d.flags & VIRTQ_DESC_F_INDIRECT) {
			if (in_table || d.flags & VIRTQ_DESC_F_NEXT ||
			    !d.len || d.len % FZ_DESC_SIZE ||
			    d.len / FZ_DESC_SIZE > fq->num ||
			    !fz_ram_off(d.addr, d.len, &off))
				return;
			fn(f, ctx, off, d.len, FZ_SEG_TABLE);
			table = d.addr;
			entries = d.len / FZ_DESC_SIZE;
			visited = 0;
			idx = 0;
			in_table = true;
			continue;
		}
		if (d.len && fz_ram_off(d.addr, d.len, &off))
			fn(f, ctx, off, d.len,
			   d.flags & VIRTQ_DESC_F_WRITE ? FZ_SEG_WRITE
							: FZ_SEG_READ);
		if (!(d.flags & VIRTQ_DESC_F_NEXT))
			return;
		idx = d.next;
	}
}

/* Per-byte counts of how many readable, writable and table ranges cover
 * it, as difference arrays: a chain may cover RAM many times over. */
struct fz_marks {
	int32_t cnt[3][FZ_RAM_SIZE + 1];
	uint64_t in_len;
};

static inline void fz_mark_seg(struct fz *f, void *ctx, uint32_t off,
			       uint32_t len, enum fz_seg_kind kind)
{
	struct fz_marks *m = ctx;

	m->cnt[kind][off]++;
	m->cnt[kind][off + len]--;
	if (kind == FZ_SEG_WRITE)
		m->in_len += len;
}

FZ_NO_COVERAGE static inline void fz_mark_area(struct fz *f, uint64_t gpa, uint64_t len,
				uint8_t bit)
{
	uint32_t off;

	/* A live queue's areas are in RAM (virtq_init checked them). */
	if (fz_ram_off(gpa, len, &off))
		for (; len; len--, off++)
			f->map[off] |= bit;
}

/* Every head the avail ring can ever hold: what the input put there and
 * what the script will publish. */
static inline void fz_mark_queue(struct fz *f, unsigned q,
				 struct fz_marks *m)
{
	struct fz_queue *fq = &f->q[q];
	uint32_t i, off;
	uint16_t h;

	fz_mark_area(f, fq->desc, (uint64_t)FZ_DESC_SIZE * fq->num, FZ_M_DESC);
	fz_mark_area(f, fq->avail, FZ_AVAIL_RING + 2ull * fq->num + 2,
		     FZ_M_AVAIL(q));
	fz_mark_area(f, fq->used,
		     FZ_USED_RING + (uint64_t)FZ_USED_ELEM * fq->num + 2,
		     FZ_M_USED(q));
	if (!fz_ram_off(fq->avail + FZ_AVAIL_RING, 2ull * fq->num, &off))
		return;
	for (i = 0; i < fq->num; i++)
		if ((h = fz_get16(f, off + 2 * i)) < fq->num)
			fq->head_known[h] = true;
	for (i = 0; i < f->nops; i++)
		if (f->op[i].q == q && f->op[i].kind <= FZ_OP_PUBLISH_TOO &&
		    f->op[i].arg < fq->num)
			fq->head_known[f->op[i].arg] = true;
	for (h = 0; h < fq->num; h++) {
		if (!fq->head_known[h])
			continue;
		m->in_len = 0;
		fz_walk(f, q, h, fz_mark_seg, m);
		fq->in_len[h] = m->in_len;
	}
}

/* Can the device's writes change what the oracle read? */
static inline bool fz_byte_unstable(uint8_t m)
{
	uint8_t avail = m & FZ_M_AVAIL_ANY, used = m & FZ_M_USED_ANY;

	return (avail && (m & FZ_M_DESC)) || avail == FZ_M_AVAIL_ANY ||
	       used == FZ_M_USED_ANY ||
	       (used && (m & (FZ_M_DESC | FZ_M_WRITE) || avail)) ||
	       ((m & FZ_M_WRITE) && (m & (FZ_M_DESC | FZ_M_AVAIL_ANY)));
}

/* Build the per-byte map once the queues are set up. */
FZ_NO_COVERAGE static inline void fz_oracle(struct fz *f)
{
	static const uint8_t bit[3] = { FZ_M_READ, FZ_M_WRITE, FZ_M_DESC };
	struct fz_marks *m = calloc(1, sizeof(*m));
	int32_t run[3] = { 0, 0, 0 };
	uint32_t i, k;
	unsigned q;

	if (!m)
		abort();
	for (q = 0; q < f->nq; q++)
		if (f->q[q].live)
			fz_mark_queue(f, q, m);
	f->stable = f->exact = true;
	for (i = 0; i < FZ_RAM_SIZE; i++) {
		for (k = 0; k < 3; k++) {
			run[k] += m->cnt[k][i];
			if (run[k])
				f->map[i] |= bit[k];
		}
		if (fz_byte_unstable(f->map[i]))
			f->stable = false;
		if (f->map[i] & FZ_M_READ &&
		    f->map[i] & (FZ_M_WRITE | FZ_M_USED_ANY))
			f->exact = false;
	}
	f->exact &= f->stable;
	free(m);
}

/* ---- checks ---- */

/* The device wrote RAM only in used rings and writable buffers. */
#define FZ_CMP_BLOCK 256u
FZ_NO_COVERAGE static inline void fz_check_ram(struct fz *f)
{
	uint32_t b, i;

	for (b = 0; b < FZ_RAM_SIZE; b += FZ_CMP_BLOCK) {
		if (!memcmp(f->ram + b, f->shadow + b, FZ_CMP_BLOCK))
			continue;
		for (i = b; i < b + FZ_CMP_BLOCK; i++)
			if (f->ram[i] != f->shadow[i] &&
			    !(f->map[i] & (FZ_M_WRITE | FZ_M_USED_ANY)))
				fz_fail("RAM %#x written (map %#x): not a used "
					"ring or a device-writable buffer",
					i, f->map[i]);
	}
}

static inline void fz_check_used(struct fz *f, unsigned q)
{
	struct fz_queue *fq = &f->q[q];
	uint32_t base = (uint32_t)(fq->used - FZ_RAM_GPA), k, e;
	uint16_t idx = fz_get16(f, base + FZ_USED_IDX);
	uint16_t n = (uint16_t)(idx - fq->used_seen);
	struct fz_used *u = n ? malloc(n * sizeof(*u)) : NULL;

	if (fq->used_total + n > fq->made_avail)
		fz_fail("queue %u: %u used after %u made available", q,
			fq->used_total + n, fq->made_avail);
	for (k = 0; k < n; k++) {
		e = base + FZ_USED_RING +
		    FZ_USED_ELEM * ((uint16_t)(fq->used_seen + k) % fq->num);
		u[k].id = (uint16_t)fz_get32(f, e);
		u[k].len = fz_get32(f, e + 4);
		if (fz_get32(f, e) >= fq->num || !fq->head_known[u[k].id])
			fz_fail("queue %u: used id %u never made available",
				q, fz_get32(f, e));
		if (u[k].len > fq->in_len[u[k].id])
			fz_fail("queue %u: used len %u > %llu writable", q,
				u[k].len,
				(unsigned long long)fq->in_len[u[k].id]);
	}
	fq->used_seen = idx;
	fq->used_total += n;
	if (f->ops->used)
		f->ops->used(f, q, fq->used_total - n, u, n);
	free(u);
}

/* After the device ran: everything it did must fit the oracle. */
static inline void fz_check(struct fz *f)
{
	unsigned q;

	if (f->stable) {
		fz_check_ram(f);
		for (q = 0; q < f->nq; q++)
			if (f->q[q].live)
				fz_check_used(f, q);
	}
	memcpy(f->shadow, f->ram, FZ_RAM_SIZE);
	if (f->ops->settle)
		f->ops->settle(f);
}

/* Copy the readable or writable bytes of a chain into buf (at most cap);
 * returns how many there are. */
struct fz_gather {
	enum fz_seg_kind kind;
	uint8_t *buf;
	uint64_t cap, total;
};

static inline void fz_gather_seg(struct fz *f, void *ctx, uint32_t off,
				 uint32_t len, enum fz_seg_kind kind)
{
	struct fz_gather *g = ctx;

	if (kind != g->kind)
		return;
	if (g->total < g->cap)
		memcpy(g->buf + g->total, f->ram + off,
		       len < g->cap - g->total ? len : g->cap - g->total);
	g->total += len;
}

static inline uint64_t fz_gather(struct fz *f, unsigned q, uint16_t head,
				 enum fz_seg_kind kind, uint8_t *buf,
				 uint64_t cap)
{
	struct fz_gather g = { .kind = kind, .buf = buf, .cap = cap };

	fz_walk(f, q, head, fz_gather_seg, &g);
	return g.total;
}

/*
 * Did the device write what it should have? expect(ctx, i) gives used
 * element i's len bytes. Chains may share buffers, so each byte is
 * compared only for the last element that wrote it (owner map).
 */
typedef const uint8_t *(*fz_expect_fn)(void *ctx, unsigned i, uint32_t len);

enum fz_own_pass { FZ_OWN_MARK, FZ_OWN_CHECK, FZ_OWN_CLEAR };

struct fz_own {
	enum fz_own_pass pass;
	uint16_t tag;
	uint32_t left, pos;
	const uint8_t *exp;
};

FZ_NO_COVERAGE static inline void fz_own_seg(struct fz *f, void *ctx, uint32_t off,
			      uint32_t len, enum fz_seg_kind kind)
{
	struct fz_own *o = ctx;
	uint32_t i, n = len < o->left ? len : o->left;

	if (kind != FZ_SEG_WRITE)
		return;
	for (i = 0; i < n; i++) {
		uint16_t *own = &f->owner[off + i];

		if (o->pass == FZ_OWN_MARK)
			*own = o->tag;
		else if (o->pass == FZ_OWN_CLEAR)
			*own = 0;
		else if (*own == o->tag && f->ram[off + i] != o->exp[o->pos + i])
			fz_fail("used element %u: byte %u is %#x, not %#x",
				o->tag - 1u, o->pos + i, f->ram[off + i],
				o->exp[o->pos + i]);
	}
	o->pos += n;
	o->left -= n;
}

static inline void fz_check_written(struct fz *f, unsigned q,
				    const struct fz_used *u, unsigned n,
				    fz_expect_fn expect, void *ctx)
{
	struct fz_own o;
	unsigned pass, i;

	if (n >= UINT16_MAX)
		fz_fail("%u used elements in one pass", n);
	for (pass = FZ_OWN_MARK; pass <= FZ_OWN_CLEAR; pass++)
		for (i = 0; i < n; i++) {
			if (!u[i].len)
				continue;
			o = (struct fz_own){ .pass = pass, .tag = i + 1,
					     .left = u[i].len };
			if (pass == FZ_OWN_CHECK)
				o.exp = expect(ctx, i, u[i].len);
			fz_walk(f, q, u[i].id, fz_own_seg, &o);
		}
}

/* ---- running ---- */

static inline void fz_serve(struct fz *f)
{
	/* 0 ms: handle what is pending now, never wait. */
	if (virtio_mmio_run_once(f->t, 0) < 0)
		fz_fail("run_once failed");
	fz_check(f);
}

/* Poke the transport: a config read, an interrupt ack, then run. */
static inline void fz_poll(struct fz *f, const struct fz_op *op)
{
	static const unsigned width[4] = { 1, 2, 4, 8 };
	unsigned w = width[op->extra & 3];

	/* Any width at any offset, inside the window (4.2.2.2). */
	fz_r(f, VIRTIO_MMIO_CONFIG + op->arg % (VIRTIO_MMIO_WINDOW_SIZE -
						VIRTIO_MMIO_CONFIG - w + 1),
	     w);
	fz_w(f, VIRTIO_MMIO_INTERRUPT_ACK,
	     fz_r(f, VIRTIO_MMIO_INTERRUPT_STATUS, 4));
	fz_serve(f);
}

static inline void fz_run_op(struct fz *f, const struct fz_op *op)
{
	unsigned q = op->q;
	bool live = q < f->nq && f->q[q].live;

	switch (op->kind) {
	case FZ_OP_PUBLISH:
	case FZ_OP_PUBLISH_TOO:
		if (live)
			fz_publish(f, q, op->arg | (op->extra & 1) << 8, true,
				   1);
		break;
	case FZ_OP_NOTIFY:
		fz_w(f, VIRTIO_MMIO_QUEUE_NOTIFY, q);
		fz_serve(f);
		break;
	case FZ_OP_BUMP:
		if (live)
			fz_publish(f, q, 0, false, op->arg);
		break;
	case FZ_OP_DEVICE: /* the action checks what it changed itself */
		if (f->ops->action)
			f->ops->action(f, q, op->arg, op->extra);
		break;
	case FZ_OP_POLL:
		fz_poll(f, op);
		break;
	case FZ_OP_RESET:
		fz_setup(f);
		break;
	default: /* FZ_OP_REENABLE */
		if (live)
			fz_reenable(f, q);
		break;
	}
}

static inline void fz_script(struct fz *f)
{
	unsigned i, q;

	for (i = 0; i < f->nops; i++)
		fz_run_op(f, &f->op[i]);
	for (i = 0; i < FZ_FINAL_ROUNDS; i++) {
		for (q = 0; q < f->nq; q++)
			fz_w(f, VIRTIO_MMIO_QUEUE_NOTIFY, q);
		fz_serve(f);
	}
}

/* FUZZ_VIRTIO_VERBOSE=1: what an input exercised, for seed work. */
static inline void fz_summary(struct fz *f)
{
	unsigned q;

	fprintf(stderr, "status %#x stable %d exact %d edges %u",
		fz_r(f, VIRTIO_MMIO_STATUS, 4), f->stable, f->exact, f->edges);
	for (q = 0; q < f->nq; q++)
		fprintf(stderr, " | q%u num %u live %d avail %u used %u", q,
			f->q[q].num, f->q[q].live, f->q[q].made_avail,
			f->q[q].used_total);
	fprintf(stderr, "\n");
}

static inline void fz_free(struct fz *f)
{
	free(f->ram);
	free(f->shadow);
	free(f->map);
	free(f->owner);
	free(f);
}

static inline struct fz *fz_new(const struct fz_dev_ops *ops, void *priv)
{
	struct fz *f = calloc(1, sizeof(*f));

	if (!f)
		abort();
	f->ops = ops;
	f->priv = priv;
	f->nq = ops->num_queues;
	f->ram = calloc(1, FZ_RAM_SIZE);
	f->shadow = malloc(FZ_RAM_SIZE);
	f->map = calloc(1, FZ_RAM_SIZE);
	f->owner = calloc(FZ_RAM_SIZE, sizeof(*f->owner));
	if (!f->ram || !f->shadow || !f->map || !f->owner ||
	    cellvm_mem_add(&f->mem, FZ_RAM_GPA, FZ_RAM_SIZE, f->ram))
		abort();
	f->log = (struct cellvm_log){ .level = CELLVM_LOG_DEBUG,
				      .sink = fz_quiet };
	f->chip = (struct cellvm_irqchip){ .ops = &fz_chip_ops, .priv = f };
	return f;
}

/* One input, start to end. The target's state in priv is set up and torn
 * down by the caller (sockets etc.). */
static inline void fz_run(const struct fz_dev_ops *ops, void *priv,
			  const uint8_t *data, size_t size)
{
	struct virtio_mmio_params mp;
	struct fz *f;
	size_t img;

	if (size < FZ_CTRL_BYTES)
		return;
	f = fz_new(ops, priv);
	img = fz_parse(f, data, size);
	memcpy(f->ram, data + img,
	       size - img < FZ_RAM_SIZE ? size - img : FZ_RAM_SIZE);
	mp = (struct virtio_mmio_params){
		.mem = &f->mem, .irq = { .chip = &f->chip, .line = FZ_IRQ },
		.log = &f->log, .base = FZ_MMIO_BASE, .bus = &f->bus,
	};
	if (ops->create(f, &mp))
		abort();
	memcpy(f->shadow, f->ram, FZ_RAM_SIZE);
	fz_setup(f);
	fz_oracle(f);
	memcpy(f->shadow, f->ram, FZ_RAM_SIZE);
	fz_script(f);
	if (getenv("FUZZ_VIRTIO_VERBOSE"))
		fz_summary(f);
	virtio_mmio_destroy(f->t);
	fz_free(f);
}

#endif

// SPDX-License-Identifier: MIT
/*
 * The hostile virtio driver and its ring oracle (virtio_oracle.h), on the
 * test driver of virtio_drv.h. Split rings: virtio 1.2, 2.7.
 */
#include <endian.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "virtio_oracle.h"

/* Notify-and-run rounds after the script, so queued work drains. */
#define FZ_FINAL_ROUNDS 4
/* A feature bit no cellvm device offers (VIRTIO_NET_F_CSUM etc.). */
#define FZ_UNOFFERED_FEATURE 0
#define FZ_QSIZE_RAW_STEP 5u
#define FZ_QSIZE_LOG_MAX 9u
#define FZ_RAW_BIAS 0x1000u /* raw addresses start this far below RAM */
#define FZ_OP_KIND_MASK 7u
#define FZ_MSG_MAX 256

/* What each RAM byte is, for the oracle (fz_oracle). */
#define FZ_M_DESC 0x001u /* a descriptor table, direct or indirect */
#define FZ_M_AVAIL(q) (0x002u << (q)) /* three queues: 0x002..0x008 */
#define FZ_M_USED(q) (0x010u << (q)) /* 0x010..0x040 */
#define FZ_M_AVAIL_ANY (FZ_M_AVAIL(0) | FZ_M_AVAIL(1) | FZ_M_AVAIL(2))
#define FZ_M_USED_ANY (FZ_M_USED(0) | FZ_M_USED(1) | FZ_M_USED(2))
#define FZ_M_READ 0x080u /* a device-readable buffer */
#define FZ_M_WRITE 0x100u /* a device-writable buffer */
_Static_assert(FZ_MAX_QUEUES == 3, "FZ_M_* bits per queue");

/*
 * The fuzz build has -fsanitize=undefined without
 * -fno-sanitize-recover, so UBSan would only print and go on; stop at
 * the first report instead, so libFuzzer records it as a crash.
 */
const char *__ubsan_default_options(void);
const char *__ubsan_default_options(void)
{
	return "halt_on_error=1:print_stacktrace=1";
}

void fz_fail(struct fz *f, const char *fmt, ...)
{
	char msg[FZ_MSG_MAX];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	f->failures++;
	if (f->ops->report) {
		f->ops->report(f, msg);
		return;
	}
	fprintf(stderr, "fuzz_virtio: invariant broken: %s\n", msg);
	abort();
}

/* ---- guest RAM and registers ---- */

static bool fz_ram_off(const struct fz *f, uint64_t gpa, uint64_t len,
		       uint32_t *off)
{
	return drv_ram_off(f->d, gpa, len, off);
}

uint16_t fz_get16(const struct fz *f, uint32_t off)
{
	uint16_t v;

	memcpy(&v, f->ram + off, sizeof(v));
	return le16toh(v);
}

static uint32_t fz_get32(const struct fz *f, uint32_t off)
{
	uint32_t v;

	memcpy(&v, f->ram + off, sizeof(v));
	return le32toh(v);
}

/* The driver writes a ring field: RAM and shadow alike, so the check
 * does not blame the device. Ignored outside RAM. */
static void fz_put16(struct fz *f, uint64_t gpa, uint16_t v)
{
	uint32_t off;

	if (!fz_ram_off(f, gpa, sizeof(v), &off))
		return;
	v = htole16(v);
	memcpy(f->ram + off, &v, sizeof(v));
	memcpy(f->shadow + off, &v, sizeof(v));
}

static uint32_t fz_r(struct fz *f, uint64_t reg, unsigned width)
{
	uint64_t v = 0;

	if (drv_reg(f->d, reg, width, false, &v))
		fz_fail(f, "register read %#llx", (unsigned long long)reg);
	return (uint32_t)v;
}

static void fz_w(struct fz *f, uint64_t reg, uint32_t val)
{
	uint64_t v = val;

	if (drv_reg(f->d, reg, 4, true, &v))
		fz_fail(f, "register write %#llx", (unsigned long long)reg);
}

static void fz_w64(struct fz *f, uint64_t lo_reg, uint64_t val)
{
	fz_w(f, lo_reg, (uint32_t)val);
	fz_w(f, lo_reg + 4, (uint32_t)(val >> 32));
}

/* ---- input ---- */

static uint16_t fz_u16(const uint8_t *p)
{
	return (uint16_t)(p[0] | p[1] << 8);
}

static uint64_t fz_align(uint64_t v, unsigned align)
{
	return (v + align - 1) & ~(uint64_t)(align - 1);
}

static uint32_t fz_clamp_num(uint32_t num)
{
	return num < VIRTQ_MAX_SIZE ? num : VIRTQ_MAX_SIZE;
}

/* Packed layout: desc, avail, used of queue 0 from RAM offset 0, those
 * of queue 1 right after them; sizes above the maximum count as it. */
static void fz_pack(struct fz *f, unsigned q)
{
	struct fz_queue *fq = &f->q[q];
	uint32_t n = fz_clamp_num(fq->num);

	fq->desc = FZ_RAM_GPA;
	if (q)
		fq->desc = fz_align(f->q[q - 1].used + DRV_USED_RING + 2 +
					    (uint64_t)DRV_USED_ELEM *
						    fz_clamp_num(f->q[q - 1].num),
				    VIRTQ_DESC_ALIGN);
	fq->avail = fq->desc + (uint64_t)DRV_DESC_SIZE * n;
	fq->used = fz_align(fq->avail + DRV_AVAIL_RING + 2ull * n + 2,
			    VIRTQ_USED_ALIGN);
}

/* An area anywhere: aligned inside RAM, or raw. */
static uint64_t fz_place(unsigned mode, uint16_t v, unsigned align)
{
	if (mode == FZ_LAYOUT_RAW)
		return FZ_RAM_GPA - FZ_RAW_BIAS + v;
	return FZ_RAM_GPA + (v & (FZ_RAM_SIZE - 1) & ~(align - 1u));
}

static void fz_parse_queue(struct fz *f, unsigned q, const uint8_t *c)
{
	struct fz_queue *fq = &f->q[q];
	const uint8_t *a = c + 6 + 6 * q;
	unsigned mode = (c[4] >> (2 * q)) & 3;
	uint8_t s = c[2 + q];

	if (q >= 2) {
		/* The third queue (virtio-vsock's event queue): a size from
		 * the high half of the layout byte, packed after queue 1. */
		fq->num = 1u << ((c[4] >> 4) % FZ_QSIZE_LOG_MAX);
		fz_pack(f, q);
		return;
	}
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

/* The control bytes (virtio_oracle.h) and the script; returns where the
 * RAM image starts. */
static size_t fz_parse(struct fz *f, const uint8_t *d, size_t size)
{
	size_t used = FZ_CTRL_BYTES;
	unsigned i, q;

	f->ctrl0 = d[0];
	f->nops = d[1] % (FZ_MAX_OPS + 1);
	f->ctrl_target = d[5];
	for (q = 0; q < f->nq; q++)
		fz_parse_queue(f, q, d);
	for (i = 0; i < f->nops && used + 2 <= size; i++, used += 2) {
		f->op[i].kind = d[used] & FZ_OP_KIND_MASK;
		f->op[i].q = (d[used] >> FZ_OP_QUEUE_SHIFT) & 1;
		/* Queue 2 of a three-queue device: queue bit and extra's
		 * top bit both set. */
		if (f->nq > 2 && f->op[i].q && (d[used] & FZ_OP_QUEUE2_BIT))
			f->op[i].q = 2;
		f->op[i].extra = d[used] >> FZ_OP_EXTRA_SHIFT;
		f->op[i].arg = d[used + 1];
	}
	f->nops = i;
	return used;
}

/* ---- the driver ---- */

static void fz_setup_queue(struct fz *f, unsigned q)
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
		fz_put16(f, fq->avail + DRV_AVAIL_IDX, 0);
		fz_put16(f, fq->used + DRV_USED_IDX, 0);
	}
}

/* 3.1.1 steps 1-8, with the input's features and queues. */
static void fz_setup(struct fz *f)
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
static void fz_publish(struct fz *f, unsigned q, uint16_t head, bool entry,
		       uint16_t advance)
{
	struct fz_queue *fq = &f->q[q];

	if (entry)
		fz_put16(f, fq->avail + DRV_AVAIL_RING +
				    2ull * (fq->avail_idx % fq->num),
			 head);
	fq->avail_idx += advance;
	fq->made_avail += advance;
	fz_put16(f, fq->avail + DRV_AVAIL_IDX, fq->avail_idx);
}

/* QueueReady 0 then 1: the device starts the rings from 0 again, and
 * takes everything up to the avail idx as new. */
static void fz_reenable(struct fz *f, unsigned q)
{
	struct fz_queue *fq = &f->q[q];

	fz_w(f, VIRTIO_MMIO_QUEUE_SEL, q);
	fz_w(f, VIRTIO_MMIO_QUEUE_READY, 0);
	fz_put16(f, fq->used + DRV_USED_IDX, 0);
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

static bool fz_read_desc(const struct fz *f, uint64_t table, uint32_t idx,
			 struct fz_desc *d)
{
	uint32_t off;

	if (!fz_ram_off(f, table + (uint64_t)DRV_DESC_SIZE * idx,
			DRV_DESC_SIZE, &off))
		return false;
	memcpy(&d->addr, f->ram + off, 8);
	d->addr = le64toh(d->addr);
	d->len = fz_get32(f, off + 8);
	d->flags = fz_get16(f, off + 12);
	d->next = fz_get16(f, off + 14);
	return true;
}

/* Can the chain switch to the indirect table d describes (2.7.5.3)? */
static bool fz_indirect_ok(const struct fz *f, const struct fz_queue *fq,
			   const struct fz_desc *d, bool in_table,
			   uint32_t *off)
{
	return !in_table && !(d->flags & VIRTQ_DESC_F_NEXT) && d->len &&
	       !(d->len % DRV_DESC_SIZE) && d->len / DRV_DESC_SIZE <= fq->num &&
	       fz_ram_off(f, d->addr, d->len, off);
}

/*
 * Walk in the order the device uses a well-formed chain (2.7.5,
 * 2.7.5.3). Malformed chains are walked as far as they go: the device
 * rejects them and pushes length 0, so whatever this reports for them
 * only widens what the checks allow. The bounds are the device's: an
 * indirect table of at most num entries, no more steps than entries.
 */
void fz_walk(struct fz *f, unsigned q, uint16_t head, fz_seg_fn fn,
	     void *ctx)
{
	const struct fz_queue *fq = &f->q[q];
	uint64_t table = fq->desc;
	uint32_t entries = fq->num, visited = 0, idx = head, off;
	bool in_table = false;
	struct fz_desc d;

	while (idx < entries && ++visited <= entries &&
	       fz_read_desc(f, table, idx, &d)) {
		if (d.flags & VIRTQ_DESC_F_INDIRECT) {
			if (!fz_indirect_ok(f, fq, &d, in_table, &off))
				return;
			fn(f, ctx, off, d.len, FZ_SEG_TABLE);
			table = d.addr;
			entries = d.len / DRV_DESC_SIZE;
			visited = 0;
			idx = 0;
			in_table = true;
			continue;
		}
		if (d.len && fz_ram_off(f, d.addr, d.len, &off))
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

static void fz_mark_seg(struct fz *f, void *ctx, uint32_t off, uint32_t len,
			enum fz_seg_kind kind)
{
	struct fz_marks *m = ctx;

	m->cnt[kind][off]++;
	m->cnt[kind][off + len]--;
	if (kind == FZ_SEG_WRITE)
		m->in_len += len;
}

FZ_NO_COVERAGE static void fz_mark_area(struct fz *f, uint64_t gpa,
					uint64_t len, uint16_t bit)
{
	uint32_t off;

	/* A live queue's areas are in RAM (virtq_init checked them). */
	if (fz_ram_off(f, gpa, len, &off))
		for (; len; len--, off++)
			f->map[off] |= bit;
}

/* Every head the avail ring can ever hold: what the input put there and
 * what the script will publish. */
static void fz_mark_queue(struct fz *f, unsigned q, struct fz_marks *m)
{
	struct fz_queue *fq = &f->q[q];
	uint32_t i, off;
	uint16_t h;

	fz_mark_area(f, fq->desc, (uint64_t)DRV_DESC_SIZE * fq->num,
		     FZ_M_DESC);
	fz_mark_area(f, fq->avail, DRV_AVAIL_RING + 2ull * fq->num + 2,
		     FZ_M_AVAIL(q));
	fz_mark_area(f, fq->used,
		     DRV_USED_RING + (uint64_t)DRV_USED_ELEM * fq->num + 2,
		     FZ_M_USED(q));
	if (!fz_ram_off(f, fq->avail + DRV_AVAIL_RING, 2ull * fq->num, &off))
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
static bool fz_byte_unstable(uint16_t m)
{
	uint16_t avail = m & FZ_M_AVAIL_ANY, used = m & FZ_M_USED_ANY;

	/* two queues' avail (or used) rings on one byte */
	return (avail && (m & FZ_M_DESC)) || (avail & (avail - 1)) ||
	       (used & (used - 1)) ||
	       (used && (m & (FZ_M_DESC | FZ_M_WRITE) || avail)) ||
	       ((m & FZ_M_WRITE) && (m & (FZ_M_DESC | FZ_M_AVAIL_ANY)));
}

/* Build the per-byte map once the queues are set up. */
FZ_NO_COVERAGE static void fz_oracle(struct fz *f)
{
	static const uint16_t bit[3] = { FZ_M_READ, FZ_M_WRITE, FZ_M_DESC };
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
FZ_NO_COVERAGE static void fz_check_ram(struct fz *f)
{
	uint32_t b, i;

	for (b = 0; b < FZ_RAM_SIZE; b += FZ_CMP_BLOCK) {
		if (!memcmp(f->ram + b, f->shadow + b, FZ_CMP_BLOCK))
			continue;
		for (i = b; i < b + FZ_CMP_BLOCK; i++)
			if (f->ram[i] != f->shadow[i] &&
			    !(f->map[i] & (FZ_M_WRITE | FZ_M_USED_ANY))) {
				fz_fail(f, "RAM %#x written (map %#x): not a "
					"used ring or a device-writable "
					"buffer", i, f->map[i]);
				return;
			}
	}
}

/* Is used element u of queue q one the driver could have made? */
static bool fz_used_ok(struct fz *f, unsigned q, uint32_t id, uint32_t len)
{
	struct fz_queue *fq = &f->q[q];

	if (id >= fq->num || !fq->head_known[id]) {
		fz_fail(f, "queue %u: used id %u never made available", q, id);
		return false;
	}
	if (len > fq->in_len[id]) {
		fz_fail(f, "queue %u: used len %u > %llu writable", q, len,
			(unsigned long long)fq->in_len[id]);
		return false;
	}
	return true;
}

static void fz_check_used(struct fz *f, unsigned q)
{
	struct fz_queue *fq = &f->q[q];
	uint32_t base = (uint32_t)(fq->used - FZ_RAM_GPA), k, e, id;
	uint16_t idx = fz_get16(f, base + DRV_USED_IDX);
	uint16_t n = (uint16_t)(idx - fq->used_seen);
	struct fz_used *u;
	bool ok = true;

	if (fq->used_total + n > fq->made_avail) {
		fz_fail(f, "queue %u: %u used after %u made available", q,
			fq->used_total + n, fq->made_avail);
		ok = false;
	}
	u = calloc(n ? n : 1, sizeof(*u));
	if (!u)
		abort();
	for (k = 0; k < n && ok; k++) {
		e = base + DRV_USED_RING +
		    DRV_USED_ELEM * ((uint16_t)(fq->used_seen + k) % fq->num);
		id = fz_get32(f, e);
		u[k] = (struct fz_used){ .id = (uint16_t)id,
					 .len = fz_get32(f, e + 4) };
		ok = fz_used_ok(f, q, id, u[k].len);
	}
	fq->used_seen = idx;
	fq->used_total += n;
	if (ok && f->ops->used)
		f->ops->used(f, q, fq->used_total - n, u, n);
	free(u);
}

void fz_check(struct fz *f)
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

struct fz_gather {
	enum fz_seg_kind kind;
	uint8_t *buf;
	uint64_t cap, total;
};

static void fz_gather_seg(struct fz *f, void *ctx, uint32_t off,
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

uint64_t fz_gather(struct fz *f, unsigned q, uint16_t head,
		   enum fz_seg_kind kind, uint8_t *buf, uint64_t cap)
{
	struct fz_gather g = { .kind = kind, .buf = buf, .cap = cap };

	fz_walk(f, q, head, fz_gather_seg, &g);
	return g.total;
}

/*
 * fz_check_written in three passes over the writable bytes of each used
 * element, in order: MARK records, per RAM byte, its last writer (owner)
 * and the value that writer put there (expect), so a later write, of a
 * later element or of the same chain's later buffer, replaces an earlier
 * one; CHECK compares each byte once, for its last writer; CLEAR resets
 * the owners.
 */
enum fz_own_pass { FZ_OWN_MARK, FZ_OWN_CHECK, FZ_OWN_CLEAR };

struct fz_own {
	enum fz_own_pass pass;
	uint16_t tag; /* element index + 1 */
	uint32_t left, pos; /* bytes of the element still to walk, done */
	const uint8_t *exp;
	bool failed;
};

FZ_NO_COVERAGE static void fz_own_seg(struct fz *f, void *ctx, uint32_t off,
				      uint32_t len, enum fz_seg_kind kind)
{
	struct fz_own *o = ctx;
	uint32_t i, n = len < o->left ? len : o->left;

	if (kind != FZ_SEG_WRITE)
		return;
	for (i = 0; i < n; i++) {
		uint32_t b = off + i;

		if (o->pass == FZ_OWN_MARK) {
			f->owner[b] = o->tag;
			f->expect[b] = o->exp[o->pos + i];
		} else if (o->pass == FZ_OWN_CLEAR) {
			f->owner[b] = 0;
		} else if (f->owner[b] == o->tag && !o->failed &&
			   f->ram[b] != f->expect[b]) {
			fz_fail(f, "used element %u: byte %u is %#x, not %#x",
				o->tag - 1u, o->pos + i, f->ram[b],
				f->expect[b]);
			o->failed = true;
		}
	}
	o->pos += n;
	o->left -= n;
}

void fz_check_written(struct fz *f, unsigned q, const struct fz_used *u,
		      unsigned n, fz_expect_fn expect, void *ctx)
{
	struct fz_own o;
	unsigned pass, i;

	if (n >= UINT16_MAX) {
		fz_fail(f, "%u used elements in one pass", n);
		return;
	}
	for (pass = FZ_OWN_MARK; pass <= FZ_OWN_CLEAR; pass++)
		for (i = 0; i < n; i++) {
			if (!u[i].len)
				continue;
			o = (struct fz_own){ .pass = pass, .tag = i + 1,
					     .left = u[i].len };
			if (pass == FZ_OWN_MARK)
				o.exp = expect(ctx, i, u[i].len);
			fz_walk(f, q, u[i].id, fz_own_seg, &o);
		}
}

/* ---- running ---- */

static void fz_serve(struct fz *f)
{
	if (drv_serve(f->t) < 0)
		fz_fail(f, "run_once failed");
	fz_check(f);
}

/* Poke the transport: a config read, an interrupt ack, then run. */
static void fz_poll(struct fz *f, const struct fz_op *op)
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

static void fz_run_op(struct fz *f, const struct fz_op *op)
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

static void fz_script(struct fz *f)
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
static void fz_summary(struct fz *f)
{
	unsigned q;

	fprintf(stderr, "status %#x stable %d exact %d edges %u",
		fz_r(f, VIRTIO_MMIO_STATUS, 4), f->stable, f->exact,
		f->d->edges);
	for (q = 0; q < f->nq; q++)
		fprintf(stderr, " | q%u num %u live %d avail %u used %u", q,
			f->q[q].num, f->q[q].live, f->q[q].made_avail,
			f->q[q].used_total);
	fprintf(stderr, "\n");
}

static void fz_free(struct fz *f)
{
	drv_free(f->d);
	free(f->shadow);
	free(f->map);
	free(f->owner);
	free(f->expect);
	free(f);
}

static struct fz *fz_new(const struct fz_dev_ops *ops, void *priv)
{
	struct fz *f = calloc(1, sizeof(*f));

	if (!f)
		abort();
	f->ops = ops;
	f->priv = priv;
	f->nq = ops->num_queues < FZ_MAX_QUEUES ? ops->num_queues
						: FZ_MAX_QUEUES;
	f->d = drv_new_ram(FZ_RAM_SIZE);
	f->ram = f->d->ram;
	f->shadow = malloc(FZ_RAM_SIZE);
	f->map = calloc(FZ_RAM_SIZE, sizeof(*f->map));
	f->owner = calloc(FZ_RAM_SIZE, sizeof(*f->owner));
	f->expect = calloc(1, FZ_RAM_SIZE);
	if (!f->shadow || !f->map || !f->owner || !f->expect)
		abort();
	return f;
}

unsigned fz_run(const struct fz_dev_ops *ops, void *priv,
		const uint8_t *data, size_t size)
{
	struct virtio_mmio_params mp;
	unsigned failures;
	struct fz *f;
	size_t img;

	if (size < FZ_CTRL_BYTES)
		return 0;
	f = fz_new(ops, priv);
	img = fz_parse(f, data, size);
	memcpy(f->ram, data + img,
	       size - img < FZ_RAM_SIZE ? size - img : FZ_RAM_SIZE);
	mp = drv_params(f->d);
	if (ops->create(f, &mp))
		abort();
	memcpy(f->shadow, f->ram, FZ_RAM_SIZE);
	fz_setup(f);
	fz_oracle(f);
	memcpy(f->shadow, f->ram, FZ_RAM_SIZE);
	fz_script(f);
	if (getenv("FUZZ_VIRTIO_VERBOSE"))
		fz_summary(f);
	drv_destroy(f->t);
	failures = f->failures;
	fz_free(f);
	return failures;
}

// SPDX-License-Identifier: MIT
/*
 * libFuzzer target for the GICv2 model (src/dev/gicv2.c).
 *
 * Input: one configuration byte (CPU count, number of INTIDs), then 8-byte
 * operations: register reads and writes by any CPU at any offset, size
 * and value (biased towards real registers), SPI/PPI line changes,
 * IAR/EOIR/DIR sequences and a "switch everything on" shortcut.
 *
 * After every operation the harness checks, from the registers alone:
 *  - each CPU's IRQ output equals a recomputation from the distributor
 *    and CPU interface state, and equals the last level the callback gave;
 *  - GICC_HPPIR names the highest-priority pending interrupt;
 *  - an IAR read returns exactly what was signalled (1023 if nothing was),
 *    and the interrupt it returns is then active;
 *  - the running priority (GICC_RPR, GICC_APR0) is the highest group
 *    priority on a stack the harness keeps from IAR and EOIR;
 *  - the SGI pending views (GICD_ISPENDR0, C/SPENDSGIR) agree.
 * A violation aborts: reporting is the harness's job, never the model's.
 */
#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dev/gicv2.h"

#define OP_SIZE 8
#define MAX_OPS 128
#define ACK_DEPTH 8

enum op_kind {
	OP_DIST_READ,
	OP_DIST_WRITE,
	OP_CPU_READ,
	OP_CPU_WRITE,
	OP_SPI,
	OP_PPI,
	OP_ACK,
	OP_EOI,
	OP_DIR,
	OP_SETUP,
	OP_NR,
};

struct harness {
	struct gicv2 g;
	unsigned ncpus, nr_irqs;
	bool level[GICV2_MAX_CPUS]; /* from the callback */
	uint32_t apr[GICV2_MAX_CPUS]; /* expected active group priorities */
	uint32_t acked[GICV2_MAX_CPUS][ACK_DEPTH]; /* IAR values, a stack */
	unsigned nacked[GICV2_MAX_CPUS];
};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define CHECK(cond)                                                        \
	do {                                                               \
		if (!(cond)) {                                             \
			fprintf(stderr, "invariant failed: %s (line %d)\n", \
				#cond, __LINE__);                          \
			abort();                                           \
		}                                                          \
	} while (0)

static void on_irq(void *opaque, unsigned cpu, bool level)
{
	struct harness *h = opaque;

	CHECK(cpu < h->ncpus);
	CHECK(h->level[cpu] != level); /* only changes are reported */
	h->level[cpu] = level;
}

static void drop_log(void *opaque, enum cellvm_log_level lvl,
		     const char *line)
{
}

static uint32_t dr(struct harness *h, unsigned cpu, uint32_t off)
{
	uint64_t v = gicv2_dist_read(&h->g, cpu, off, 4);

	CHECK(v <= UINT32_MAX);
	return (uint32_t)v;
}

static uint32_t cr(struct harness *h, unsigned cpu, uint32_t off)
{
	return (uint32_t)gicv2_cpu_read(&h->g, cpu, off, 4);
}

static unsigned dist_byte(struct harness *h, unsigned cpu, uint32_t base,
			  unsigned id)
{
	return (unsigned)gicv2_dist_read(&h->g, cpu, base + id, 1);
}

static bool dist_bit(struct harness *h, unsigned cpu, uint32_t base,
		     unsigned id)
{
	return dr(h, cpu, base + id / 32 * 4) >> (id % 32) & 1;
}

static unsigned group_prio(unsigned prio, unsigned bpr)
{
	return prio & (0xffu << (bpr + 1)) & 0xffu;
}

static unsigned expected_rpr(uint32_t apr)
{
	return apr ? (unsigned)__builtin_ctz(apr) << 3 : 0xff;
}

struct expect {
	uint32_t hppir; /* highest pending, as GICC_HPPIR/IAR encode it */
	unsigned prio;
	bool signal; /* what the IRQ output and IAR must show */
};

/* Interrupts of 32-INTID block `blk` that could be signalled to `cpu`:
 * enabled, pending, not active, targeting it (by register reads). */
static uint32_t candidates(struct harness *h, unsigned cpu, unsigned blk)
{
	uint32_t c = dr(h, cpu, GICD_ISENABLER + blk * 4) &
		     dr(h, cpu, GICD_ISPENDR + blk * 4);
	unsigned i;

	if (c)
		c &= ~dr(h, cpu, GICD_ISACTIVER + blk * 4);
	for (i = 0; i < 32; i += 4) {
		uint32_t t;
		unsigned b;

		if (!(c >> i & 0xf))
			continue;
		t = dr(h, cpu, GICD_ITARGETSR + blk * 32 + i);

		for (b = 0; b < 4; b++)
			if (!(t >> (8 * b) & (1u << cpu)))
				c &= ~(1u << (i + b));
	}
	return c;
}

/* Recompute what CPU `cpu` should see, from register reads only. */
static struct expect recompute(struct harness *h, unsigned cpu)
{
	struct expect e = { .hppir = GICV2_INTID_SPURIOUS, .prio = 0x100 };
	unsigned blk, id;

	for (blk = 0; blk < (h->nr_irqs + 31) / 32; blk++) {
		uint32_t c = candidates(h, cpu, blk);

		for (; c; c &= c - 1) {
			unsigned prio;

			id = blk * 32 + (unsigned)__builtin_ctz(c);
			CHECK(id < h->nr_irqs);
			prio = dist_byte(h, cpu, GICD_IPRIORITYR, id);
			if (prio < e.prio) {
				e.prio = prio;
				e.hppir = id;
			}
		}
	}
	if (!(dr(h, cpu, GICD_CTLR) & GICD_CTLR_ENABLE_GRP0) ||
	    !(cr(h, cpu, GICC_CTLR) & GICC_CTLR_ENABLE_GRP0)) {
		e.hppir = GICV2_INTID_SPURIOUS;
		return e;
	}
	if (e.hppir < 16) {
		unsigned src = dist_byte(h, cpu, GICD_CPENDSGIR, e.hppir);

		CHECK(src != 0);
		e.hppir |= (uint32_t)__builtin_ctz(src) << GICC_CPUID_SHIFT;
	}
	e.signal = e.hppir != GICV2_INTID_SPURIOUS &&
		   e.prio < cr(h, cpu, GICC_PMR) &&
		   group_prio(e.prio, cr(h, cpu, GICC_BPR)) <
			   cr(h, cpu, GICC_RPR);
	return e;
}

static void check_cpu(struct harness *h, unsigned cpu)
{
	struct expect e = recompute(h, cpu);
	bool out = gicv2_cpu_irq(&h->g, cpu);
	uint32_t pend;
	unsigned id;

	CHECK(out == e.signal);
	CHECK(out == h->level[cpu]);
	CHECK(cr(h, cpu, GICC_HPPIR) == e.hppir);
	CHECK(cr(h, cpu, GICC_RPR) == expected_rpr(h->apr[cpu]));
	CHECK(cr(h, cpu, GICC_APR0) == h->apr[cpu]);
	pend = dr(h, cpu, GICD_ISPENDR);
	for (id = 0; id < 16; id += 4) {
		uint32_t src = dr(h, cpu, GICD_CPENDSGIR + id);
		unsigned b;

		CHECK(src == dr(h, cpu, GICD_SPENDSGIR + id));
		for (b = 0; b < 4; b++) {
			uint32_t byte = src >> (8 * b) & 0xff;

			CHECK(byte < (1u << h->ncpus));
			CHECK((pend >> (id + b) & 1) == (byte != 0));
		}
	}
}

static void check_all(struct harness *h)
{
	unsigned cpu;

	for (cpu = 0; cpu < h->ncpus; cpu++)
		check_cpu(h, cpu);
	CHECK(!gicv2_cpu_irq(&h->g, h->ncpus));
}

/* A GICC_IAR read by `cpu`, checked against the expectation. */
static void do_ack(struct harness *h, unsigned cpu)
{
	struct expect e = recompute(h, cpu);
	unsigned bpr = cr(h, cpu, GICC_BPR);
	uint32_t v = cr(h, cpu, GICC_IAR);
	unsigned id = v & GICC_INTID_MASK;

	if (!e.signal) {
		CHECK(v == GICV2_INTID_SPURIOUS);
		return;
	}
	CHECK(v == e.hppir);
	CHECK(dist_bit(h, cpu, GICD_ISACTIVER, id));
	h->apr[cpu] |= 1u << (group_prio(e.prio, bpr) >> 3);
	if (h->nacked[cpu] < ACK_DEPTH)
		h->acked[cpu][h->nacked[cpu]++] = v;
}

/* The model drops the highest active priority for any INTID it has. */
static void note_eoi(struct harness *h, unsigned cpu, uint32_t v)
{
	if ((v & GICC_INTID_MASK) < h->nr_irqs)
		h->apr[cpu] &= h->apr[cpu] - 1;
}

static uint32_t last_acked(struct harness *h, unsigned cpu, bool pop)
{
	uint32_t v;

	if (!h->nacked[cpu])
		return GICV2_INTID_SPURIOUS;
	v = h->acked[cpu][h->nacked[cpu] - 1];
	if (pop)
		h->nacked[cpu]--;
	return v;
}

static void cpu_access(struct harness *h, unsigned cpu, uint64_t off,
		       unsigned size, bool write, uint32_t v)
{
	bool word = cpu < h->ncpus && size == 4;

	if (word && off == GICC_IAR && !write) {
		do_ack(h, cpu);
		return;
	}
	if (write) {
		gicv2_cpu_write(&h->g, cpu, off, size, v);
		if (word && off == GICC_EOIR)
			note_eoi(h, cpu, v);
	} else {
		CHECK(gicv2_cpu_read(&h->g, cpu, off, size) <= UINT32_MAX);
	}
}

/* Distributor and this CPU's interface on, everything enabled. */
static void setup_all(struct harness *h, unsigned cpu, uint32_t v)
{
	uint32_t ctlr = GICC_CTLR_ENABLE_GRP0 |
			(v & 1 ? GICC_CTLR_EOIMODE_S : 0);
	unsigned i;

	gicv2_dist_write(&h->g, cpu, GICD_CTLR, 4, GICD_CTLR_ENABLE_GRP0);
	gicv2_cpu_write(&h->g, cpu, GICC_CTLR, 4, ctlr);
	gicv2_cpu_write(&h->g, cpu, GICC_PMR, 4, 0xff);
	gicv2_cpu_write(&h->g, cpu, GICC_BPR, 4, v >> 1);
	for (i = 0; i < h->nr_irqs / 32; i++)
		gicv2_dist_write(&h->g, cpu, GICD_ISENABLER + i * 4, 4, ~0u);
	/* The first SPIs only: each write recomputes every output. */
	for (i = 32; i < h->nr_irqs && i < 128; i += 4)
		gicv2_dist_write(&h->g, cpu, GICD_ITARGETSR + i, 4,
				 (v >> 8 & 0xff) * 0x01010101u);
}

static const unsigned sizes[8] = { 4, 4, 4, 4, 1, 1, 2, 8 };

static void step(struct harness *h, const uint8_t *op)
{
	unsigned kind = (op[0] & 0xf) % OP_NR;
	unsigned size = sizes[op[0] >> 4 & 7];
	bool raw = op[0] & 0x80;
	unsigned cpu = op[1] % (h->ncpus + 1); /* sometimes no such CPU */
	uint32_t off16 = (uint32_t)op[2] | (uint32_t)op[3] << 8;
	uint32_t v;
	uint64_t doff, coff;

	memcpy(&v, op + 4, sizeof(v));
	doff = raw ? off16 : (off16 & 0xfff & ~(size - 1u));
	coff = raw ? off16 : (off16 & 0x10fc);
	switch (kind) {
	case OP_DIST_READ:
		CHECK(gicv2_dist_read(&h->g, cpu, doff, size) <= UINT32_MAX);
		break;
	case OP_DIST_WRITE:
		gicv2_dist_write(&h->g, cpu, doff, size,
				 raw ? (uint64_t)v << 32 | v : v);
		break;
	case OP_CPU_READ:
		cpu_access(h, cpu, coff, size, false, 0);
		break;
	case OP_CPU_WRITE:
		cpu_access(h, cpu, coff, size, true, v);
		break;
	case OP_SPI: {
		unsigned id = raw ? off16 : 32 + off16 % (h->nr_irqs - 31);
		int ret = gicv2_set_spi(&h->g, id, v & 1);

		CHECK(ret == ((id >= 32 && id < h->nr_irqs) ? 0 : -EINVAL));
		break;
	}
	case OP_PPI: {
		unsigned id = raw ? off16 : 16 + off16 % 16;
		int ret = gicv2_set_ppi(&h->g, cpu, id, v & 1);

		CHECK(ret == ((cpu < h->ncpus && id >= 16 && id < 32) ? 0
								      : -EINVAL));
		break;
	}
	case OP_ACK:
		cpu_access(h, cpu, GICC_IAR, 4, false, 0);
		if (v & 1)
			cpu_access(h, cpu, GICC_EOIR, 4, true,
				   last_acked(h, cpu % h->ncpus, true));
		break;
	case OP_EOI:
		cpu_access(h, cpu, GICC_EOIR, 4, true,
			   raw ? v : last_acked(h, cpu % h->ncpus, true));
		break;
	case OP_DIR:
		cpu_access(h, cpu, GICC_DIR, 4, true,
			   raw ? v : last_acked(h, cpu % h->ncpus, false));
		break;
	case OP_SETUP:
		setup_all(h, cpu % h->ncpus, v);
		break;
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const unsigned nr_choices[8] = { 32, 64, 96, 96,
						128, 160, 256, 1020 };
	struct cellvm_log log = { .level = CELLVM_LOG_DEBUG,
				  .sink = drop_log };
	struct gicv2_config cfg;
	struct harness *h;
	size_t i, n = 0;

	if (size < 1)
		return 0;
	h = calloc(1, sizeof(*h));
	if (!h)
		return 0;
	h->ncpus = 1 + (data[0] & 7);
	h->nr_irqs = nr_choices[data[0] >> 3 & 7];
	cfg = (struct gicv2_config){ .ncpus = h->ncpus,
				     .nr_irqs = h->nr_irqs,
				     .set_cpu_irq = on_irq,
				     .opaque = h,
				     .log = &log };
	CHECK(gicv2_init(&h->g, &cfg) == 0);
	for (i = 1; i + OP_SIZE <= size && n < MAX_OPS; i += OP_SIZE, n++) {
		step(h, data + i);
		check_all(h);
	}
	gicv2_destroy(&h->g);
	free(h);
	return 0;
}

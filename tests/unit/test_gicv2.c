// SPDX-License-Identifier: MIT
/* The GICv2 model (src/dev/gicv2.c) through its registers and lines. */
#include <errno.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include <libfdt.h>

#include "core/bus.h"
#include "arch/arm64/memmap.h"
#include "dev/gicv2.h"

#define CTLR_ENABLE GICD_CTLR_ENABLE_GRP0 /* = GICC_CTLR_ENABLE_GRP0 */
#define SGIR_LIST(mask) ((uint32_t)(mask) << GICD_SGIR_TARGETS_SHIFT)
#define SGIR_FILTER(f) ((f) << GICD_SGIR_FILTER_SHIFT)
#define SGIR_OTHERS SGIR_FILTER(GICD_SGIR_FILTER_OTHERS)
#define SGIR_SELF SGIR_FILTER(GICD_SGIR_FILTER_SELF)
#define SGIR_RESERVED SGIR_FILTER(3u)
#define IAR_SRC(cpu) ((uint32_t)(cpu) << GICC_CPUID_SHIFT)
#define SPURIOUS GICV2_INTID_SPURIOUS
#define NCPUS 4
#define NIRQS 96

struct fx {
	struct gicv2 g;
	unsigned calls[GICV2_MAX_CPUS];
	bool level[GICV2_MAX_CPUS];
	unsigned total_calls;
	unsigned log_lines;
	struct cellvm_log log;
};

static void rec_irq(void *opaque, unsigned cpu, bool level)
{
	struct fx *f = opaque;

	f->calls[cpu]++;
	f->level[cpu] = level;
	f->total_calls++;
}

static void count_log(void *opaque, enum cellvm_log_level lvl,
		      const char *line)
{
	((struct fx *)opaque)->log_lines++;
}

static int fx_init(struct fx *f, unsigned ncpus, unsigned nr_irqs)
{
	struct gicv2_config cfg = {
		.ncpus = ncpus,
		.nr_irqs = nr_irqs,
		.set_cpu_irq = rec_irq,
		.opaque = f,
		.log = &f->log,
	};

	memset(f, 0, sizeof(*f));
	f->log = (struct cellvm_log){ .level = CELLVM_LOG_DEBUG,
				      .sink = count_log,
				      .opaque = f };
	return gicv2_init(&f->g, &cfg);
}

static int setup(void **state)
{
	struct fx *f = malloc(sizeof(*f));

	if (!f || fx_init(f, NCPUS, NIRQS))
		return -1;
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;

	gicv2_destroy(&f->g);
	free(f);
	return 0;
}

static void dw(struct fx *f, unsigned cpu, uint32_t off, uint32_t v)
{
	gicv2_dist_write(&f->g, cpu, off, 4, v);
}

static uint32_t dr(struct fx *f, unsigned cpu, uint32_t off)
{
	return (uint32_t)gicv2_dist_read(&f->g, cpu, off, 4);
}

static void cw(struct fx *f, unsigned cpu, uint32_t off, uint32_t v)
{
	gicv2_cpu_write(&f->g, cpu, off, 4, v);
}

static uint32_t cr(struct fx *f, unsigned cpu, uint32_t off)
{
	return (uint32_t)gicv2_cpu_read(&f->g, cpu, off, 4);
}

static bool bit(struct fx *f, unsigned cpu, uint32_t base, unsigned id)
{
	return dr(f, cpu, base + id / 32 * 4) >> (id % 32) & 1;
}

/* Distributor and every CPU interface on, PMR letting all through. */
static void enable_all(struct fx *f)
{
	unsigned cpu;

	dw(f, 0, GICD_CTLR, CTLR_ENABLE);
	for (cpu = 0; cpu < f->g.cfg.ncpus; cpu++) {
		cw(f, cpu, GICC_CTLR, CTLR_ENABLE);
		cw(f, cpu, GICC_PMR, 0xff);
	}
}

/* Configure an interrupt (banked ones as `cpu` sees them) and enable it. */
static void irq_setup(struct fx *f, unsigned cpu, unsigned id, uint8_t prio,
		      uint8_t targets, bool edge)
{
	uint32_t cfg_off = GICD_ICFGR + id / 16 * 4;
	uint32_t shift = id % 16 * 2 + 1;
	uint32_t cfg = dr(f, cpu, cfg_off) & ~(1u << shift);

	gicv2_dist_write(&f->g, cpu, GICD_IPRIORITYR + id, 1, prio);
	gicv2_dist_write(&f->g, cpu, GICD_ITARGETSR + id, 1, targets);
	dw(f, cpu, cfg_off, cfg | (uint32_t)edge << shift);
	dw(f, cpu, GICD_ISENABLER + id / 32 * 4, 1u << (id % 32));
}

static void pulse(struct fx *f, unsigned id)
{
	assert_int_equal(gicv2_set_spi(&f->g, id, true), 0);
	assert_int_equal(gicv2_set_spi(&f->g, id, false), 0);
}

static void reinit(struct fx *f)
{
	gicv2_destroy(&f->g);
	assert_int_equal(fx_init(f, NCPUS, NIRQS), 0);
}

/* ---- identification and configuration --------------------------------- */

static void test_typer_and_ids(void **state)
{
	static const struct {
		unsigned ncpus, nr_irqs;
		uint32_t typer;
	} cases[] = {
		{ 1, 32, 0x00 },   { 4, 96, 0x62 },  { 2, 992, 0x3e },
		{ 8, 1020, 0xff }, { 8, 64, 0xe1 },
	};
	struct fx *f = *state;
	unsigned i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		gicv2_destroy(&f->g);
		assert_int_equal(fx_init(f, cases[i].ncpus, cases[i].nr_irqs),
				 0);
		assert_int_equal(dr(f, 0, GICD_TYPER), cases[i].typer);
		dw(f, 0, GICD_TYPER, 0);
		assert_int_equal(dr(f, 0, GICD_TYPER), cases[i].typer);
		assert_int_equal(dr(f, 0, GICD_IIDR) & 0xfff, 0x43b);
		assert_int_equal(dr(f, 0, GICD_PIDR2) >> 4 & 0xf, 2);
		assert_int_equal(dr(f, 0, GICD_CIDR0), 0x0d);
		assert_int_equal(dr(f, 0, (GICD_CIDR0 + 4)), 0xf0);
		assert_int_equal(cr(f, 0, GICC_IIDR) >> 16 & 0xf, 2);
	}
}

static void test_init_rejects(void **state)
{
	static const struct {
		unsigned ncpus, nr_irqs;
	} bad[] = {
		{ 0, 96 }, { 9, 96 },    { 1, 0 },    { 1, 16 },
		{ 1, 48 }, { 1, 1024 }, { 1, 1000 }, { 1, 2048 },
	};
	struct gicv2 *g = malloc(sizeof(*g));
	unsigned i;

	assert_non_null(g);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct gicv2_config cfg = { .ncpus = bad[i].ncpus,
					    .nr_irqs = bad[i].nr_irqs };

		assert_int_equal(gicv2_init(g, &cfg), -EINVAL);
	}
	assert_int_equal(gicv2_init(g, NULL), -EINVAL);
	free(g);
}

/* ---- enable, priority, masking, preemption ---------------------------- */

static void test_enable_while_pending(void **state)
{
	struct fx *f = *state;

	enable_all(f);
	irq_setup(f, 0, 40, 0x80, 0x1, false);
	dw(f, 0, GICD_ICENABLER + 4, 1u << 8);
	assert_int_equal(gicv2_set_spi(&f->g, 40, true), 0);
	assert_true(bit(f, 0, GICD_ISPENDR, 40));
	assert_false(bit(f, 0, GICD_ISENABLER, 40));
	assert_false(gicv2_cpu_irq(&f->g, 0));
	assert_int_equal(cr(f, 0, GICC_HPPIR), SPURIOUS);
	assert_int_equal(cr(f, 0, GICC_IAR), SPURIOUS);

	dw(f, 0, GICD_ISENABLER + 4, 1u << 8);
	assert_true(gicv2_cpu_irq(&f->g, 0));
	assert_int_equal(f->calls[0], 1);
	assert_int_equal(cr(f, 0, GICC_HPPIR), 40);

	dw(f, 0, GICD_ICENABLER + 4, 1u << 8);
	assert_false(gicv2_cpu_irq(&f->g, 0));
	assert_int_equal(f->calls[0], 2);
	assert_true(bit(f, 0, GICD_ISPENDR, 40)); /* still pending */

	dw(f, 0, GICD_ISENABLER + 4, 1u << 8);
	assert_int_equal(cr(f, 0, GICC_IAR), 40);
	assert_true(bit(f, 0, GICD_ISACTIVER, 40));
	assert_false(gicv2_cpu_irq(&f->g, 0));
}

static void test_priority_arbitration(void **state)
{
	static const struct {
		uint8_t prio40, prio41;
		unsigned first;
	} cases[] = {
		{ 0x80, 0x40, 41 },
		{ 0x40, 0x80, 40 },
		{ 0x60, 0x60, 40 }, /* tie: lowest INTID */
		{ 0x87, 0x80, 40 }, /* low 3 bits not implemented: a tie */
		{ 0x08, 0x00, 41 },
	};
	struct fx *f = *state;
	unsigned i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		unsigned second = cases[i].first == 40 ? 41 : 40;

		reinit(f);
		enable_all(f);
		cw(f, 0, GICC_BPR, 7); /* no preemption between the two */
		irq_setup(f, 0, 40, cases[i].prio40, 0x1, true);
		irq_setup(f, 0, 41, cases[i].prio41, 0x1, true);
		pulse(f, 40);
		pulse(f, 41);
		assert_int_equal(cr(f, 0, GICC_HPPIR), cases[i].first);
		assert_int_equal(cr(f, 0, GICC_IAR), cases[i].first);
		assert_int_equal(cr(f, 0, GICC_IAR), SPURIOUS);
		cw(f, 0, GICC_EOIR, cases[i].first);
		assert_int_equal(cr(f, 0, GICC_IAR), second);
		cw(f, 0, GICC_EOIR, second);
		assert_int_equal(cr(f, 0, GICC_IAR), SPURIOUS);
		assert_int_equal(cr(f, 0, GICC_RPR), 0xff);
	}
}

static void test_preemption_bpr(void **state)
{
	static const struct {
		uint32_t bpr;
		uint8_t active, incoming;
		bool preempts;
		uint32_t rpr;
	} cases[] = {
		{ 2, 0x80, 0x78, true, 0x80 },
		{ 2, 0x80, 0x80, false, 0x80 },
		{ 3, 0x80, 0x88, false, 0x80 },
		{ 3, 0x88, 0x80, false, 0x80 }, /* same group 0x80 */
		{ 3, 0x90, 0x88, true, 0x90 },
		{ 4, 0x90, 0x88, false, 0x80 }, /* group [7:5] */
		{ 4, 0xa0, 0x88, true, 0xa0 },
		{ 7, 0xf0, 0x00, false, 0x00 }, /* BPR 7: no preemption */
		{ 0, 0x80, 0x78, true, 0x80 }, /* clamped to 2 */
	};
	struct fx *f = *state;
	unsigned i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		reinit(f);
		enable_all(f);
		cw(f, 0, GICC_BPR, cases[i].bpr);
		assert_int_equal(cr(f, 0, GICC_BPR),
				 cases[i].bpr < 2 ? 2 : cases[i].bpr);
		irq_setup(f, 0, 40, cases[i].active, 0x1, true);
		irq_setup(f, 0, 41, cases[i].incoming, 0x1, true);
		pulse(f, 40);
		assert_int_equal(cr(f, 0, GICC_IAR), 40);
		assert_int_equal(cr(f, 0, GICC_RPR), cases[i].rpr);
		pulse(f, 41);
		assert_int_equal(gicv2_cpu_irq(&f->g, 0), cases[i].preempts);
		assert_int_equal(cr(f, 0, GICC_HPPIR), 41);
		assert_int_equal(cr(f, 0, GICC_IAR),
				 cases[i].preempts ? 41 : SPURIOUS);
	}
}

static void test_nested_active_priorities(void **state)
{
	static const uint8_t prio[] = { 0xc0, 0x80, 0x40, 0x00 };
	struct fx *f = *state;
	unsigned i;

	enable_all(f);
	for (i = 0; i < 4; i++)
		irq_setup(f, 0, 40 + i, prio[i], 0x1, true);
	for (i = 0; i < 4; i++) {
		pulse(f, 40 + i);
		assert_int_equal(cr(f, 0, GICC_IAR), 40 + i);
		assert_int_equal(cr(f, 0, GICC_RPR), prio[i]);
	}
	assert_int_equal(cr(f, 0, GICC_APR0), 1u << 0 | 1u << 8 | 1u << 16 |
						   1u << 24);
	cw(f, 0, GICC_APR0, 0); /* read-only view */
	assert_int_not_equal(cr(f, 0, GICC_APR0), 0);
	for (i = 4; i-- > 0;) {
		cw(f, 0, GICC_EOIR, 40 + i);
		assert_false(bit(f, 0, GICD_ISACTIVER, 40 + i));
		assert_int_equal(cr(f, 0, GICC_RPR), i ? prio[i - 1] : 0xff);
	}
}

static void test_pmr_masking(void **state)
{
	static const struct {
		uint32_t pmr, pmr_read;
		uint8_t prio;
		bool signalled;
	} cases[] = {
		{ 0x80, 0x80, 0x80, false }, { 0x88, 0x88, 0x80, true },
		{ 0x87, 0x80, 0x80, false }, { 0xff, 0xf8, 0xf0, true },
		{ 0xff, 0xf8, 0xf8, false }, { 0x00, 0x00, 0x00, false },
		{ 0x08, 0x08, 0x00, true },
	};
	struct fx *f = *state;
	unsigned i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		reinit(f);
		enable_all(f);
		irq_setup(f, 0, 40, cases[i].prio, 0x1, false);
		assert_int_equal(gicv2_set_spi(&f->g, 40, true), 0);
		cw(f, 0, GICC_PMR, cases[i].pmr);
		assert_int_equal(cr(f, 0, GICC_PMR), cases[i].pmr_read);
		assert_int_equal(gicv2_cpu_irq(&f->g, 0), cases[i].signalled);
		assert_int_equal(f->level[0], cases[i].signalled);
		/* HPPIR ignores the mask; IAR does not. */
		assert_int_equal(cr(f, 0, GICC_HPPIR), 40);
		assert_int_equal(cr(f, 0, GICC_IAR),
				 cases[i].signalled ? 40 : SPURIOUS);
	}
}

/* ---- trigger modes ----------------------------------------------------- */

static void test_level_reasserts_after_eoi(void **state)
{
	struct fx *f = *state;

	enable_all(f);
	irq_setup(f, 0, 40, 0x80, 0x1, false);
	assert_int_equal(gicv2_set_spi(&f->g, 40, true), 0);
	assert_int_equal(cr(f, 0, GICC_IAR), 40);
	/* Line still high: active and pending, not signalled again. */
	assert_true(bit(f, 0, GICD_ISACTIVER, 40));
	assert_true(bit(f, 0, GICD_ISPENDR, 40));
	assert_false(gicv2_cpu_irq(&f->g, 0));
	cw(f, 0, GICC_EOIR, 40);
	assert_true(gicv2_cpu_irq(&f->g, 0));
	assert_int_equal(cr(f, 0, GICC_IAR), 40);
	/* Clearing the pending state does not beat a high line. */
	dw(f, 0, GICD_ICPENDR + 4, 1u << 8);
	assert_true(bit(f, 0, GICD_ISPENDR, 40));
	assert_int_equal(gicv2_set_spi(&f->g, 40, false), 0);
	assert_false(bit(f, 0, GICD_ISPENDR, 40));
	cw(f, 0, GICC_EOIR, 40);
	assert_false(gicv2_cpu_irq(&f->g, 0));
	assert_int_equal(cr(f, 0, GICC_IAR), SPURIOUS);
	/* A GICD_ISPENDR write latches until acknowledged. */
	dw(f, 0, GICD_ISPENDR + 4, 1u << 8);
	assert_int_equal(cr(f, 0, GICC_IAR), 40);
	cw(f, 0, GICC_EOIR, 40);
	assert_int_equal(cr(f, 0, GICC_IAR), SPURIOUS);
}

static void test_edge_pending_while_active(void **state)
{
	struct fx *f = *state;

	enable_all(f);
	irq_setup(f, 0, 40, 0x80, 0x1, true);
	assert_int_equal(dr(f, 0, GICD_ICFGR + 8) >> 17 & 1, 1);
	pulse(f, 40);
	assert_int_equal(cr(f, 0, GICC_IAR), 40);
	assert_false(bit(f, 0, GICD_ISPENDR, 40));
	pulse(f, 40);
	assert_true(bit(f, 0, GICD_ISPENDR, 40));
	assert_true(bit(f, 0, GICD_ISACTIVER, 40));
	assert_false(gicv2_cpu_irq(&f->g, 0));
	assert_int_equal(cr(f, 0, GICC_IAR), SPURIOUS);
	cw(f, 0, GICC_EOIR, 40);
	assert_true(gicv2_cpu_irq(&f->g, 0));
	assert_int_equal(cr(f, 0, GICC_IAR), 40);
	cw(f, 0, GICC_EOIR, 40);
	assert_int_equal(cr(f, 0, GICC_IAR), SPURIOUS);
	/* A held line is one edge, not a stream of them. */
	assert_int_equal(gicv2_set_spi(&f->g, 40, true), 0);
	assert_int_equal(cr(f, 0, GICC_IAR), 40);
	assert_int_equal(gicv2_set_spi(&f->g, 40, true), 0);
	assert_false(bit(f, 0, GICD_ISPENDR, 40));
	cw(f, 0, GICC_EOIR, 40);
	assert_int_equal(cr(f, 0, GICC_IAR), SPURIOUS);
}

/* ---- routing ------------------------------------------------------------ */

static void test_sgi_routing(void **state)
{
	static const struct {
		unsigned sender;
		uint32_t sgir;
		uint32_t targets;
	} cases[] = {
		{ 0, SGIR_LIST(0x6) | 3, 0x6 },
		{ 1, SGIR_OTHERS | 5, 0xd },
		{ 2, SGIR_SELF | 7, 0x4 },
		{ 3, SGIR_LIST(0xff) | 1, 0xf }, /* only CPUs that exist */
		{ 3, SGIR_LIST(0xf0) | 1, 0x0 },
		{ 0, SGIR_RESERVED | 1, 0x0 },
		{ 2, SGIR_OTHERS | 15 | 0x8000, 0xb }, /* NSATT ignored */
	};
	struct fx *f = *state;
	unsigned i, cpu;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		unsigned id = cases[i].sgir & 0xf;

		reinit(f);
		enable_all(f);
		for (cpu = 0; cpu < NCPUS; cpu++)
			dw(f, cpu, GICD_ISENABLER, 0xffff);
		dw(f, cases[i].sender, GICD_SGIR, cases[i].sgir);
		assert_int_equal(dr(f, 0, GICD_SGIR), 0); /* write-only */
		for (cpu = 0; cpu < NCPUS; cpu++) {
			bool hit = cases[i].targets >> cpu & 1;
			uint32_t want = id | IAR_SRC(cases[i].sender);

			assert_int_equal(gicv2_cpu_irq(&f->g, cpu), hit);
			assert_int_equal(bit(f, cpu, GICD_ISPENDR, id), hit);
			assert_int_equal(cr(f, cpu, GICC_IAR),
					 hit ? want : SPURIOUS);
			if (hit)
				cw(f, cpu, GICC_EOIR, want);
			assert_false(bit(f, cpu, GICD_ISACTIVER, id));
		}
	}
}

static void test_sgi_sources(void **state)
{
	struct fx *f = *state;

	enable_all(f);
	dw(f, 0, GICD_ISENABLER, 0xffff);
	dw(f, 2, GICD_SGIR, SGIR_LIST(0x1) | 4);
	dw(f, 1, GICD_SGIR, SGIR_LIST(0x1) | 4);
	assert_int_equal(dr(f, 0, GICD_CPENDSGIR + 4), 0x06);
	assert_int_equal(cr(f, 0, GICC_IAR), 4 | IAR_SRC(1));
	/* Still pending from CPU 2, but active: waits for the EOI. */
	assert_false(gicv2_cpu_irq(&f->g, 0));
	cw(f, 0, GICC_EOIR, 4 | IAR_SRC(1));
	assert_int_equal(cr(f, 0, GICC_IAR), 4 | IAR_SRC(2));
	cw(f, 0, GICC_EOIR, 4 | IAR_SRC(2));
	assert_int_equal(cr(f, 0, GICC_IAR), SPURIOUS);

	/* GICD_SPENDSGIR/CPENDSGIR: bytes per SGI, bits per source. */
	gicv2_dist_write(&f->g, 0, GICD_SPENDSGIR + 2, 1, 0xfa);
	assert_int_equal(dr(f, 0, GICD_SPENDSGIR), 0x0a0000);
	assert_int_equal(dr(f, 1, GICD_SPENDSGIR), 0); /* banked */
	gicv2_dist_write(&f->g, 0, GICD_CPENDSGIR + 2, 1, 0x02);
	assert_int_equal(gicv2_dist_read(&f->g, 0, GICD_CPENDSGIR + 2, 1), 0x08);
	assert_int_equal(cr(f, 0, GICC_IAR), 2 | IAR_SRC(3));
	cw(f, 0, GICC_EOIR, 2 | IAR_SRC(3));
	/* GICD_ISPENDR0/ICPENDR0 do not touch SGIs. */
	dw(f, 0, GICD_ISPENDR, 0xffff);
	assert_int_equal(dr(f, 0, GICD_ISPENDR) & 0xffff, 0);
	dw(f, 0, GICD_SGIR, SGIR_SELF | 9);
	dw(f, 0, GICD_ICPENDR, 0xffff);
	assert_int_equal(dr(f, 0, GICD_ISPENDR) & 0xffff, 1u << 9);
	/* SGIs are edge-triggered, fixed. */
	dw(f, 0, GICD_ICFGR, 0);
	assert_int_equal(dr(f, 0, GICD_ICFGR), 0xaaaaaaaa);
}

static void test_spi_targets(void **state)
{
	struct fx *f = *state;
	unsigned cpu;

	enable_all(f);
	irq_setup(f, 0, 50, 0x80, 0x4, true);
	pulse(f, 50);
	for (cpu = 0; cpu < NCPUS; cpu++)
		assert_int_equal(gicv2_cpu_irq(&f->g, cpu), cpu == 2);
	assert_int_equal(cr(f, 0, GICC_IAR), SPURIOUS);
	assert_int_equal(cr(f, 2, GICC_IAR), 50);
	cw(f, 2, GICC_EOIR, 50);

	/* Two targets: the first to acknowledge takes it from both. */
	gicv2_dist_write(&f->g, 0, GICD_ITARGETSR + 50, 1, 0xff);
	assert_int_equal(gicv2_dist_read(&f->g, 3, GICD_ITARGETSR + 50, 1), 0xf);
	pulse(f, 50);
	assert_true(gicv2_cpu_irq(&f->g, 1));
	assert_int_equal(cr(f, 1, GICC_IAR), 50);
	for (cpu = 0; cpu < NCPUS; cpu++)
		assert_false(gicv2_cpu_irq(&f->g, cpu));

	/* SGI/PPI targets read as the reader's own bit and are RO. */
	dw(f, 3, GICD_ITARGETSR + 4, 0);
	assert_int_equal(dr(f, 3, GICD_ITARGETSR + 4), 0x08080808);
	assert_int_equal(dr(f, 1, GICD_ITARGETSR + 28), 0x02020202);
}

static void test_ppi_banked(void **state)
{
	struct fx *f = *state;

	enable_all(f);
	irq_setup(f, 1, CELLVM_PPI_VTIMER, 0x10, 0, false);
	assert_int_equal(gicv2_set_ppi(&f->g, 1, CELLVM_PPI_VTIMER, true), 0);
	assert_true(gicv2_cpu_irq(&f->g, 1));
	assert_false(gicv2_cpu_irq(&f->g, 0));
	assert_int_equal(gicv2_dist_read(&f->g, 0,
					 GICD_IPRIORITYR + CELLVM_PPI_VTIMER, 1),
			 0);
	assert_false(bit(f, 0, GICD_ISENABLER, CELLVM_PPI_VTIMER));
	assert_int_equal(cr(f, 1, GICC_IAR), CELLVM_PPI_VTIMER);
	assert_int_equal(gicv2_set_ppi(&f->g, 1, CELLVM_PPI_VTIMER, false),
			 0);
	cw(f, 1, GICC_EOIR, CELLVM_PPI_VTIMER);
	assert_false(gicv2_cpu_irq(&f->g, 1));
	/* PPI trigger mode is programmable, per CPU. */
	dw(f, 1, GICD_ICFGR + 4, 0x80000000);
	assert_int_equal(dr(f, 1, GICD_ICFGR + 4), 0x80000000);
	assert_int_equal(dr(f, 0, GICD_ICFGR + 4), 0);

	assert_int_equal(gicv2_set_ppi(&f->g, NCPUS, 27, true), -EINVAL);
	assert_int_equal(gicv2_set_ppi(&f->g, 0, 15, true), -EINVAL);
	assert_int_equal(gicv2_set_ppi(&f->g, 0, 32, true), -EINVAL);
	assert_int_equal(gicv2_set_spi(&f->g, 31, true), -EINVAL);
	assert_int_equal(gicv2_set_spi(&f->g, NIRQS, true), -EINVAL);
	assert_int_equal(gicv2_set_spi(&f->g, 5000, true), -EINVAL);
}

/* ---- CPU interface ------------------------------------------------------ */

static void test_eoimode1_dir(void **state)
{
	struct fx *f = *state;

	enable_all(f);
	cw(f, 0, GICC_CTLR, CTLR_ENABLE | GICC_CTLR_EOIMODE_S);
	assert_int_equal(cr(f, 0, GICC_CTLR),
			 CTLR_ENABLE | GICC_CTLR_EOIMODE_S);
	irq_setup(f, 0, 40, 0x80, 0x1, true);
	pulse(f, 40);
	assert_int_equal(cr(f, 0, GICC_IAR), 40);
	assert_int_equal(cr(f, 0, GICC_RPR), 0x80);
	cw(f, 0, GICC_EOIR, 40); /* priority drop only */
	assert_int_equal(cr(f, 0, GICC_RPR), 0xff);
	assert_true(bit(f, 0, GICD_ISACTIVER, 40));
	pulse(f, 40);
	assert_false(gicv2_cpu_irq(&f->g, 0));
	cw(f, 0, GICC_DIR, 40);
	assert_false(bit(f, 0, GICD_ISACTIVER, 40));
	assert_true(gicv2_cpu_irq(&f->g, 0));
	assert_int_equal(cr(f, 0, GICC_IAR), 40);

	/* EOImode 0: EOIR deactivates, DIR is ignored. */
	cw(f, 0, GICC_CTLR, CTLR_ENABLE);
	cw(f, 0, GICC_DIR, 40);
	assert_true(bit(f, 0, GICD_ISACTIVER, 40));
	cw(f, 0, GICC_EOIR, 40);
	assert_false(bit(f, 0, GICD_ISACTIVER, 40));
	assert_int_equal(cr(f, 0, GICC_RPR), 0xff);
}

static void test_spurious(void **state)
{
	struct fx *f = *state;

	enable_all(f);
	assert_int_equal(cr(f, 0, GICC_IAR), SPURIOUS);
	assert_int_equal(cr(f, 0, GICC_HPPIR), SPURIOUS);
	assert_int_equal(cr(f, 0, GICC_AIAR), SPURIOUS);
	assert_int_equal(cr(f, 0, GICC_AHPPIR), SPURIOUS);
	irq_setup(f, 0, 40, 0x80, 0x1, false);
	assert_int_equal(gicv2_set_spi(&f->g, 40, true), 0);
	/* Group 1 aliases see nothing: every interrupt is Group 0. */
	assert_int_equal(cr(f, 0, GICC_AIAR), SPURIOUS);
	assert_int_equal(cr(f, 0, GICC_AHPPIR), SPURIOUS);
	dw(f, 0, GICD_CTLR, 0);
	assert_int_equal(cr(f, 0, GICC_IAR), SPURIOUS);
	assert_int_equal(cr(f, 0, GICC_HPPIR), SPURIOUS);
	dw(f, 0, GICD_CTLR, CTLR_ENABLE);
	cw(f, 0, GICC_CTLR, 0);
	assert_int_equal(cr(f, 0, GICC_IAR), SPURIOUS);
	cw(f, 0, GICC_CTLR, CTLR_ENABLE);
	assert_int_equal(cr(f, 0, GICC_IAR), 40);
	/* Special INTIDs written to EOIR change nothing. */
	cw(f, 0, GICC_EOIR, SPURIOUS);
	cw(f, 0, GICC_AEOIR, 40);
	assert_int_equal(cr(f, 0, GICC_RPR), 0x80);
	assert_true(bit(f, 0, GICD_ISACTIVER, 40));
	/* ABPR: stored, at least BPR's minimum plus one. */
	cw(f, 0, GICC_ABPR, 0);
	assert_int_equal(cr(f, 0, GICC_ABPR), 3);
	cw(f, 0, GICC_ABPR, 0xfffffff5);
	assert_int_equal(cr(f, 0, GICC_ABPR), 5);
}

/* ---- access sizes and unimplemented registers -------------------------- */

static void test_byte_access(void **state)
{
	struct fx *f = *state;

	gicv2_dist_write(&f->g, 0, GICD_IPRIORITYR + 40, 1, 0x10);
	gicv2_dist_write(&f->g, 0, GICD_IPRIORITYR + 41, 1, 0x27);
	gicv2_dist_write(&f->g, 0, GICD_IPRIORITYR + 42, 1, 0x38);
	gicv2_dist_write(&f->g, 0, GICD_IPRIORITYR + 43, 1, 0xff);
	assert_int_equal(dr(f, 0, GICD_IPRIORITYR + 40), 0xf8382010);
	assert_int_equal(gicv2_dist_read(&f->g, 2, GICD_IPRIORITYR + 41, 1),
			 0x20);
	dw(f, 0, GICD_IPRIORITYR + 44, 0x44332211);
	assert_int_equal(gicv2_dist_read(&f->g, 0, GICD_IPRIORITYR + 46, 1),
			 0x30);
	/* Banked: CPU 1 does not see CPU 0's SGI priorities. */
	gicv2_dist_write(&f->g, 0, GICD_IPRIORITYR + 1, 1, 0x40);
	assert_int_equal(gicv2_dist_read(&f->g, 1, GICD_IPRIORITYR + 1, 1), 0);
	assert_int_equal(gicv2_dist_read(&f->g, 0, GICD_IPRIORITYR + 1, 1),
			 0x40);
	/* Beyond nr_irqs: RAZ/WI. */
	gicv2_dist_write(&f->g, 0, GICD_IPRIORITYR + NIRQS, 1, 0x40);
	assert_int_equal(dr(f, 0, GICD_IPRIORITYR + NIRQS), 0);

	gicv2_dist_write(&f->g, 0, GICD_ITARGETSR + 41, 1, 0x2);
	gicv2_dist_write(&f->g, 0, GICD_ITARGETSR + 43, 1, 0x9);
	assert_int_equal(dr(f, 0, GICD_ITARGETSR + 40), 0x09000200);
	assert_int_equal(gicv2_dist_read(&f->g, 0, GICD_ITARGETSR + 3, 1), 0x1);
	assert_int_equal(gicv2_dist_read(&f->g, 2, GICD_ITARGETSR + 17, 1), 0x4);
}

struct raz_case {
	bool cpu_if;
	uint64_t offset;
	unsigned size;
};

static const struct raz_case raz_cases[] = {
	{ false, GICD_IGROUPR, 4 },      { false, GICD_IGROUPR + 4, 4 },
	{ false, GICD_NSACR + 8, 4 },    { false, 0xd00, 4 },
	{ false, 0x00c, 4 },          { false, 0x07c, 4 },
	{ false, 0xf04, 4 },          { false, 0xf30, 4 },
	{ false, 0xfcc, 4 },          { false, 0xbfc, 4 },
	{ false, 0x1000, 4 },         { false, 0xffff, 1 },
	{ false, 0x10000, 4 },        { false, UINT64_MAX - 3, 4 },
	{ false, GICD_CTLR, 2 },         { false, GICD_CTLR, 8 },
	{ false, GICD_CTLR, 1 },         { false, GICD_CTLR + 1, 4 },
	{ false, GICD_ISENABLER + 5, 1 }, { false, GICD_IPRIORITYR + 40, 2 },
	{ false, GICD_IPRIORITYR + 40, 8 }, { false, GICD_ICFGR + 9, 1 },
	{ false, GICD_CTLR, 3 },         { false, GICD_CTLR, 0 },
	{ true, 0x40, 4 },            { true, 0xd4, 4 },
	{ true, 0xe0, 4 },            { true, 0x1004, 4 },
	{ true, 0x2000, 4 },          { true, 0xffff, 4 },
	{ true, GICC_CTLR, 1 },          { true, GICC_CTLR, 8 },
	{ true, GICC_PMR + 1, 4 },       { true, GICC_RPR, 4 },
	{ true, GICC_HPPIR, 4 },         { true, GICC_IIDR, 4 },
	{ true, UINT64_MAX, 4 },
};

static void test_raz_wi(void **state)
{
	struct fx *f = *state;
	unsigned i;

	enable_all(f);
	cw(f, 0, GICC_PMR, 0x80);
	for (i = 0; i < sizeof(raz_cases) / sizeof(raz_cases[0]); i++) {
		const struct raz_case *c = &raz_cases[i];
		bool ro = c->offset == GICC_RPR || c->offset == GICC_HPPIR ||
			  c->offset == GICC_IIDR;

		if (c->cpu_if) {
			gicv2_cpu_write(&f->g, 0, c->offset, c->size, ~0ULL);
			if (!ro)
				assert_int_equal(gicv2_cpu_read(&f->g, 0,
								c->offset,
								c->size),
						 0);
		} else {
			gicv2_dist_write(&f->g, 0, c->offset, c->size, ~0ULL);
			assert_int_equal(gicv2_dist_read(&f->g, 0, c->offset,
							 c->size),
					 0);
		}
	}
	/* Nothing changed. */
	assert_int_equal(dr(f, 0, GICD_CTLR), CTLR_ENABLE);
	assert_int_equal(cr(f, 0, GICC_CTLR), CTLR_ENABLE);
	assert_int_equal(cr(f, 0, GICC_PMR), 0x80);
	assert_int_equal(cr(f, 0, GICC_RPR), 0xff);
	assert_int_equal(dr(f, 0, GICD_ISENABLER + 4), 0);
	assert_int_equal(dr(f, 0, GICD_IPRIORITYR + 40), 0);
	assert_int_equal(dr(f, 0, GICD_ICFGR + 8), 0);
	assert_int_equal(f->total_calls, 0);
	/* Guest-triggered warnings are rate-limited. */
	assert_true(f->log_lines >= 1);
	assert_true(f->log_lines <= CELLVM_RATELIMIT_BURST);
	/* A CPU that does not exist reads zero and changes nothing. */
	dw(f, NCPUS, GICD_CTLR, 0);
	assert_int_equal(gicv2_dist_read(&f->g, NCPUS, GICD_CTLR, 4), 0);
	assert_int_equal(gicv2_cpu_read(&f->g, 99, GICC_IAR, 4), 0);
	assert_int_equal(dr(f, 0, GICD_CTLR), CTLR_ENABLE);
	assert_false(gicv2_cpu_irq(&f->g, NCPUS));
}

/* ---- output callback ---------------------------------------------------- */

static void test_output_callback_on_changes(void **state)
{
	struct fx *f = *state;

	enable_all(f);
	assert_int_equal(f->total_calls, 0);
	irq_setup(f, 0, 40, 0x80, 0x1, false);
	irq_setup(f, 0, 41, 0x80, 0x1, false);
	assert_int_equal(gicv2_set_spi(&f->g, 40, true), 0);
	assert_int_equal(f->calls[0], 1);
	assert_true(f->level[0]);
	assert_int_equal(gicv2_set_spi(&f->g, 41, true), 0);
	assert_int_equal(gicv2_set_spi(&f->g, 40, true), 0);
	assert_int_equal(f->calls[0], 1);
	/* 41 has the same group priority: masked by the running one. */
	assert_int_equal(cr(f, 0, GICC_IAR), 40);
	assert_int_equal(f->calls[0], 2);
	assert_false(f->level[0]);
	cw(f, 0, GICC_EOIR, 40);
	assert_int_equal(f->calls[0], 3);
	assert_true(f->level[0]);
	assert_int_equal(gicv2_set_spi(&f->g, 40, false), 0);
	assert_int_equal(f->calls[0], 3);
	assert_int_equal(gicv2_set_spi(&f->g, 41, false), 0);
	assert_int_equal(f->calls[0], 4);
	assert_false(f->level[0]);
	/* PMR and CPU interface enable are state changes too. */
	assert_int_equal(gicv2_set_spi(&f->g, 41, true), 0);
	cw(f, 0, GICC_PMR, 0x80);
	cw(f, 0, GICC_PMR, 0x80);
	cw(f, 0, GICC_PMR, 0xff);
	cw(f, 0, GICC_CTLR, 0);
	assert_int_equal(f->calls[0], 8);
	assert_int_equal(f->calls[1] + f->calls[2] + f->calls[3], 0);
	assert_int_equal(f->total_calls, 8);
}

struct thread_arg {
	struct fx *f;
	unsigned cpu;
};

static void *hammer(void *p)
{
	struct thread_arg *a = p;
	struct gicv2 *g = &a->f->g;
	unsigned i;

	for (i = 0; i < 2000; i++) {
		uint32_t iar;

		if (gicv2_set_spi(g, 40 + (i + a->cpu) % 4, i & 1))
			return p;
		iar = (uint32_t)gicv2_cpu_read(g, a->cpu, GICC_IAR, 4);
		if (iar != SPURIOUS)
			gicv2_cpu_write(g, a->cpu, GICC_EOIR, 4, iar);
	}
	return NULL;
}

static void test_threads(void **state)
{
	struct fx *f = *state;
	pthread_t t[NCPUS];
	struct thread_arg arg[NCPUS];
	unsigned i;

	enable_all(f);
	for (i = 0; i < 4; i++)
		irq_setup(f, 0, 40 + i, 0x80, 0xf, false);
	for (i = 0; i < NCPUS; i++) {
		arg[i] = (struct thread_arg){ f, i };
		assert_int_equal(pthread_create(&t[i], NULL, hammer, &arg[i]),
				 0);
	}
	for (i = 0; i < NCPUS; i++) {
		void *ret;

		assert_int_equal(pthread_join(t[i], &ret), 0);
		assert_null(ret);
	}
	/* The last level delivered is the model's level. */
	for (i = 0; i < NCPUS; i++)
		assert_int_equal(f->level[i], gicv2_cpu_irq(&f->g, i));
}

/* ---- adapters ----------------------------------------------------------- */

static void test_irqchip_adapter(void **state)
{
	struct fx *f = *state;
	struct cellvm_irqchip chip;
	struct cellvm_irq irq;

	gicv2_irqchip(&f->g, &chip);
	irq = (struct cellvm_irq){ &chip, CELLVM_UART_IRQ };
	assert_int_equal(cellvm_irq_set(&irq, true), 0);
	assert_true(bit(f, 0, GICD_ISPENDR, CELLVM_UART_IRQ));
	assert_int_equal(cellvm_irq_set(&irq, false), 0);
	assert_false(bit(f, 0, GICD_ISPENDR, CELLVM_UART_IRQ));
	irq.line = 10;
	assert_int_equal(cellvm_irq_set(&irq, true), -EINVAL);
	irq.line = NIRQS;
	assert_int_equal(cellvm_irq_set(&irq, true), -EINVAL);
	assert_int_equal(chip.ops->irqfd(&chip, 40, 0), -EOPNOTSUPP);
}

static void test_bus_mmio_ops(void **state)
{
	struct fx *f = *state;
	struct cellvm_bus bus = { 0 };
	uint64_t v;

	assert_int_equal(cellvm_bus_add(&bus, "gicd", CELLVM_GIC_DIST_BASE,
					CELLVM_GIC_DIST_SIZE,
					&gicv2_dist_mmio_ops, &f->g),
			 0);
	assert_int_equal(cellvm_bus_add(&bus, "gicc", CELLVM_GIC_CPU_BASE,
					CELLVM_GIC_CPU_SIZE,
					&gicv2_cpu_mmio_ops, &f->g),
			 0);
	/* The bus hands each access's vCPU to the banked registers. */
	assert_int_equal(cellvm_bus_access(&bus, 2, CELLVM_GIC_DIST_BASE +
						       GICD_ITARGETSR,
					   4, false, &v),
			 0);
	assert_int_equal(v, 0x04040404);
	v = 0x88;
	assert_int_equal(cellvm_bus_access(&bus, 2, CELLVM_GIC_CPU_BASE + GICC_PMR,
					   4, true, &v),
			 0);
	assert_int_equal(cr(f, 2, GICC_PMR), 0x88);
	assert_int_equal(cr(f, 0, GICC_PMR), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)
		T(test_typer_and_ids),
		cmocka_unit_test(test_init_rejects),
		T(test_enable_while_pending),
		T(test_priority_arbitration),
		T(test_preemption_bpr),
		T(test_nested_active_priorities),
		T(test_pmr_masking),
		T(test_level_reasserts_after_eoi),
		T(test_edge_pending_while_active),
		T(test_sgi_routing),
		T(test_sgi_sources),
		T(test_spi_targets),
		T(test_ppi_banked),
		T(test_eoimode1_dir),
		T(test_spurious),
		T(test_byte_access),
		T(test_raz_wi),
		T(test_output_callback_on_changes),
		T(test_threads),
		T(test_irqchip_adapter),
		T(test_bus_mmio_ops),
#undef T
	};

	return cmocka_run_group_tests_name("gicv2", tests, NULL, NULL);
}

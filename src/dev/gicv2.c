// SPDX-License-Identifier: MIT
/*
 * GICv2 model: ARM Generic Interrupt Controller Architecture Specification,
 * version 2.0 (ARM IHI 0048B.b). The interrupt controller for
 * --irqchip=user; the API is in gicv2.h.
 *
 * Emulated:
 *  - A GICv2 without the Security Extensions (GICD_TYPER.SecurityExtn = 0),
 *    so there is one security state and the registers have their "no
 *    Security Extensions" layout. Grouping is reduced to Group 0:
 *    GICD_IGROUPRn is RAZ/WI, every interrupt is Group 0 and is signalled
 *    as IRQ (GICC_CTLR.FIQEn is RAZ/WI: the model has one output per CPU).
 *    Linux's irq-gic driver needs no more: it sets GICD_CTLR and GICC_CTLR
 *    bit 0 (EnableGrp0), optionally GICC_CTLR bit 9 (EOImodeS in this
 *    layout, which governs Group 0), and never touches the groups.
 *  - Distributor (§4.3): CTLR (EnableGrp0 forwards interrupts; EnableGrp1
 *    is stored and gates nothing), TYPER, IIDR, IS/ICENABLER,
 *    IS/ICPENDR, IS/ICACTIVER, IPRIORITYR and ITARGETSR (byte or word),
 *    ICFGR, SGIR, C/SPENDSGIR (byte or word) and the identification
 *    registers.
 *  - CPU interface (§4.4): CTLR, PMR, BPR, IAR, EOIR, RPR, HPPIR, DIR,
 *    IIDR; APR0 reads the active priorities (writes ignored, so the
 *    running priority always matches what was acknowledged). The Group 1
 *    aliases: ABPR is stored, AIAR and AHPPIR always read 1023 and AEOIR
 *    ignores writes, since no interrupt is Group 1.
 *  - 32 priority levels (bits [7:3]), so GICC_BPR is at least 2 and a
 *    group priority maps to one bit of a 32-bit active-priority set.
 *  - 1..8 CPUs, 32..1020 INTIDs; SGIs pending per source CPU; SGI and PPI
 *    state banked per CPU; PPIs' trigger mode programmable.
 *
 * Not emulated: the Security Extensions (GICD_NSACRn RAZ/WI), FIQs,
 * interrupt bypass (the bypass-disable bits are stored only), the
 * virtualization extensions, the GICv1 N-N model bit of GICD_ICFGR.
 * Halfword accesses and 8-byte accesses read as zero and ignore writes:
 * §4.1.4 allows word accesses, and byte accesses to a few registers only.
 * Any other register reads as zero and ignores writes, with a rate-limited
 * warning.
 *
 * Device-tree node: written by the board (src/arch/arm64/fdt.c), since it
 * describes both windows, e.g.:
 *	intc@8000000 {
 *		compatible = "arm,cortex-a15-gic";
 *		#interrupt-cells = <3>;
 *		interrupt-controller;
 *		reg = <0 0x8000000 0 0x10000>, <0 0x8010000 0 0x10000>;
 *	};
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "dev/gicv2.h"

#define SUBSYS "gicv2"

/* GICC_CTLR bits a write keeps (AckCtl and FIQEn are RAZ/WI). */
#define GICC_CTLR_WRITABLE                                                \
	(GICC_CTLR_ENABLE_GRP0 | GICC_CTLR_ENABLE_GRP1 | GICC_CTLR_CBPR |  \
	 GICC_CTLR_BYPASS_MASK | GICC_CTLR_EOIMODE_S | GICC_CTLR_EOIMODE_NS)

/* Priorities (§3.3): 5 implemented bits, the low 3 RAZ/WI. */
#define PRIO_MASK 0xf8u
#define PRIO_SHIFT 3
#define PRIO_IDLE 0xffu /* GICC_RPR with nothing active (§4.4.6) */
#define BPR_MIN 2u /* group priority [7:3] = every implemented bit */
#define ABPR_MIN 3u /* §4.4.8: one more than GICC_BPR's minimum */
#define BPR_MAX 7u

/* Identification (§4.3.3, §4.4.14): JEP106 of ARM, product 0, GICv2. */
#define IIDR_IMPLEMENTER_ARM 0x43bu
#define GICC_IIDR_ARCH_V2 (0x2u << 16)

/*
 * GICD_PIDR4..7, PIDR0..3, CIDR0..3 at 0xfd0..0xffc (Table 4-1,
 * identification registers): ICPIDR2.ArchRev [7:4] = 2 (GICv2) and the
 * JEP106 code of ARM; part number 0 (no real product); the standard
 * component ID.
 */
static const uint8_t gicd_id_regs[] = {
	0x04, 0x00, 0x00, 0x00, /* PIDR4..7: JEP106 continuation 4 */
	0x00, 0xb0, 0x2b, 0x00, /* PIDR0..3 */
	0x0d, 0xf0, 0x05, 0xb1, /* CIDR0..3 */
};

/* Fields of the per-interrupt distributor registers. */
enum irq_field {
	FIELD_GROUP, /* RAZ/WI: all Group 0 */
	FIELD_ENABLE_SET,
	FIELD_ENABLE_CLR,
	FIELD_PEND_SET,
	FIELD_PEND_CLR,
	FIELD_ACTIVE_SET,
	FIELD_ACTIVE_CLR,
	FIELD_PRIORITY,
	FIELD_TARGETS,
	FIELD_CONFIG,
	FIELD_NSACR, /* RAZ/WI: no Security Extensions */
	FIELD_SGI_PEND_CLR, /* index: SGI; bits: source CPUs */
	FIELD_SGI_PEND_SET,
};

/* A register array holding `bits` bits per interrupt (L4Re uvmm's
 * "offset range -> bits per IRQ -> field" demux). */
struct field_range {
	uint16_t base;
	uint16_t len; /* bytes */
	uint8_t bits;
	bool byte_access; /* §4.1.4: also byte-accessible */
	enum irq_field field;
};

static const struct field_range dist_fields[] = {
	{ GICD_IGROUPR, 0x80, 1, false, FIELD_GROUP },
	{ GICD_ISENABLER, 0x80, 1, false, FIELD_ENABLE_SET },
	{ GICD_ICENABLER, 0x80, 1, false, FIELD_ENABLE_CLR },
	{ GICD_ISPENDR, 0x80, 1, false, FIELD_PEND_SET },
	{ GICD_ICPENDR, 0x80, 1, false, FIELD_PEND_CLR },
	{ GICD_ISACTIVER, 0x80, 1, false, FIELD_ACTIVE_SET },
	{ GICD_ICACTIVER, 0x80, 1, false, FIELD_ACTIVE_CLR },
	{ GICD_IPRIORITYR, GICV2_MAX_IRQS, 8, true, FIELD_PRIORITY },
	{ GICD_ITARGETSR, GICV2_MAX_IRQS, 8, true, FIELD_TARGETS },
	{ GICD_ICFGR, 0x100, 2, false, FIELD_CONFIG },
	{ GICD_NSACR, 0x100, 2, false, FIELD_NSACR },
	{ GICD_CPENDSGIR, GICV2_NR_SGIS, 8, true, FIELD_SGI_PEND_CLR },
	{ GICD_SPENDSGIR, GICV2_NR_SGIS, 8, true, FIELD_SGI_PEND_SET },
};

/* The highest-priority pending interrupt of a CPU. */
struct pick {
	unsigned id; /* GICV2_INTID_SPURIOUS: none */
	unsigned src; /* SGIs: the source CPU */
	unsigned prio;
};

static uint32_t cpu_mask(const struct gicv2 *g)
{
	return (1u << g->cfg.ncpus) - 1;
}

static struct gicv2_irq *irq_at(struct gicv2 *g, unsigned cpu, unsigned id)
{
	if (id < GICV2_NR_PRIVATE)
		return &g->cpu[cpu].priv[id];
	if (id < g->nr_irqs)
		return &g->spi[id - GICV2_NR_PRIVATE];
	return NULL;
}

/*
 * Pending state (§3.2, the interrupt handling state machine): an SGI is
 * pending while any source has it pending; a level-sensitive interrupt
 * while its line is asserted or a GICD_ISPENDR write latched it; an
 * edge-triggered one from an edge (or that write) until acknowledged.
 */
static bool irq_pending(const struct gicv2 *g, unsigned cpu, unsigned id,
			const struct gicv2_irq *irq)
{
	if (id < GICV2_NR_SGIS)
		return g->cpu[cpu].sgi_src[id] != 0;
	return irq->latch || (!irq->edge && irq->line);
}

static void irq_set_line(struct gicv2_irq *irq, bool level)
{
	if (irq->edge && level && !irq->line)
		irq->latch = true;
	irq->line = level;
}

/* Group priority under binary point `bpr` (§3.3, priority grouping):
 * the priority bits above bit bpr. */
static unsigned group_prio(unsigned prio, unsigned bpr)
{
	return prio & (0xffu << (bpr + 1)) & 0xffu;
}

/* The running priority (§3.3, preemption): the highest active group
 * priority. */
static unsigned running_prio(const struct gicv2_cpu *c)
{
	if (!c->apr)
		return PRIO_IDLE;
	return (unsigned)__builtin_ctz(c->apr) << PRIO_SHIFT;
}

/* Does the distributor forward Group 0 to this CPU interface, and does
 * the CPU interface signal it? */
static bool forwarding(const struct gicv2 *g, unsigned cpu)
{
	return (g->ctlr & GICD_CTLR_ENABLE_GRP0) &&
	       (g->cpu[cpu].ctlr & GICC_CTLR_ENABLE_GRP0);
}

/* Is `irq` a candidate for the CPU interface at all (§3.2)? An
 * active-and-pending interrupt waits for its deactivation. */
static bool irq_candidate(const struct gicv2 *g, unsigned cpu, unsigned id,
			  const struct gicv2_irq *irq)
{
	return irq->enabled && !irq->active && irq_pending(g, cpu, id, irq);
}

static void pick_consider(struct pick *best, unsigned id, unsigned prio)
{
	if (best->id == GICV2_INTID_SPURIOUS || prio < best->prio)
		*best = (struct pick){ .id = id, .prio = prio };
}

/*
 * For each CPU in `cpus`, the highest-priority candidate interrupt that
 * targets it, in best[cpu]. INTIDs are scanned in ascending order, so a
 * tie goes to the lowest INTID (and an SGI's lowest source CPU). One pass
 * over the SPIs serves every CPU.
 */
static void best_pending(struct gicv2 *g, uint32_t cpus, struct pick *best)
{
	unsigned cpu, id;

	for (cpu = 0; cpu < g->cfg.ncpus; cpu++) {
		best[cpu] = (struct pick){ .id = GICV2_INTID_SPURIOUS };
		if (!forwarding(g, cpu) || !(cpus & (1u << cpu))) {
			cpus &= ~(1u << cpu);
			continue;
		}
		for (id = 0; id < GICV2_NR_PRIVATE; id++) {
			const struct gicv2_irq *irq = &g->cpu[cpu].priv[id];

			if (irq_candidate(g, cpu, id, irq))
				pick_consider(&best[cpu], id, irq->priority);
		}
	}
	for (id = GICV2_NR_PRIVATE; id < g->nr_irqs && cpus; id++) {
		const struct gicv2_irq *irq = irq_at(g, 0, id);
		uint32_t t = irq->targets & cpus;

		if (!t || !irq_candidate(g, 0, id, irq))
			continue;
		for (; t; t &= t - 1)
			pick_consider(&best[__builtin_ctz(t)], id,
				      irq->priority);
	}
	for (cpu = 0; cpu < g->cfg.ncpus; cpu++)
		if (best[cpu].id < GICV2_NR_SGIS)
			best[cpu].src = (unsigned)__builtin_ctz(
				g->cpu[cpu].sgi_src[best[cpu].id]);
}

/* The highest-priority candidate for one CPU (GICC_HPPIR, §4.4.7). */
static struct pick best_pending_one(struct gicv2 *g, unsigned cpu)
{
	struct pick best[GICV2_MAX_CPUS];

	best_pending(g, 1u << cpu, best);
	return best[cpu];
}

/* Does the CPU interface signal `p` (§3.3)? Its priority must beat the
 * priority mask and its group priority the running priority. */
static bool beats(const struct gicv2_cpu *c, struct pick p)
{
	return p.id != GICV2_INTID_SPURIOUS && p.prio < c->pmr &&
	       group_prio(p.prio, c->bpr) < running_prio(c);
}

static uint32_t pick_value(struct pick p)
{
	if (p.id < GICV2_NR_SGIS)
		return p.id | (p.src << GICC_CPUID_SHIFT);
	return p.id;
}

static void bad_access(struct gicv2 *g, unsigned cpu, const char *what,
		       bool write, uint64_t offset, unsigned size)
{
	cellvm_log_ratelimited(g->cfg.log, &g->rl, CELLVM_LOG_WARN, SUBSYS,
			       "cpu%u: %s %s at 0x%" PRIx64
			       " (size %u) ignored",
			       cpu, write ? "write to" : "read of", what,
			       offset, size);
}

/* ---- state changes and the output lines -------------------------------- */

/* Recompute every CPU's output; a mask of those that changed. */
static uint32_t update_outputs(struct gicv2 *g)
{
	struct pick best[GICV2_MAX_CPUS];
	uint32_t changed = 0;
	unsigned cpu;

	best_pending(g, cpu_mask(g), best);
	for (cpu = 0; cpu < g->cfg.ncpus; cpu++) {
		bool level = beats(&g->cpu[cpu], best[cpu]);

		if (level != g->cpu[cpu].irq_out) {
			g->cpu[cpu].irq_out = level;
			changed |= 1u << cpu;
		}
	}
	return changed;
}

/*
 * Tell the callback about changed outputs, after the state lock is
 * dropped. Deliveries are serialised and each sends the level current at
 * its time, not the one its caller computed, so when two threads race
 * the last call always carries the final level.
 */
static void deliver(struct gicv2 *g, uint32_t changed)
{
	bool level[GICV2_MAX_CPUS];
	unsigned cpu;

	pthread_mutex_lock(&g->deliver_lock);
	pthread_mutex_lock(&g->lock);
	for (cpu = 0; cpu < g->cfg.ncpus; cpu++)
		level[cpu] = g->cpu[cpu].irq_out;
	pthread_mutex_unlock(&g->lock);
	for (cpu = 0; cpu < g->cfg.ncpus; cpu++) {
		struct gicv2_cpu *c = &g->cpu[cpu];

		if (!(changed & (1u << cpu)) || c->irq_sent == level[cpu])
			continue;
		c->irq_sent = level[cpu];
		if (g->cfg.set_cpu_irq)
			g->cfg.set_cpu_irq(g->cfg.opaque, cpu, level[cpu]);
	}
	pthread_mutex_unlock(&g->deliver_lock);
}

/* End of every entry point that may change state. */
static void unlock_update(struct gicv2 *g)
{
	uint32_t changed = update_outputs(g);

	pthread_mutex_unlock(&g->lock);
	if (changed)
		deliver(g, changed);
}

/* ---- distributor ------------------------------------------------------- */

static uint32_t field_get(struct gicv2 *g, unsigned cpu, enum irq_field f,
			  unsigned id)
{
	const struct gicv2_irq *irq;

	if (f == FIELD_SGI_PEND_CLR || f == FIELD_SGI_PEND_SET)
		return g->cpu[cpu].sgi_src[id];
	irq = irq_at(g, cpu, id);
	if (!irq)
		return 0;
	switch (f) {
	case FIELD_ENABLE_SET:
	case FIELD_ENABLE_CLR:
		return irq->enabled;
	case FIELD_PEND_SET:
	case FIELD_PEND_CLR:
		return irq_pending(g, cpu, id, irq);
	case FIELD_ACTIVE_SET:
	case FIELD_ACTIVE_CLR:
		return irq->active;
	case FIELD_PRIORITY:
		return irq->priority;
	case FIELD_TARGETS:
		/* §4.3.12: SGI/PPI fields read as the reader's own bit. */
		return id < GICV2_NR_PRIVATE ? 1u << cpu : irq->targets;
	case FIELD_CONFIG:
		return irq->edge ? GICD_ICFGR_EDGE : 0;
	default:
		return 0;
	}
}

/* Apply one field of a write; v holds just that field's bits. */
static void field_set(struct gicv2 *g, unsigned cpu, enum irq_field f,
		      unsigned id, uint32_t v)
{
	struct gicv2_irq *irq;

	/* §4.3.16/§4.3.17: one byte per SGI, one bit per source CPU. */
	if (f == FIELD_SGI_PEND_SET) {
		g->cpu[cpu].sgi_src[id] |= (uint8_t)(v & cpu_mask(g));
		return;
	}
	if (f == FIELD_SGI_PEND_CLR) {
		g->cpu[cpu].sgi_src[id] &= (uint8_t)~v;
		return;
	}
	irq = irq_at(g, cpu, id);
	if (!irq)
		return;
	switch (f) {
	case FIELD_ENABLE_SET:
	case FIELD_ENABLE_CLR:
		if (v)
			irq->enabled = f == FIELD_ENABLE_SET;
		break;
	case FIELD_PEND_SET:
	case FIELD_PEND_CLR:
		/* §4.3.7/§4.3.8: SGI bits ignore writes in GICv2. */
		if (v && id >= GICV2_NR_SGIS)
			irq->latch = f == FIELD_PEND_SET;
		break;
	case FIELD_ACTIVE_SET:
	case FIELD_ACTIVE_CLR:
		if (v)
			irq->active = f == FIELD_ACTIVE_SET;
		break;
	case FIELD_PRIORITY:
		irq->priority = (uint8_t)(v & PRIO_MASK);
		break;
	case FIELD_TARGETS:
		if (id >= GICV2_NR_PRIVATE)
			irq->targets = (uint8_t)(v & cpu_mask(g));
		break;
	case FIELD_CONFIG:
		/* §4.3.13: SGIs are always edge-triggered. */
		if (id >= GICV2_NR_SGIS)
			irq->edge = v & GICD_ICFGR_EDGE;
		break;
	default:
		break;
	}
}

static const struct field_range *find_range(uint32_t offset)
{
	unsigned i;

	for (i = 0; i < sizeof(dist_fields) / sizeof(dist_fields[0]); i++) {
		const struct field_range *r = &dist_fields[i];

		if (offset >= r->base && offset - r->base < r->len)
			return r;
	}
	return NULL;
}

/* §4.1.4: word accesses, and byte accesses where allowed; aligned. */
static bool range_access_ok(const struct field_range *r, uint32_t offset,
			    unsigned size)
{
	if (size != 4 && !(size == 1 && r->byte_access))
		return false;
	return offset % size == 0;
}

static uint32_t range_read(struct gicv2 *g, unsigned cpu,
			   const struct field_range *r, uint32_t offset,
			   unsigned size)
{
	unsigned first = (offset - r->base) * 8 / r->bits;
	unsigned n = size * 8 / r->bits, i;
	uint32_t v = 0;

	for (i = 0; i < n; i++)
		v |= field_get(g, cpu, r->field, first + i) << (i * r->bits);
	return v;
}

static void range_write(struct gicv2 *g, unsigned cpu,
			const struct field_range *r, uint32_t offset,
			unsigned size, uint32_t v)
{
	unsigned first = (offset - r->base) * 8 / r->bits;
	unsigned n = size * 8 / r->bits, i;
	uint32_t mask = (1u << r->bits) - 1;

	for (i = 0; i < n; i++)
		field_set(g, cpu, r->field, first + i,
			  (v >> (i * r->bits)) & mask);
}

/* GICD_SGIR (§4.3.15): make SGI `id` pending from `cpu` on the targets. */
static void dist_send_sgi(struct gicv2 *g, unsigned cpu, uint32_t v)
{
	unsigned id = v & GICD_SGIR_INTID_MASK, t;
	uint32_t targets;

	switch ((v >> GICD_SGIR_FILTER_SHIFT) & GICD_SGIR_FILTER_MASK) {
	case GICD_SGIR_FILTER_LIST:
		targets = (v >> GICD_SGIR_TARGETS_SHIFT) & 0xffu;
		break;
	case GICD_SGIR_FILTER_OTHERS:
		targets = ~(1u << cpu);
		break;
	case GICD_SGIR_FILTER_SELF:
		targets = 1u << cpu;
		break;
	default: /* reserved filter: the SGI is not forwarded */
		bad_access(g, cpu, "GICD_SGIR (reserved filter)", true,
			   GICD_SGIR, 4);
		return;
	}
	targets &= cpu_mask(g);
	for (t = 0; t < g->cfg.ncpus; t++)
		if (targets & (1u << t))
			g->cpu[t].sgi_src[id] |= (uint8_t)(1u << cpu);
}

static uint32_t dist_typer(const struct gicv2 *g)
{
	/* §4.3.2: ITLinesNumber = N means 32 * (N + 1) INTIDs. */
	uint32_t lines = (g->cfg.nr_irqs + 31) / 32 - 1;

	return lines | (g->cfg.ncpus - 1) << GICD_TYPER_CPUNUMBER_SHIFT;
}

static bool is_id_reg(uint32_t offset)
{
	return offset >= GICD_PIDR4 && offset < GICV2_DIST_REGS_SIZE;
}

static uint32_t dist_read_reg(struct gicv2 *g, unsigned cpu, uint32_t offset)
{
	switch (offset) {
	case GICD_CTLR:
		return g->ctlr;
	case GICD_TYPER:
		return dist_typer(g);
	case GICD_IIDR:
		return IIDR_IMPLEMENTER_ARM;
	case GICD_SGIR: /* write-only */
		return 0;
	default:
		if (is_id_reg(offset))
			return gicd_id_regs[(offset - GICD_PIDR4) / 4];
		if (offset >= GICD_IMPDEF && offset < GICD_NSACR)
			return 0;
		bad_access(g, cpu, "reserved distributor register", false,
			   offset, 4);
		return 0;
	}
}

static void dist_write_reg(struct gicv2 *g, unsigned cpu, uint32_t offset,
			   uint32_t v)
{
	switch (offset) {
	case GICD_CTLR:
		g->ctlr = v & (GICD_CTLR_ENABLE_GRP0 | GICD_CTLR_ENABLE_GRP1);
		break;
	case GICD_SGIR:
		dist_send_sgi(g, cpu, v);
		break;
	case GICD_TYPER:
	case GICD_IIDR:
		bad_access(g, cpu, "read-only distributor register", true,
			   offset, 4);
		break;
	default:
		if (offset >= GICD_IMPDEF && offset < GICD_NSACR)
			break;
		bad_access(g, cpu,
			   is_id_reg(offset) ? "identification register"
					     : "reserved distributor register",
			   true, offset, 4);
		break;
	}
}

/* Check cpu, window, size and alignment; the range, if any, via *r. */
static bool dist_access_ok(struct gicv2 *g, unsigned cpu, uint64_t offset,
			   unsigned size, bool write,
			   const struct field_range **r)
{
	if (offset >= GICV2_DIST_REGS_SIZE) {
		bad_access(g, cpu, "distributor offset", write, offset, size);
		return false;
	}
	*r = find_range((uint32_t)offset);
	if (*r ? !range_access_ok(*r, (uint32_t)offset, size)
	       : (size != 4 || offset % 4)) {
		bad_access(g, cpu, "distributor access size", write, offset,
			   size);
		return false;
	}
	return true;
}

uint64_t gicv2_dist_read(struct gicv2 *g, unsigned cpu, uint64_t offset,
			 unsigned size)
{
	const struct field_range *r;
	uint32_t v = 0;

	if (cpu >= g->cfg.ncpus)
		return 0;
	pthread_mutex_lock(&g->lock);
	if (dist_access_ok(g, cpu, offset, size, false, &r))
		v = r ? range_read(g, cpu, r, (uint32_t)offset, size)
		      : dist_read_reg(g, cpu, (uint32_t)offset);
	pthread_mutex_unlock(&g->lock);
	return v;
}

void gicv2_dist_write(struct gicv2 *g, unsigned cpu, uint64_t offset,
		      unsigned size, uint64_t value)
{
	const struct field_range *r;

	if (cpu >= g->cfg.ncpus)
		return;
	pthread_mutex_lock(&g->lock);
	if (dist_access_ok(g, cpu, offset, size, true, &r)) {
		if (r)
			range_write(g, cpu, r, (uint32_t)offset, size,
				    (uint32_t)value);
		else
			dist_write_reg(g, cpu, (uint32_t)offset,
				       (uint32_t)value);
	}
	unlock_update(g);
}

/* ---- CPU interface ----------------------------------------------------- */

/*
 * GICC_IAR (§4.4.4): acknowledge the signalled interrupt. It becomes
 * active; its pending state is consumed (one source of an SGI; the latch
 * of an SPI/PPI, so a level-sensitive one whose line is still asserted
 * stays pending: active and pending); its group priority becomes the
 * running priority.
 */
static uint32_t cpu_ack(struct gicv2 *g, unsigned cpu)
{
	struct gicv2_cpu *c = &g->cpu[cpu];
	struct pick p = best_pending_one(g, cpu);
	struct gicv2_irq *irq;

	if (!beats(c, p))
		return GICV2_INTID_SPURIOUS;
	irq = irq_at(g, cpu, p.id);
	if (p.id < GICV2_NR_SGIS)
		c->sgi_src[p.id] &= (uint8_t)~(1u << p.src);
	else
		irq->latch = false;
	irq->active = true;
	c->apr |= 1u << (group_prio(p.prio, c->bpr) >> PRIO_SHIFT);
	return pick_value(p);
}

static void cpu_deactivate(struct gicv2 *g, unsigned cpu, unsigned id)
{
	irq_at(g, cpu, id)->active = false;
}

/*
 * GICC_EOIR (§4.4.5, §3.2.1): priority drop of the highest active
 * priority, and with EOImode 0 deactivation of the interrupt named. An
 * INTID the GIC does not have (spurious ones included) is ignored.
 */
static void cpu_eoi(struct gicv2 *g, unsigned cpu, uint32_t v)
{
	struct gicv2_cpu *c = &g->cpu[cpu];
	unsigned id = v & GICC_INTID_MASK;

	if (id >= g->nr_irqs)
		return;
	c->apr &= c->apr - 1; /* clear the lowest bit: highest priority */
	if (!(c->ctlr & GICC_CTLR_EOIMODE_S))
		cpu_deactivate(g, cpu, id);
}

/* GICC_DIR (§4.4.15): deactivation, meaningful with EOImode 1 only. */
static void cpu_dir(struct gicv2 *g, unsigned cpu, uint32_t v)
{
	unsigned id = v & GICC_INTID_MASK;

	if (!(g->cpu[cpu].ctlr & GICC_CTLR_EOIMODE_S)) {
		bad_access(g, cpu, "GICC_DIR with EOImode 0", true, GICC_DIR,
			   4);
		return;
	}
	if (id < g->nr_irqs)
		cpu_deactivate(g, cpu, id);
}

static uint8_t clamp_bpr(uint32_t v, unsigned min)
{
	v &= BPR_MAX;
	return (uint8_t)(v < min ? min : v);
}

static bool is_raz_wi_cpu_reg(uint32_t offset)
{
	/* APR1..3 and NSAPR0..3 (§4.4.12, §4.4.13): not needed with 32
	 * priority levels and no Security Extensions. */
	return offset > GICC_APR0 && offset <= GICC_NSAPR3 &&
	       (offset <= GICC_APR3 || offset >= GICC_NSAPR0);
}

static uint32_t cpu_read_reg(struct gicv2 *g, unsigned cpu, uint32_t offset)
{
	struct gicv2_cpu *c = &g->cpu[cpu];

	switch (offset) {
	case GICC_CTLR:
		return c->ctlr;
	case GICC_PMR:
		return c->pmr;
	case GICC_BPR:
		return c->bpr;
	case GICC_IAR:
		return cpu_ack(g, cpu);
	case GICC_RPR:
		return running_prio(c);
	case GICC_HPPIR:
		return pick_value(best_pending_one(g, cpu));
	case GICC_ABPR:
		return c->abpr;
	case GICC_AIAR: /* no Group 1 interrupts */
	case GICC_AHPPIR:
		return GICV2_INTID_SPURIOUS;
	case GICC_APR0:
		return c->apr;
	case GICC_IIDR:
		return GICC_IIDR_ARCH_V2 | IIDR_IMPLEMENTER_ARM;
	case GICC_EOIR: /* write-only */
	case GICC_AEOIR:
	case GICC_DIR:
		return 0;
	default:
		if (!is_raz_wi_cpu_reg(offset))
			bad_access(g, cpu, "reserved CPU interface register",
				   false, offset, 4);
		return 0;
	}
}

static void cpu_write_reg(struct gicv2 *g, unsigned cpu, uint32_t offset,
			  uint32_t v)
{
	struct gicv2_cpu *c = &g->cpu[cpu];

	switch (offset) {
	case GICC_CTLR:
		c->ctlr = v & GICC_CTLR_WRITABLE;
		break;
	case GICC_PMR:
		c->pmr = (uint8_t)(v & PRIO_MASK);
		break;
	case GICC_BPR:
		c->bpr = clamp_bpr(v, BPR_MIN);
		break;
	case GICC_EOIR:
		cpu_eoi(g, cpu, v);
		break;
	case GICC_ABPR:
		c->abpr = clamp_bpr(v, ABPR_MIN);
		break;
	case GICC_AEOIR: /* no Group 1 interrupt can be active */
	case GICC_APR0: /* read-only view of the active priorities */
		break;
	case GICC_DIR:
		cpu_dir(g, cpu, v);
		break;
	default:
		if (!is_raz_wi_cpu_reg(offset))
			bad_access(g, cpu, "read-only or reserved GICC register",
				   true, offset, 4);
		break;
	}
}

static bool cpu_access_ok(struct gicv2 *g, unsigned cpu, uint64_t offset,
			  unsigned size, bool write)
{
	if (offset >= GICV2_CPU_REGS_SIZE || size != 4 || offset % 4) {
		bad_access(g, cpu, "CPU interface offset or size", write,
			   offset, size);
		return false;
	}
	return true;
}

uint64_t gicv2_cpu_read(struct gicv2 *g, unsigned cpu, uint64_t offset,
			unsigned size)
{
	uint32_t v = 0;

	if (cpu >= g->cfg.ncpus)
		return 0;
	pthread_mutex_lock(&g->lock);
	if (cpu_access_ok(g, cpu, offset, size, false))
		v = cpu_read_reg(g, cpu, (uint32_t)offset);
	/* Of the reads, only GICC_IAR changes state. */
	if (offset == GICC_IAR)
		unlock_update(g);
	else
		pthread_mutex_unlock(&g->lock);
	return v;
}

void gicv2_cpu_write(struct gicv2 *g, unsigned cpu, uint64_t offset,
		     unsigned size, uint64_t value)
{
	if (cpu >= g->cfg.ncpus)
		return;
	pthread_mutex_lock(&g->lock);
	if (cpu_access_ok(g, cpu, offset, size, true))
		cpu_write_reg(g, cpu, (uint32_t)offset, (uint32_t)value);
	unlock_update(g);
}

/* ---- lines, setup, adapters -------------------------------------------- */

int gicv2_set_spi(struct gicv2 *g, unsigned intid, bool level)
{
	if (intid < GICV2_NR_PRIVATE || intid >= g->nr_irqs)
		return -EINVAL;
	pthread_mutex_lock(&g->lock);
	irq_set_line(irq_at(g, 0, intid), level);
	unlock_update(g);
	return 0;
}

int gicv2_set_ppi(struct gicv2 *g, unsigned cpu, unsigned intid, bool level)
{
	if (cpu >= g->cfg.ncpus || intid < GICV2_NR_SGIS ||
	    intid >= GICV2_NR_PRIVATE)
		return -EINVAL;
	pthread_mutex_lock(&g->lock);
	irq_set_line(irq_at(g, cpu, intid), level);
	unlock_update(g);
	return 0;
}

bool gicv2_cpu_irq(struct gicv2 *g, unsigned cpu)
{
	bool level;

	if (cpu >= g->cfg.ncpus)
		return false;
	pthread_mutex_lock(&g->lock);
	level = g->cpu[cpu].irq_out;
	pthread_mutex_unlock(&g->lock);
	return level;
}

static bool config_ok(const struct gicv2_config *cfg)
{
	if (cfg->ncpus < 1 || cfg->ncpus > GICV2_MAX_CPUS)
		return false;
	if (cfg->nr_irqs == GICV2_MAX_IRQS)
		return true;
	return cfg->nr_irqs >= GICV2_NR_PRIVATE &&
	       cfg->nr_irqs < GICV2_MAX_IRQS && cfg->nr_irqs % 32 == 0;
}

static void reset_cpu(struct gicv2_cpu *c)
{
	unsigned id;

	for (id = 0; id < GICV2_NR_SGIS; id++)
		c->priv[id].edge = true;
	c->bpr = BPR_MIN;
	c->abpr = ABPR_MIN;
}

int gicv2_init(struct gicv2 *g, const struct gicv2_config *cfg)
{
	unsigned cpu;
	int ret;

	if (!cfg || !config_ok(cfg))
		return -EINVAL;
	memset(g, 0, sizeof(*g));
	g->cfg = *cfg;
	g->nr_irqs = cfg->nr_irqs;
	for (cpu = 0; cpu < GICV2_MAX_CPUS; cpu++)
		reset_cpu(&g->cpu[cpu]);
	ret = pthread_mutex_init(&g->lock, NULL);
	if (ret)
		return -ret;
	ret = pthread_mutex_init(&g->deliver_lock, NULL);
	if (ret) {
		pthread_mutex_destroy(&g->lock);
		return -ret;
	}
	return 0;
}

void gicv2_destroy(struct gicv2 *g)
{
	pthread_mutex_destroy(&g->deliver_lock);
	pthread_mutex_destroy(&g->lock);
}

/* Bus windows: the accessing CPU comes with each access. */
static uint64_t dist_mmio_read(void *opaque, const struct cellvm_access_info *a)
{
	return gicv2_dist_read(opaque, a->cpu, a->offset, a->size);
}

static void dist_mmio_write(void *opaque, const struct cellvm_access_info *a,
			    uint64_t value)
{
	gicv2_dist_write(opaque, a->cpu, a->offset, a->size, value);
}

static uint64_t cpu_mmio_read(void *opaque, const struct cellvm_access_info *a)
{
	return gicv2_cpu_read(opaque, a->cpu, a->offset, a->size);
}

static void cpu_mmio_write(void *opaque, const struct cellvm_access_info *a,
			   uint64_t value)
{
	gicv2_cpu_write(opaque, a->cpu, a->offset, a->size, value);
}

const struct cellvm_mmio_ops gicv2_dist_mmio_ops = {
	.read = dist_mmio_read,
	.write = dist_mmio_write,
};

const struct cellvm_mmio_ops gicv2_cpu_mmio_ops = {
	.read = cpu_mmio_read,
	.write = cpu_mmio_write,
};

static int irqchip_set_line(struct cellvm_irqchip *chip, unsigned line,
			    bool level)
{
	return gicv2_set_spi(chip->priv, line, level);
}

static int irqchip_irqfd(struct cellvm_irqchip *chip, unsigned line, int fd)
{
	return -EOPNOTSUPP; /* no hypervisor behind a user-space GIC */
}

static const struct cellvm_irqchip_ops gicv2_irqchip_ops = {
	.set_line = irqchip_set_line,
	.irqfd = irqchip_irqfd,
};

void gicv2_irqchip(struct gicv2 *g, struct cellvm_irqchip *out)
{
	out->ops = &gicv2_irqchip_ops;
	out->priv = g;
}

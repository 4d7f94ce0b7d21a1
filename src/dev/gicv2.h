/* SPDX-License-Identifier: MIT */
/*
 * cellvm's own GICv2 model (ARM IHI 0048B), the interrupt controller for
 * --irqchip=user. Backend-independent: it knows nothing of KVM, so any
 * backend that can drive a vCPU's IRQ input (set_vcpu_irq) can use it.
 * See src/dev/gicv2.c for what is and is not emulated.
 *
 * All state lives in struct gicv2, guarded by one mutex inside it: the
 * register and line functions may be called from any thread. The struct
 * is public only so that a VM can embed it without an allocation; its
 * fields are private to gicv2.c.
 *
 * Register accesses carry the index of the accessing CPU, because the
 * GIC banks registers by who asks (IHI 0048B §4.1.1): the board puts
 * gicv2_dist_mmio_ops and gicv2_cpu_mmio_ops on the bus like any other
 * device, and the bus hands each access's vCPU (cellvm_access_info.cpu)
 * to gicv2_dist_read() and friends.
 */
#ifndef CELLVM_DEV_GICV2_H
#define CELLVM_DEV_GICV2_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include "core/bus.h"
#include "cellvm/err.h"
#include "core/irq.h"
#include "cellvm/log.h"

#define GICV2_MAX_CPUS 8 /* GICD_TYPER.CPUNumber is 3 bits */
#define GICV2_MAX_IRQS 1020 /* INTIDs 1020..1023 are special */
#define GICV2_NR_SGIS 16 /* INTIDs 0..15 */
#define GICV2_NR_PRIVATE 32 /* SGIs and PPIs (16..31), banked per CPU */
#define GICV2_INTID_SPURIOUS 1023

/* Bytes of the register windows that hold registers (IHI 0048B §4.1.2,
 * §4.1.3); the rest of a larger bus window reads as zero. */
#define GICV2_DIST_REGS_SIZE 0x1000
#define GICV2_CPU_REGS_SIZE 0x2000

/*
 * The register map (IHI 0048B §4.1.2 Table 4-1, §4.1.3), offsets in the
 * distributor and CPU interface windows, and the fields the model uses.
 */
#define GICD_CTLR 0x000
#define GICD_TYPER 0x004
#define GICD_IIDR 0x008
#define GICD_IGROUPR 0x080
#define GICD_ISENABLER 0x100
#define GICD_ICENABLER 0x180
#define GICD_ISPENDR 0x200
#define GICD_ICPENDR 0x280
#define GICD_ISACTIVER 0x300
#define GICD_ICACTIVER 0x380
#define GICD_IPRIORITYR 0x400
#define GICD_ITARGETSR 0x800
#define GICD_ICFGR 0xc00
#define GICD_IMPDEF 0xd00 /* 0xd00..0xdfc: implementation defined */
#define GICD_NSACR 0xe00
#define GICD_SGIR 0xf00
#define GICD_CPENDSGIR 0xf10
#define GICD_SPENDSGIR 0xf20
#define GICD_PIDR4 0xfd0 /* first identification register */
#define GICD_PIDR2 0xfe8
#define GICD_CIDR0 0xff0

/* GICD_CTLR (§4.3.1, without Security Extensions). */
#define GICD_CTLR_ENABLE_GRP0 (1u << 0)
#define GICD_CTLR_ENABLE_GRP1 (1u << 1)

/* GICD_TYPER (§4.3.2). */
#define GICD_TYPER_CPUNUMBER_SHIFT 5

/* GICD_ICFGRn (§4.3.13): bit [2F+1] of a field set means edge. */
#define GICD_ICFGR_EDGE 0x2u

/* GICD_SGIR (§4.3.15, Table 4-21). */
#define GICD_SGIR_INTID_MASK 0xfu
#define GICD_SGIR_TARGETS_SHIFT 16
#define GICD_SGIR_FILTER_SHIFT 24
#define GICD_SGIR_FILTER_MASK 0x3u
#define GICD_SGIR_FILTER_LIST 0u
#define GICD_SGIR_FILTER_OTHERS 1u
#define GICD_SGIR_FILTER_SELF 2u

#define GICC_CTLR 0x0000
#define GICC_PMR 0x0004
#define GICC_BPR 0x0008
#define GICC_IAR 0x000c
#define GICC_EOIR 0x0010
#define GICC_RPR 0x0014
#define GICC_HPPIR 0x0018
#define GICC_ABPR 0x001c
#define GICC_AIAR 0x0020
#define GICC_AEOIR 0x0024
#define GICC_AHPPIR 0x0028
#define GICC_APR0 0x00d0
#define GICC_APR3 0x00dc
#define GICC_NSAPR0 0x00e0
#define GICC_NSAPR3 0x00ec
#define GICC_IIDR 0x00fc
#define GICC_DIR 0x1000

/* GICC_CTLR (§4.4.1, layout without Security Extensions). */
#define GICC_CTLR_ENABLE_GRP0 (1u << 0)
#define GICC_CTLR_ENABLE_GRP1 (1u << 1)
#define GICC_CTLR_CBPR (1u << 4)
#define GICC_CTLR_BYPASS_MASK (0xfu << 5) /* FIQ/IRQBypDisGrp0/1 */
#define GICC_CTLR_EOIMODE_S (1u << 9) /* governs Group 0 */
#define GICC_CTLR_EOIMODE_NS (1u << 10) /* governs Group 1 */

/* GICC_IAR/EOIR/HPPIR/DIR (§4.4.4): INTID [9:0], source CPUID [12:10]. */
#define GICC_INTID_MASK 0x3ffu
#define GICC_CPUID_SHIFT 10

struct gicv2_config {
	unsigned ncpus; /* 1..GICV2_MAX_CPUS */
	/* INTIDs implemented, SGIs and PPIs included: a multiple of 32
	 * from 32 to 992, or 1020 (the architectural maximum). */
	unsigned nr_irqs;
	/*
	 * Called when a CPU's IRQ output changes, from the thread that
	 * changed it, with the state lock dropped but the delivery lock
	 * held (so levels arrive in order). It may call gicv2_cpu_irq();
	 * it must not call anything else of this GIC. May be NULL.
	 */
	void (*set_cpu_irq)(void *opaque, unsigned cpu, bool level);
	void *opaque;
	const struct cellvm_log *log; /* outlives the GIC; NULL: stderr */
};

/* One interrupt as one CPU sees it (private to gicv2.c). */
struct gicv2_irq {
	uint8_t priority;
	uint8_t targets; /* SPIs: GICD_ITARGETSR CPU mask */
	bool enabled;
	bool latch; /* pending from an edge or a GICD_ISPENDR write */
	bool line; /* input level */
	bool active;
	bool edge; /* GICD_ICFGR: edge-triggered, else level-sensitive */
};

/* Per-CPU state: banked interrupts and the CPU interface (private). */
struct gicv2_cpu {
	struct gicv2_irq priv[GICV2_NR_PRIVATE];
	uint8_t sgi_src[GICV2_NR_SGIS]; /* pending SGIs, bit n: from CPU n */
	uint32_t ctlr;
	uint8_t pmr;
	uint8_t bpr;
	uint8_t abpr;
	uint32_t apr; /* active group priorities, bit n: priority n << 3 */
	bool irq_out; /* the model's output (under lock) */
	bool irq_sent; /* last level given to set_cpu_irq (deliver_lock) */
};

struct gicv2 {
	pthread_mutex_t lock; /* all state below */
	pthread_mutex_t deliver_lock; /* orders set_cpu_irq calls */
	struct gicv2_config cfg;
	unsigned nr_irqs; /* usable INTIDs: min(cfg.nr_irqs, 1020) */
	uint32_t ctlr;
	struct gicv2_irq spi[GICV2_MAX_IRQS - GICV2_NR_PRIVATE];
	struct gicv2_cpu cpu[GICV2_MAX_CPUS];
	struct cellvm_ratelimit rl;
};

/* Reset state. 0, or -EINVAL for a bad configuration, or the mutex
 * error. */
int gicv2_init(struct gicv2 *g, const struct gicv2_config *cfg)
	CELLVM_MUST_CHECK;
void gicv2_destroy(struct gicv2 *g);

/* Input lines. intid: an SPI (32..nr_irqs-1), or a PPI (16..31) of CPU
 * `cpu`. 0 or -EINVAL. */
int gicv2_set_spi(struct gicv2 *g, unsigned intid, bool level)
	CELLVM_MUST_CHECK;
int gicv2_set_ppi(struct gicv2 *g, unsigned cpu, unsigned intid, bool level)
	CELLVM_MUST_CHECK;

/*
 * Register accesses by CPU `cpu` at `offset` in the distributor or CPU
 * interface window. Any offset, size and value is accepted: what the
 * model does not implement reads as zero and ignores writes.
 */
uint64_t gicv2_dist_read(struct gicv2 *g, unsigned cpu, uint64_t offset,
			 unsigned size);
void gicv2_dist_write(struct gicv2 *g, unsigned cpu, uint64_t offset,
		      unsigned size, uint64_t value);
uint64_t gicv2_cpu_read(struct gicv2 *g, unsigned cpu, uint64_t offset,
			unsigned size);
void gicv2_cpu_write(struct gicv2 *g, unsigned cpu, uint64_t offset,
		     unsigned size, uint64_t value);

/* The IRQ output of CPU `cpu` (false for a CPU that does not exist). */
bool gicv2_cpu_irq(struct gicv2 *g, unsigned cpu);

/* The distributor and CPU interface windows on the bus (opaque = struct
 * gicv2 *); the CPU is the access's. No fdt_node: the board writes the
 * one node that describes both windows. */
extern const struct cellvm_mmio_ops gicv2_dist_mmio_ops;
extern const struct cellvm_mmio_ops gicv2_cpu_mmio_ops;

/* Fill *out so that devices' lines (SPI INTIDs) reach gicv2_set_spi. */
void gicv2_irqchip(struct gicv2 *g, struct cellvm_irqchip *out);

#endif

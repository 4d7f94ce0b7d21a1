/* SPDX-License-Identifier: MIT */
/*
 * The arm64 part of the backend interface (hv.h): register ids for
 * cellvm_hv_ops.get_reg/set_reg, which backends map to their own encoding
 * (KVM one-reg ids, seL4 TCB fields); the GIC a board asks the backend
 * for; the vCPU's own interrupt lines reported with each exit.
 */
#ifndef CELLVM_ARM64_H
#define CELLVM_ARM64_H

#include <stdint.h>

/* Bits of cellvm_exit.dev_irq_level (no in-kernel irqchip): the vCPU's
 * virtual and physical timer and PMU outputs (KVM_CAP_ARM_USER_IRQ). */
#define CELLVM_DEV_IRQ_VTIMER (1u << 0)
#define CELLVM_DEV_IRQ_PTIMER (1u << 1)
#define CELLVM_DEV_IRQ_PMU (1u << 2)

/*
 * Optional CPU features for cellvm_hv_ops.cpu_features/vcpu_create and
 * cellvm_config.cpu_features. A backend offers those its host has and
 * refuses the others, so one without them (seL4) simply offers none.
 */
#define CELLVM_CPU_PMU (1u << 0) /* PMUv3 with its overflow interrupt */
#define CELLVM_CPU_SVE (1u << 1) /* SVE, every vector length the host allows */
#define CELLVM_CPU_PAUTH (1u << 2) /* pointer auth, address + generic */
#define CELLVM_CPU_ALL (CELLVM_CPU_PMU | CELLVM_CPU_SVE | CELLVM_CPU_PAUTH)

/* Interrupt controller the backend should provide in-kernel. */
enum cellvm_hv_irqchip_type {
	CELLVM_HV_IRQCHIP_NONE, /* user space drives each vCPU's IRQ line */
	CELLVM_HV_IRQCHIP_GICV3,
	CELLVM_HV_IRQCHIP_GICV2,
};

struct cellvm_hv_irqchip_desc {
	enum cellvm_hv_irqchip_type type;
	unsigned nr_irqs; /* total INTIDs including SGIs/PPIs */
	uint64_t dist_base;
	uint64_t redist_base; /* GICv3 redistributors */
	uint64_t cpu_base; /* GICv2 CPU interface */
	uint64_t its_base; /* 0 = none */
};

#define CELLVM_ARM64_REG_X(n) ((uint64_t)(n)) /* x0..x30 */
#define CELLVM_ARM64_REG_SP 31ULL /* SP_EL0 */
#define CELLVM_ARM64_REG_PC 32ULL
#define CELLVM_ARM64_REG_PSTATE 33ULL
#define CELLVM_ARM64_REG_SP_EL1 34ULL
#define CELLVM_ARM64_REG_ELR_EL1 35ULL
#define CELLVM_ARM64_REG_SPSR_EL1 36ULL
#define CELLVM_ARM64_REG_MPIDR 37ULL /* MPIDR_EL1 (read) */
#define CELLVM_ARM64_REG_ESR_EL1 38ULL
#define CELLVM_ARM64_REG_FAR_EL1 39ULL
/* The stage-1 translation registers, read to walk the guest's tables. */
#define CELLVM_ARM64_REG_SCTLR_EL1 40ULL
#define CELLVM_ARM64_REG_TCR_EL1 41ULL
#define CELLVM_ARM64_REG_TTBR0_EL1 42ULL
#define CELLVM_ARM64_REG_TTBR1_EL1 43ULL
/* SIMD&FP registers V0-V31 as two 64-bit halves: bits 63:0 and 127:64.
 * Writing one half keeps the other. */
#define CELLVM_ARM64_REG_V_LO(n) (64ULL + 2 * (uint64_t)(n))
#define CELLVM_ARM64_REG_V_HI(n) (65ULL + 2 * (uint64_t)(n))
#define CELLVM_ARM64_REG_NR 128

/* PSTATE: EL1h with D, A, I, F masked (arm64 booting.rst, "CPU mode"). */
#define CELLVM_ARM64_PSTATE_EL1H 0x5ULL
#define CELLVM_ARM64_PSTATE_F (1ULL << 6)
#define CELLVM_ARM64_PSTATE_I (1ULL << 7)
#define CELLVM_ARM64_PSTATE_A (1ULL << 8)
#define CELLVM_ARM64_PSTATE_D (1ULL << 9)
#define CELLVM_ARM64_PSTATE_BOOT                                        \
	(CELLVM_ARM64_PSTATE_EL1H | CELLVM_ARM64_PSTATE_F |             \
	 CELLVM_ARM64_PSTATE_I | CELLVM_ARM64_PSTATE_A |                \
	 CELLVM_ARM64_PSTATE_D)

#endif

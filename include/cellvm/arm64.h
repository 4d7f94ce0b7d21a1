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
#define CELLVM_ARM64_REG_NR 40

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

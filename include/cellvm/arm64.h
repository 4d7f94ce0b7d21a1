/* SPDX-License-Identifier: MIT */
/*
 * AArch64 register ids for cellvm_hv_ops.get_reg/set_reg. Backends map
 * them to their own encoding (KVM one-reg ids, seL4 TCB fields).
 */
#ifndef CELLVM_ARM64_H
#define CELLVM_ARM64_H

#include <stdint.h>

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

/* SPDX-License-Identifier: MIT */
/*
 * Stage-1 translation of the EL1&0 regime, done in software: what a VMM
 * needs to fetch the instruction behind a data abort without syndrome and
 * to find the IPA of each access it emulates (pgwalk.c).
 *
 * Reference: DDI 0487, D8 "The AArch64 Virtual Memory System Architecture":
 * D8.1/D8.2 the translation process (TCR_EL1.{T0SZ,T1SZ,TG0,TG1,EPD0,EPD1,
 * TBI0,TBI1}, TTBR0_EL1/TTBR1_EL1 selection by VA bit 55, the starting
 * level), D8.3 the VMSAv8-64 descriptor formats, D8.4 access permissions; the
 * register descriptions of SCTLR_EL1, TCR_EL1 and TTBRn_EL1.
 * Supported: 4K, 16K and 64K granules, all levels, table/block/page
 * descriptors, input sizes up to 48 bits, output addresses up to 48 bits.
  * Not supported (the walk fails): 52-bit VAs or PAs (FEAT_LVA, FEAT_LPA,
 * FEAT_LPA2), AArch32 regimes. The walk reports the data access
 * permissions it found; checking them against the access is the caller's.
 */
#ifndef CELLVM_ARCH_ARM64_PGWALK_H
#define CELLVM_ARCH_ARM64_PGWALK_H

#include <stdbool.h>
#include <stdint.h>

#include "core/mem.h"

/* SCTLR_EL1 bits (DDI 0487, register description "SCTLR_EL1"). */
#define ARM64_SCTLR_M (1ULL << 0) /* stage-1 MMU enable */
#define ARM64_SCTLR_E0E (1ULL << 24) /* EL0 data big-endian */
#define ARM64_SCTLR_EE (1ULL << 25) /* EL1 data and table walks BE */

/* TCR_EL1 fields (DDI 0487, register description "TCR_EL1"). */
#define ARM64_TCR_T0SZ_SHIFT 0
#define ARM64_TCR_EPD0 (1ULL << 7)
#define ARM64_TCR_TG0_SHIFT 14
#define ARM64_TCR_T1SZ_SHIFT 16
#define ARM64_TCR_EPD1 (1ULL << 23)
#define ARM64_TCR_TG1_SHIFT 30
#define ARM64_TCR_TBI0 (1ULL << 37)
#define ARM64_TCR_TBI1 (1ULL << 38)
#define ARM64_TCR_HPD0 (1ULL << 41) /* FEAT_HPDS: APTable ignored */
#define ARM64_TCR_HPD1 (1ULL << 42)
#define ARM64_TCR_TSZ_MASK 0x3fULL
#define ARM64_TCR_TG_MASK 3ULL
/* TG0 encodings; TG1 encodes the same granules differently. */
#define ARM64_TG0_4K 0
#define ARM64_TG0_64K 1
#define ARM64_TG0_16K 2
#define ARM64_TG1_16K 1
#define ARM64_TG1_4K 2
#define ARM64_TG1_64K 3

/* The registers that define the EL1&0 stage-1 regime. */
struct arm64_mmu_regs {
	uint64_t sctlr; /* SCTLR_EL1 */
	uint64_t tcr; /* TCR_EL1 */
	uint64_t ttbr0; /* TTBR0_EL1 */
	uint64_t ttbr1; /* TTBR1_EL1 */
};

/* Stage-1 data access permissions of a translation (D8.4, "Memory access
 * control": AP[2:1] of the leaf, restricted by APTable on the way). */
#define ARM64_PERM_EL0 (1u << 0) /* EL0 may access (AP[1]) */
#define ARM64_PERM_RO (1u << 1) /* read-only at every EL (AP[2]) */

/*
 * Translate va to an IPA by walking the guest's tables in mem (every
 * descriptor read bounds-checked through cellvm_mem_read; descriptors in
 * the byte order SCTLR_EL1.EE gives). data: the address comes from a data
 * access, so TBI0/TBI1 make bits 63:56 ignored; instruction addresses are
 * never tagged here (FEAT_PAuth's TBID is treated as set).
 *
 * With SCTLR_EL1.M clear the translation is flat (D8.2, "The effects of
 * disabling a stage of translation"): the VA is the IPA, and must fit in
 * 48 bits. Returns 0 with *ipa set; -EFAULT for a translation fault
 * (invalid descriptor, VA out of range, walk disabled by EPDn, a table
 * outside guest RAM); -EOPNOTSUPP for configurations this walker does not
 * do (52-bit addressing, reserved granule or size encodings, block
 * descriptors where the granule allows none). Never more than four
 * descriptor reads. perm (may be NULL) receives ARM64_PERM_* of the
 * mapping; with the MMU off everything is accessible (ARM64_PERM_EL0).
 */
int arm64_pgwalk(const struct cellvm_mem *mem, const struct arm64_mmu_regs *r,
		 uint64_t va, bool data, uint64_t *ipa, unsigned *perm);

#endif

/* SPDX-License-Identifier: MIT */
/*
 * Emulating a data abort that came without an instruction syndrome
 * (ESR_EL2.ISV = 0; KVM_EXIT_ARM_NISV): fetch the instruction at the
 * guest's PC through its stage-1 tables, decode it (insn.h), perform its
 * accesses one by one through a bus callback, write back the loaded
 * registers and the base, and step the PC (emulate.c).
 *
 * Everything goes through three callbacks and the guest-memory helpers,
 * so the emulation runs the same on KVM and in unit tests.
 */
#ifndef CELLVM_ARCH_ARM64_EMULATE_H
#define CELLVM_ARCH_ARM64_EMULATE_H

#include <stdbool.h>
#include <stdint.h>

#include "arch/arm64/insn.h"
#include "arch/arm64/pgwalk.h"
#include "core/mem.h"

/* PSTATE as KVM's regs.pstate holds it (the SPSR_EL1 layout, DDI 0487 C5.2). */
#define ARM64_PSTATE_SP (1ULL << 0) /* SPSel: SP_ELx, not SP_EL0 */
#define ARM64_PSTATE_EL_SHIFT 2
#define ARM64_PSTATE_EL_MASK 3ULL
#define ARM64_PSTATE_NRW (1ULL << 4) /* AArch32 */
#define ARM64_PSTATE_PAN (1ULL << 22) /* privileged access never */
#define ARM64_PSTATE_UAO (1ULL << 23) /* LDTR/STTR act privileged */

#define ARM64_INSN_SIZE 4

struct arm64_emu_ops {
	/* Registers by CELLVM_ARM64_REG_* id. 0 or -errno. */
	int (*get_reg)(void *ctx, uint64_t id, uint64_t *val);
	int (*set_reg)(void *ctx, uint64_t id, uint64_t val);
	/* One access of len 1, 2, 4 or 8 bytes at an IPA; *val is the value
	 * written or receives the value read, little-endian (memory byte
	 * order: the byte at ipa is bits 7:0). 0 or -errno. */
	int (*access)(void *ctx, uint64_t ipa, unsigned len, bool is_write,
		      uint64_t *val);
};

struct arm64_emu {
	const struct arm64_emu_ops *ops;
	void *ctx;
	const struct cellvm_mem *mem; /* guest RAM, for table walks */
};

/* What the emulation needs besides the general registers. */
struct arm64_emu_cpu {
	uint64_t pc;
	uint64_t pstate;
	struct arm64_mmu_regs mmu;
};

/*
 * Execute the decoded load/store d for a vCPU in state cpu, whose access
 * trapped at fault_ipa. Every access's VA is translated (TBI applied),
 * must be allowed by the stage-1 permissions (EL0 or LDTR/STTR: AP[1];
 * writes: not AP[2]; PAN), since the hardware may have trapped on one
 * access of a pair before checking the other, and must be naturally
 * aligned up to 8 bytes; a 16-byte register is two
 * 8-byte accesses, a pair two (or four) accesses, each through
 * ops->access, so a pair may span two devices or RAM and a device. One of
 * them must be in fault_ipa's 4 KiB page, else the guest's tables changed
 * under us. Stores read all registers first (a store writing back its
 * base stores the original value). Then loaded registers are written
 * (Wt: upper half zeroed; sign extension; XZR discards; SIMD&FP scalars
 * zero the rest of Vt), the base is written back (Rn = 31: SP_EL0 or
 * SP_EL1 per PSTATE.SP and EL), and PC advances by 4. Data is big-endian
 * when SCTLR_EL1.EE (EL1) or E0E (EL0) says so.
 *
 * 0 on success. On failure no register is written; why (never NULL)
 * says what went wrong: -EOPNOTSUPP (AArch32, EL2, misaligned),
 * -EFAULT (a VA does not translate), -EACCES (permissions), -ESTALE (no access at fault_ipa),
 * -EIO or the callback's error (an access failed; stores before it were
 * done, as on hardware when an abort interrupts a multi-access).
 */
int arm64_emulate_ldst(const struct arm64_emu *e, const struct arm64_ldst *d,
		       const struct arm64_emu_cpu *cpu, uint64_t fault_ipa,
		       const char **why);

/*
 * The whole job for one ISV=0 data abort at fault_ipa: read PC, PSTATE
 * and the translation registers through ops->get_reg, translate the PC,
 * read the instruction from guest RAM, decode it, arm64_emulate_ldst().
 * 0, or -errno with why set as above plus -EFAULT (the PC does not
 * translate to RAM) and -EOPNOTSUPP (not a load/store emulated here).
 * If insn is not NULL it receives the instruction word when one was read
 * (0 otherwise), for the log.
 */
int arm64_emulate_nisv(const struct arm64_emu *e, uint64_t fault_ipa,
		       uint32_t *insn, const char **why);

#endif

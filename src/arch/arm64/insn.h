/* SPDX-License-Identifier: MIT */
/*
 * Decoding the A64 loads and stores that can reach MMIO when the hardware
 * gives no instruction syndrome (ESR_EL2.ISV = 0): register pairs,
 * pre/post-index writeback, register offsets, SIMD&FP registers. A pure
 * function of the instruction word (insn.c); the emulation that uses it is
 * emulate.c.
 *
 * Reference: Arm Architecture Reference Manual for A-profile (DDI 0487),
 * C4.1 "A64 instruction set encoding", the "Loads and Stores" group, and
 * the instruction pages in C6.2 (integer) and C7.2 (SIMD&FP).
 */
#ifndef CELLVM_ARCH_ARM64_INSN_H
#define CELLVM_ARCH_ARM64_INSN_H

#include <stdbool.h>
#include <stdint.h>

/* Register number 31 in Rt/Rm is the zero register, in Rn the SP. */
#define ARM64_REG_ZR_SP 31

/* How the address is formed. */
enum arm64_addr_mode {
	ARM64_ADDR_IMM, /* X[n]|SP + imm */
	ARM64_ADDR_REG, /* X[n]|SP + (extend(X[m]) << shift) */
	ARM64_ADDR_LITERAL, /* PC + imm (loads only) */
};

/* Base register writeback (C4.1, "Load/store register (immediate
 * pre-indexed / post-indexed)", "Load/store register pair (...)"). */
enum arm64_writeback {
	ARM64_WB_NONE,
	ARM64_WB_PRE, /* access at base + imm, base = base + imm */
	ARM64_WB_POST, /* access at base, base = base + imm */
};

/* DecodeRegExtend(option) for register offsets (C6.2, "LDR (register)"). */
enum arm64_extend {
	ARM64_EXT_UXTW = 2,
	ARM64_EXT_LSL = 3, /* UXTX */
	ARM64_EXT_SXTW = 6,
	ARM64_EXT_SXTX = 7,
};

struct arm64_ldst {
	bool load;
	bool simd; /* Rt/Rt2 are SIMD&FP registers (V0-V31) */
	bool sign_extend; /* load: sign-extend from size * 8 bits */
	bool unpriv; /* LDTR/STTR: checked as an EL0 access at EL1 */
	unsigned nregs; /* 1, or 2 for a pair */
	unsigned size; /* bytes per register: 1, 2, 4, 8 or 16 */
	/* General-purpose loads: width of the destination, 4 (Wt: the upper
	 * 32 bits are zeroed) or 8 (Xt). */
	unsigned reg_bytes;
	unsigned rt, rt2, rn, rm;
	enum arm64_addr_mode mode;
	enum arm64_writeback wb;
	int64_t imm; /* ARM64_ADDR_IMM and _LITERAL: byte offset */
	enum arm64_extend extend; /* ARM64_ADDR_REG */
	unsigned shift; /* ARM64_ADDR_REG: 0 or log2(size) */
};

/*
 * Decode insn into *out. 0 on success; -EOPNOTSUPP for everything else:
 * not a load/store, exclusives, load-acquire/store-release, atomics,
 * pointer-authenticated and tag loads, prefetches, multi-structure SIMD
 * forms, unallocated encodings, and the CONSTRAINED UNPREDICTABLE cases
 * (a load writing back its own base, a load pair into one register). out
 * is written only on success.
 */
int arm64_ldst_decode(uint32_t insn, struct arm64_ldst *out);

/*
 * The address accessed, from the base (X[n] or SP; PC for a literal) and
 * the offset register's value, and the value written back to the base
 * (meaningful with d->wb != ARM64_WB_NONE). Arithmetic wraps modulo 2^64
 * as the architecture's does.
 */
uint64_t arm64_ldst_address(const struct arm64_ldst *d, uint64_t base,
			    uint64_t rm_val, uint64_t *wb_val);

#endif

// SPDX-License-Identifier: MIT
/*
 * A64 load/store decoder (insn.h). Only the classes of DDI 0487 C4.1,
 * "Loads and Stores", whose accesses can be plain device reads and writes:
 *
 *   Load register (literal)
 *   Load/store register pair (offset, pre-, post-indexed, no-allocate)
 *   Load/store register (unscaled immediate, immediate pre/post-indexed,
 *                        unprivileged, register offset, unsigned immediate)
 *
 * for general-purpose and SIMD&FP registers. Everything else is refused:
 * exclusives and ordered accesses (atomicity or ordering cannot be given
 * by a trap-and-emulate), atomic memory operations, LDRAA/LDRAB, MTE tag
 * stores, prefetches, LD1-LD4/ST1-ST4 structures, unallocated encodings.
 */
#include <errno.h>

#include "arch/arm64/insn.h"

/* Field extraction. */
#define BITS(x, hi, lo) (((x) >> (lo)) & ((1u << ((hi) - (lo) + 1)) - 1))
#define BIT(x, n) (((x) >> (n)) & 1u)

/* Class masks and values: DDI 0487 C4.1, "Loads and Stores" encoding
 * table (op0..op4 spelt out as fixed bits). */
#define LDST_LITERAL_MASK 0x3b000000u /* opc 011 V 00 imm19 Rt */
#define LDST_LITERAL_VAL 0x18000000u
#define LDST_PAIR_MASK 0x3a000000u /* opc 101 V 0 mode L imm7 Rt2 Rn Rt */
#define LDST_PAIR_VAL 0x28000000u
#define LDST_IMM9_MASK 0x3b200000u /* size 111 V 00 opc 0 imm9 op Rn Rt */
#define LDST_IMM9_VAL 0x38000000u
#define LDST_REGOFF_MASK 0x3b200c00u /* size 111 V 00 opc 1 Rm opt S 10 */
#define LDST_REGOFF_VAL 0x38200800u
#define LDST_UIMM_MASK 0x3b000000u /* size 111 V 01 opc imm12 Rn Rt */
#define LDST_UIMM_VAL 0x39000000u

/* op4 (bits 11:10) of the imm9 class. */
#define IMM9_UNSCALED 0
#define IMM9_POST 1
#define IMM9_UNPRIV 2
#define IMM9_PRE 3

/* mode (bits 24:23) of the pair class. */
#define PAIR_NOALLOC 0
#define PAIR_POST 1
#define PAIR_OFFSET 2
#define PAIR_PRE 3

static int64_t sext(uint64_t v, unsigned bits)
{
	uint64_t m = 1ULL << (bits - 1);

	v &= (m << 1) - 1;
	return (int64_t)((v ^ m) - m);
}

static unsigned log2u(unsigned v)
{
	unsigned l = 0;

	while (v > 1) {
		v >>= 1;
		l++;
	}
	return l;
}

/*
 * size:opc of the single-register classes (C6.2 LDR/LDRB/LDRSB/... and
 * C7.2 LDR/STR (SIMD&FP)). Fills load, size, sign_extend, reg_bytes.
 */
static int decode_size_opc(uint32_t insn, struct arm64_ldst *d)
{
	unsigned size = BITS(insn, 31, 30), opc = BITS(insn, 23, 22);

	d->simd = BIT(insn, 26);
	if (d->simd) {
		/* opc<1> set with size 00 is the 128-bit Q form. */
		if (opc & 2) {
			if (size)
				return -EOPNOTSUPP;
			d->size = 16;
		} else {
			d->size = 1u << size;
		}
		d->load = opc & 1;
		return 0;
	}
	d->size = 1u << size;
	switch (opc) {
	case 0: /* STR, STRB, STRH */
		d->load = false;
		break;
	case 1: /* LDR, LDRB, LDRH: zero-extended */
		d->load = true;
		d->reg_bytes = size == 3 ? 8 : 4;
		break;
	case 2: /* LDRSB/LDRSH/LDRSW to Xt; size 3 is PRFM */
		if (size == 3)
			return -EOPNOTSUPP;
		d->load = d->sign_extend = true;
		d->reg_bytes = 8;
		break;
	default: /* LDRSB/LDRSH to Wt; sizes 2 and 3 unallocated */
		if (size >= 2)
			return -EOPNOTSUPP;
		d->load = d->sign_extend = true;
		d->reg_bytes = 4;
		break;
	}
	return 0;
}

/* C6.2 LDR (literal), LDRSW (literal); C7.2 LDR (literal, SIMD&FP). */
static int decode_literal(uint32_t insn, struct arm64_ldst *d)
{
	unsigned opc = BITS(insn, 31, 30);

	d->simd = BIT(insn, 26);
	if (opc == 3) /* PRFM (literal); unallocated for SIMD */
		return -EOPNOTSUPP;
	d->load = true;
	if (d->simd) {
		d->size = 4u << opc;
	} else {
		d->size = opc == 1 ? 8 : 4;
		d->reg_bytes = opc == 0 ? 4 : 8;
		d->sign_extend = opc == 2;
	}
	d->mode = ARM64_ADDR_LITERAL;
	d->imm = sext(BITS(insn, 23, 5), 19) * 4;
	return 0;
}

/* C6.2 LDP/STP/LDPSW/LDNP/STNP; C7.2 the SIMD&FP forms. */
static int decode_pair(uint32_t insn, struct arm64_ldst *d)
{
	unsigned opc = BITS(insn, 31, 30), mode = BITS(insn, 24, 23);

	d->simd = BIT(insn, 26);
	d->load = BIT(insn, 22);
	d->nregs = 2;
	d->rt2 = BITS(insn, 14, 10);
	if (opc == 3)
		return -EOPNOTSUPP;
	if (d->simd) {
		d->size = 4u << opc;
	} else if (opc == 1) {
		/* LDPSW; with L = 0 it is STGP (MTE), and there is no
		 * no-allocate LDPSW. */
		if (!d->load || mode == PAIR_NOALLOC)
			return -EOPNOTSUPP;
		d->size = 4;
		d->reg_bytes = 8;
		d->sign_extend = true;
	} else {
		d->size = opc ? 8 : 4;
		d->reg_bytes = d->size;
	}
	d->wb = mode == PAIR_POST  ? ARM64_WB_POST :
		mode == PAIR_PRE   ? ARM64_WB_PRE :
				     ARM64_WB_NONE;
	d->imm = sext(BITS(insn, 21, 15), 7) * (int64_t)d->size;
	/* LDP: "if t == t2 then CONSTRAINED UNPREDICTABLE" (C6.2 LDP). */
	if (d->load && d->rt == d->rt2)
		return -EOPNOTSUPP;
	return 0;
}

static int decode_imm9(uint32_t insn, struct arm64_ldst *d)
{
	unsigned op = BITS(insn, 11, 10);
	int ret = decode_size_opc(insn, d);

	if (ret)
		return ret;
	if (op == IMM9_UNPRIV && d->simd) /* no LDTR for SIMD&FP */
		return -EOPNOTSUPP;
	d->unpriv = op == IMM9_UNPRIV;
	d->wb = op == IMM9_POST ? ARM64_WB_POST :
		op == IMM9_PRE	? ARM64_WB_PRE :
				  ARM64_WB_NONE;
	d->imm = sext(BITS(insn, 20, 12), 9);
	return 0;
}

static int decode_regoff(uint32_t insn, struct arm64_ldst *d)
{
	unsigned option = BITS(insn, 15, 13);
	int ret = decode_size_opc(insn, d);

	if (ret)
		return ret;
	/* option<1> == 0 is unallocated (C6.2 LDR (register)). */
	if (!(option & 2))
		return -EOPNOTSUPP;
	d->mode = ARM64_ADDR_REG;
	d->rm = BITS(insn, 20, 16);
	d->extend = (enum arm64_extend)option;
	d->shift = BIT(insn, 12) ? log2u(d->size) : 0;
	return 0;
}

static int decode_uimm(uint32_t insn, struct arm64_ldst *d)
{
	int ret = decode_size_opc(insn, d);

	if (ret)
		return ret;
	d->imm = (int64_t)BITS(insn, 21, 10) * d->size;
	return 0;
}

int arm64_ldst_decode(uint32_t insn, struct arm64_ldst *out)
{
	struct arm64_ldst d = {
		.nregs = 1,
		.rt = BITS(insn, 4, 0),
		.rn = BITS(insn, 9, 5),
		.mode = ARM64_ADDR_IMM,
	};
	int ret;

	if ((insn & LDST_LITERAL_MASK) == LDST_LITERAL_VAL)
		ret = decode_literal(insn, &d);
	else if ((insn & LDST_PAIR_MASK) == LDST_PAIR_VAL)
		ret = decode_pair(insn, &d);
	else if ((insn & LDST_IMM9_MASK) == LDST_IMM9_VAL)
		ret = decode_imm9(insn, &d);
	else if ((insn & LDST_REGOFF_MASK) == LDST_REGOFF_VAL)
		ret = decode_regoff(insn, &d);
	else if ((insn & LDST_UIMM_MASK) == LDST_UIMM_VAL)
		ret = decode_uimm(insn, &d);
	else
		return -EOPNOTSUPP;
	if (ret)
		return ret;
	/*
	 * A general-purpose load that writes back its own base is
	 * CONSTRAINED UNPREDICTABLE (Unpredictable_WBOVERLAPLD): refused.
	 * A store doing so stores the original value, the Constraint_NONE
	 * choice, which emulate.c gives by reading registers first.
	 */
	if (d.load && !d.simd && d.wb != ARM64_WB_NONE &&
	    d.rn != ARM64_REG_ZR_SP &&
	    (d.rn == d.rt || (d.nregs == 2 && d.rn == d.rt2)))
		return -EOPNOTSUPP;
	*out = d;
	return 0;
}

static uint64_t extend_reg(uint64_t v, enum arm64_extend ext)
{
	switch (ext) {
	case ARM64_EXT_UXTW:
		return (uint32_t)v;
	case ARM64_EXT_SXTW:
		return (uint64_t)(int64_t)(int32_t)(uint32_t)v;
	default: /* LSL (UXTX), SXTX: the whole register */
		return v;
	}
}

uint64_t arm64_ldst_address(const struct arm64_ldst *d, uint64_t base,
			    uint64_t rm_val, uint64_t *wb_val)
{
	uint64_t off = d->mode == ARM64_ADDR_REG ?
			       extend_reg(rm_val, d->extend) << d->shift :
			       (uint64_t)d->imm;
	uint64_t addr = base + off;

	if (wb_val)
		*wb_val = addr;
	return d->wb == ARM64_WB_POST ? base : addr;
}

// SPDX-License-Identifier: MIT
/*
 * The A64 load/store decoder (src/arch/arm64/insn.c), table-driven: each
 * encoding as DDI 0487 C6.2/C7.2 gives it (checked against GNU as), what
 * the decoder must make of it, then the address arithmetic.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "arch/arm64/insn.h"

#define LD true
#define ST false
#define SP ARM64_REG_ZR_SP

/* Expected decode; fields not named are 0/false. */
struct ok_case {
	uint32_t insn;
	const char *text;
	struct arm64_ldst want;
};

/* Shorthands for the expected value. */
#define GPR(l, sz, rb, sx) .load = l, .size = sz, .reg_bytes = rb, \
	.sign_extend = sx, .nregs = 1
#define PAIR(l, sz, rb, sx) .load = l, .size = sz, .reg_bytes = rb, \
	.sign_extend = sx, .nregs = 2
#define FP(l, sz) .load = l, .size = sz, .simd = true, .nregs = 1
#define FPPAIR(l, sz) .load = l, .size = sz, .simd = true, .nregs = 2

static const struct ok_case ok_cases[] = {
	/* Unsigned immediate: imm12 scaled by the size. */
	{ 0xb9400441, "ldr w1, [x2, #4]",
	  { GPR(LD, 4, 4, false), .rt = 1, .rn = 2, .imm = 4 } },
	{ 0xf9400c83, "ldr x3, [x4, #24]",
	  { GPR(LD, 8, 8, false), .rt = 3, .rn = 4, .imm = 24 } },
	{ 0x397f80c5, "ldrb w5, [x6, #4064]",
	  { GPR(LD, 1, 4, false), .rt = 5, .rn = 6, .imm = 4064 } },
	{ 0x79400507, "ldrh w7, [x8, #2]",
	  { GPR(LD, 2, 4, false), .rt = 7, .rn = 8, .imm = 2 } },
	{ 0x39800549, "ldrsb x9, [x10, #1]",
	  { GPR(LD, 1, 8, true), .rt = 9, .rn = 10, .imm = 1 } },
	{ 0x39c00149, "ldrsb w9, [x10]",
	  { GPR(LD, 1, 4, true), .rt = 9, .rn = 10 } },
	{ 0x79c0058b, "ldrsh w11, [x12, #2]",
	  { GPR(LD, 2, 4, true), .rt = 11, .rn = 12, .imm = 2 } },
	{ 0xb98005cd, "ldrsw x13, [x14, #4]",
	  { GPR(LD, 4, 8, true), .rt = 13, .rn = 14, .imm = 4 } },
	{ 0xb9000a0f, "str w15, [x16, #8]",
	  { GPR(ST, 4, 0, false), .rt = 15, .rn = 16, .imm = 8 } },
	{ 0x3900003f, "strb wzr, [x1]",
	  { GPR(ST, 1, 0, false), .rt = 31, .rn = 1 } },
	/* Unscaled, post-, pre-indexed, unprivileged: signed imm9. */
	{ 0xb85fc041, "ldur w1, [x2, #-4]",
	  { GPR(LD, 4, 4, false), .rt = 1, .rn = 2, .imm = -4 } },
	{ 0xf8408441, "ldr x1, [x2], #8",
	  { GPR(LD, 8, 8, false), .rt = 1, .rn = 2, .imm = 8,
	    .wb = ARM64_WB_POST } },
	{ 0xb85f0c41, "ldr w1, [x2, #-16]!",
	  { GPR(LD, 4, 4, false), .rt = 1, .rn = 2, .imm = -16,
	    .wb = ARM64_WB_PRE } },
	{ 0xf81f0fe3, "str x3, [sp, #-16]!",
	  { GPR(ST, 8, 0, false), .rt = 3, .rn = SP, .imm = -16,
	    .wb = ARM64_WB_PRE } },
	{ 0xb8404841, "ldtr w1, [x2, #4]",
	  { GPR(LD, 4, 4, false), .rt = 1, .rn = 2, .imm = 4 } },
	/* A store writing back its own base: allowed (original value). */
	{ 0xf8008421, "str x1, [x1], #8",
	  { GPR(ST, 8, 0, false), .rt = 1, .rn = 1, .imm = 8,
	    .wb = ARM64_WB_POST } },
	/* Register offset: extend and optional shift by log2(size). */
	{ 0xb8636841, "ldr w1, [x2, x3]",
	  { GPR(LD, 4, 4, false), .rt = 1, .rn = 2, .rm = 3,
	    .mode = ARM64_ADDR_REG, .extend = ARM64_EXT_LSL } },
	{ 0xf8637841, "ldr x1, [x2, x3, lsl #3]",
	  { GPR(LD, 8, 8, false), .rt = 1, .rn = 2, .rm = 3,
	    .mode = ARM64_ADDR_REG, .extend = ARM64_EXT_LSL, .shift = 3 } },
	{ 0xb8635841, "ldr w1, [x2, w3, uxtw #2]",
	  { GPR(LD, 4, 4, false), .rt = 1, .rn = 2, .rm = 3,
	    .mode = ARM64_ADDR_REG, .extend = ARM64_EXT_UXTW, .shift = 2 } },
	{ 0x78a3c841, "ldrsh x1, [x2, w3, sxtw]",
	  { GPR(LD, 2, 8, true), .rt = 1, .rn = 2, .rm = 3,
	    .mode = ARM64_ADDR_REG, .extend = ARM64_EXT_SXTW } },
	{ 0x38637841, "ldrb w1, [x2, x3, lsl #0]",
	  { GPR(LD, 1, 4, false), .rt = 1, .rn = 2, .rm = 3,
	    .mode = ARM64_ADDR_REG, .extend = ARM64_EXT_LSL } },
	{ 0xf863e841, "ldr x1, [x2, x3, sxtx]",
	  { GPR(LD, 8, 8, false), .rt = 1, .rn = 2, .rm = 3,
	    .mode = ARM64_ADDR_REG, .extend = ARM64_EXT_SXTX } },
	/* Pairs: imm7 scaled by the register size. */
	{ 0x29400861, "ldp w1, w2, [x3]",
	  { PAIR(LD, 4, 4, false), .rt = 1, .rt2 = 2, .rn = 3 } },
	{ 0xa9410861, "ldp x1, x2, [x3, #16]",
	  { PAIR(LD, 8, 8, false), .rt = 1, .rt2 = 2, .rn = 3, .imm = 16 } },
	{ 0xa9be0be1, "stp x1, x2, [sp, #-32]!",
	  { PAIR(ST, 8, 8, false), .rt = 1, .rt2 = 2, .rn = SP, .imm = -32,
	    .wb = ARM64_WB_PRE } },
	{ 0xa8ff14c4, "ldp x4, x5, [x6], #-16",
	  { PAIR(LD, 8, 8, false), .rt = 4, .rt2 = 5, .rn = 6, .imm = -16,
	    .wb = ARM64_WB_POST } },
	{ 0x69410861, "ldpsw x1, x2, [x3, #8]",
	  { PAIR(LD, 4, 8, true), .rt = 1, .rt2 = 2, .rn = 3, .imm = 8 } },
	{ 0xa8400861, "ldnp x1, x2, [x3]",
	  { PAIR(LD, 8, 8, false), .rt = 1, .rt2 = 2, .rn = 3 } },
	/* SIMD&FP. */
	{ 0x3dc00020, "ldr q0, [x1]", { FP(LD, 16), .rt = 0, .rn = 1 } },
	{ 0xfd000441, "str d1, [x2, #8]",
	  { FP(ST, 8), .rt = 1, .rn = 2, .imm = 8 } },
	{ 0x3d400062, "ldr b2, [x3]", { FP(LD, 1), .rt = 2, .rn = 3 } },
	{ 0x7c627823, "ldr h3, [x1, x2, lsl #1]",
	  { FP(LD, 2), .rt = 3, .rn = 1, .rm = 2, .mode = ARM64_ADDR_REG,
	    .extend = ARM64_EXT_LSL, .shift = 1 } },
	{ 0xad400440, "ldp q0, q1, [x2]",
	  { FPPAIR(LD, 16), .rt = 0, .rt2 = 1, .rn = 2 } },
	{ 0x2cc10440, "ldp s0, s1, [x2], #8",
	  { FPPAIR(LD, 4), .rt = 0, .rt2 = 1, .rn = 2, .imm = 8,
	    .wb = ARM64_WB_POST } },
	/* Literal: PC-relative imm19 * 4. */
	{ 0x58000041, "ldr x1, . + 8",
	  { GPR(LD, 8, 8, false), .rt = 1, .mode = ARM64_ADDR_LITERAL,
	    .rn = 2, .imm = 8 } },
	{ 0x98ffffe1, "ldrsw x1, . - 4",
	  { GPR(LD, 4, 8, true), .rt = 1, .mode = ARM64_ADDR_LITERAL,
	    .rn = 31, .imm = -4 } },
	{ 0x1c000084, "ldr s4, . + 16",
	  { FP(LD, 4), .rt = 4, .mode = ARM64_ADDR_LITERAL, .rn = 4,
	    .imm = 16 } },
};

static void test_decode_ok(void **state)
{
	size_t i;

	for (i = 0; i < sizeof(ok_cases) / sizeof(ok_cases[0]); i++) {
		const struct ok_case *c = &ok_cases[i];
		const struct arm64_ldst *w = &c->want;
		struct arm64_ldst d;

		memset(&d, 0x5a, sizeof(d));
		print_message("%08x %s\n", c->insn, c->text);
		assert_int_equal(arm64_ldst_decode(c->insn, &d), 0);
		assert_int_equal(d.load, w->load);
		assert_int_equal(d.simd, w->simd);
		assert_int_equal(d.sign_extend, w->sign_extend);
		assert_int_equal(d.nregs, w->nregs);
		assert_int_equal(d.size, w->size);
		if (!w->simd && w->load)
			assert_int_equal(d.reg_bytes, w->reg_bytes);
		assert_int_equal(d.rt, w->rt);
		if (w->nregs == 2)
			assert_int_equal(d.rt2, w->rt2);
		/* The literal form has no Rn; bits 9:5 are part of imm19. */
		if (w->mode != ARM64_ADDR_LITERAL)
			assert_int_equal(d.rn, w->rn);
		assert_int_equal(d.mode, w->mode);
		assert_int_equal(d.wb, w->wb);
		if (w->mode == ARM64_ADDR_REG) {
			assert_int_equal(d.rm, w->rm);
			assert_int_equal(d.extend, w->extend);
			assert_int_equal(d.shift, w->shift);
		} else {
			assert_int_equal(d.imm, w->imm);
		}
	}
}

struct bad_case {
	uint32_t insn;
	const char *text;
};

static const struct bad_case bad_cases[] = {
	{ 0x885f7c41, "ldxr w1, [x2]" },
	{ 0x88037c41, "stxr w3, w1, [x2]" },
	{ 0xc8dffc41, "ldar x1, [x2]" },
	{ 0x889ffc41, "stlr w1, [x2]" },
	{ 0xb8bfc041, "ldapr w1, [x2]" },
	{ 0x99404041, "ldapur w1, [x2, #4]" },
	{ 0xb8210062, "ldadd w1, w2, [x3]" },
	{ 0xf8218062, "swp x1, x2, [x3]" },
	{ 0xf8200441, "ldraa x1, [x2]" },
	{ 0xf9800020, "prfm pldl1keep, [x1]" },
	{ 0xd8000040, "prfm pldl1keep, . + 8" },
	{ 0x4c407020, "ld1 {v0.16b}, [x1]" },
	{ 0x69000861, "stgp x1, x2, [x3]" },
	{ 0xd9200841, "stg x1, [x2]" },
	{ 0x8b030041, "add x1, x2, x3" },
	{ 0x00000000, "udf #0" },
	{ 0xffffffff, "all ones" },
	/* CONSTRAINED UNPREDICTABLE: refused. */
	{ 0xf8408421, "ldr x1, [x1], #8 (writeback overlaps the load)" },
	{ 0xa8c10841, "ldp x1, x2, [x2], #16 (writeback overlaps Rt2)" },
	{ 0xa9400441, "ldp x1, x1, [x2] (t == t2)" },
	/* Unallocated. */
	{ 0xb9c00000, "ldr w0 with opc 11 (no LDRSW to W)" },
	{ 0xf9c00000, "size 11 opc 11" },
	{ 0xb8630841, "ldr w1, [x2, x3] with option 000" },
	{ 0x7dc00020, "SIMD opc<1> set with size 01" },
	{ 0x3c404841, "ldtr with V = 1" },
	{ 0xe9400861, "pair with opc 11" },
	{ 0x68400861, "ldnp with opc 01 (no LDNPSW)" },
	{ 0xdc000040, "SIMD literal with opc 11" },
};

static void test_decode_refused(void **state)
{
	size_t i;

	for (i = 0; i < sizeof(bad_cases) / sizeof(bad_cases[0]); i++) {
		struct arm64_ldst d, before;

		memset(&d, 0x5a, sizeof(d));
		before = d;
		print_message("%08x %s\n", bad_cases[i].insn,
			      bad_cases[i].text);
		assert_int_equal(arm64_ldst_decode(bad_cases[i].insn, &d),
				 -EOPNOTSUPP);
		/* out is untouched on failure */
		assert_memory_equal(&d, &before, sizeof(d));
	}
}

struct addr_case {
	uint32_t insn;
	uint64_t base, rm;
	uint64_t want_addr, want_wb;
};

static const struct addr_case addr_cases[] = {
	/* ldr w1, [x2, #4] */
	{ 0xb9400441, 0x9000000, 0, 0x9000004, 0x9000004 },
	/* ldr x1, [x2], #8: access at the base, base += 8 */
	{ 0xf8408441, 0x9000ff8, 0, 0x9000ff8, 0x9001000 },
	/* ldr w1, [x2, #-16]!: access at base - 16 */
	{ 0xb85f0c41, 0x9000010, 0, 0x9000000, 0x9000000 },
	/* ldr w1, [x2, w3, uxtw #2]: only the low 32 bits of x3 */
	{ 0xb8635841, 0x9000000, 0xffffffff00000004ULL, 0x9000010, 0 },
	/* ldrsh x1, [x2, w3, sxtw]: w3 = -2 */
	{ 0x78a3c841, 0x9000010, 0x00000000fffffffeULL, 0x900000e, 0 },
	/* ldr x1, [x2, x3, lsl #3] */
	{ 0xf8637841, 0x9000000, 3, 0x9000018, 0 },
	/* ldp x4, x5, [x6], #-16 */
	{ 0xa8ff14c4, 0x9000020, 0, 0x9000020, 0x9000010 },
	/* ldrsw x1, . - 4: PC-relative */
	{ 0x98ffffe1, 0x40001000, 0, 0x40000ffc, 0 },
	/* wrap-around is modular */
	{ 0xb85fc041, 2, 0, 0xfffffffffffffffeULL, 0 },
};

static void test_address(void **state)
{
	size_t i;

	for (i = 0; i < sizeof(addr_cases) / sizeof(addr_cases[0]); i++) {
		const struct addr_case *c = &addr_cases[i];
		struct arm64_ldst d;
		uint64_t wb = 0;

		assert_int_equal(arm64_ldst_decode(c->insn, &d), 0);
		assert_int_equal(arm64_ldst_address(&d, c->base, c->rm, &wb),
				 c->want_addr);
		if (d.wb != ARM64_WB_NONE)
			assert_int_equal(wb, c->want_wb);
	}
}

/* Every word decodes or is refused, and a decode is self-consistent. */
static void test_sweep(void **state)
{
	uint32_t hi;

	for (hi = 0; hi < 0x10000; hi++) {
		uint32_t insn = hi << 16 | (hi * 0x9e37u & 0xffff);
		struct arm64_ldst d;

		if (arm64_ldst_decode(insn, &d))
			continue;
		assert_true(d.nregs == 1 || d.nregs == 2);
		assert_true(d.size == 1 || d.size == 2 || d.size == 4 ||
			    d.size == 8 || d.size == 16);
		assert_true(d.simd || !d.load || d.reg_bytes == 4 ||
			    d.reg_bytes == 8);
		assert_true(d.simd || d.size <= 8);
		assert_true(d.rt < 32 && d.rt2 < 32 && d.rn < 32 && d.rm < 32);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_decode_ok),
		cmocka_unit_test(test_decode_refused),
		cmocka_unit_test(test_address),
		cmocka_unit_test(test_sweep),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

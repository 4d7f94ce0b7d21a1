// SPDX-License-Identifier: MIT
/*
 * The stage-1 walker (src/arch/arm64/pgwalk.c): page tables built in a
 * test RAM buffer for each granule (4K, 16K, 64K), every starting level
 * the input sizes give, block and page descriptors, both TTBRs, TBI,
 * big-endian tables, the MMU off; then the malformed and unsupported
 * configurations (DDI 0487 D8.2, D8.3).
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "arch/arm64/pgwalk.h"

#define RAM_BASE 0x40000000ULL
#define RAM_SIZE (16ULL << 20)
#define DESC_TABLE 3ULL /* valid + table (or page at level 3) */
#define DESC_BLOCK 1ULL
#define DESC_AF (1ULL << 10) /* set as a guest would; ignored */

struct tb {
	uint8_t *ram;
	struct cellvm_mem mem;
	uint64_t next; /* next free table, granule aligned */
	unsigned gbits;
	bool be;
};

static void tb_init(struct tb *t, unsigned gbits)
{
	memset(t, 0, sizeof(*t));
	t->ram = aligned_alloc(1 << 16, RAM_SIZE);
	assert_non_null(t->ram);
	memset(t->ram, 0, RAM_SIZE);
	assert_int_equal(cellvm_mem_add(&t->mem, RAM_BASE, RAM_SIZE, t->ram),
			 0);
	t->next = RAM_BASE;
	t->gbits = gbits;
}

static void tb_free(struct tb *t)
{
	free(t->ram);
}

static uint64_t tb_alloc(struct tb *t)
{
	uint64_t a = t->next;

	t->next += 1ULL << t->gbits;
	assert_true(t->next <= RAM_BASE + RAM_SIZE);
	return a;
}

static uint64_t rd(struct tb *t, uint64_t gpa)
{
	uint64_t v;

	memcpy(&v, t->ram + (gpa - RAM_BASE), 8);
	return t->be ? __builtin_bswap64(v) : v;
}

static void wr(struct tb *t, uint64_t gpa, uint64_t v)
{
	if (t->be)
		v = __builtin_bswap64(v);
	memcpy(t->ram + (gpa - RAM_BASE), &v, 8);
}

/*
 * Map va -> oa with a leaf at leaf_level under root, for a region of
 * ia_bits, allocating tables on the way (an independent restatement of
 * the level arithmetic: shift = granule + (3 - level) * (granule - 3)).
 */
static void tb_map(struct tb *t, uint64_t root, unsigned ia_bits, uint64_t va,
		   uint64_t oa, int leaf_level)
{
	unsigned stride = t->gbits - 3;
	int level = 3;
	uint64_t table = root;

	while (t->gbits + stride * (unsigned)(4 - level) < ia_bits)
		level--;
	for (;; level++) {
		unsigned shift = t->gbits + stride * (unsigned)(3 - level);
		uint64_t idx = (va >> shift) & ((1ULL << stride) - 1);
		uint64_t slot = table + idx * 8, d;

		if (shift + stride > ia_bits) /* first level: fewer bits */
			idx = (va >> shift) & ((1ULL << (ia_bits - shift)) - 1),
			slot = table + idx * 8;
		if (level == leaf_level) {
			wr(t, slot,
			   oa | DESC_AF | (level == 3 ? DESC_TABLE : DESC_BLOCK));
			return;
		}
		d = rd(t, slot);
		if (!(d & 1)) {
			d = tb_alloc(t) | DESC_TABLE;
			wr(t, slot, d);
		}
		table = d & ~((1ULL << t->gbits) - 1) & ((1ULL << 48) - 1);
	}
}

static uint64_t tcr0(unsigned tsz, unsigned tg0)
{
	/* TTBR1 walks disabled unless a test sets them up. */
	return (uint64_t)tsz << ARM64_TCR_T0SZ_SHIFT |
	       (uint64_t)tg0 << ARM64_TCR_TG0_SHIFT | ARM64_TCR_EPD1 |
	       (uint64_t)ARM64_TG1_4K << ARM64_TCR_TG1_SHIFT |
	       16ULL << ARM64_TCR_T1SZ_SHIFT;
}

struct map_case {
	const char *name;
	unsigned gbits, tg0, tsz;
	uint64_t va, oa;
	int leaf; /* level of the leaf descriptor */
};

/* oa is aligned to the leaf's size; the VA's low bits must come through. */
static const struct map_case map_cases[] = {
	{ "4K 48-bit, L0 start, L3 page", 12, ARM64_TG0_4K, 16,
	  0x0000123456789abcULL, 0x09000000, 3 },
	{ "4K 48-bit, L2 2M block", 12, ARM64_TG0_4K, 16,
	  0x0000ff8000345678ULL, 0x0a000000, 2 },
	{ "4K 48-bit, L1 1G block", 12, ARM64_TG0_4K, 16, 0x00007fc012345678ULL,
	  0x40000000, 1 },
	{ "4K 39-bit, L1 start, L3 page", 12, ARM64_TG0_4K, 25,
	  0x0000007fffff0ff8ULL, 0x0a003000, 3 },
	{ "4K 30-bit, L2 start, L2 block", 12, ARM64_TG0_4K, 34, 0x3fe00010,
	  0x09000000, 2 },
	{ "4K 16-bit (TTST), L3 start", 12, ARM64_TG0_4K, 48, 0xf123,
	  0x09000000, 3 },
	{ "16K 48-bit, L0 start (2 entries), L3 page", 16 - 2, ARM64_TG0_16K,
	  16, 0x0000c00012345678ULL, 0x0a000000, 3 },
	{ "16K 47-bit, L1 start, L2 32M block", 14, ARM64_TG0_16K, 17,
	  0x00004000021abcdeULL, 0x0a000000, 2 },
	{ "16K 36-bit, L2 start, L3 page", 14, ARM64_TG0_16K, 28, 0xfedcba987ULL,
	  0x09000000, 3 },
	{ "64K 48-bit, L1 start, L3 page", 16, ARM64_TG0_64K, 16,
	  0x0000abcd1234fff0ULL, 0x0a010000, 3 },
	{ "64K 48-bit, L2 512M block", 16, ARM64_TG0_64K, 16,
	  0x0000abcd3fffff00ULL, 0x20000000, 2 },
	{ "64K 42-bit, L2 start, L3 page", 16, ARM64_TG0_64K, 22,
	  0x000003ffffff0008ULL, 0x09000000, 3 },
};

static void test_map(void **state)
{
	size_t i;

	for (i = 0; i < sizeof(map_cases) / sizeof(map_cases[0]); i++) {
		const struct map_case *c = &map_cases[i];
		unsigned ia = 64 - c->tsz;
		unsigned shift = c->gbits + (c->gbits - 3) * (3 - c->leaf);
		uint64_t mask = (1ULL << shift) - 1, ipa = 0;
		struct arm64_mmu_regs r = { .sctlr = ARM64_SCTLR_M };
		struct tb t;

		print_message("%s\n", c->name);
		tb_init(&t, c->gbits);
		r.ttbr0 = tb_alloc(&t);
		r.tcr = tcr0(c->tsz, c->tg0);
		tb_map(&t, r.ttbr0, ia, c->va, c->oa & ~mask, c->leaf);
		assert_int_equal(arm64_pgwalk(&t.mem, &r, c->va, true, &ipa, NULL), 0);
		assert_int_equal(ipa, (c->oa & ~mask) | (c->va & mask));
		/* A neighbour in another leaf is not mapped. */
		assert_int_equal(arm64_pgwalk(&t.mem, &r, c->va ^ (mask + 1),
					      true, &ipa, NULL),
				 -EFAULT);
		/* The same tables in big-endian, with SCTLR_EL1.EE. */
		tb_free(&t);
		tb_init(&t, c->gbits);
		t.be = true;
		r.sctlr |= ARM64_SCTLR_EE;
		r.ttbr0 = tb_alloc(&t);
		tb_map(&t, r.ttbr0, ia, c->va, c->oa & ~mask, c->leaf);
		assert_int_equal(arm64_pgwalk(&t.mem, &r, c->va, false, &ipa, NULL),
				 0);
		assert_int_equal(ipa, (c->oa & ~mask) | (c->va & mask));
		tb_free(&t);
	}
}

/* TTBR1: the upper half with each TG1 encoding. */
static void test_ttbr1(void **state)
{
	static const struct {
		unsigned gbits, tg1;
	} g[] = { { 12, ARM64_TG1_4K }, { 14, ARM64_TG1_16K },
		  { 16, ARM64_TG1_64K } };
	uint64_t va = 0xffff800008001234ULL, ipa;
	size_t i;

	for (i = 0; i < sizeof(g) / sizeof(g[0]); i++) {
		struct arm64_mmu_regs r = { .sctlr = ARM64_SCTLR_M };
		struct tb t;

		tb_init(&t, g[i].gbits);
		r.ttbr1 = tb_alloc(&t);
		r.tcr = 16ULL << ARM64_TCR_T1SZ_SHIFT |
			(uint64_t)g[i].tg1 << ARM64_TCR_TG1_SHIFT |
			16ULL << ARM64_TCR_T0SZ_SHIFT | ARM64_TCR_EPD0;
		tb_map(&t, r.ttbr1, 48, va, 0x09000000, 3);
		assert_int_equal(arm64_pgwalk(&t.mem, &r, va, true, &ipa, NULL), 0);
		assert_int_equal(ipa, 0x09000000 | (va & ((1ULL << g[i].gbits) - 1)));
		/* Bits above the region must be all ones in the upper half. */
		assert_int_equal(arm64_pgwalk(&t.mem, &r, va & ~(1ULL << 60),
					      true, &ipa, NULL),
				 -EFAULT);
		/* TTBR0's walks are disabled (EPD0). */
		assert_int_equal(arm64_pgwalk(&t.mem, &r, 0x1000, true, &ipa, NULL),
				 -EFAULT);
		tb_free(&t);
	}
}

static void test_tbi(void **state)
{
	struct arm64_mmu_regs r = { .sctlr = ARM64_SCTLR_M };
	uint64_t va = 0x0000000012345678ULL, tagged = va | 0x5aULL << 56, ipa;
	struct tb t;

	tb_init(&t, 12);
	r.ttbr0 = tb_alloc(&t);
	r.tcr = tcr0(16, ARM64_TG0_4K);
	tb_map(&t, r.ttbr0, 48, va, 0x09000000, 3);
	/* Without TBI0 a tag makes the VA out of range. */
	assert_int_equal(arm64_pgwalk(&t.mem, &r, tagged, true, &ipa, NULL), -EFAULT);
	r.tcr |= ARM64_TCR_TBI0;
	assert_int_equal(arm64_pgwalk(&t.mem, &r, tagged, true, &ipa, NULL), 0);
	assert_int_equal(ipa, 0x09000678);
	/* Instruction addresses are not untagged. */
	assert_int_equal(arm64_pgwalk(&t.mem, &r, tagged, false, &ipa, NULL),
			 -EFAULT);
	tb_free(&t);
}

static void test_mmu_off(void **state)
{
	struct arm64_mmu_regs r = { 0 };
	struct cellvm_mem none = { 0 };
	uint64_t ipa = 0;

	/* Flat, and no table is read (no RAM at all here). */
	assert_int_equal(arm64_pgwalk(&none, &r, 0x09000ff8, true, &ipa, NULL), 0);
	assert_int_equal(ipa, 0x09000ff8);
	assert_int_equal(arm64_pgwalk(&none, &r, 1ULL << 48, true, &ipa, NULL),
			 -EFAULT);
	r.tcr = ARM64_TCR_TBI0;
	assert_int_equal(arm64_pgwalk(&none, &r, 0x12ULL << 56 | 0x09000000,
				      true, &ipa, NULL),
			 0);
	assert_int_equal(ipa, 0x09000000);
	assert_int_equal(arm64_pgwalk(&none, &r, 0x12ULL << 56 | 0x09000000,
				      false, &ipa, NULL),
			 -EFAULT);
}

struct bad_case {
	const char *name;
	int want;
};

/* Malformed tables and unsupported configurations, on a 4K 48-bit setup
 * mapping VA 0x1000 -> 0x09000000 at level 3 that each case then breaks. */
static void test_bad(void **state)
{
	const uint64_t va = 0x1000;
	struct arm64_mmu_regs r0 = { .sctlr = ARM64_SCTLR_M };
	uint64_t ipa = 0x77, l0, l1, l2, l3;
	struct arm64_mmu_regs r;
	struct tb t;

	tb_init(&t, 12);
	r0.ttbr0 = tb_alloc(&t);
	r0.tcr = tcr0(16, ARM64_TG0_4K);
	tb_map(&t, r0.ttbr0, 48, va, 0x09000000, 3);
	l0 = rd(&t, r0.ttbr0);
	l1 = rd(&t, l0 & ~0xfffULL);
	l2 = rd(&t, l1 & ~0xfffULL);
	l3 = rd(&t, (l2 & ~0xfffULL) + 8);
	r = r0;
	assert_int_equal(arm64_pgwalk(&t.mem, &r, va, true, &ipa, NULL), 0);

	/* Reserved TG0, 52-bit input (T0SZ 12), T0SZ 49 and beyond. */
	r.tcr = tcr0(16, 3);
	assert_int_equal(arm64_pgwalk(&t.mem, &r, va, true, &ipa, NULL), -EOPNOTSUPP);
	r.tcr = tcr0(12, ARM64_TG0_4K);
	assert_int_equal(arm64_pgwalk(&t.mem, &r, va, true, &ipa, NULL), -EOPNOTSUPP);
	r.tcr = tcr0(63, ARM64_TG0_4K);
	assert_int_equal(arm64_pgwalk(&t.mem, &r, va, true, &ipa, NULL), -EOPNOTSUPP);
	r.tcr = tcr0(48, ARM64_TG0_64K); /* 16-bit region = one 64K page */
	assert_int_equal(arm64_pgwalk(&t.mem, &r, va, true, &ipa, NULL), -EOPNOTSUPP);
	/* EPD0: TTBR0 walks disabled. */
	r.tcr = tcr0(16, ARM64_TG0_4K) | ARM64_TCR_EPD0;
	assert_int_equal(arm64_pgwalk(&t.mem, &r, va, true, &ipa, NULL), -EFAULT);
	r = r0;
	/* VA beyond T0SZ's region. */
	r.tcr = tcr0(25, ARM64_TG0_4K);
	assert_int_equal(arm64_pgwalk(&t.mem, &r, 1ULL << 40, true, &ipa, NULL),
			 -EFAULT);
	r = r0;
	/* Root table outside RAM, below and just above it. */
	r.ttbr0 = 0x1000;
	assert_int_equal(arm64_pgwalk(&t.mem, &r, va, true, &ipa, NULL), -EFAULT);
	r.ttbr0 = RAM_BASE + RAM_SIZE;
	assert_int_equal(arm64_pgwalk(&t.mem, &r, va, true, &ipa, NULL), -EFAULT);
	r = r0;
	/* A level-1 table descriptor pointing outside RAM. */
	wr(&t, l0 & ~0xfffULL, 0x7ff000 | DESC_TABLE);
	assert_int_equal(arm64_pgwalk(&t.mem, &r, va, true, &ipa, NULL), -EFAULT);
	/* A block at level 0 (needs FEAT_LPA2). */
	wr(&t, l0 & ~0xfffULL, l1);
	wr(&t, r0.ttbr0, DESC_BLOCK);
	assert_int_equal(arm64_pgwalk(&t.mem, &r, va, true, &ipa, NULL), -EFAULT);
	wr(&t, r0.ttbr0, l0);
	/* Level 3 with bits 1:0 = 01 is reserved; invalid faults. */
	wr(&t, (l2 & ~0xfffULL) + 8, (l3 & ~3ULL) | DESC_BLOCK);
	assert_int_equal(arm64_pgwalk(&t.mem, &r, va, true, &ipa, NULL), -EFAULT);
	wr(&t, (l2 & ~0xfffULL) + 8, 0);
	assert_int_equal(arm64_pgwalk(&t.mem, &r, va, true, &ipa, NULL), -EFAULT);
	wr(&t, (l2 & ~0xfffULL) + 8, l3);
	/* A table that points to itself at every level still ends. */
	wr(&t, r0.ttbr0, r0.ttbr0 | DESC_TABLE);
	assert_int_equal(arm64_pgwalk(&t.mem, &r, 0, true, &ipa, NULL), 0);
	assert_int_equal(ipa, r0.ttbr0);
	/* A 64K block at level 1 needs FEAT_LPA. */
	tb_free(&t);
	tb_init(&t, 16);
	r.ttbr0 = tb_alloc(&t);
	r.tcr = tcr0(16, ARM64_TG0_64K);
	tb_map(&t, r.ttbr0, 48, 0, 0, 1);
	assert_int_equal(arm64_pgwalk(&t.mem, &r, 0x1234, true, &ipa, NULL), -EFAULT);
	/* The failures never wrote *ipa. */
	assert_int_equal(ipa, r0.ttbr0);
	tb_free(&t);
}

/* AP[2:1] of the leaf, APTable on the way down, HPD0 (D8.4). */
static void test_perm(void **state)
{
	static const struct {
		uint64_t leaf_ap, l0_aptable;
		bool hpd;
		unsigned want;
	} c[] = {
		{ 0, 0, false, 0 },
		{ 1ULL << 6, 0, false, ARM64_PERM_EL0 },
		{ 1ULL << 7, 0, false, ARM64_PERM_RO },
		{ 3ULL << 6, 0, false, ARM64_PERM_EL0 | ARM64_PERM_RO },
		/* APTable[0]: no EL0 below; APTable[1]: read-only below. */
		{ 1ULL << 6, 1ULL << 61, false, 0 },
		{ 1ULL << 6, 1ULL << 62, false, ARM64_PERM_EL0 | ARM64_PERM_RO },
		{ 1ULL << 6, 3ULL << 61, false, ARM64_PERM_RO },
		/* TCR_EL1.HPD0: APTable ignored. */
		{ 1ULL << 6, 3ULL << 61, true, ARM64_PERM_EL0 },
	};
	const uint64_t va = 0x7000;
	unsigned perm = 0x55;
	uint64_t ipa;
	size_t i;

	for (i = 0; i < sizeof(c) / sizeof(c[0]); i++) {
		struct arm64_mmu_regs r = { .sctlr = ARM64_SCTLR_M };
		uint64_t l0, l1, l2, slot;
		struct tb t;

		tb_init(&t, 12);
		r.ttbr0 = tb_alloc(&t);
		r.tcr = tcr0(16, ARM64_TG0_4K) | (c[i].hpd ? ARM64_TCR_HPD0 : 0);
		tb_map(&t, r.ttbr0, 48, va, 0x09000000, 3);
		l0 = rd(&t, r.ttbr0);
		wr(&t, r.ttbr0, l0 | c[i].l0_aptable);
		l1 = rd(&t, l0 & ~0xfffULL);
		l2 = rd(&t, l1 & ~0xfffULL);
		slot = (l2 & ~0xfffULL) + 7 * 8;
		wr(&t, slot, rd(&t, slot) | c[i].leaf_ap);
		assert_int_equal(arm64_pgwalk(&t.mem, &r, va, true, &ipa, &perm),
				 0);
		assert_int_equal(perm, c[i].want);
		tb_free(&t);
	}
	/* MMU off: everything is accessible. */
	{
		struct arm64_mmu_regs r = { 0 };
		struct cellvm_mem none = { 0 };

		assert_int_equal(arm64_pgwalk(&none, &r, va, true, &ipa, &perm),
				 0);
		assert_int_equal(perm, ARM64_PERM_EL0);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_map),
		cmocka_unit_test(test_ttbr1),
		cmocka_unit_test(test_tbi),
		cmocka_unit_test(test_mmu_off),
		cmocka_unit_test(test_bad),
		cmocka_unit_test(test_perm),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

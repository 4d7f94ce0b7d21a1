// SPDX-License-Identifier: MIT
/*
 * Stage-1 table walker for the EL1&0 regime (pgwalk.h), after the
 * pseudocode of DDI 0487 D8.2 (AArch64.S1Translate and its helpers), cut
 * down to what a trapped access needs: the output address and the data
 * access permissions (AP, APTable), no access flag or dirty state
 * updates, no TLB. The guest's tables are hostile input: each
 * descriptor is read through cellvm_mem_read(), and the walk visits at
 * most one descriptor per level, four levels at most.
 */
#include <errno.h>

#include "arch/arm64/pgwalk.h"

/* Output and table addresses are bits 47:granule (D8.3, "Descriptor
 * formats", 48-bit OA); without FEAT_LPA bits 51:48 are RES0. */
#define OA_BITS 48
#define MAX_TSZ 48 /* FEAT_TTST smallest region: 16-bit input */
#define MIN_TSZ 16 /* 48-bit input; smaller TnSZ needs FEAT_LVA */
#define LAST_LEVEL 3
#define MIN_TABLE_ALIGN 64 /* TTBR_ELx.BADDR: at least 64-byte aligned */

/* Descriptor bits 1:0 (D8.3). */
#define DESC_VALID 1ULL
#define DESC_TABLE 2ULL /* table at levels 0-2, page at level 3 */

/* Access permissions: AP[2:1] in a block or page, APTable in a table
 * descriptor (D8.3, D8.4). */
#define DESC_AP_EL0 (1ULL << 6) /* AP[1] */
#define DESC_AP_RO (1ULL << 7) /* AP[2] */
#define DESC_APTABLE_NO_EL0 (1ULL << 61) /* APTable[0] */
#define DESC_APTABLE_RO (1ULL << 62) /* APTable[1] */

#define VA_SELECT_BIT 55 /* TTBR1 when set (D8.2, "VA ranges") */
#define TOP_BYTE_SHIFT 56

static uint64_t mask_bits(unsigned hi, unsigned lo)
{
	return (~0ULL >> (63 - hi)) & ~((1ULL << lo) - 1);
}

/* The walk's parameters for one half of the VA space. */
struct regime {
	unsigned gbits; /* log2(granule): 12, 14 or 16 */
	unsigned ia_bits; /* 64 - TnSZ */
	uint64_t ttbr;
	bool epd, tbi, hpd;
};

static int tg_bits(unsigned tg, bool upper)
{
	static const int tg0[4] = { 12, 16, 14, -1 };
	static const int tg1[4] = { -1, 14, 12, 16 };

	return upper ? tg1[tg] : tg0[tg];
}

static int select_regime(const struct arm64_mmu_regs *r, bool upper,
			 struct regime *g)
{
	uint64_t tcr = r->tcr;
	unsigned tsz, tg;
	int gb;

	if (upper) {
		tsz = (tcr >> ARM64_TCR_T1SZ_SHIFT) & ARM64_TCR_TSZ_MASK;
		tg = (tcr >> ARM64_TCR_TG1_SHIFT) & ARM64_TCR_TG_MASK;
		g->epd = tcr & ARM64_TCR_EPD1;
		g->tbi = tcr & ARM64_TCR_TBI1;
		g->hpd = tcr & ARM64_TCR_HPD1;
		g->ttbr = r->ttbr1;
	} else {
		tsz = (tcr >> ARM64_TCR_T0SZ_SHIFT) & ARM64_TCR_TSZ_MASK;
		tg = (tcr >> ARM64_TCR_TG0_SHIFT) & ARM64_TCR_TG_MASK;
		g->epd = tcr & ARM64_TCR_EPD0;
		g->tbi = tcr & ARM64_TCR_TBI0;
		g->hpd = tcr & ARM64_TCR_HPD0;
		g->ttbr = r->ttbr0;
	}
	gb = tg_bits(tg, upper);
	/* Reserved TGn values and 52-bit input sizes are not done here;
	 * the region must be larger than one page. */
	if (gb < 0 || tsz < MIN_TSZ || tsz > MAX_TSZ ||
	    64 - tsz <= (unsigned)gb)
		return -EOPNOTSUPP;
	g->gbits = (unsigned)gb;
	g->ia_bits = 64 - tsz;
	return 0;
}

/* Top byte ignored: bits 63:56 become copies of bit 55 (DDI 0487
 * D8, "Address tagging"). */
static uint64_t untag(uint64_t va)
{
	uint64_t top = mask_bits(63, TOP_BYTE_SHIFT);

	return (va >> VA_SELECT_BIT) & 1 ? va | top : va & ~top;
}

static int read_desc(const struct cellvm_mem *mem, uint64_t addr, bool be,
		     uint64_t *desc)
{
	uint64_t d;

	if (cellvm_mem_read(mem, addr, &d, sizeof(d)))
		return -EFAULT;
	*desc = be ? __builtin_bswap64(d) : d;
	return 0;
}

/* Is a block descriptor allowed at this level (D8.3, "Block descriptor"
 * with 48-bit OA: levels 1-2 for 4K, level 2 for 16K and 64K)? */
static bool block_ok(unsigned gbits, int level)
{
	return level == 2 || (gbits == 12 && level == 1);
}

/* Fold a table descriptor's APTable into the permissions so far. */
static unsigned table_perm(const struct regime *g, uint64_t desc,
			   unsigned perm)
{
	if (g->hpd)
		return perm;
	if (desc & DESC_APTABLE_NO_EL0)
		perm &= ~ARM64_PERM_EL0;
	if (desc & DESC_APTABLE_RO)
		perm |= ARM64_PERM_RO;
	return perm;
}

static unsigned leaf_perm(uint64_t desc, unsigned perm)
{
	if (!(desc & DESC_AP_EL0))
		perm &= ~ARM64_PERM_EL0;
	if (desc & DESC_AP_RO)
		perm |= ARM64_PERM_RO;
	return perm;
}

static int walk(const struct cellvm_mem *mem, const struct regime *g,
		uint64_t va, bool be, uint64_t *ipa, unsigned *perm)
{
	unsigned p = ARM64_PERM_EL0;
	unsigned stride = g->gbits - 3;
	int levels = (int)((g->ia_bits - g->gbits + stride - 1) / stride);
	int level = LAST_LEVEL + 1 - levels;
	unsigned shift = g->gbits + stride * (unsigned)(LAST_LEVEL - level);
	unsigned first_bits = g->ia_bits - shift;
	uint64_t align = 8ULL << first_bits;
	uint64_t table, desc;

	if (align < MIN_TABLE_ALIGN)
		align = MIN_TABLE_ALIGN;
	table = g->ttbr & mask_bits(OA_BITS - 1, 0) & ~(align - 1);
	for (; level <= LAST_LEVEL; level++) {
		unsigned bits = level == LAST_LEVEL + 1 - levels ? first_bits
								  : stride;
		uint64_t idx;

		shift = g->gbits + stride * (unsigned)(LAST_LEVEL - level);
		idx = (va >> shift) & ((1ULL << bits) - 1);
		if (read_desc(mem, table + idx * 8, be, &desc))
			return -EFAULT;
		if (!(desc & DESC_VALID))
			return -EFAULT;
		if (level < LAST_LEVEL && (desc & DESC_TABLE)) {
			table = desc & mask_bits(OA_BITS - 1, g->gbits);
			p = table_perm(g, desc, p);
			continue;
		}
		/* A block, or a page at level 3; level 3 with bit 1 clear
		 * is reserved and faults like an invalid descriptor. */
		if (level == LAST_LEVEL ? !(desc & DESC_TABLE)
					: !block_ok(g->gbits, level))
			return -EFAULT;
		*ipa = (desc & mask_bits(OA_BITS - 1, shift)) |
		       (va & ((1ULL << shift) - 1));
		*perm = leaf_perm(desc, p);
		return 0;
	}
	return -EFAULT; /* not reached: level 3 always returns */
}

int arm64_pgwalk(const struct cellvm_mem *mem, const struct arm64_mmu_regs *r,
		 uint64_t va, bool data, uint64_t *ipa, unsigned *perm)
{
	unsigned dummy;
	bool upper = (va >> VA_SELECT_BIT) & 1;
	bool be = r->sctlr & ARM64_SCTLR_EE;
	struct regime g;
	uint64_t hi;
	int ret;

	if (!perm)
		perm = &dummy;
	ret = select_regime(r, upper, &g);
	if (!(r->sctlr & ARM64_SCTLR_M)) {
		/* Flat: only TBI matters, and the address must fit the
		 * output size (AArch64.S1DisabledOutput). */
		if (data && g.tbi) /* set even when ret != 0 */
			va &= mask_bits(TOP_BYTE_SHIFT - 1, 0);
		if (va >> OA_BITS)
			return -EFAULT;
		*ipa = va;
		*perm = ARM64_PERM_EL0;
		return 0;
	}
	if (ret)
		return ret;
	if (data && g.tbi)
		va = untag(va);
	/* The bits above the region must all equal bit 55 (D8.2). */
	hi = va >> g.ia_bits;
	if (hi != (upper ? ~0ULL >> g.ia_bits : 0))
		return -EFAULT;
	if (g.epd)
		return -EFAULT;
	return walk(mem, &g, va, be, ipa, perm);
}

// SPDX-License-Identifier: MIT
/*
 * Emulation of loads and stores that trapped without a syndrome
 * (emulate.h). The semantics are those of the instruction pages of
 * DDI 0487 C6.2 (LDR, LDRB, LDRSW, LDP, LDPSW, STP, ...) and C7.2 (their
 * SIMD&FP forms): Mem[] accesses of the element size, X[t] = ZeroExtend
 * or SignExtend of the data, V[t] written whole (the rest zeroed), the
 * base written back after the accesses. Each register element is split
 * into at most 8-byte accesses, since the bus carries no wider ones.
 */
#include <errno.h>
#include <string.h>

#include "arch/arm64/emulate.h"
#include "cellvm/arm64.h"

#define MAX_BYTES 32 /* a pair of 16-byte Q registers */
#define MAX_ACCESS 8
#define PAGE_SHIFT_4K 12 /* the fault IPA's granularity from KVM */

struct plan {
	unsigned chunk; /* bytes per access */
	unsigned n; /* accesses */
	uint64_t ipa[MAX_BYTES / MAX_ACCESS];
	uint8_t buf[MAX_BYTES]; /* memory bytes, lowest address first */
};

static int el_of(uint64_t pstate)
{
	return (int)((pstate >> ARM64_PSTATE_EL_SHIFT) & ARM64_PSTATE_EL_MASK);
}

/* The SP that Rn = 31 names: SP_EL0 at EL0 or with SPSel clear. */
static uint64_t sp_id(uint64_t pstate)
{
	return el_of(pstate) == 0 || !(pstate & ARM64_PSTATE_SP)
		       ? CELLVM_ARM64_REG_SP
		       : CELLVM_ARM64_REG_SP_EL1;
}

static bool data_be(const struct arm64_emu_cpu *cpu)
{
	return cpu->mmu.sctlr & (el_of(cpu->pstate) == 0 ? ARM64_SCTLR_E0E
							 : ARM64_SCTLR_EE);
}

/* Element bytes <-> register value (lo, hi) in the data byte order. */
static void put_elem(uint8_t *p, unsigned size, bool be, uint64_t lo,
		     uint64_t hi)
{
	unsigned i;

	for (i = 0; i < size; i++) {
		uint64_t w = i < 8 ? lo : hi;
		uint8_t b = (uint8_t)(w >> (8 * (i % 8)));

		p[be ? size - 1 - i : i] = b;
	}
}

static void get_elem(const uint8_t *p, unsigned size, bool be, uint64_t *lo,
		     uint64_t *hi)
{
	unsigned i;

	*lo = *hi = 0;
	for (i = 0; i < size; i++) {
		uint64_t b = p[be ? size - 1 - i : i];

		if (i < 8)
			*lo |= b << (8 * i);
		else
			*hi |= b << (8 * (i - 8));
	}
}

static int get_x(const struct arm64_emu *e, unsigned r, uint64_t *v)
{
	if (r == ARM64_REG_ZR_SP) {
		*v = 0;
		return 0;
	}
	return e->ops->get_reg(e->ctx, CELLVM_ARM64_REG_X(r), v);
}

/* Read the store data of every register into p->buf. */
static int gather(const struct arm64_emu *e, const struct arm64_ldst *d,
		  bool be, struct plan *p)
{
	unsigned rt[2] = { d->rt, d->rt2 };
	unsigned i;
	int ret = 0;

	for (i = 0; i < d->nregs && !ret; i++) {
		uint64_t lo = 0, hi = 0;

		if (!d->simd) {
			ret = get_x(e, rt[i], &lo);
		} else {
			ret = e->ops->get_reg(e->ctx,
					      CELLVM_ARM64_REG_V_LO(rt[i]), &lo);
			if (!ret && d->size > MAX_ACCESS)
				ret = e->ops->get_reg(
					e->ctx, CELLVM_ARM64_REG_V_HI(rt[i]),
					&hi);
		}
		put_elem(p->buf + i * d->size, d->size, be, lo, hi);
	}
	return ret;
}

/*
 * Stage-1 data access permissions (DDI 0487 D8.4, "Memory access
 * control"): an unprivileged access (EL0, or LDTR/STTR at EL1 without
 * PSTATE.UAO) needs AP[1]; a privileged one is refused on an
 * EL0-accessible page under PSTATE.PAN ("Privileged Access Never"); a
 * write needs AP[2] clear.
 */
static bool perm_ok(const struct arm64_ldst *d,
		    const struct arm64_emu_cpu *cpu, unsigned perm)
{
	bool unpriv = el_of(cpu->pstate) == 0 ||
		      (d->unpriv && !(cpu->pstate & ARM64_PSTATE_UAO));

	if (unpriv && !(perm & ARM64_PERM_EL0))
		return false;
	if (!unpriv && (cpu->pstate & ARM64_PSTATE_PAN) &&
	    (perm & ARM64_PERM_EL0))
		return false;
	return d->load || !(perm & ARM64_PERM_RO);
}

/* Translate every access and check one of them is the one that trapped. */
static int translate(const struct arm64_emu *e, const struct arm64_ldst *d,
		     const struct arm64_emu_cpu *cpu, uint64_t va,
		     uint64_t fault_ipa, struct plan *p, const char **why)
{
	bool seen = false;
	unsigned i, perm;

	p->chunk = d->size < MAX_ACCESS ? d->size : MAX_ACCESS;
	p->n = d->nregs * d->size / p->chunk;
	for (i = 0; i < p->n; i++) {
		uint64_t a = va + (uint64_t)i * p->chunk;
		int ret;

		if (a & (p->chunk - 1)) {
			*why = "misaligned access";
			return -EOPNOTSUPP;
		}
		ret = arm64_pgwalk(e->mem, &cpu->mmu, a, true, &p->ipa[i],
				   &perm);
		if (ret) {
			*why = "data address does not translate";
			return ret;
		}
		if (!perm_ok(d, cpu, perm)) {
			*why = "stage-1 permissions forbid the access";
			return -EACCES;
		}
		if (p->ipa[i] >> PAGE_SHIFT_4K == fault_ipa >> PAGE_SHIFT_4K)
			seen = true;
	}
	if (!seen) {
		*why = "no access at the fault address (tables changed?)";
		return -ESTALE;
	}
	return 0;
}

static int perform(const struct arm64_emu *e, bool load, struct plan *p,
		   const char **why)
{
	unsigned i;

	for (i = 0; i < p->n; i++) {
		uint8_t *b = p->buf + i * p->chunk;
		uint64_t v = 0, hi;
		int ret;

		if (!load)
			get_elem(b, p->chunk, false, &v, &hi);
		ret = e->ops->access(e->ctx, p->ipa[i], p->chunk, !load, &v);
		if (ret) {
			*why = "bus access failed";
			return ret < 0 ? ret : -EIO;
		}
		if (load)
			put_elem(b, p->chunk, false, v, 0);
	}
	return 0;
}

/* X[t] from a loaded element: extension, then the W or X width. */
static uint64_t gpr_value(const struct arm64_ldst *d, uint64_t v)
{
	unsigned bits = d->size * 8;

	if (d->sign_extend && bits < 64) {
		uint64_t m = 1ULL << (bits - 1);

		v = (v ^ m) - m;
	}
	return d->reg_bytes == 4 ? (uint32_t)v : v;
}

static int scatter(const struct arm64_emu *e, const struct arm64_ldst *d,
		   bool be, const struct plan *p)
{
	unsigned rt[2] = { d->rt, d->rt2 };
	unsigned i;
	int ret = 0;

	for (i = 0; i < d->nregs && !ret; i++) {
		uint64_t lo, hi;

		get_elem(p->buf + i * d->size, d->size, be, &lo, &hi);
		if (d->simd) {
			ret = e->ops->set_reg(e->ctx,
					      CELLVM_ARM64_REG_V_LO(rt[i]), lo);
			if (!ret)
				ret = e->ops->set_reg(
					e->ctx, CELLVM_ARM64_REG_V_HI(rt[i]),
					hi);
		} else if (rt[i] != ARM64_REG_ZR_SP) {
			ret = e->ops->set_reg(e->ctx, CELLVM_ARM64_REG_X(rt[i]),
					      gpr_value(d, lo));
		}
	}
	return ret;
}

/* Base (Rn, SP or PC) and offset register. */
static int operands(const struct arm64_emu *e, const struct arm64_ldst *d,
		    const struct arm64_emu_cpu *cpu, uint64_t *base,
		    uint64_t *rm)
{
	int ret = 0;

	*rm = 0;
	if (d->mode == ARM64_ADDR_LITERAL)
		*base = cpu->pc;
	else if (d->rn == ARM64_REG_ZR_SP)
		ret = e->ops->get_reg(e->ctx, sp_id(cpu->pstate), base);
	else
		ret = get_x(e, d->rn, base);
	if (!ret && d->mode == ARM64_ADDR_REG)
		ret = get_x(e, d->rm, rm);
	return ret;
}

static int finish(const struct arm64_emu *e, const struct arm64_ldst *d,
		  const struct arm64_emu_cpu *cpu, bool be,
		  const struct plan *p, uint64_t wb)
{
	int ret = 0;

	if (d->load)
		ret = scatter(e, d, be, p);
	if (!ret && d->wb != ARM64_WB_NONE)
		ret = e->ops->set_reg(e->ctx,
				      d->rn == ARM64_REG_ZR_SP
					      ? sp_id(cpu->pstate)
					      : CELLVM_ARM64_REG_X(d->rn),
				      wb);
	if (!ret)
		ret = e->ops->set_reg(e->ctx, CELLVM_ARM64_REG_PC,
				      cpu->pc + ARM64_INSN_SIZE);
	return ret;
}

int arm64_emulate_ldst(const struct arm64_emu *e, const struct arm64_ldst *d,
		       const struct arm64_emu_cpu *cpu, uint64_t fault_ipa,
		       const char **why)
{
	bool be = data_be(cpu);
	struct plan p;
	uint64_t base, rm, va, wb;
	int ret;

	memset(&p, 0, sizeof(p));
	*why = "";
	if ((cpu->pstate & ARM64_PSTATE_NRW) || el_of(cpu->pstate) > 1) {
		*why = "not AArch64 EL0/EL1";
		return -EOPNOTSUPP;
	}
	if (d->nregs < 1 || d->nregs > 2 || !d->size ||
	    (d->size & (d->size - 1)) || d->size * d->nregs > MAX_BYTES) {
		*why = "malformed decode";
		return -EINVAL;
	}
	ret = operands(e, d, cpu, &base, &rm);
	if (!ret && !d->load)
		ret = gather(e, d, be, &p);
	if (ret) {
		*why = "cannot read registers";
		return ret;
	}
	va = arm64_ldst_address(d, base, rm, &wb);
	ret = translate(e, d, cpu, va, fault_ipa, &p, why);
	if (!ret)
		ret = perform(e, d->load, &p, why);
	if (ret)
		return ret;
	ret = finish(e, d, cpu, be, &p, wb);
	if (ret)
		*why = "cannot write registers";
	return ret;
}

static int read_cpu(const struct arm64_emu *e, struct arm64_emu_cpu *cpu)
{
	const struct {
		uint64_t id;
		uint64_t *val;
	} regs[] = {
		{ CELLVM_ARM64_REG_PC, &cpu->pc },
		{ CELLVM_ARM64_REG_PSTATE, &cpu->pstate },
		{ CELLVM_ARM64_REG_SCTLR_EL1, &cpu->mmu.sctlr },
		{ CELLVM_ARM64_REG_TCR_EL1, &cpu->mmu.tcr },
		{ CELLVM_ARM64_REG_TTBR0_EL1, &cpu->mmu.ttbr0 },
		{ CELLVM_ARM64_REG_TTBR1_EL1, &cpu->mmu.ttbr1 },
	};
	unsigned i;
	int ret;

	for (i = 0; i < sizeof(regs) / sizeof(regs[0]); i++) {
		ret = e->ops->get_reg(e->ctx, regs[i].id, regs[i].val);
		if (ret)
			return ret;
	}
	return 0;
}

int arm64_emulate_nisv(const struct arm64_emu *e, uint64_t fault_ipa,
		       uint32_t *insn, const char **why)
{
	struct arm64_emu_cpu cpu;
	struct arm64_ldst d;
	uint64_t pc_ipa;
	uint8_t w[ARM64_INSN_SIZE];
	uint32_t word;
	int ret;

	*why = "";
	if (insn)
		*insn = 0;
	ret = read_cpu(e, &cpu);
	if (ret) {
		*why = "cannot read registers";
		return ret;
	}
	if ((cpu.pstate & ARM64_PSTATE_NRW) || el_of(cpu.pstate) > 1) {
		*why = "not AArch64 EL0/EL1";
		return -EOPNOTSUPP;
	}
	/* A64 instructions are little-endian whatever SCTLR_EL1.EE says
	 * (DDI 0487 B2, "Endian support": instruction fetches are
	 * always little-endian). */
	if (arm64_pgwalk(e->mem, &cpu.mmu, cpu.pc, false, &pc_ipa, NULL) ||
	    cellvm_mem_read(e->mem, pc_ipa, w, sizeof(w))) {
		*why = "PC does not translate to RAM";
		return -EFAULT;
	}
	word = (uint32_t)w[0] | (uint32_t)w[1] << 8 | (uint32_t)w[2] << 16 |
	       (uint32_t)w[3] << 24;
	if (insn)
		*insn = word;
	if (arm64_ldst_decode(word, &d)) {
		*why = "not a load/store cellvm emulates";
		return -EOPNOTSUPP;
	}
	return arm64_emulate_ldst(e, &d, &cpu, fault_ipa, why);
}

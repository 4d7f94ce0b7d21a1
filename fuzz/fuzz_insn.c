// SPDX-License-Identifier: MIT
/*
 * libFuzzer target for the A64 load/store decoder and the ISV=0 emulation
 * (src/arch/arm64/insn.c, emulate.c). Input: a 32-bit instruction word,
 * then register state (PSTATE, SCTLR_EL1, and a register file; missing
 * bytes are zero), then the values the bus returns for reads. The MMU is
 * off or on as SCTLR_EL1 says; with it on, the tables are the guest RAM
 * below, which the input also fills.
 *
 * Invariants: a decode is self-consistent; the emulation only makes
 * 1/2/4/8-byte naturally aligned accesses, at most four; on success PC
 * advanced by 4 and only Rt, Rt2, Rn/SP and PC were written; on failure
 * no register was written.
 */
#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "arch/arm64/emulate.h"
#include "cellvm/arm64.h"
#include "fuzz_util.h"

#define RAM_BASE 0x40000000ULL
#define RAM_SIZE 0x4000u
#define NREGS CELLVM_ARM64_REG_NR

struct fz {
	uint64_t reg[NREGS];
	bool written[NREGS];
	struct cursor bus;
	unsigned accesses;
	uint8_t ram[RAM_SIZE];
	struct cellvm_mem mem;
};

static int fz_get(void *ctx, uint64_t id, uint64_t *val)
{
	struct fz *f = ctx;

	check(id < NREGS);
	*val = f->reg[id];
	return 0;
}

static int fz_set(void *ctx, uint64_t id, uint64_t val)
{
	struct fz *f = ctx;

	check(id < NREGS);
	f->reg[id] = val;
	f->written[id] = true;
	return 0;
}

static int fz_access(void *ctx, uint64_t ipa, unsigned len, bool write,
		     uint64_t *val)
{
	struct fz *f = ctx;

	check(len == 1 || len == 2 || len == 4 || len == 8);
	check((ipa & (len - 1)) == 0);
	check(++f->accesses <= 4);
	if (f->bus.left == 0)
		return -ENODEV; /* out of input: a failing device */
	if (!write)
		*val = take(&f->bus, len);
	return 0;
}

static const struct arm64_emu_ops fz_ops = { fz_get, fz_set, fz_access };

static void check_decode(const struct arm64_ldst *d)
{
	check(d->nregs == 1 || d->nregs == 2);
	check(d->size == 1 || d->size == 2 || d->size == 4 || d->size == 8 ||
	      d->size == 16);
	check(d->simd || d->size <= 8);
	check(d->simd || !d->load || d->reg_bytes == 4 || d->reg_bytes == 8);
	check(d->rt < 32 && d->rt2 < 32 && d->rn < 32 && d->rm < 32);
	check(d->mode != ARM64_ADDR_LITERAL || (d->load && d->nregs == 1));
}

/* Registers an emulation may write. */
static bool allowed(const struct arm64_ldst *d, uint64_t pstate, unsigned id)
{
	unsigned rt[2] = { d->rt, d->rt2 };
	unsigned i;

	if (id == CELLVM_ARM64_REG_PC)
		return true;
	if (d->wb != ARM64_WB_NONE &&
	    (id == d->rn || (d->rn == 31 && (id == CELLVM_ARM64_REG_SP ||
					      id == CELLVM_ARM64_REG_SP_EL1))))
		return true;
	for (i = 0; d->load && i < d->nregs; i++) {
		if (d->simd && (id == CELLVM_ARM64_REG_V_LO(rt[i]) ||
				id == CELLVM_ARM64_REG_V_HI(rt[i])))
			return true;
		if (!d->simd && rt[i] != 31 && id == rt[i])
			return true;
	}
	return false;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct fz f; /* large; reset below on every input */
	struct cursor in = { data, size };
	struct arm64_emu e = { &fz_ops, &f, &f.mem };
	struct arm64_emu_cpu cpu;
	struct arm64_ldst d;
	uint32_t insn = (uint32_t)take(&in, 4);
	uint64_t pc, wb;
	const char *why = NULL;
	unsigned i;
	int ret;

	if (arm64_ldst_decode(insn, &d))
		return 0;
	check_decode(&d);
	memset(&f, 0, sizeof(f));
	if (cellvm_mem_add(&f.mem, RAM_BASE, RAM_SIZE, f.ram))
		__builtin_trap();
	cpu.pstate = take(&in, 1);
	cpu.mmu.sctlr = take(&in, 4);
	cpu.mmu.tcr = take(&in, 8);
	cpu.mmu.ttbr0 = RAM_BASE + (take(&in, 2) % RAM_SIZE);
	cpu.mmu.ttbr1 = RAM_BASE + (take(&in, 2) % RAM_SIZE);
	cpu.pc = take(&in, 8);
	/* Registers: a few bytes each, so inputs stay short. */
	for (i = 0; i < 32; i++)
		f.reg[i] = take(&in, 1) * 0x0101010101010101ULL ^ 0x09000000;
	f.reg[CELLVM_ARM64_REG_SP_EL1] = take(&in, 4);
	for (i = 0; i < RAM_SIZE && in.left > 32; i++)
		f.ram[i] = (uint8_t)take(&in, 1);
	f.bus = in;
	(void)arm64_ldst_address(&d, f.reg[d.rn], f.reg[d.rm], &wb);
	pc = cpu.pc;
	ret = arm64_emulate_ldst(&e, &d, &cpu, take(&in, 8), &why);
	check(why != NULL);
	for (i = 0; i < NREGS; i++) {
		if (ret)
			check(!f.written[i]);
		else if (f.written[i])
			check(allowed(&d, cpu.pstate, i));
	}
	if (ret == 0)
		check(f.written[CELLVM_ARM64_REG_PC] &&
		      f.reg[CELLVM_ARM64_REG_PC] == pc + 4);
	return 0;
}

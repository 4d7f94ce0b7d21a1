// SPDX-License-Identifier: MIT
/*
 * libFuzzer target for the stage-1 walker (src/arch/arm64/pgwalk.c).
 * Input: SCTLR_EL1, TCR_EL1, TTBR0_EL1, TTBR1_EL1 (the TTBRs folded into
 * guest RAM half of the time, so walks get somewhere), a VA, a flags byte,
 * then the guest RAM itself (at 0x40000000, up to 64 KiB).
 *
 * Invariants: the walk returns 0, -EFAULT or -EOPNOTSUPP, terminates,
 * is deterministic, and a translation keeps the VA's offset within the
 * smallest granule (4 KiB) and fits in 48 bits, with only the defined
 * permission bits.
 */
#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "arch/arm64/pgwalk.h"
#include "fuzz_util.h"

#define RAM_BASE 0x40000000ULL
#define RAM_MAX 0x10000u

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static uint8_t ram[RAM_MAX];
	struct arm64_mmu_regs r;
	struct cellvm_mem mem = { 0 };
	uint64_t va, ipa = 0, ipa2 = 0;
	unsigned flags, perm = 0;
	size_t n;
	struct cursor c = { data, size };
	int ret;

	r.sctlr = take(&c, 8);
	r.tcr = take(&c, 8);
	r.ttbr0 = take(&c, 8);
	r.ttbr1 = take(&c, 8);
	va = take(&c, 8);
	flags = (unsigned)take(&c, 1);
	data = c.p;
	size = c.left;
	n = size < RAM_MAX ? size : RAM_MAX;
	if (n == 0)
		return 0;
	memcpy(ram, data, n);
	if (cellvm_mem_add(&mem, RAM_BASE, n, ram))
		__builtin_trap();
	if (flags & 1) {
		r.ttbr0 = RAM_BASE + r.ttbr0 % n;
		r.ttbr1 = RAM_BASE + r.ttbr1 % n;
	}
	ret = arm64_pgwalk(&mem, &r, va, flags & 2, &ipa, &perm);
	check(ret == 0 || ret == -EFAULT || ret == -EOPNOTSUPP);
	check(arm64_pgwalk(&mem, &r, va, flags & 2, &ipa2, NULL) == ret);
	if (ret == 0) {
		check(ipa == ipa2);
		check((ipa & 0xfff) == (va & 0xfff));
		check(ipa >> 48 == 0);
		check((perm & ~(ARM64_PERM_EL0 | ARM64_PERM_RO)) == 0);
	}
	return 0;
}

// SPDX-License-Identifier: MIT
/*
 * Emulation of ISV=0 data aborts (src/arch/arm64/emulate.c), table-driven
 * on fake registers and a fake bus: the instruction sits in guest RAM at
 * the PC, the bus is two 4 KiB devices side by side whose bytes read as
 * 0x80 + (offset & 0x7f) and which log every access. Each case checks the
 * registers written (and only those), the accesses made, and PC + 4.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "arch/arm64/emulate.h"
#include "cellvm/arm64.h"

#define RAM_BASE 0x40000000ULL
#define RAM_SIZE (4ULL << 20)
#define DEV 0x09000000ULL /* device A; device B at DEV + 0x1000 */
#define DEV_SIZE 0x2000
#define NREGS CELLVM_ARM64_REG_NR
#define MAX_LOG 8

#define X(n) CELLVM_ARM64_REG_X(n)
#define VLO(n) CELLVM_ARM64_REG_V_LO(n)
#define VHI(n) CELLVM_ARM64_REG_V_HI(n)
#define SP0 CELLVM_ARM64_REG_SP
#define SP1 CELLVM_ARM64_REG_SP_EL1
#define PSTATE CELLVM_ARM64_REG_PSTATE
#define SCTLR CELLVM_ARM64_REG_SCTLR_EL1
#define PC CELLVM_ARM64_REG_PC

#define EL1H 0x5
#define EL1T 0x4
#define EL0 0x0

struct access {
	uint64_t off; /* from DEV */
	unsigned len;
	bool write;
	uint64_t val;
};

struct fake {
	uint8_t *ram;
	struct cellvm_mem mem;
	uint64_t reg[NREGS];
	bool written[NREGS];
	uint64_t fail_reg; /* get_reg of this id fails (0: none) */
	uint8_t dev[DEV_SIZE];
	struct access log[MAX_LOG];
	unsigned nlog;
};

static int fake_get(void *ctx, uint64_t id, uint64_t *val)
{
	struct fake *f = ctx;

	if (id >= NREGS || (f->fail_reg && id == f->fail_reg))
		return -EINVAL;
	*val = f->reg[id];
	return 0;
}

static int fake_set(void *ctx, uint64_t id, uint64_t val)
{
	struct fake *f = ctx;

	if (id >= NREGS)
		return -EINVAL;
	f->reg[id] = val;
	f->written[id] = true;
	return 0;
}

static int fake_access(void *ctx, uint64_t ipa, unsigned len, bool write,
		       uint64_t *val)
{
	struct fake *f = ctx;
	uint64_t off = ipa - DEV;
	unsigned i;

	assert_true(len == 1 || len == 2 || len == 4 || len == 8);
	if (ipa < DEV || off + len > DEV_SIZE)
		return -ENODEV;
	assert_true(f->nlog < MAX_LOG);
	if (write) {
		for (i = 0; i < len; i++)
			f->dev[off + i] = (uint8_t)(*val >> (8 * i));
	} else {
		*val = 0;
		for (i = 0; i < len; i++)
			*val |= (uint64_t)f->dev[off + i] << (8 * i);
	}
	f->log[f->nlog++] = (struct access){ off, len, write, *val };
	return 0;
}

static const struct arm64_emu_ops fake_ops = {
	.get_reg = fake_get,
	.set_reg = fake_set,
	.access = fake_access,
};

static void fake_init(struct fake *f)
{
	unsigned i;

	memset(f, 0, sizeof(*f));
	f->ram = calloc(1, RAM_SIZE);
	assert_non_null(f->ram);
	assert_int_equal(cellvm_mem_add(&f->mem, RAM_BASE, RAM_SIZE, f->ram),
			 0);
	for (i = 0; i < DEV_SIZE; i++)
		f->dev[i] = (uint8_t)(0x80 + (i & 0x7f));
	f->reg[PC] = RAM_BASE;
	f->reg[PSTATE] = EL1H;
}

static void put_insn(struct fake *f, uint64_t gpa, uint32_t insn)
{
	uint8_t b[4] = { (uint8_t)insn, (uint8_t)(insn >> 8),
			 (uint8_t)(insn >> 16), (uint8_t)(insn >> 24) };

	memcpy(f->ram + (gpa - RAM_BASE), b, 4);
}

static int run(struct fake *f, uint32_t insn, uint64_t fault_ipa,
	       uint32_t *seen)
{
	struct arm64_emu e = { &fake_ops, f, &f->mem };
	const char *why = NULL;
	int ret;

	if (f->reg[PC] >= RAM_BASE && f->reg[PC] + 4 <= RAM_BASE + RAM_SIZE)
		put_insn(f, f->reg[PC], insn);
	ret = arm64_emulate_nisv(&e, fault_ipa, seen, &why);
	assert_non_null(why);
	if (ret)
		assert_true(why[0] != '\0');
	return ret;
}

struct rv {
	uint64_t id, val;
};

struct ok_case {
	const char *text;
	uint32_t insn;
	uint64_t pstate;
	uint64_t sctlr;
	struct rv in[4]; /* registers before (id 0 with val 0 ends) */
	uint64_t fault_off;
	struct rv out[4]; /* registers written besides PC */
	struct access acc[4];
};

#define ALL1 0xffffffffffffffffULL
#define V0 0x8786858483828180ULL /* device bytes at offset 0 */
#define V8 0x8f8e8d8c8b8a8988ULL
#define V10 0x9796959493929190ULL
#define V18 0x9f9e9d9c9b9a9998ULL

static const struct ok_case ok_cases[] = {
	{ "ldp x1, x2, [x3, #16]", 0xa9410861, EL1H, 0,
	  { { X(3), DEV } }, 0x10,
	  { { X(1), V10 }, { X(2), V18 } },
	  { { 0x10, 8, false, V10 }, { 0x18, 8, false, V18 } } },
	{ "ldp w1, w2, [x3], #8", 0x28c10861, EL1H, 0,
	  { { X(3), DEV }, { X(1), ALL1 } }, 0,
	  { { X(1), 0x83828180 }, { X(2), 0x87868584 }, { X(3), DEV + 8 } },
	  { { 0, 4, false, 0x83828180 }, { 4, 4, false, 0x87868584 } } },
	{ "ldrsb x1, [x2]", 0x39800041, EL1H, 0, { { X(2), DEV + 1 } }, 1,
	  { { X(1), 0xffffffffffffff81ULL } }, { { 1, 1, false, 0x81 } } },
	{ "ldrsb w1, [x2]", 0x39c00041, EL1H, 0, { { X(2), DEV + 1 } }, 1,
	  { { X(1), 0xffffff81ULL } }, { { 1, 1, false, 0x81 } } },
	{ "ldrsh x1, [x2, #2]", 0x79800441, EL1H, 0, { { X(2), DEV } }, 2,
	  { { X(1), 0xffffffffffff8382ULL } }, { { 2, 2, false, 0x8382 } } },
	{ "ldrsw x1, [x2, #4]", 0xb9800441, EL1H, 0, { { X(2), DEV } }, 4,
	  { { X(1), 0xffffffff87868584ULL } },
	  { { 4, 4, false, 0x87868584 } } },
	{ "ldr w1, [x2] (upper half zeroed)", 0xb9400041, EL1H, 0,
	  { { X(2), DEV + 4 }, { X(1), ALL1 } }, 4,
	  { { X(1), 0x87868584 } }, { { 4, 4, false, 0x87868584 } } },
	{ "ldrh w1, [x2]", 0x79400041, EL1H, 0, { { X(2), DEV + 2 } }, 2,
	  { { X(1), 0x8382 } }, { { 2, 2, false, 0x8382 } } },
	{ "stp x1, x2, [sp, #-16]! at EL1h: SP_EL1", 0xa9bf0be1, EL1H, 0,
	  { { SP1, DEV + 0x20 }, { X(1), 0x1111 }, { X(2), 0x2222 },
	    { SP0, 0x5a5a } },
	  0x10, { { SP1, DEV + 0x10 } },
	  { { 0x10, 8, true, 0x1111 }, { 0x18, 8, true, 0x2222 } } },
	{ "stp x1, x2, [sp, #-16]! at EL1t: SP_EL0", 0xa9bf0be1, EL1T, 0,
	  { { SP0, DEV + 0x20 }, { X(1), 0x1111 }, { X(2), 0x2222 },
	    { SP1, 0x5a5a } },
	  0x10, { { SP0, DEV + 0x10 } },
	  { { 0x10, 8, true, 0x1111 }, { 0x18, 8, true, 0x2222 } } },
	{ "stp x1, x2, [sp, #-16]! at EL0: SP_EL0", 0xa9bf0be1, EL0 | 1, 0,
	  { { SP0, DEV + 0x20 }, { X(1), 0x1111 }, { X(2), 0x2222 },
	    { SP1, 0x5a5a } },
	  0x10, { { SP0, DEV + 0x10 } },
	  { { 0x10, 8, true, 0x1111 }, { 0x18, 8, true, 0x2222 } } },
	{ "ldr x1, [x2, w3, sxtw #3] (w3 = -2)", 0xf863d841, EL1H, 0,
	  { { X(2), DEV + 0x20 }, { X(3), 0x77777777fffffffeULL } }, 0x10,
	  { { X(1), V10 } }, { { 0x10, 8, false, V10 } } },
	{ "stp xzr, xzr, [x1]", 0xa9007c3f, EL1H, 0,
	  { { X(1), DEV }, { SP0, 0x5a5a } }, 0, { { 0 } },
	  { { 0, 8, true, 0 }, { 8, 8, true, 0 } } },
	{ "ldp xzr, x2, [x1]: XZR discards, SP untouched", 0xa940083f, EL1H,
	  0, { { X(1), DEV + 8 } }, 8, { { X(2), V10 } },
	  { { 8, 8, false, V8 }, { 0x10, 8, false, V10 } } },
	{ "ldp x1, x2, [x3] across two devices", 0xa9400861, EL1H, 0,
	  { { X(3), DEV + 0xff8 } }, 0xff8,
	  { { X(1), 0xfffefdfcfbfaf9f8ULL }, { X(2), V0 } },
	  { { 0xff8, 8, false, 0xfffefdfcfbfaf9f8ULL },
	    { 0x1000, 8, false, V0 } } },
	{ "ldr q0, [x1]", 0x3dc00020, EL1H, 0, { { X(1), DEV } }, 0,
	  { { VLO(0), V0 }, { VHI(0), V8 } },
	  { { 0, 8, false, V0 }, { 8, 8, false, V8 } } },
	{ "ldr s1, [x1]: the rest of V1 zeroed", 0xbd400021, EL1H, 0,
	  { { X(1), DEV }, { VHI(1), 0x1234 }, { VLO(1), ALL1 } }, 0,
	  { { VLO(1), 0x83828180 }, { VHI(1), 0 } },
	  { { 0, 4, false, 0x83828180 } } },
	{ "stp d0, d1, [x1]", 0x6d000420, EL1H, 0,
	  { { X(1), DEV }, { VLO(0), 0xa }, { VLO(1), 0xb } }, 0, { { 0 } },
	  { { 0, 8, true, 0xa }, { 8, 8, true, 0xb } } },
	{ "str q2, [x1, #16]", 0x3d800422, EL1H, 0,
	  { { X(1), DEV }, { VLO(2), 1 }, { VHI(2), 2 } }, 0x18, { { 0 } },
	  { { 0x10, 8, true, 1 }, { 0x18, 8, true, 2 } } },
	{ "strh w1, [x2, #-2]!", 0x781fec41, EL1H, 0,
	  { { X(1), 0xabcd1234 }, { X(2), DEV + 4 } }, 2,
	  { { X(2), DEV + 2 } }, { { 2, 2, true, 0x1234 } } },
	{ "ldr x1, [sp], #16", 0xf84107e1, EL1H, 0, { { SP1, DEV } }, 0,
	  { { X(1), V0 }, { SP1, DEV + 16 } }, { { 0, 8, false, V0 } } },
	{ "ldtr x1, [x2, #8]", 0xf8408841, EL1H, 0, { { X(2), DEV } }, 8,
	  { { X(1), V8 } }, { { 8, 8, false, V8 } } },
	{ "str x1, [x1], #8: stores the original x1", 0xf8008421, EL1H, 0,
	  { { X(1), DEV + 0x20 } }, 0x20, { { X(1), DEV + 0x28 } },
	  { { 0x20, 8, true, DEV + 0x20 } } },
	/* Big-endian data: SCTLR_EL1.EE at EL1, .E0E at EL0. */
	{ "ldr w1, [x2], big-endian EL1", 0xb9400041, EL1H, ARM64_SCTLR_EE,
	  { { X(2), DEV } }, 0, { { X(1), 0x80818283 } },
	  { { 0, 4, false, 0x83828180 } } },
	{ "ldrsh w1, [x2], big-endian EL1", 0x79c00041, EL1H, ARM64_SCTLR_EE,
	  { { X(2), DEV } }, 0, { { X(1), 0xffff8081 } },
	  { { 0, 2, false, 0x8180 } } },
	{ "str w1, [x2], big-endian EL1", 0xb9000041, EL1H, ARM64_SCTLR_EE,
	  { { X(1), 0x11223344 }, { X(2), DEV } }, 0, { { 0 } },
	  { { 0, 4, true, 0x44332211 } } },
	{ "ldr w1, [x2], big-endian EL0 (E0E)", 0xb9400041, EL0,
	  ARM64_SCTLR_E0E, { { X(2), DEV } }, 0, { { X(1), 0x80818283 } },
	  { { 0, 4, false, 0x83828180 } } },
	{ "ldr w1, [x2] at EL0: EE alone is little-endian", 0xb9400041, EL0,
	  ARM64_SCTLR_EE, { { X(2), DEV } }, 0, { { X(1), 0x83828180 } },
	  { { 0, 4, false, 0x83828180 } } },
	{ "ldr q0, [x1], big-endian", 0x3dc00020, EL1H, ARM64_SCTLR_EE,
	  { { X(1), DEV } }, 0,
	  { { VLO(0), 0x88898a8b8c8d8e8fULL }, { VHI(0), 0x8081828384858687ULL } },
	  { { 0, 8, false, V0 }, { 8, 8, false, V8 } } },
};

static void check_case(const struct ok_case *c, struct fake *f)
{
	bool expect[NREGS] = { false };
	unsigned i;

	for (i = 0; i < 4 && c->out[i].id; i++) {
		expect[c->out[i].id] = true;
		assert_true(f->written[c->out[i].id]);
		assert_int_equal(f->reg[c->out[i].id], c->out[i].val);
	}
	expect[PC] = true;
	assert_true(f->written[PC]);
	assert_int_equal(f->reg[PC], RAM_BASE + 4);
	for (i = 0; i < NREGS; i++)
		if (!expect[i] && f->written[i])
			fail_msg("register %u written", i);
	for (i = 0; i < 4 && c->acc[i].len; i++) {
		assert_true(i < f->nlog);
		assert_int_equal(f->log[i].off, c->acc[i].off);
		assert_int_equal(f->log[i].len, c->acc[i].len);
		assert_int_equal(f->log[i].write, c->acc[i].write);
		assert_int_equal(f->log[i].val, c->acc[i].val);
	}
	assert_int_equal(f->nlog, i);
}

static void test_ok(void **state)
{
	size_t i;

	for (i = 0; i < sizeof(ok_cases) / sizeof(ok_cases[0]); i++) {
		const struct ok_case *c = &ok_cases[i];
		struct fake f;
		uint32_t seen = 0;
		unsigned j;

		print_message("%s\n", c->text);
		fake_init(&f);
		f.reg[PSTATE] = c->pstate;
		f.reg[SCTLR] = c->sctlr;
		for (j = 0; j < 4 && c->in[j].id; j++)
			f.reg[c->in[j].id] = c->in[j].val;
		assert_int_equal(run(&f, c->insn, DEV + c->fault_off, &seen),
				 0);
		assert_int_equal(seen, c->insn);
		check_case(c, &f);
		free(f.ram);
	}
}

struct bad_case {
	const char *text;
	uint32_t insn;
	uint64_t pstate;
	uint64_t pc;
	struct rv in[2];
	uint64_t fault_off;
	uint64_t fail_reg;
	int want;
	unsigned accesses; /* made before the failure */
};

static const struct bad_case bad_cases[] = {
	{ "the fault is in none of the accesses' pages", 0xa9410861, EL1H,
	  RAM_BASE, { { X(3), DEV } }, 0x1000, 0, -ESTALE, 0 },
	{ "misaligned", 0xb9400041, EL1H, RAM_BASE, { { X(2), DEV + 2 } }, 0,
	  0, -EOPNOTSUPP, 0 },
	{ "second access of a pair fails", 0xa9400861, EL1H, RAM_BASE,
	  { { X(3), DEV + 0x1ff8 } }, 0x1ff8, 0, -ENODEV, 1 },
	{ "AArch32", 0xb9400041, 0x10, RAM_BASE, { { X(2), DEV } }, 0, 0,
	  -EOPNOTSUPP, 0 },
	{ "EL2", 0xb9400041, 0x9, RAM_BASE, { { X(2), DEV } }, 0, 0,
	  -EOPNOTSUPP, 0 },
	{ "not a load/store", 0x8b030041, EL1H, RAM_BASE, { { 0 } }, 0, 0,
	  -EOPNOTSUPP, 0 },
	{ "exclusive load", 0x885f7c41, EL1H, RAM_BASE, { { X(2), DEV } }, 0,
	  0, -EOPNOTSUPP, 0 },
	{ "PC outside RAM", 0xb9400041, EL1H, 0x1000, { { X(2), DEV } }, 0,
	  0, -EFAULT, 0 },
	{ "PC at the last bytes of RAM + 2", 0xb9400041, EL1H,
	  RAM_BASE + RAM_SIZE - 2, { { X(2), DEV } }, 0, 0, -EFAULT, 0 },
	{ "translation registers unreadable", 0xb9400041, EL1H, RAM_BASE,
	  { { X(2), DEV } }, 0, CELLVM_ARM64_REG_TCR_EL1, -EINVAL, 0 },
	{ "base register unreadable", 0xb9400041, EL1H, RAM_BASE,
	  { { X(2), DEV } }, 0, X(2), -EINVAL, 0 },
};

static void test_refused(void **state)
{
	size_t i;

	for (i = 0; i < sizeof(bad_cases) / sizeof(bad_cases[0]); i++) {
		const struct bad_case *c = &bad_cases[i];
		struct fake f;
		unsigned j;

		print_message("%s\n", c->text);
		fake_init(&f);
		f.reg[PSTATE] = c->pstate;
		f.reg[PC] = c->pc;
		f.fail_reg = c->fail_reg;
		for (j = 0; j < 2 && c->in[j].id; j++)
			f.reg[c->in[j].id] = c->in[j].val;
		assert_int_equal(run(&f, c->insn, DEV + c->fault_off, NULL),
				 c->want);
		for (j = 0; j < NREGS; j++)
			assert_false(f.written[j]);
		assert_int_equal(f.nlog, c->accesses);
		free(f.ram);
	}
}

/* ---- with the MMU on ------------------------------------------------ */

#define DESC_TABLE 3ULL
#define DESC_AF (1ULL << 10)

/* Map a 4 KiB page in 4K-granule, 48-bit tables rooted at RAM_BASE;
 * tables come from *next. */
static void map4k(struct fake *f, uint64_t *next, uint64_t va, uint64_t pa,
		  uint64_t ap)
{
	uint64_t table = RAM_BASE;
	int level;

	for (level = 0; level <= 3; level++) {
		unsigned shift = 12 + 9 * (unsigned)(3 - level);
		uint64_t slot = table + ((va >> shift) & 511) * 8, d;

		memcpy(&d, f->ram + (slot - RAM_BASE), 8);
		if (level == 3) {
			d = pa | DESC_AF | ap | DESC_TABLE;
		} else if (!(d & 1)) {
			d = *next | DESC_TABLE;
			*next += 0x1000;
		}
		memcpy(f->ram + (slot - RAM_BASE), &d, 8);
		table = d & 0x0000fffffffff000ULL;
	}
}

#define AP_EL0 (1ULL << 6)
#define AP_RO (1ULL << 7)

static void mmu_on_ap(struct fake *f, uint64_t dev_ap)
{
	uint64_t next = RAM_BASE + 0x1000;

	f->reg[SCTLR] = ARM64_SCTLR_M;
	f->reg[CELLVM_ARM64_REG_TTBR0_EL1] = RAM_BASE;
	f->reg[CELLVM_ARM64_REG_TCR_EL1] =
		16ULL << ARM64_TCR_T0SZ_SHIFT | ARM64_TCR_EPD1 |
		ARM64_TCR_TBI0 |
		(uint64_t)ARM64_TG1_4K << ARM64_TCR_TG1_SHIFT;
	/* code at VA 0x400000 in RAM; the next page is device B */
	map4k(f, &next, 0x400000, RAM_BASE + 0x100000, AP_EL0);
	map4k(f, &next, 0x401000, DEV + 0x1000, dev_ap);
	f->reg[PC] = 0x400000;
}

static void mmu_on(struct fake *f)
{
	mmu_on_ap(f, 0);
}

static void test_mmu(void **state)
{
	struct arm64_emu e;
	const char *why;
	struct fake f;

	/* A literal load from the device page after the code page. */
	fake_init(&f);
	mmu_on(&f);
	put_insn(&f, RAM_BASE + 0x100000, 0x58008001); /* ldr x1, . + 0x1000 */
	e = (struct arm64_emu){ &fake_ops, &f, &f.mem };
	assert_int_equal(arm64_emulate_nisv(&e, DEV + 0x1000, NULL, &why), 0);
	assert_int_equal(f.reg[X(1)], V0);
	assert_int_equal(f.reg[PC], 0x400004);
	assert_int_equal(f.nlog, 1);
	assert_int_equal(f.log[0].off, 0x1000);
	free(f.ram);

	/* ldp through a tagged pointer (TBI0). */
	fake_init(&f);
	mmu_on(&f);
	put_insn(&f, RAM_BASE + 0x100000, 0xa9400861); /* ldp x1, x2, [x3] */
	f.reg[X(3)] = 0x5a00000000401010ULL;
	e = (struct arm64_emu){ &fake_ops, &f, &f.mem };
	assert_int_equal(arm64_emulate_nisv(&e, DEV + 0x1010, NULL, &why), 0);
	assert_int_equal(f.reg[X(1)], V10);
	assert_int_equal(f.reg[X(2)], V18);
	assert_int_equal(f.log[0].off, 0x1010);
	assert_int_equal(f.log[1].off, 0x1018);

	/* Data VA not mapped: refused, nothing written. */
	memset(f.written, 0, sizeof(f.written));
	f.nlog = 0;
	f.reg[PC] = 0x400000;
	f.reg[X(3)] = 0x402000;
	assert_int_equal(arm64_emulate_nisv(&e, DEV + 0x1010, NULL, &why),
			 -EFAULT);
	assert_false(f.written[PC]);
	assert_int_equal(f.nlog, 0);

	/* PC not mapped. */
	f.reg[PC] = 0x800000;
	assert_int_equal(arm64_emulate_nisv(&e, DEV + 0x1010, NULL, &why),
			 -EFAULT);
	free(f.ram);
}

/* Stage-1 permissions of the device page against EL, PAN, UAO and
 * LDTR/STTR (DDI 0487 D8.4). */
static void test_perm(void **state)
{
	static const struct {
		const char *text;
		uint32_t insn;
		uint64_t pstate, ap;
		int want;
	} c[] = {
		{ "EL0 ldp, EL1-only page", 0xa9400861, EL0, 0, -EACCES },
		{ "EL0 ldp, EL0 page", 0xa9400861, EL0, AP_EL0, 0 },
		{ "EL1 ldp, EL0 page", 0xa9400861, EL1H, AP_EL0, 0 },
		{ "EL1 ldp with PAN, EL0 page", 0xa9400861,
		  EL1H | ARM64_PSTATE_PAN, AP_EL0, -EACCES },
		{ "EL1 ldp with PAN, EL1-only page", 0xa9400861,
		  EL1H | ARM64_PSTATE_PAN, 0, 0 },
		{ "EL1 ldtr, EL1-only page", 0xf8408861, EL1H, 0, -EACCES },
		{ "EL1 ldtr with UAO, EL1-only page", 0xf8408861,
		  EL1H | ARM64_PSTATE_UAO, 0, 0 },
		{ "EL1 ldtr with PAN, EL0 page", 0xf8408861,
		  EL1H | ARM64_PSTATE_PAN, AP_EL0, 0 },
		{ "EL1 stp, read-only page", 0xa9000861, EL1H, AP_RO, -EACCES },
		{ "EL1 ldp, read-only page", 0xa9400861, EL1H, AP_RO, 0 },
		{ "EL0 str, EL0 read-only page", 0xf9000061, EL0, AP_RO | AP_EL0,
		  -EACCES },
	};
	size_t i;

	for (i = 0; i < sizeof(c) / sizeof(c[0]); i++) {
		struct arm64_emu e;
		const char *why;
		struct fake f;
		unsigned j;

		print_message("%s\n", c[i].text);
		fake_init(&f);
		mmu_on_ap(&f, c[i].ap);
		f.reg[PSTATE] = c[i].pstate;
		f.reg[X(3)] = 0x401010;
		put_insn(&f, RAM_BASE + 0x100000, c[i].insn);
		e = (struct arm64_emu){ &fake_ops, &f, &f.mem };
		assert_int_equal(arm64_emulate_nisv(&e, DEV + 0x1010, NULL,
						    &why),
				 c[i].want);
		if (c[i].want) {
			for (j = 0; j < NREGS; j++)
				assert_false(f.written[j]);
			assert_int_equal(f.nlog, 0);
		} else {
			assert_int_equal(f.reg[PC], 0x400004);
			assert_true(f.nlog >= 1);
		}
		free(f.ram);
	}
}

/* A decode the decoder never makes is refused, not trusted. */
static void test_malformed(void **state)
{
	static const struct arm64_ldst bad[] = {
		{ .nregs = 1, .size = 0 },
		{ .nregs = 1, .size = 3 },
		{ .nregs = 3, .size = 4 },
		{ .nregs = 0, .size = 4 },
		{ .nregs = 2, .size = 32 },
	};
	struct arm64_emu_cpu cpu = { .pc = RAM_BASE, .pstate = EL1H };
	struct fake f;
	struct arm64_emu e = { &fake_ops, &f, NULL };
	const char *why;
	size_t i;

	fake_init(&f);
	e.mem = &f.mem;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_int_equal(arm64_emulate_ldst(&e, &bad[i], &cpu, DEV, &why),
				 -EINVAL);
		assert_int_equal(f.nlog, 0);
	}
	free(f.ram);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_ok),
		cmocka_unit_test(test_refused),
		cmocka_unit_test(test_mmu),
		cmocka_unit_test(test_perm),
		cmocka_unit_test(test_malformed),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

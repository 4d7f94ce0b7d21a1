// SPDX-License-Identifier: MIT
/*
 * Kernel format detection and the vmlinux (ELF) parser
 * (src/arch/arm64/kernel_fmt.c), table-driven. ELF files are built here
 * from <elf.h>'s structures: an ELF header, program headers right after
 * it, and the file size the case says.
 */
#include <elf.h>
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "arch/arm64/kernel_fmt.h"

#define PEEK ARM64_KERNEL_PEEK

/* ---- detection ----------------------------------------------------- */

enum content { C_IMAGE, C_GZIP, C_ELF, C_TEXT, C_SHORT_TEXT, C_SHORT_IMAGE };

struct detect_case {
	const char *name;
	enum content content;
	enum cellvm_kernel_format want;
	int ret;
	enum cellvm_kernel_format got;
	const char *msg;
};

#define A CELLVM_KERNEL_AUTO
#define I CELLVM_KERNEL_IMAGE
#define G CELLVM_KERNEL_GZIP
#define E CELLVM_KERNEL_ELF
#define R CELLVM_KERNEL_RAW

static const struct detect_case detect_cases[] = {
	{ "auto: Image", C_IMAGE, A, 0, I, NULL },
	{ "auto: gzip", C_GZIP, A, 0, G, NULL },
	{ "auto: ELF", C_ELF, A, 0, E, NULL },
	{ "auto: text is refused", C_TEXT, A, -EINVAL, A,
	  "kernel: not an arm64 Image, gzip'd Image or ELF vmlinux" },
	{ "auto: short text goes to the Image parser", C_SHORT_TEXT, A, 0, I,
	  NULL },
	{ "auto: short Image goes to the Image parser", C_SHORT_IMAGE, A, 0,
	  I, NULL },
	{ "Image asked: always the Image parser", C_GZIP, I, 0, I, NULL },
	{ "gzip asked, gzip given", C_GZIP, G, 0, G, NULL },
	{ "gzip asked, ELF given", C_ELF, G, -EINVAL, A,
	  "kernel: format gzip asked for, but the file does not start with "
	  "its magic (ELF)" },
	{ "ELF asked, text given", C_TEXT, E, -EINVAL, A,
	  "kernel: format ELF asked for, but the file does not start with "
	  "its magic (no known magic)" },
	{ "ELF asked, Image given", C_IMAGE, E, -EINVAL, A, "(Image)" },
	{ "raw asked: text", C_TEXT, R, 0, R, NULL },
	{ "raw asked: even an Image", C_IMAGE, R, 0, R, NULL },
};

static size_t make_content(uint8_t *b, enum content c)
{
	static const char text[] = "this is a text file, not a kernel\n";
	size_t i;

	memset(b, 0, PEEK);
	switch (c) {
	case C_IMAGE:
	case C_SHORT_IMAGE:
		memcpy(b + 56, "ARM\x64", 4);
		return c == C_IMAGE ? PEEK : 40;
	case C_GZIP:
		b[0] = 0x1f;
		b[1] = 0x8b;
		b[2] = 8;
		return PEEK;
	case C_ELF:
		memcpy(b, ELFMAG, SELFMAG);
		return PEEK;
	case C_TEXT:
	case C_SHORT_TEXT:
		for (i = 0; i + sizeof(text) <= PEEK; i += sizeof(text) - 1)
			memcpy(b + i, text, sizeof(text) - 1);
		return c == C_TEXT ? PEEK : 20;
	}
	return 0;
}

static void test_detect(void **state)
{
	uint8_t buf[PEEK];
	size_t i;

	for (i = 0; i < sizeof(detect_cases) / sizeof(detect_cases[0]); i++) {
		const struct detect_case *c = &detect_cases[i];
		struct cellvm_err err = { 0 };
		enum cellvm_kernel_format got = A;
		size_t len = make_content(buf, c->content);
		int ret = arm64_kernel_detect(buf, len, len, c->want, &got,
					      &err);

		if (ret != c->ret || got != c->got)
			fail_msg("%s: got %d/%d (%s), want %d/%d", c->name,
				 ret, got, err.msg, c->ret, c->got);
		if (c->msg && (err.cat != CELLVM_E_IMAGE ||
			       !strstr(err.msg, c->msg)))
			fail_msg("%s: message '%s' lacks '%s'", c->name,
				 err.msg, c->msg);
		/* A format that was asked for is the config field at fault. */
		if (ret && c->want != A &&
		    (!err.field || strcmp(err.field, "kernel_format") != 0))
			fail_msg("%s: field %s, want kernel_format", c->name,
				 err.field ? err.field : "(none)");
		if (ret && c->want == A && err.field)
			fail_msg("%s: field %s, want none", c->name, err.field);
	}
}

static void test_detect_empty(void **state)
{
	struct cellvm_err err = { 0 };
	enum cellvm_kernel_format got;
	uint8_t b[1] = { 0 };

	assert_int_equal(arm64_kernel_detect(b, 0, 0, R, &got, &err), -EINVAL);
	assert_string_equal(err.msg, "kernel: empty file");
}

/* ---- ELF parser ---------------------------------------------------- */

struct seg {
	uint32_t type;
	uint64_t offset, filesz, memsz, paddr;
};

struct elf_case {
	const char *name;
	/* header overrides; 0 means the valid default */
	unsigned char cls, data;
	uint16_t machine, type, phentsize;
	uint64_t phoff; /* 0: right after the header */
	size_t len; /* bytes handed to the parser; 0: PEEK */
	uint64_t file_size;
	unsigned nseg;
	struct seg seg[20];
	int ret;
	const char *msg;
	/* on success */
	unsigned nr;
	uint64_t span;
	uint64_t offset1; /* seg[1].offset when nr > 1 */
};

#define K 0xffff800008000000ULL /* where a vmlinux is linked */
#define LOAD(o, f, m, p) { PT_LOAD, o, f, m, p }

static const struct elf_case elf_cases[] = {
	{ "vmlinux: text + data/bss", .file_size = 0x300000, .nseg = 3,
	  .seg = { LOAD(0x10000, 0x200000, 0x200000, K),
		   { PT_NOTE, 0x100, 0x20, 0x20, 0 },
		   LOAD(0x210000, 0x80000, 0x100000, K + 0x200000) },
	  .nr = 2, .span = 0x300000, .offset1 = 0x200000 },
	{ "linked at RAM", .file_size = 0x20000, .nseg = 1,
	  .seg = { LOAD(0x1000, 0x10000, 0x18000, 0x40000000) },
	  .nr = 1, .span = 0x18000 },
	{ "empty PT_LOAD skipped", .file_size = 0x20000, .nseg = 2,
	  .seg = { LOAD(0, 0, 0, 0), LOAD(0x1000, 0x1000, 0x1000, K) },
	  .nr = 1, .span = 0x1000 },
	{ "ET_DYN", .type = ET_DYN, .file_size = 0x2000, .nseg = 1,
	  .seg = { LOAD(0x1000, 0x1000, 0x1000, 0) }, .nr = 1,
	  .span = 0x1000 },
	{ "header truncated", .len = 63, .file_size = 63, .ret = -EINVAL,
	  .msg = "kernel: ELF header truncated" },
	{ "32-bit", .cls = ELFCLASS32, .file_size = 0x2000, .ret = -EINVAL,
	  .msg = "kernel: ELF is not 64-bit" },
	{ "big-endian", .data = ELFDATA2MSB, .file_size = 0x2000,
	  .ret = -EINVAL, .msg = "not little-endian" },
	{ "x86-64", .machine = EM_X86_64, .file_size = 0x2000,
	  .ret = -EINVAL, .msg = "kernel: ELF for machine 62, not AArch64 (183)" },
	{ "relocatable object", .type = ET_REL, .file_size = 0x2000,
	  .ret = -EINVAL, .msg = "is not an executable" },
	{ "odd phentsize", .phentsize = 32, .file_size = 0x2000, .nseg = 1,
	  .seg = { LOAD(0x1000, 0x1000, 0x1000, 0) }, .ret = -EINVAL,
	  .msg = "program header size is not 56" },
	{ "no program headers", .file_size = 0x2000, .nseg = 0,
	  .ret = -EINVAL, .msg = "has no program headers" },
	{ "program headers past the peek", .phoff = PEEK - 8,
	  .file_size = 0x10000, .nseg = 1,
	  .seg = { LOAD(0x1000, 0x1000, 0x1000, 0) }, .ret = -EINVAL,
	  .msg = "not within the first 4096 bytes" },
	{ "program header offset huge", .phoff = 0xfffffffffffffff0ULL,
	  .file_size = 0x10000, .nseg = 1,
	  .seg = { LOAD(0x1000, 0x1000, 0x1000, 0) }, .ret = -EINVAL,
	  .msg = "not within the first" },
	{ "no PT_LOAD", .file_size = 0x2000, .nseg = 1,
	  .seg = { { PT_NOTE, 0x100, 0x20, 0x20, 0 } }, .ret = -EINVAL,
	  .msg = "has no loadable (PT_LOAD) segment" },
	{ "truncated file", .file_size = 0x100000, .nseg = 2,
	  .seg = { LOAD(0x10000, 0x1000, 0x1000, K),
		   LOAD(0x11000, 0x100000, 0x100000, K + 0x1000) },
	  .ret = -EINVAL,
	  .msg = "kernel: ELF truncated: segment 1 (offset 69632, 1048576 "
		 "bytes) ends past the end of the file (1048576 bytes)" },
	{ "offset + size wraps", .file_size = 0x100000, .nseg = 1,
	  .seg = { LOAD(0xfffffffffffff000ULL, 0x2000, 0x2000, 0) },
	  .ret = -EINVAL, .msg = "ELF truncated" },
	{ "filesz > memsz", .file_size = 0x10000, .nseg = 1,
	  .seg = { LOAD(0x1000, 0x2000, 0x1000, 0) }, .ret = -EINVAL,
	  .msg = "more file bytes (8192) than memory bytes (4096)" },
	{ "segment below the first", .file_size = 0x10000, .nseg = 2,
	  .seg = { LOAD(0x1000, 0x1000, 0x1000, K),
		   LOAD(0x2000, 0x1000, 0x1000, K - 0x1000) },
	  .ret = -EINVAL, .msg = "lies below the first loadable segment" },
	{ "addresses wrap", .file_size = 0x10000, .nseg = 2,
	  .seg = { LOAD(0x1000, 0x1000, 0x1000, 0),
		   LOAD(0x2000, 0x1000, 0x2000, 0xfffffffffffff000ULL) },
	  .ret = -EINVAL, .msg = "segment addresses wrap around" },
	{ "first segment shorter than an Image header", .file_size = 0x10000,
	  .nseg = 1, .seg = { LOAD(0x1000, 63, 0x1000, 0) }, .ret = -EINVAL,
	  .msg = "too short to hold the arm64 Image header" },
	{ "17 segments", .file_size = 0x100000, .nseg = 17,
	  .seg = { LOAD(0x1000, 0x1000, 0x1000, 0) }, .ret = -EINVAL,
	  .msg = "more than 16 loadable segments" },
};

static void put(uint8_t *p, uint64_t v, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

#define SET(base, s, f, v) put((base) + offsetof(s, f), v, sizeof(((s *)0)->f))

static void make_elf(uint8_t *b, const struct elf_case *c)
{
	uint64_t phoff = c->phoff ? c->phoff : sizeof(Elf64_Ehdr);
	unsigned i;

	memset(b, 0, PEEK);
	memcpy(b, ELFMAG, SELFMAG);
	b[EI_CLASS] = c->cls ? c->cls : ELFCLASS64;
	b[EI_DATA] = c->data ? c->data : ELFDATA2LSB;
	b[EI_VERSION] = EV_CURRENT;
	SET(b, Elf64_Ehdr, e_type, c->type ? c->type : ET_EXEC);
	SET(b, Elf64_Ehdr, e_machine, c->machine ? c->machine : EM_AARCH64);
	SET(b, Elf64_Ehdr, e_phentsize,
	    c->phentsize ? c->phentsize : sizeof(Elf64_Phdr));
	SET(b, Elf64_Ehdr, e_phoff, phoff);
	SET(b, Elf64_Ehdr, e_phnum, c->nseg);
	for (i = 0; i < c->nseg; i++) {
		/* Cases with more segments than listed repeat the first,
		 * one page higher each time. */
		const struct seg *s = i < 20 && c->seg[i].type ? &c->seg[i]
							       : &c->seg[0];
		uint8_t *ph;

		if (phoff > PEEK || PEEK - phoff < (i + 1) * sizeof(Elf64_Phdr))
			break; /* the table is beyond what the parser sees */
		ph = b + phoff + i * sizeof(Elf64_Phdr);
		SET(ph, Elf64_Phdr, p_type, s->type);
		SET(ph, Elf64_Phdr, p_offset, s->offset);
		SET(ph, Elf64_Phdr, p_filesz, s->filesz);
		SET(ph, Elf64_Phdr, p_memsz, s->memsz);
		SET(ph, Elf64_Phdr, p_paddr,
		    s->paddr + (s == &c->seg[i] ? 0 : i * 0x1000ULL));
	}
}

static void test_elf_parse(void **state)
{
	uint8_t buf[PEEK];
	size_t i;

	for (i = 0; i < sizeof(elf_cases) / sizeof(elf_cases[0]); i++) {
		const struct elf_case *c = &elf_cases[i];
		struct cellvm_err err = { 0 };
		struct arm64_elf e;
		int ret;

		memset(&e, 0xee, sizeof(e));
		make_elf(buf, c);
		ret = arm64_elf_parse(buf, c->len ? c->len : PEEK, c->file_size,
				      &e, &err);
		if (ret != c->ret)
			fail_msg("%s: got %d (%s), want %d", c->name, ret,
				 err.msg, c->ret);
		if (ret) {
			if (err.cat != CELLVM_E_IMAGE || !strstr(err.msg, c->msg))
				fail_msg("%s: message '%s' lacks '%s'", c->name,
					 err.msg, c->msg);
			continue;
		}
		assert_int_equal(e.nr, c->nr);
		assert_int_equal(e.span, c->span);
		assert_int_equal(e.seg[0].offset, 0);
		if (c->nr > 1)
			assert_int_equal(e.seg[1].offset, c->offset1);
	}
}

/* ---- placement ----------------------------------------------------- */

#define RAM 0x40000000ULL
#define MB (1ULL << 20)

struct place_case {
	const char *name;
	uint64_t load;
	struct arm64_elf_segment seg[2];
	unsigned nr;
	int ret;
	const char *msg;
};

static const struct place_case place_cases[] = {
	{ "fits below the initrd", RAM, { { 0, 0, 8 * MB, 0 },
					  { 0, 0, 4 * MB, 8 * MB } },
	  2, 0, NULL },
	{ "below RAM", RAM - 0x1000, { { 0, 0, 4 * MB, 0 } }, 1, -ERANGE,
	  "kernel: ELF segment 0 (4194304 bytes at +0x0 from 0x3ffff000) "
	  "lies outside RAM (0x40000000-0x50000000)" },
	{ "past RAM", RAM, { { 0, 0, 4 * MB, 0 }, { 0, 0, 1, 256 * MB } }, 2,
	  -ERANGE, "kernel: ELF segment 1" },
	{ "wraps", RAM, { { 0, 0, 4 * MB, 0 }, { 0, 0, 1, ~0ULL } }, 2,
	  -ERANGE, "lies outside RAM" },
	{ "into the initrd", RAM, { { 0, 0, 4 * MB, 0 },
				    { 0, 0, 8 * MB, 200 * MB } },
	  2, -ERANGE, "kernel: ELF segment 1 (0x4c800000-0x4d000000) overlaps "
		      "the initrd" },
	{ "into the DTB", RAM, { { 0, 0, 4 * MB, 0 },
				 { 0, 0, 4096, 255 * MB } },
	  2, -ERANGE, "overlaps the DTB" },
};

static void test_elf_placement(void **state)
{
	/* 256 MiB of RAM: initrd at 200-240 MiB, DTB in the last MiB. */
	const struct arm64_layout l = {
		.kernel_load = RAM,
		.initrd_start = RAM + 200 * MB,
		.initrd_size = 40 * MB,
		.dtb_addr = RAM + 255 * MB,
		.dtb_max = 0x10000,
	};
	size_t i;

	for (i = 0; i < sizeof(place_cases) / sizeof(place_cases[0]); i++) {
		const struct place_case *c = &place_cases[i];
		struct cellvm_err err = { 0 };
		struct arm64_elf e = { .nr = c->nr };
		int ret;

		memcpy(e.seg, c->seg, sizeof(c->seg));
		ret = arm64_elf_check_placement(&e, c->load, &l, RAM, 256 * MB,
						&err);
		if (ret != c->ret)
			fail_msg("%s: got %d (%s), want %d", c->name, ret,
				 err.msg, c->ret);
		if (c->msg && (err.cat != CELLVM_E_IMAGE ||
			       !strstr(err.msg, c->msg)))
			fail_msg("%s: message '%s' lacks '%s'", c->name,
				 err.msg, c->msg);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_detect),
		cmocka_unit_test(test_detect_empty),
		cmocka_unit_test(test_elf_parse),
		cmocka_unit_test(test_elf_placement),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

// SPDX-License-Identifier: MIT
/*
 * Loading the kernel in each format (src/arch/arm64/kernel_load.c): probe,
 * plan and place a kernel file into 16 MiB of "guest RAM" (an anonymous
 * mapping, as vm.c makes), table-driven. Each case writes a temporary
 * file (an Image, gzip'd with zlib, wrapped in an ELF, or raw bytes) and
 * says what must land where, or which error comes out of which step.
 */
#include <elf.h>
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>
#include <zlib.h>
#include <cmocka.h>

#include "gzip_buf.h"

#include "arch/arm64/kernel_load.h"

#define RAM_GPA 0x40000000ULL
#define RAM_SIZE (16ULL << 20)
#define SENTINEL 0xee
#define KIB 1024ULL
#define BODY (40 * KIB) /* Image file size */
#define ISIZE (64 * KIB) /* its header's image_size */

enum kind {
	K_IMAGE, /* the Image file */
	K_GZIP, /* gzip'd Image */
	K_GZIP_BOMB, /* gzip'd Image header + 1 MiB of zeros */
	K_GZIP_LEGACY_BOMB, /* gzip'd legacy header + 32 MiB of zeros */
	K_GZIP_TRUNCATED, /* the first half of K_GZIP */
	K_GZIP_TEXT, /* gzip'd text */
	K_ELF, /* Image in two segments, the second with BSS */
	K_ELF_NOT_IMAGE, /* an ELF whose first segment is text */
	K_ELF_FAR, /* K_ELF with its second segment 32 MiB up */
	K_RAW, /* 10 KiB of code-like bytes */
	K_RAW_BIG, /* 17 MiB */
	K_TEXT, /* neither */
};

struct load_case {
	const char *name;
	enum kind kind;
	enum cellvm_kernel_format want;
	enum cellvm_kernel_format fmt; /* detected */
	int step; /* 0 all succeed; 1 probe, 2 plan, 3 place fails */
	int ret;
	const char *msg;
	uint64_t load; /* where the kernel lands */
};

static const struct load_case cases[] = {
	{ "Image", K_IMAGE, CELLVM_KERNEL_AUTO, CELLVM_KERNEL_IMAGE, 0, 0,
	  NULL, RAM_GPA },
	{ "gzip'd Image", K_GZIP, CELLVM_KERNEL_AUTO, CELLVM_KERNEL_GZIP, 0, 0,
	  NULL, RAM_GPA },
	{ "gzip asked for", K_GZIP, CELLVM_KERNEL_GZIP, CELLVM_KERNEL_GZIP, 0,
	  0, NULL, RAM_GPA },
	{ "gzip bomb over image_size", K_GZIP_BOMB, CELLVM_KERNEL_AUTO,
	  CELLVM_KERNEL_GZIP, 2, -EFBIG,
	  "kernel: gzip data decompresses to more than 65536 bytes (the "
	  "Image header's image_size)", 0 },
	{ "gzip bomb over RAM (legacy header)", K_GZIP_LEGACY_BOMB,
	  CELLVM_KERNEL_AUTO, CELLVM_KERNEL_GZIP, 2, -EFBIG,
	  "decompresses to more than 16252928 bytes (the RAM above the "
	  "kernel's load address)", 0 },
	{ "truncated gzip", K_GZIP_TRUNCATED, CELLVM_KERNEL_AUTO,
	  CELLVM_KERNEL_GZIP, 2, -EINVAL, "kernel: gzip data truncated", 0 },
	{ "gzip'd text", K_GZIP_TEXT, CELLVM_KERNEL_AUTO, CELLVM_KERNEL_GZIP,
	  1, -EINVAL, "kernel: gzip'd contents: not an arm64 Image", 0 },
	{ "ELF vmlinux", K_ELF, CELLVM_KERNEL_AUTO, CELLVM_KERNEL_ELF, 0, 0,
	  NULL, RAM_GPA },
	{ "ELF segment beyond RAM", K_ELF_FAR, CELLVM_KERNEL_AUTO,
	  CELLVM_KERNEL_ELF, 2, -ENOSPC,
	  "kernel: ELF segment 1 (16384 bytes at +0x2000000 from the first) "
	  "does not fit: kernel (33570816 bytes) does not fit in RAM", 0 },
	{ "ELF without an Image header", K_ELF_NOT_IMAGE, CELLVM_KERNEL_AUTO,
	  CELLVM_KERNEL_ELF, 1, -EINVAL,
	  "kernel: ELF's first loadable segment: not an arm64 Image", 0 },
	{ "raw", K_RAW, CELLVM_KERNEL_RAW, CELLVM_KERNEL_RAW, 0, 0, NULL,
	  RAM_GPA + 0x80000 },
	{ "raw larger than RAM", K_RAW_BIG, CELLVM_KERNEL_RAW,
	  CELLVM_KERNEL_RAW, 2, -ENOSPC, "kernel (17825792 bytes) does not fit "
					 "in RAM (16777216 bytes)", 0 },
	{ "raw not asked for", K_RAW, CELLVM_KERNEL_AUTO, CELLVM_KERNEL_AUTO,
	  1, -EINVAL, "a headerless binary needs format raw", 0 },
	{ "text", K_TEXT, CELLVM_KERNEL_AUTO, CELLVM_KERNEL_AUTO, 1, -EINVAL,
	  "kernel: not an arm64 Image", 0 },
};

static void put(uint8_t *p, uint64_t v, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

/* An Image: header (text_offset 0, image_size isize, 4K pages,
 * anywhere), then a pattern. */
static void make_image(uint8_t *b, size_t len, uint64_t isize)
{
	size_t i;

	for (i = 0; i < len; i++)
		b[i] = (uint8_t)(i * 7 + (i >> 8));
	memset(b, 0, 64);
	put(b + 16, isize, 8);
	put(b + 24, 0xa, 8);
	memcpy(b + 56, "ARM\x64", 4);
}

#define SET(b, s, f, v) put((b) + offsetof(s, f), v, sizeof(((s *)0)->f))

/* An ELF (linked at kernel virtual addresses, as vmlinux is) of two
 * PT_LOADs: the first 32 KiB of img at file offset 4 KiB, the rest at
 * +second (64 KiB) with 8 KiB of BSS. */
static size_t make_elf(uint8_t *out, const uint8_t *img, uint64_t second)
{
	const uint64_t va = 0xffff800008000000ULL, split = 32 * KIB;
	const uint64_t off[2] = { 4 * KIB, 4 * KIB + split };
	const uint64_t fsz[2] = { split, BODY - split };
	const uint64_t msz[2] = { split, BODY - split + 8 * KIB };
	const uint64_t pa[2] = { va, va + second };
	unsigned i;

	memset(out, 0, 4 * KIB);
	memcpy(out, ELFMAG, SELFMAG);
	out[EI_CLASS] = ELFCLASS64;
	out[EI_DATA] = ELFDATA2LSB;
	SET(out, Elf64_Ehdr, e_type, ET_EXEC);
	SET(out, Elf64_Ehdr, e_machine, EM_AARCH64);
	SET(out, Elf64_Ehdr, e_phoff, sizeof(Elf64_Ehdr));
	SET(out, Elf64_Ehdr, e_phentsize, sizeof(Elf64_Phdr));
	SET(out, Elf64_Ehdr, e_phnum, 2);
	for (i = 0; i < 2; i++) {
		uint8_t *ph = out + sizeof(Elf64_Ehdr) + i * sizeof(Elf64_Phdr);

		SET(ph, Elf64_Phdr, p_type, PT_LOAD);
		SET(ph, Elf64_Phdr, p_offset, off[i]);
		SET(ph, Elf64_Phdr, p_filesz, fsz[i]);
		SET(ph, Elf64_Phdr, p_memsz, msz[i]);
		SET(ph, Elf64_Phdr, p_vaddr, pa[i]);
		SET(ph, Elf64_Phdr, p_paddr, pa[i]);
	}
	memcpy(out + 4 * KIB, img, BODY);
	return 4 * KIB + BODY;
}

struct fixture {
	char path[64];
	uint8_t *ram;
	struct cellvm_mem mem;
	uint8_t img[BODY]; /* the Image the file holds, in some form */
	uint8_t *file;
	size_t size;
};

static void build(struct fixture *f, enum kind kind)
{
	size_t big = 32ULL << 20, n = 0;
	uint8_t *tmp = calloc(1, big);

	assert_non_null(tmp);
	make_image(f->img, BODY, ISIZE);
	switch (kind) {
	case K_IMAGE:
		f->file = malloc(BODY);
		assert_non_null(f->file);
		memcpy(f->file, f->img, BODY);
		f->size = BODY;
		break;
	case K_GZIP:
	case K_GZIP_TRUNCATED:
		f->file = gzip_buf(f->img, BODY, &f->size);
		if (kind == K_GZIP_TRUNCATED)
			f->size /= 2;
		break;
	case K_GZIP_BOMB:
	case K_GZIP_LEGACY_BOMB:
		memcpy(tmp, f->img, 64);
		if (kind == K_GZIP_LEGACY_BOMB)
			put(tmp + 16, 0, 8); /* image_size 0: legacy */
		f->file = gzip_buf(tmp, kind == K_GZIP_BOMB ? 1ULL << 20 : big,
				   &f->size);
		break;
	case K_GZIP_TEXT:
	case K_TEXT:
	case K_RAW:
	case K_RAW_BIG:
	case K_ELF_NOT_IMAGE:
		n = kind == K_RAW_BIG ? 17ULL << 20 : 10 * KIB;
		memset(tmp, 'x', n);
		if (kind == K_GZIP_TEXT) {
			f->file = gzip_buf(tmp, n, &f->size);
			break;
		}
		if (kind == K_ELF_NOT_IMAGE) {
			memset(f->img, 'x', 64);
			f->file = calloc(1, 4 * KIB + BODY);
			assert_non_null(f->file);
			f->size = make_elf(f->file, f->img, 64 * KIB);
			break;
		}
		f->file = malloc(n);
		assert_non_null(f->file);
		memcpy(f->file, tmp, n);
		memcpy(f->img, tmp, n < BODY ? n : BODY);
		f->size = n;
		break;
	case K_ELF:
	case K_ELF_FAR:
		f->file = calloc(1, 4 * KIB + BODY);
		assert_non_null(f->file);
		f->size = make_elf(f->file, f->img,
				   kind == K_ELF ? 64 * KIB : 32ULL << 20);
		break;
	}
	free(tmp);
}

static void write_file(struct fixture *f)
{
	int fd;

	snprintf(f->path, sizeof(f->path), "/tmp/cellvm-test-kload.XXXXXX");
	fd = mkstemp(f->path);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, f->file, f->size), (ssize_t)f->size);
	close(fd);
}

static void check_ram(const struct fixture *f, const struct load_case *c)
{
	const uint8_t *at = f->ram + (c->load - RAM_GPA);
	size_t i;

	if (c->kind != K_ELF) {
		assert_memory_equal(at, f->img, c->kind == K_RAW ? 10 * KIB
								 : BODY);
		return;
	}
	/* ELF: segment 0 at the load address, segment 1 64 KiB above it,
	 * its BSS zeroed, the gap between untouched. */
	assert_memory_equal(at, f->img, 32 * KIB);
	assert_int_equal(at[32 * KIB], SENTINEL);
	assert_memory_equal(at + 64 * KIB, f->img + 32 * KIB, BODY - 32 * KIB);
	for (i = 0; i < 8 * KIB; i++)
		assert_int_equal(at[64 * KIB + BODY - 32 * KIB + i], 0);
}

static void run_case(const struct load_case *c)
{
	struct fixture *f = calloc(1, sizeof(*f));
	struct cellvm_image img = { .file_offset = -1 };
	struct cellvm_err err = { 0 };
	struct loader_image li;
	struct arm64_kernel k;
	struct arm64_layout_req req = { .ram_base = RAM_GPA,
					.ram_size = RAM_SIZE };
	struct arm64_layout l;
	int ret, step = 1;

	assert_non_null(f);
	build(f, c->kind);
	write_file(f);
	f->ram = mmap(NULL, RAM_SIZE, PROT_READ | PROT_WRITE,
		      MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	assert_true(f->ram != MAP_FAILED);
	memset(f->ram, SENTINEL, RAM_SIZE);
	assert_int_equal(cellvm_mem_add(&f->mem, RAM_GPA, RAM_SIZE, f->ram), 0);
	img.path = f->path;
	assert_int_equal(loader_open(&img, "kernel", &li, &err), 0);

	ret = arm64_kernel_probe(&li, c->want, &k, &err);
	if (!ret) {
		assert_int_equal(k.fmt, c->fmt);
		step = 2;
		ret = arm64_kernel_plan(&li, &k, &f->mem, &req, &l, &err);
	}
	if (!ret) {
		step = 3;
		ret = arm64_kernel_place(&li, &k, &f->mem, &req, &l, true,
					 &err);
	}
	if (!ret)
		step = 0;
	if (step != c->step || ret != c->ret)
		fail_msg("%s: step %d returned %d (%s); want step %d, %d",
			 c->name, step, ret, err.msg, c->step, c->ret);
	if (c->msg && (err.cat != CELLVM_E_IMAGE || !strstr(err.msg, c->msg)))
		fail_msg("%s: message '%s' lacks '%s'", c->name, err.msg,
			 c->msg);
	if (!ret) {
		assert_int_equal(l.kernel_load, c->load);
		assert_int_equal(l.entry, c->load);
		check_ram(f, c);
	}
	loader_close(&li);
	munmap(f->ram, RAM_SIZE);
	unlink(f->path);
	free(f->file);
	free(f);
}

static void test_cases(void **state)
{
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		run_case(&cases[i]);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_cases),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

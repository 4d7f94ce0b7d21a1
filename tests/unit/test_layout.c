// SPDX-License-Identifier: MIT
/*
 * Placement of kernel, initrd and DTB (booting.rst sections 2 and 4):
 * every RAM size in 1 MiB steps, plus odd ones, for several kernels,
 * initrds and DTBs, checking the rules on each plan; then the errors.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "arch/arm64/arm64.h"
#include "arch/arm64/memmap.h"

#define MiB (1ULL << 20)
#define GiB (1ULL << 30)
#define SZ_2M (2 * MiB)

struct kernel_case {
	const char *name;
	struct arm64_image_info image;
	uint64_t file_size;
};

static const struct kernel_case kernels[] = {
	{ "modern, bss beyond the file",
	  { .text_offset = 0, .image_size = 24 * MiB + 123 }, 20 * MiB },
	{ "text_offset 0x80000, file beyond image_size",
	  { .text_offset = 0x80000, .image_size = 16 * MiB }, 17 * MiB + 1 },
	{ "legacy",
	  { .text_offset = 0x80000, .image_size = 9 * MiB + 8192,
	    .legacy = true },
	  9 * MiB + 5 },
	{ "tiny", { .text_offset = 0x1000, .image_size = 4096 }, 100 },
};

static const uint64_t initrds[] = { 0, 1, 4095, 4096, 7 * MiB + 3, 100 * MiB };
static const uint64_t dtbs[] = { 0, 1234, SZ_2M - 8, SZ_2M };
static const uint64_t ram_bases[] = { CELLVM_RAM_BASE, CELLVM_RAM_BASE + MiB,
				      0 };
static const uint64_t odd_rams[] = {
	257 * MiB + 4096, 257 * MiB + 1, 3 * GiB + 4096 * 3, 33 * GiB,
	64 * GiB + 12345, CELLVM_RAM_MAX_SIZE,
};

static uint64_t max_u64(uint64_t a, uint64_t b)
{
	return a > b ? a : b;
}

static uint64_t align_up(uint64_t v, uint64_t a)
{
	return (v + a - 1) & ~(a - 1);
}

/* The rules every successful plan must keep. */
static void check_plan(const struct arm64_layout_req *r,
		       const struct arm64_layout *l)
{
	uint64_t ram_end = r->ram_base + r->ram_size;
	uint64_t base = align_up(r->ram_base, SZ_2M);
	uint64_t ksize = max_u64(r->image.image_size, r->kernel_file_size);
	uint64_t window_end;

	/* Kernel: text_offset above the lowest 2 MiB aligned base. */
	assert_int_equal(l->kernel_load, base + r->image.text_offset);
	assert_int_equal(l->entry, l->kernel_load);
	assert_int_equal(l->kernel_end, l->kernel_load + ksize);
	assert_true(l->kernel_load >= r->ram_base);

	/* DTB: 8-byte aligned (we page-align), at most 2 MiB, one 2 MiB
	 * block, in RAM, above the kernel, with room for what it holds. */
	assert_int_equal(l->dtb_addr % 4096, 0);
	assert_true(l->dtb_max > 0 && l->dtb_max <= SZ_2M);
	assert_true(l->dtb_max >= (r->dtb_size ? r->dtb_size : 4096));
	assert_int_equal(l->dtb_addr / SZ_2M,
			 (l->dtb_addr + l->dtb_max - 1) / SZ_2M);
	assert_true(l->dtb_addr >= l->kernel_end);
	assert_true(l->dtb_addr + l->dtb_max <= ram_end);
	if (r->image.legacy)
		assert_true(l->dtb_addr + l->dtb_max <= base + 512 * MiB);

	/* initrd: page-aligned, between kernel and DTB, and in the 1 GiB
	 * aligned 32 GiB window that covers the kernel. */
	assert_int_equal(l->initrd_size, r->initrd_size);
	if (!r->initrd_size) {
		assert_int_equal(l->initrd_start, 0);
		return;
	}
	assert_int_equal(l->initrd_start % 4096, 0);
	assert_true(l->initrd_start >= l->kernel_end);
	assert_true(l->initrd_start + l->initrd_size <= l->dtb_addr);
	if (__builtin_add_overflow(l->kernel_load & ~(GiB - 1), 32 * GiB,
				   &window_end))
		window_end = UINT64_MAX;
	assert_true(l->initrd_start + l->initrd_size <= window_end);
}

/* What any plan needs at least, and what must always be enough: the
 * kernel from its base, initrd and DTB room, plus the alignment slack. */
static uint64_t need(const struct arm64_layout_req *r, uint64_t dtb_max)
{
	return align_up(r->ram_base, SZ_2M) - r->ram_base +
	       r->image.text_offset +
	       max_u64(r->image.image_size, r->kernel_file_size) +
	       r->initrd_size + dtb_max;
}

static void sweep_one(struct arm64_layout_req *r)
{
	struct arm64_layout l;
	uint64_t mib, first_fit = 0, dtb_max = 0;
	size_t i;

	for (mib = 1; mib <= 1024; mib++) {
		struct cellvm_err err = { 0 };

		r->ram_size = mib * MiB;
		if (arm64_layout_plan(r, &l, &err)) {
			/* Bigger RAM never stops fitting. */
			assert_int_equal(first_fit, 0);
			assert_int_equal(err.cat, CELLVM_E_IMAGE);
			assert_non_null(strstr(err.msg, "fit in RAM"));
			continue;
		}
		if (!first_fit) {
			first_fit = r->ram_size;
			dtb_max = l.dtb_max;
		}
		check_plan(r, &l);
	}
	/* The smallest fit is tight: within the 2 MiB block rule, a page
	 * of rounding and the 1 MiB step of the need. */
	assert_true(first_fit != 0);
	assert_true(first_fit >= need(r, dtb_max));
	assert_true(first_fit <= need(r, dtb_max) + SZ_2M + MiB + 8192);
	for (i = 0; i < sizeof(odd_rams) / sizeof(odd_rams[0]); i++) {
		r->ram_size = odd_rams[i];
		assert_int_equal(arm64_layout_plan(r, &l, NULL), 0);
		check_plan(r, &l);
	}
}

static void test_sweep(void **state)
{
	size_t k, i, d, b;
	unsigned plans = 0;

	for (k = 0; k < sizeof(kernels) / sizeof(kernels[0]); k++)
		for (i = 0; i < sizeof(initrds) / sizeof(initrds[0]); i++)
			for (d = 0; d < sizeof(dtbs) / sizeof(dtbs[0]); d++)
				for (b = 0; b < 3; b++) {
					struct arm64_layout_req r = {
						.ram_base = ram_bases[b],
						.image = kernels[k].image,
						.kernel_file_size =
							kernels[k].file_size,
						.initrd_size = initrds[i],
						.dtb_size = dtbs[d],
					};

					sweep_one(&r);
					plans++;
				}
	print_message("%u sweeps of 1024 RAM sizes\n", plans);
}

/* A big initrd with RAM above 32 GiB stays in the kernel's window. */
static void test_initrd_window(void **state)
{
	struct arm64_layout_req r = {
		.ram_base = CELLVM_RAM_BASE,
		.ram_size = 100 * GiB,
		.image = kernels[0].image,
		.kernel_file_size = kernels[0].file_size,
		.initrd_size = 512 * MiB,
	};
	struct arm64_layout l;

	assert_int_equal(arm64_layout_plan(&r, &l, NULL), 0);
	check_plan(&r, &l);
	assert_true(l.initrd_start + l.initrd_size <=
		    CELLVM_RAM_BASE + 32 * GiB);
	assert_true(l.dtb_addr > 100 * GiB);
}

struct err_case {
	const char *name;
	uint64_t ram_base, ram_size, initrd, dtb;
	int ret;
	const char *msg;
};

/* The kernel is kernels[0]: 24 MiB + 123 bytes with its BSS. */
static const struct err_case err_cases[] = {
	{ "RAM smaller than the kernel", CELLVM_RAM_BASE, 16 * MiB, 0, 0,
	  -ENOSPC, "kernel (25165947 bytes) does not fit in RAM (16777216 "
		   "bytes)" },
	{ "no room left for the DTB", CELLVM_RAM_BASE, 24 * MiB + 4096, 0, 0,
	  -ENOSPC, "kernel (25165947 bytes) and DTB (65536 bytes) do not fit "
		   "in RAM (25169920 bytes)" },
	{ "kernel base rounding pushes it out", CELLVM_RAM_BASE + 4096,
	  25 * MiB, 0, 0, -ENOSPC, "kernel (25165947 bytes) does not fit" },
	{ "initrd too big", CELLVM_RAM_BASE, 64 * MiB, 40 * MiB, 0, -ENOSPC,
	  "initrd (41943040 bytes) does not fit in RAM (67108864 bytes)" },
	{ "DTB over 2 MiB", CELLVM_RAM_BASE, 64 * MiB, 0, SZ_2M + 1, -E2BIG,
	  "DTB (2097153 bytes) larger than 2 MiB" },
	{ "no RAM", CELLVM_RAM_BASE, 0, 0, 0, -EINVAL, "is empty or wraps" },
	{ "RAM wraps", UINT64_MAX - MiB, 64 * MiB, 0, 0, -EINVAL,
	  "is empty or wraps" },
};

static void test_errors(void **state)
{
	static const struct arm64_layout zero;
	size_t i;

	for (i = 0; i < sizeof(err_cases) / sizeof(err_cases[0]); i++) {
		const struct err_case *c = &err_cases[i];
		struct arm64_layout_req r = {
			.ram_base = c->ram_base,
			.ram_size = c->ram_size,
			.image = kernels[0].image,
			.kernel_file_size = kernels[0].file_size,
			.initrd_size = c->initrd,
			.dtb_size = c->dtb,
		};
		struct cellvm_err err = { 0 };
		struct arm64_layout l;

		print_message("case: %s\n", c->name);
		memset(&l, 0xa5, sizeof(l));
		assert_int_equal(arm64_layout_plan(&r, &l, &err), c->ret);
		assert_int_equal(err.cat, CELLVM_E_IMAGE);
		assert_non_null(strstr(err.msg, c->msg));
		assert_memory_equal(&l, &zero, sizeof(l));
	}
}

/* Header values no parser would pass must still not wrap around. */
static void test_absurd_image(void **state)
{
	struct arm64_layout_req r = {
		.ram_base = CELLVM_RAM_BASE,
		.ram_size = GiB,
		.image = { .text_offset = UINT64_MAX - 4096,
			   .image_size = UINT64_MAX },
		.kernel_file_size = UINT64_MAX,
		.initrd_size = UINT64_MAX,
	};
	struct arm64_layout l;

	assert_int_equal(arm64_layout_plan(&r, &l, NULL), -ENOSPC);
	r.image.text_offset = 0;
	r.image.image_size = 4096;
	r.kernel_file_size = 4096;
	assert_int_equal(arm64_layout_plan(&r, &l, NULL), -ENOSPC);
	r.initrd_size = GiB - 4 * MiB;
	assert_int_equal(arm64_layout_plan(&r, &l, NULL), 0);
	check_plan(&r, &l);
	/* RAM ending at the top of the address space. */
	r.ram_base = UINT64_MAX - 64 * MiB;
	r.ram_size = 64 * MiB;
	r.initrd_size = 8 * MiB;
	assert_int_equal(arm64_layout_plan(&r, &l, NULL), 0);
	check_plan(&r, &l);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_sweep),
		cmocka_unit_test(test_initrd_window),
		cmocka_unit_test(test_errors),
		cmocka_unit_test(test_absurd_image),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

// SPDX-License-Identifier: MIT
/* Truncation check of EFI-stub kernels through their PE section table. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "arch/arm64/pe.h"

static void put16(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
}

static void put32(uint8_t *p, uint32_t v)
{
	put16(p, v & 0xffff);
	put16(p + 2, v >> 16);
}

/* An Image start with MZ, a PE header at 0x40, and two sections whose raw
 * data ends at 0x10000 + 0x30000 = 0x40000. */
static void make_pe(uint8_t *b, size_t len)
{
	memset(b, 0, len);
	put16(b, 0x5a4d);
	put32(b + 0x3c, 0x40);
	put32(b + 0x40, 0x00004550);
	put16(b + 0x44 + 2, 2); /* sections */
	put16(b + 0x44 + 16, 0xa0); /* optional header size */
	/* section table at 0x40 + 4 + 20 + 0xa0 = 0xf8 */
	put32(b + 0xf8 + 16, 0x1000);
	put32(b + 0xf8 + 20, 0x1000);
	put32(b + 0xf8 + 40 + 16, 0x30000);
	put32(b + 0xf8 + 40 + 20, 0x10000);
}

static void test_pe_sizes(void **state)
{
	uint8_t b[4096];
	struct cellvm_err err = { 0 };

	make_pe(b, sizeof(b));
	assert_int_equal(arm64_image_check_pe(b, sizeof(b), 0x40000, &err), 0);
	assert_int_equal(arm64_image_check_pe(b, sizeof(b), 0x50000, &err), 0);
	assert_int_not_equal(arm64_image_check_pe(b, sizeof(b), 0x3ffff, &err), 0);
	assert_int_equal(err.cat, CELLVM_E_IMAGE);
	assert_non_null(strstr(err.msg, "truncated"));
}

static void test_pe_absent_or_hostile(void **state)
{
	uint8_t b[4096];

	memset(b, 0, sizeof(b));
	/* No MZ: nothing to check. */
	assert_int_equal(arm64_image_check_pe(b, sizeof(b), 1, NULL), 0);
	/* MZ but the PE offset points outside what we read. */
	make_pe(b, sizeof(b));
	put32(b + 0x3c, 0xfffffff0);
	assert_int_equal(arm64_image_check_pe(b, sizeof(b), 1, NULL), 0);
	/* A section table running past the buffer is read only as far as
	 * it goes: no out-of-bounds read (ASan would catch one). */
	make_pe(b, sizeof(b));
	put16(b + 0x44 + 2, 0xffff);
	assert_int_equal(arm64_image_check_pe(b, sizeof(b), 0x40000, NULL), 0);
	/* Short buffers. */
	assert_int_equal(arm64_image_check_pe(b, 10, 0, NULL), 0);
	assert_int_equal(arm64_image_check_pe(b, 0x44, 0, NULL), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_pe_sizes),
		cmocka_unit_test(test_pe_absent_or_hostile),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

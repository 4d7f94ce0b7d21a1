// SPDX-License-Identifier: MIT
/* The arm64 Image header parser (booting.rst section 4), table-driven. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "arch/arm64/arm64.h"

#define MAGIC ARM64_IMAGE_MAGIC
#define BUF_SIZE 8192

struct image_case {
	const char *name;
	size_t len; /* bytes handed to the parser */
	uint32_t magic;
	uint64_t text_offset, image_size, flags;
	int ret;
	const char *msg; /* expected in the error message */
	struct arm64_image_info want; /* on success */
};

#define OK(...) .want = { __VA_ARGS__ }
#define FAILS(m) .ret = -EINVAL, .msg = m

static const struct image_case cases[] = {
	{ "modern, 4K pages, anywhere", 4096, MAGIC, 0, 0x1000000, 0xa,
	  OK(0, 0x1000000, 0xa, 4096, true, false) },
	{ "text_offset 0x80000", 4096, MAGIC, 0x80000, 0x1000000, 0x2,
	  OK(0x80000, 0x1000000, 0x2, 4096, false, false) },
	{ "page size unspecified", 4096, MAGIC, 0, 0x800000, 0x0,
	  OK(0, 0x800000, 0, 0, false, false) },
	{ "16K pages", 4096, MAGIC, 0, 0x800000, 0x4,
	  OK(0, 0x800000, 0x4, 16384, false, false) },
	{ "64K pages, anywhere", 4096, MAGIC, 0, 0x800000, 0xe,
	  OK(0, 0x800000, 0xe, 65536, true, false) },
	{ "reserved flag bits ignored", 4096, MAGIC, 0, 0x800000,
	  0xfff0000000000002ULL,
	  OK(0, 0x800000, 0xfff0000000000002ULL, 4096, false, false) },
	{ "exactly a header", 64, MAGIC, 0x1ff000, 64, 0x2,
	  OK(0x1ff000, 64, 0x2, 4096, false, false) },
	/* Pre-v3.17: text_offset and flags are not to be trusted. */
	{ "legacy: image_size 0", 5000, MAGIC, 0x12345, 0, 0x1,
	  OK(0x80000, 8192, 0, 0, false, true) },
	{ "legacy, page-sized file", 4096, MAGIC, 0, 0, 0,
	  OK(0x80000, 4096, 0, 0, false, true) },
	{ "empty", 0, MAGIC, 0, 0x800000, 0x2,
	  FAILS("kernel: truncated (0 bytes") },
	{ "63 bytes", 63, MAGIC, 0, 0x800000, 0x2,
	  FAILS("kernel: truncated (63 bytes, an arm64 Image header "
		"needs 64)") },
	{ "wrong magic", 4096, 0x464c457f, 0, 0x800000, 0x2,
	  FAILS("kernel: not an arm64 Image (bad magic 0x464c457f at "
		"offset 56") },
	{ "big-endian", 4096, MAGIC, 0, 0x800000, 0x3,
	  FAILS("kernel: big-endian kernel not supported (flags 0x3)") },
	{ "text_offset not page-aligned", 4096, MAGIC, 0x80010, 0x800000, 0x2,
	  FAILS("kernel: odd text_offset 0x80010") },
	{ "text_offset 2 MiB", 4096, MAGIC, 0x200000, 0x800000, 0x2,
	  FAILS("kernel: odd text_offset 0x200000") },
	{ "text_offset huge", 4096, MAGIC, 0xfffffffffffff000ULL, 0x800000,
	  0x2, FAILS("kernel: odd text_offset 0xfffffffffffff000") },
	{ "image_size below the header", 4096, MAGIC, 0, 63, 0x2,
	  FAILS("kernel: image_size 63 is smaller than its own header") },
};

static void put_le(uint8_t *p, uint64_t v, unsigned n)
{
	unsigned i;

	for (i = 0; i < n; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

static void make_header(uint8_t *buf, const struct image_case *c)
{
	memset(buf, 0, BUF_SIZE);
	/* code0: "MZ" as in an EFI-stub kernel; must not matter. */
	buf[0] = 'M';
	buf[1] = 'Z';
	put_le(buf + 8, c->text_offset, 8);
	put_le(buf + 16, c->image_size, 8);
	put_le(buf + 24, c->flags, 8);
	put_le(buf + 56, c->magic, 4);
}

static void test_table(void **state)
{
	static uint8_t buf[BUF_SIZE];
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const struct image_case *c = &cases[i];
		struct cellvm_err err = { 0 };
		struct arm64_image_info info, poison;
		int ret;

		print_message("case: %s\n", c->name);
		make_header(buf, c);
		memset(&info, 0xa5, sizeof(info));
		poison = info;
		ret = arm64_image_parse(buf, c->len, &info, &err);
		assert_int_equal(ret, c->ret);
		if (ret) {
			assert_int_equal(err.cat, CELLVM_E_IMAGE);
			assert_non_null(strstr(err.msg, c->msg));
			assert_memory_equal(&info, &poison, sizeof(info));
			continue;
		}
		assert_int_equal(err.cat, CELLVM_E_NONE);
		assert_int_equal(info.text_offset, c->want.text_offset);
		assert_int_equal(info.image_size, c->want.image_size);
		assert_int_equal(info.flags, c->want.flags);
		assert_int_equal(info.page_size, c->want.page_size);
		assert_int_equal(info.phys_anywhere, c->want.phys_anywhere);
		assert_int_equal(info.legacy, c->want.legacy);
	}
}

static void test_gzip(void **state)
{
	uint8_t buf[128] = { 0x1f, 0x8b, 0x08 };
	struct cellvm_err err = { 0 };
	struct arm64_image_info info;

	assert_int_equal(arm64_image_parse(buf, sizeof(buf), &info, &err),
			 -EINVAL);
	assert_int_equal(err.cat, CELLVM_E_IMAGE);
	assert_non_null(strstr(err.msg, "kernel: gzip-compressed"));
}

static void test_null_and_unaligned(void **state)
{
	static uint8_t buf[BUF_SIZE + 1];
	const struct image_case c = { .magic = MAGIC, .image_size = 0x10000,
				      .flags = 0x2 };
	struct cellvm_err err = { 0 };
	struct arm64_image_info info;

	assert_int_equal(arm64_image_parse(NULL, 4096, &info, &err), -EINVAL);
	assert_non_null(strstr(err.msg, "truncated (0 bytes"));
	/* An odd address: fields are read byte by byte. */
	make_header(buf + 1, &c);
	assert_int_equal(arm64_image_parse(buf + 1, 64, &info, NULL), 0);
	assert_int_equal(info.image_size, 0x10000);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_table),
		cmocka_unit_test(test_gzip),
		cmocka_unit_test(test_null_and_unaligned),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

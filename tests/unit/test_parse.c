// SPDX-License-Identifier: MIT
/* Command-line value parsers. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "core/parse.h"

static void test_sizes(void **state)
{
	static const struct {
		const char *in;
		int ret;
		uint64_t val;
	} cases[] = {
		{ "256M", 0, 256ULL << 20 },   { "512m", 0, 512ULL << 20 },
		{ "1G", 0, 1ULL << 30 },       { "2GiB", 0, 2ULL << 30 },
		{ "64K", 0, 64ULL << 10 },     { "4096", 0, 4096 },
		{ "3MB", 0, 3ULL << 20 },      { "1T", 0, 1ULL << 40 },
		{ "", -EINVAL, 0 },            { "M", -EINVAL, 0 },
		{ "12X", -EINVAL, 0 },         { "-1M", -EINVAL, 0 },
		{ "1.5G", -EINVAL, 0 },        { "1G ", -EINVAL, 0 },
		{ "99999999999999999999", -ERANGE, 0 },
		{ "99999999999T", -ERANGE, 0 },
	};
	unsigned i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		uint64_t v = 0;

		assert_int_equal(cellvm_parse_size(cases[i].in, &v),
				 cases[i].ret);
		if (cases[i].ret == 0)
			assert_int_equal(v, cases[i].val);
	}
}

static void test_uint(void **state)
{
	unsigned v;

	assert_int_equal(cellvm_parse_uint("4", 1, 64, &v), 0);
	assert_int_equal(v, 4);
	assert_int_equal(cellvm_parse_uint("0", 1, 64, &v), -ERANGE);
	assert_int_equal(cellvm_parse_uint("65", 1, 64, &v), -ERANGE);
	assert_int_equal(cellvm_parse_uint("4x", 1, 64, &v), -EINVAL);
	assert_int_equal(cellvm_parse_uint("", 1, 64, &v), -EINVAL);
}

static void test_mac(void **state)
{
	uint8_t mac[6];
	static const uint8_t want[6] = { 0x52, 0x54, 0x00, 0xab, 0xcd, 0xef };

	assert_int_equal(cellvm_parse_mac("52:54:00:ab:CD:ef", mac), 0);
	assert_memory_equal(mac, want, 6);
	assert_int_equal(cellvm_parse_mac("52:54:00:ab:cd", mac), -EINVAL);
	assert_int_equal(cellvm_parse_mac("52-54-00-ab-cd-ef", mac), -EINVAL);
	assert_int_equal(cellvm_parse_mac("01:00:5e:00:00:01", mac), -EINVAL);
}

static void test_disk_net(void **state)
{
	struct cellvm_disk_cfg d;
	struct cellvm_net_cfg n;
	char a[] = "/tmp/disk.img,ro", b[] = "disk.img", c[] = ",ro";
	char e[] = "tap=tap0,mac=52:54:00:00:00:01", f[] = "tap=tap0,bogus=1";
	char g[] = "mac=52:54:00:00:00:01", h[] = "tap=averyveryverylongname";

	assert_int_equal(cellvm_parse_disk(a, &d), 0);
	assert_string_equal(d.path, "/tmp/disk.img");
	assert_true(d.readonly);
	assert_int_equal(cellvm_parse_disk(b, &d), 0);
	assert_false(d.readonly);
	assert_int_equal(cellvm_parse_disk(c, &d), -EINVAL);
	assert_int_equal(cellvm_parse_net(e, &n), 0);
	assert_string_equal(n.tap, "tap0");
	assert_true(n.has_mac);
	assert_int_equal(n.mac[5], 1);
	assert_int_equal(cellvm_parse_net(f, &n), -EINVAL);
	assert_int_equal(cellvm_parse_net(g, &n), -EINVAL);
	assert_int_equal(cellvm_parse_net(h, &n), -EINVAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_sizes),
		cmocka_unit_test(test_uint),
		cmocka_unit_test(test_mac),
		cmocka_unit_test(test_disk_net),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

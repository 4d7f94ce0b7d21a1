// SPDX-License-Identifier: MIT
/* Command-line value parsers. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "arch/arm64/arm64.h"
#include "cellvm/arm64.h"
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

static void test_vsock(void **state)
{
	static const struct {
		const char *s;
		int ret;
		uint64_t cid;
		const char *path;
	} cases[] = {
		{ "cid=3,uds=/tmp/v.sock", 0, 3, "/tmp/v.sock" },
		{ "uds=v,cid=4294967294", 0, 4294967294ull, "v" },
		{ "cid=2,uds=v", -ERANGE, 0, NULL },
		{ "cid=0,uds=v", -ERANGE, 0, NULL },
		{ "cid=4294967295,uds=v", -ERANGE, 0, NULL },
		{ "cid=99999999999999999999,uds=v", -ERANGE, 0, NULL },
		{ "cid=3", -EINVAL, 0, NULL },
		{ "uds=v", -EINVAL, 0, NULL },
		{ "cid=,uds=v", -EINVAL, 0, NULL },
		{ "cid=3x,uds=v", -EINVAL, 0, NULL },
		{ "cid=-3,uds=v", -EINVAL, 0, NULL },
		{ "cid=3,uds=", -EINVAL, 0, NULL },
		{ "cid=3,cid=4,uds=v", -EINVAL, 0, NULL },
		{ "cid=3,uds=v,uds=w", -EINVAL, 0, NULL },
		{ "cid=3,uds=v,port=1", -EINVAL, 0, NULL },
		{ "", -EINVAL, 0, NULL },
	};
	struct cellvm_vsock_cfg v;
	char buf[64];
	unsigned i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		snprintf(buf, sizeof(buf), "%s", cases[i].s);
		memset(&v, 0, sizeof(v));
		assert_int_equal(cellvm_parse_vsock(buf, &v), cases[i].ret);
		if (cases[i].ret)
			continue;
		assert_int_equal(v.guest_cid, cases[i].cid);
		assert_string_equal(v.uds_path, cases[i].path);
	}
}

static void test_cpu_features(void **state)
{
	static const struct {
		const char *s;
		int ret;
		unsigned features;
		bool host;
	} cases[] = {
		{ "none", 0, 0, false },
		{ "host", 0, CELLVM_CPU_ALL, true },
		{ "pmu", 0, CELLVM_CPU_PMU, false },
		{ "sve", 0, CELLVM_CPU_SVE, false },
		{ "pauth", 0, CELLVM_CPU_PAUTH, false },
		{ "pmu,sve,pauth", 0, CELLVM_CPU_ALL, false },
		{ "pauth,pmu", 0, CELLVM_CPU_PAUTH | CELLVM_CPU_PMU, false },
		{ "", -EINVAL, 0, false },
		{ "pmu,", -EINVAL, 0, false },
		{ ",pmu", -EINVAL, 0, false },
		{ "pmu,,sve", -EINVAL, 0, false },
		{ "pmu,pmu", -EINVAL, 0, false },
		{ "PMU", -EINVAL, 0, false },
		{ "pm", -EINVAL, 0, false },
		{ "pmuv3", -EINVAL, 0, false },
		{ "host,pmu", -EINVAL, 0, false },
		{ "none,sve", -EINVAL, 0, false },
		{ "pauth-address", -EINVAL, 0, false },
		{ "sve pmu", -EINVAL, 0, false },
	};
	unsigned i, features;
	bool host;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		print_message("case: '%s'\n", cases[i].s);
		/* Untouched on failure: the sentinels survive. */
		features = 0xdead;
		host = true;
		assert_int_equal(arm64_parse_cpu_features(cases[i].s, &features,
							  &host),
				 cases[i].ret);
		if (cases[i].ret) {
			assert_int_equal(features, 0xdead);
			assert_true(host);
			continue;
		}
		assert_int_equal(features, cases[i].features);
		assert_int_equal(host, cases[i].host);
	}
	assert_int_equal(arm64_parse_cpu_features(NULL, &features, &host),
			 -EINVAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_sizes),
		cmocka_unit_test(test_uint),
		cmocka_unit_test(test_mac),
		cmocka_unit_test(test_disk_net),
		cmocka_unit_test(test_cpu_features),
		cmocka_unit_test(test_vsock),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

// SPDX-License-Identifier: MIT
/* cellvm --jail: option checks and resource-limit computation. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "cli/jail.h"

static void test_parse_id(void **state)
{
	static const struct {
		const char *in;
		int ret;
		uint32_t val;
	} cases[] = {
		{ "0", 0, 0 },			{ "1000", 0, 1000 },
		{ "65534", 0, 65534 },		{ "4294967294", 0, 4294967294u },
		{ "4294967295", -ERANGE, 0 },	{ "99999999999999999999", -ERANGE, 0 },
		{ "", -EINVAL, 0 },		{ "-1", -EINVAL, 0 },
		{ "nobody", -EINVAL, 0 },	{ "12 ", -EINVAL, 0 },
		{ "+5", -EINVAL, 0 },		{ "0x10", -EINVAL, 0 },
	};
	unsigned i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		uint32_t v = 7;

		assert_int_equal(jail_parse_id(cases[i].in, &v), cases[i].ret);
		assert_int_equal(v, cases[i].ret ? 7 : cases[i].val);
	}
	assert_int_equal(jail_parse_id(NULL, NULL), -EINVAL);
}

static void test_check(void **state)
{
	struct jail_cfg ok = { .on = true, .has_uid = true, .has_gid = true };
	struct jail_cfg j;

	assert_null(jail_check(&ok, false));
	j = ok;
	j.root = "/srv/jail";
	assert_null(jail_check(&j, false));
	j.root = "relative/dir";
	assert_string_equal(jail_check(&j, false),
			    "--jail-root needs an absolute path");
	assert_string_equal(jail_check(&ok, true),
			    "--jail and --dump-dtb do not go together");
	j = ok;
	j.has_gid = false;
	assert_string_equal(jail_check(&j, false),
			    "--jail needs --uid and --gid");
	j = ok;
	j.has_uid = false;
	assert_string_equal(jail_check(&j, false),
			    "--jail needs --uid and --gid");
	/* Without --jail: nothing, or the jail's options alone. */
	memset(&j, 0, sizeof(j));
	assert_null(jail_check(&j, true));
	j.has_uid = true;
	assert_non_null(jail_check(&j, false));
	memset(&j, 0, sizeof(j));
	j.root = "/x";
	assert_non_null(jail_check(&j, false));
	memset(&j, 0, sizeof(j));
	j.probe = true;
	assert_non_null(jail_check(&j, false));
}

static void test_limits(void **state)
{
	struct jail_need n = {
		.open_fds = 6,
		.vm_bytes = 100ULL << 20,
		.mem_size = 256ULL << 20,
		.thread_stack = 256ULL << 10,
		.ncpus = 2,
		.ndevs = 4,
	};
	struct jail_limits l;
	uint64_t threads = 1 + 2 + 4;

	jail_limits_compute(&n, &l);
	assert_int_equal(l.nofile, 6 + JAIL_FD_BASE + 2 * JAIL_FD_PER_VCPU +
					   4 * JAIL_FD_PER_DEV);
	assert_int_equal(l.as, (100ULL << 20) + (256ULL << 20) +
				       JAIL_AS_ALIGN +
				       threads * ((256ULL << 10) +
						  JAIL_STACK_GUARD) +
				       JAIL_AS_MARGIN);
	/* Guest RAM always fits, with room beyond it. */
	assert_true(l.as > n.vm_bytes + n.mem_size + (256ULL << 20));
	assert_int_equal(l.nproc, threads + JAIL_NPROC_MARGIN);
	assert_int_equal(l.core, 0);
}

static void test_limits_saturate(void **state)
{
	struct jail_need n = {
		.open_fds = 3,
		.vm_bytes = 1ULL << 30,
		.mem_size = UINT64_MAX - (1ULL << 20),
		.thread_stack = UINT64_MAX / 2,
		.ncpus = 512,
		.ndevs = 32,
	};
	struct jail_limits l;

	jail_limits_compute(&n, &l);
	assert_true(l.as == UINT64_MAX);
	assert_int_equal(l.nofile, 3 + JAIL_FD_BASE + 512 * JAIL_FD_PER_VCPU +
					   32 * JAIL_FD_PER_DEV);
	assert_int_equal(l.nproc, 1 + 512 + 32 + JAIL_NPROC_MARGIN);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_id),
		cmocka_unit_test(test_check),
		cmocka_unit_test(test_limits),
		cmocka_unit_test(test_limits_saturate),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

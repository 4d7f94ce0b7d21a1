// SPDX-License-Identifier: MIT
/*
 * The PrimeCell helpers (src/dev/primecell.c) on their own: which offsets
 * are ID registers, the bytes they read, and the node's refusals. The
 * cells' own ID bytes and nodes are checked in test_pl011 and test_pl031.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <libfdt.h>

#include "dev/primecell.h"

static void test_id_window(void **state)
{
	(void)state;
	assert_false(primecell_is_id_reg(0xfdc));
	assert_true(primecell_is_id_reg(0xfe0));
	assert_true(primecell_is_id_reg(0xffc));
	assert_false(primecell_is_id_reg(0x1000));
	assert_false(primecell_is_id_reg(0));
	/* Outside the window there is nothing to read. */
	assert_int_equal(primecell_id_read(0x12345678u, 0xfdc), 0);
	assert_int_equal(primecell_id_read(0x12345678u, 0x1000), 0);
}

static void test_id_bytes(void **state)
{
	static const uint8_t want[] = { 0x78, 0x56, 0x34, 0x12,
					0x0d, 0xf0, 0x05, 0xb1 };
	unsigned i;

	(void)state;
	for (i = 0; i < sizeof(want); i++)
		assert_int_equal(primecell_id_read(0x12345678u, 0xfe0 + 4 * i),
				 want[i]);
}

static int no_irq_prop(const struct cellvm_fdt_ctx *ctx, unsigned line,
		       bool edge)
{
	(void)ctx;
	(void)line;
	(void)edge;
	return 0;
}

static void test_fdt_refusals(void **state)
{
	static const char compat[] = "arm,x\0arm,primecell";
	static const char five[] = "a\0b\0c\0d\0e";
	char buf[512];
	struct cellvm_fdt_ctx ctx = { .fdt = buf, .irq_prop = no_irq_prop };
	struct cellvm_fdt_ctx no_fdt = { .irq_prop = no_irq_prop };
	struct cellvm_fdt_ctx no_irq = { .fdt = buf };

	(void)state;
	assert_int_equal(fdt_create(buf, sizeof(buf)), 0);
	assert_int_equal(fdt_finish_reservemap(buf), 0);
	assert_int_equal(fdt_begin_node(buf, ""), 0);
	assert_int_equal(primecell_fdt_node(&no_fdt, "x", 0, 0x1000, compat,
					    sizeof(compat), "apb_pclk",
					    sizeof("apb_pclk"), 33),
			 -EINVAL);
	assert_int_equal(primecell_fdt_node(&no_irq, "x", 0, 0x1000, compat,
					    sizeof(compat), "apb_pclk",
					    sizeof("apb_pclk"), 33),
			 -EINVAL);
	/* More clock names than PRIMECELL_MAX_CLOCKS: refused, no node. */
	assert_int_equal(primecell_fdt_node(&ctx, "x", 0, 0x1000, compat,
					    sizeof(compat), five, sizeof(five),
					    33),
			 -EINVAL);
	assert_int_equal(fdt_end_node(buf), 0);
	assert_int_equal(fdt_finish(buf), 0);
	assert_true(fdt_path_offset(buf, "/x@0") < 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_id_window),
		cmocka_unit_test(test_id_bytes),
		cmocka_unit_test(test_fdt_refusals),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

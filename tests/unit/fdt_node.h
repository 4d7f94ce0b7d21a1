/* SPDX-License-Identifier: MIT */
/*
 * Unit-test helper: a device's device-tree node written into a fresh blob
 * with a fake interrupt specifier (test_pl011, test_pl031, test_pl061).
 */
#ifndef CELLVM_TESTS_UNIT_FDT_NODE_H
#define CELLVM_TESTS_UNIT_FDT_NODE_H

#include <errno.h>
#include <stdbool.h>
#include <stdint.h>

#include <libfdt.h>

#include "core/bus.h"

struct fdt_test_ctx {
	struct cellvm_fdt_ctx ctx;
	unsigned line_seen;
};

/* GIC three-cell specifier: <SPI, line - 32, level-high (4)>. */
static inline int fake_irq_prop(const struct cellvm_fdt_ctx *ctx,
				unsigned line, bool edge)
{
	struct fdt_test_ctx *t = (struct fdt_test_ctx *)ctx;
	fdt32_t cells[3] = { cpu_to_fdt32(0), cpu_to_fdt32(line - 32),
			     cpu_to_fdt32(edge ? 1 : 4) };

	t->line_seen = line;
	return fdt_property(ctx->fdt, "interrupts", cells, sizeof(cells));
}

/* The phandle a device asking for one gets. */
#define FDT_TEST_PHANDLE 7

static inline uint32_t fake_phandle_alloc(const struct cellvm_fdt_ctx *ctx)
{
	(void)ctx;
	return FDT_TEST_PHANDLE;
}

/*
 * The finished blob `buf` of `size` bytes: a root node holding `dev`'s
 * node at `base` (a 4 KiB window), interrupt controller phandle 1, APB
 * clock phandle 2. Returns 0, the device's -errno, or -ENOSPC.
 */
static inline int build_node_fdt(const struct cellvm_mmio_ops *ops, void *dev,
				 uint64_t base, void *buf, int size,
				 struct fdt_test_ctx *t)
{
	int ret;

	t->ctx = (struct cellvm_fdt_ctx){
		.fdt = buf, .intc_phandle = 1, .apb_clk_phandle = 2,
		.irq_prop = fake_irq_prop, .phandle_alloc = fake_phandle_alloc,
	};
	if (fdt_create(buf, size) || fdt_finish_reservemap(buf) ||
	    fdt_begin_node(buf, ""))
		return -ENOSPC;
	ret = ops->fdt_node(dev, &t->ctx, base, 0x1000);
	if (ret)
		return ret;
	if (fdt_end_node(buf) || fdt_finish(buf))
		return -ENOSPC;
	return 0;
}

#endif

/* SPDX-License-Identifier: MIT */
/*
 * What the libFuzzer targets share: reading operands off the input, the
 * invariant check, and the device-tree round trip of the PrimeCell
 * targets (fuzz_pl011, fuzz_pl031, fuzz_pl061).
 */
#ifndef CELLVM_FUZZ_UTIL_H
#define CELLVM_FUZZ_UTIL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <libfdt.h>

#include "core/bus.h"

/* The unread rest of the input. */
struct cursor {
	const uint8_t *p;
	size_t left;
};

/* The next `bytes` bytes as a little-endian number; 0s past the end. */
static inline uint64_t take(struct cursor *c, unsigned bytes)
{
	uint64_t v = 0;
	unsigned i;

	for (i = 0; i < bytes && c->left; i++, c->left--)
		v |= (uint64_t)*c->p++ << (8 * i);
	return v;
}

/* A broken invariant is a crash libFuzzer reports. */
static inline void check(bool ok)
{
	if (!ok)
		__builtin_trap();
}

static inline int fuzz_irq_prop(const struct cellvm_fdt_ctx *ctx,
				unsigned line, bool edge)
{
	fdt32_t cells[3] = { 0, cpu_to_fdt32(line), cpu_to_fdt32(4) };

	(void)edge;
	return fdt_property(ctx->fdt, "interrupts", cells, sizeof(cells));
}

static inline uint32_t fuzz_phandle_alloc(const struct cellvm_fdt_ctx *ctx)
{
	(void)ctx;
	return 3;
}

/*
 * Write `dev`'s node at `base` into a blob of 64 + 2 * size bytes (size
 * from the input, 0-255): the call fails cleanly with -errno or the
 * finished blob holds the node at `path`.
 */
static inline void fuzz_fdt_node(const struct cellvm_mmio_ops *ops,
				 void *dev, uint64_t base, uint64_t window,
				 unsigned size, const char *path)
{
	char buf[64 + 2 * 255];
	struct cellvm_fdt_ctx ctx = {
		.fdt = buf, .apb_clk_phandle = 1, .irq_prop = fuzz_irq_prop,
		.phandle_alloc = fuzz_phandle_alloc,
	};
	int ret;

	size = 64 + size * 2;
	if (fdt_create(buf, (int)size) || fdt_finish_reservemap(buf) ||
	    fdt_begin_node(buf, ""))
		return;
	ret = ops->fdt_node(dev, &ctx, base, window);
	check(ret <= 0);
	if (!ret && !fdt_end_node(buf) && !fdt_finish(buf))
		check(fdt_path_offset(buf, path) >= 0);
}

#endif

/* SPDX-License-Identifier: MIT */
/*
 * What the libFuzzer targets share: reading operands off the input, the
 * invariant check, and for the PrimeCell targets (fuzz_pl011, fuzz_pl031,
 * fuzz_pl061) their interrupt line, their MMIO accesses and the
 * device-tree round trip.
 */
#ifndef CELLVM_FUZZ_UTIL_H
#define CELLVM_FUZZ_UTIL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <libfdt.h>

#include "core/bus.h"
#include "core/irq.h"

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

/*
 * A device's interrupt line that checks the model drives only changes and
 * remembers the level. on_change, if given, adds the target's own check
 * at each change.
 */
struct fuzz_line {
	struct cellvm_irqchip chip;
	bool level;
	bool set; /* driven at least once */
	void (*on_change)(void *opaque);
	void *opaque;
};

static inline int fuzz_line_set(struct cellvm_irqchip *chip, unsigned line,
				bool level)
{
	struct fuzz_line *l = chip->priv;

	(void)line;
	check(!l->set || level != l->level);
	l->level = level;
	l->set = true;
	if (l->on_change)
		l->on_change(l->opaque);
	return 0;
}

static inline void fuzz_line_init(struct fuzz_line *l,
				  void (*on_change)(void *opaque),
				  void *opaque)
{
	static const struct cellvm_irqchip_ops ops = {
		.set_line = fuzz_line_set,
	};

	*l = (struct fuzz_line){ .chip = { .ops = &ops, .priv = l },
				 .on_change = on_change, .opaque = opaque };
}

/* An access at offset `off` of a device's window, as the bus makes it. */
static inline uint64_t fuzz_mmio_rd(const struct cellvm_mmio_ops *ops,
				    void *dev, uint64_t off, unsigned size)
{
	struct cellvm_access_info a = { .offset = off, .size = size };

	return ops->read(dev, &a);
}

static inline void fuzz_mmio_wr(const struct cellvm_mmio_ops *ops, void *dev,
				uint64_t off, unsigned size, uint64_t v)
{
	struct cellvm_access_info a = { .offset = off, .size = size };

	ops->write(dev, &a, v);
}

#endif

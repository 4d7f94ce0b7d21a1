/* SPDX-License-Identifier: MIT */
/*
 * The MMIO bus: a sorted table of non-overlapping guest-physical windows,
 * each owned by one device. A trapped access is routed by address to the
 * owner's read/write with the offset inside its window. The table is
 * filled before the vCPUs start and read-only afterwards, so lookups need
 * no lock; each device protects its own state (accesses arrive on any
 * vCPU thread and on the event-loop thread).
 *
 * Each device also writes its own device-tree node through fdt_node(); the
 * device-tree builder walks the bus (kvmtool's pattern).
 */
#ifndef CELLVM_BUS_H
#define CELLVM_BUS_H

#include <stdbool.h>
#include <stdint.h>
#include "err.h"

#define CELLVM_BUS_MAX_DEVICES 64

/*
 * What a device needs to describe itself in the device tree. The board
 * fills it; irq_prop() writes the "interrupts" property for a line in the
 * interrupt controller's format (edge: rising edge, else level high).
 */
struct cellvm_fdt_ctx {
	void *fdt;
	uint32_t intc_phandle;
	uint32_t apb_clk_phandle;
	int (*irq_prop)(const struct cellvm_fdt_ctx *ctx, unsigned line,
			bool edge);
};

struct cellvm_mmio_ops {
	/* size is 1, 2, 4 or 8; offset < window size; value little-endian. */
	uint64_t (*read)(void *opaque, uint64_t offset, unsigned size);
	void (*write)(void *opaque, uint64_t offset, uint64_t value,
		      unsigned size);
	/* Optional: add the device's node under the root. 0 or -errno. */
	int (*fdt_node)(void *opaque, const struct cellvm_fdt_ctx *ctx,
			uint64_t base, uint64_t size);
};

struct cellvm_bus_dev {
	const char *name;
	uint64_t base;
	uint64_t size;
	const struct cellvm_mmio_ops *ops;
	void *opaque;
};

struct cellvm_bus {
	struct cellvm_bus_dev dev[CELLVM_BUS_MAX_DEVICES];
	unsigned nr;
};

/* -EINVAL on overlap/zero size/wrap, -ENOSPC when full. */
int cellvm_bus_add(struct cellvm_bus *bus, const char *name, uint64_t base,
		   uint64_t size, const struct cellvm_mmio_ops *ops,
		   void *opaque) CELLVM_MUST_CHECK;

/* The device whose window holds [addr, addr + len), or NULL. */
const struct cellvm_bus_dev *cellvm_bus_find(const struct cellvm_bus *bus,
					     uint64_t addr, unsigned len);

/*
 * Perform an access. *value is the value written, or receives the value
 * read. Returns 0, -ENODEV when no device owns the range, -EINVAL for a
 * length other than 1, 2, 4 or 8.
 */
int cellvm_bus_access(const struct cellvm_bus *bus, uint64_t addr,
		      unsigned len, bool is_write, uint64_t *value);

#endif

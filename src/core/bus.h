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
#ifndef CELLVM_CORE_BUS_H
#define CELLVM_CORE_BUS_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include "cellvm/err.h"

#define CELLVM_BUS_MAX_DEVICES 64

/*
 * What a device needs to describe itself in the device tree. The board
 * fills it; irq_prop() writes the "interrupts" property for a line in the
 * interrupt controller's format (edge: rising edge, else level high).
 */
struct cellvm_dev_counters;

struct cellvm_fdt_ctx {
	void *fdt;
	uint32_t intc_phandle;
	uint32_t apb_clk_phandle;
	int (*irq_prop)(const struct cellvm_fdt_ctx *ctx, unsigned line,
			bool edge);
	/* A phandle no other node has, for a device that others refer to
	 * (a GPIO controller); NULL: the board hands out none. */
	uint32_t (*phandle_alloc)(const struct cellvm_fdt_ctx *ctx);
};

/*
 * One access as the device sees it (crosvm's BusAccessInfo): where, how
 * wide, and which vCPU made it, so a device whose registers are banked
 * per CPU (a GIC CPU interface) needs no side door.
 */
struct cellvm_access_info {
	uint64_t addr; /* guest-physical address */
	uint64_t offset; /* from the window's base; + size <= window size */
	unsigned size; /* 1, 2, 4 or 8 bytes */
	unsigned cpu; /* index of the accessing vCPU */
};

struct cellvm_mmio_ops {
	/* Values are little-endian; a read's bytes beyond size are
	 * dropped by the bus. */
	uint64_t (*read)(void *opaque, const struct cellvm_access_info *a);
	void (*write)(void *opaque, const struct cellvm_access_info *a,
		      uint64_t value);
	/* Optional: the device's own counters (irqs, errors, queues) into
	 * out, whose name, base, reads and writes the bus fills. */
	void (*counters)(void *opaque, struct cellvm_dev_counters *out);
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
	/* Guest accesses (cellvm_vm_counters); atomic: vCPUs share a bus. */
	_Atomic uint64_t reads, writes;
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
 * Perform an access by vCPU `cpu`. *value is the value written, or
 * receives the value read. Returns 0, -ENODEV when no device owns the
 * range, -EINVAL for a length other than 1, 2, 4 or 8.
 */
int cellvm_bus_access(const struct cellvm_bus *bus, unsigned cpu,
		      uint64_t addr, unsigned len, bool is_write,
		      uint64_t *value);

#endif

// SPDX-License-Identifier: MIT
/*
 * MMIO bus: routes a trapped guest access to the device owning the
 * address. The table is small (tens of devices) and sorted by base, so a
 * binary search finds the owner.
 */
#include <errno.h>
#include <string.h>

#include "core/bus.h"

static int valid_len(unsigned len)
{
	return len == 1 || len == 2 || len == 4 || len == 8;
}

int cellvm_bus_add(struct cellvm_bus *bus, const char *name, uint64_t base,
		   uint64_t size, const struct cellvm_mmio_ops *ops,
		   void *opaque)
{
	unsigned i, pos;

	if (size == 0 || base + size < base || !ops)
		return -EINVAL;
	if (bus->nr >= CELLVM_BUS_MAX_DEVICES)
		return -ENOSPC;
	pos = bus->nr;
	for (i = 0; i < bus->nr; i++) {
		const struct cellvm_bus_dev *d = &bus->dev[i];

		if (base < d->base + d->size && d->base < base + size)
			return -EINVAL;
		if (pos == bus->nr && base < d->base)
			pos = i;
	}
	memmove(&bus->dev[pos + 1], &bus->dev[pos],
		(bus->nr - pos) * sizeof(bus->dev[0]));
	bus->dev[pos] = (struct cellvm_bus_dev){
		.name = name, .base = base, .size = size,
		.ops = ops, .opaque = opaque,
	};
	bus->nr++;
	return 0;
}

const struct cellvm_bus_dev *cellvm_bus_find(const struct cellvm_bus *bus,
					     uint64_t addr, unsigned len)
{
	unsigned lo = 0, hi = bus->nr;

	while (lo < hi) {
		unsigned mid = lo + (hi - lo) / 2;
		const struct cellvm_bus_dev *d = &bus->dev[mid];

		if (addr < d->base) {
			hi = mid;
		} else if (addr - d->base >= d->size) {
			lo = mid + 1;
		} else {
			/* The whole access must fit in the window. */
			if (len > d->size - (addr - d->base))
				return NULL;
			return d;
		}
	}
	return NULL;
}

int cellvm_bus_access(const struct cellvm_bus *bus, unsigned cpu,
		      uint64_t addr, unsigned len, bool is_write,
		      uint64_t *value)
{
	const struct cellvm_bus_dev *d;
	struct cellvm_access_info a;

	if (!valid_len(len))
		return -EINVAL;
	d = cellvm_bus_find(bus, addr, len);
	if (!d)
		return -ENODEV;
	a = (struct cellvm_access_info){
		.addr = addr, .offset = addr - d->base, .size = len, .cpu = cpu,
	};
	/* The counters are the only part of a window that changes after
	 * set-up: cast away the lookup's const for them alone. */
	atomic_fetch_add_explicit(is_write ? &((struct cellvm_bus_dev *)d)->writes
					   : &((struct cellvm_bus_dev *)d)->reads,
				  1, memory_order_relaxed);
	if (is_write) {
		if (d->ops->write)
			d->ops->write(d->opaque, &a, *value);
	} else {
		*value = d->ops->read ? d->ops->read(d->opaque, &a) : 0;
		/* Keep only the bytes the guest asked for. */
		if (len < 8)
			*value &= (1ULL << (8 * len)) - 1;
	}
	return 0;
}

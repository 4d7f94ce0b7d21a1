// SPDX-License-Identifier: MIT
/*
 * Guest-physical to host translation. Every range is checked as a whole,
 * with the end computed without overflow, so a guest-chosen (address,
 * length) pair can never reach outside the region it starts in.
 */
#include <errno.h>
#include <string.h>

#include "core/mem.h"

/* Is [gpa, gpa + len) inside [base, base + size)? Overflow-safe. */
static int range_inside(uint64_t gpa, uint64_t len, uint64_t base,
			uint64_t size)
{
	if (gpa < base)
		return 0;
	if (gpa - base > size)
		return 0;
	return len <= size - (gpa - base);
}

int cellvm_mem_add(struct cellvm_mem *m, uint64_t gpa, uint64_t size,
		   void *host)
{
	unsigned i;

	if (size == 0 || gpa + size < gpa || !host)
		return -EINVAL;
	if (m->nr >= CELLVM_MEM_MAX_REGIONS)
		return -ENOSPC;
	for (i = 0; i < m->nr; i++) {
		const struct cellvm_mem_region *r = &m->region[i];

		if (gpa < r->gpa + r->size && r->gpa < gpa + size)
			return -EINVAL;
	}
	m->region[m->nr].gpa = gpa;
	m->region[m->nr].size = size;
	m->region[m->nr].host = host;
	m->nr++;
	return 0;
}

const struct cellvm_mem_region *cellvm_mem_find(const struct cellvm_mem *m,
						uint64_t gpa)
{
	unsigned i;

	for (i = 0; i < m->nr; i++) {
		const struct cellvm_mem_region *r = &m->region[i];

		if (gpa >= r->gpa && gpa - r->gpa < r->size)
			return r;
	}
	return NULL;
}

void *cellvm_mem_ptr(const struct cellvm_mem *m, uint64_t gpa, uint64_t len)
{
	const struct cellvm_mem_region *r = cellvm_mem_find(m, gpa);

	if (!r || !range_inside(gpa, len, r->gpa, r->size))
		return NULL;
	return r->host + (gpa - r->gpa);
}

int cellvm_mem_read(const struct cellvm_mem *m, uint64_t gpa, void *dst,
		    size_t len)
{
	const void *p = cellvm_mem_ptr(m, gpa, len);

	if (!p)
		return -EFAULT;
	memcpy(dst, p, len);
	return 0;
}

int cellvm_mem_write(const struct cellvm_mem *m, uint64_t gpa,
		     const void *src, size_t len)
{
	void *p = cellvm_mem_ptr(m, gpa, len);

	if (!p)
		return -EFAULT;
	memcpy(p, src, len);
	return 0;
}

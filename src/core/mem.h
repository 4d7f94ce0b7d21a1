/* SPDX-License-Identifier: MIT */
/*
 * Guest memory: a short table of RAM regions (guest-physical range ->
 * host mapping). Every device and loader touches guest memory only through
 * cellvm_mem_ptr()/cellvm_mem_read()/cellvm_mem_write(), which check the
 * whole range, overflow included, against one region.
 */
#ifndef CELLVM_CORE_MEM_H
#define CELLVM_CORE_MEM_H

#include <stddef.h>
#include <stdint.h>
#include "cellvm/err.h"

#define CELLVM_MEM_MAX_REGIONS 8

struct cellvm_mem_region {
	uint64_t gpa;
	uint64_t size;
	uint8_t *host;
};

struct cellvm_mem {
	struct cellvm_mem_region region[CELLVM_MEM_MAX_REGIONS];
	unsigned nr;
};

/* Add a region; fails with -EINVAL on overlap, wrap-around or zero size,
 * -ENOSPC when the table is full. */
int cellvm_mem_add(struct cellvm_mem *m, uint64_t gpa, uint64_t size,
		   void *host) CELLVM_MUST_CHECK;

/* Host pointer for [gpa, gpa + len) when it lies wholly in one region,
 * else NULL. len 0 is valid when gpa is inside a region. */
void *cellvm_mem_ptr(const struct cellvm_mem *m, uint64_t gpa, uint64_t len);

/* Copy out of / into guest memory: 0, or -EFAULT when not wholly RAM. */
int cellvm_mem_read(const struct cellvm_mem *m, uint64_t gpa, void *dst,
		    size_t len) CELLVM_MUST_CHECK;
int cellvm_mem_write(const struct cellvm_mem *m, uint64_t gpa,
		     const void *src, size_t len) CELLVM_MUST_CHECK;

/* The region containing gpa, or NULL. */
const struct cellvm_mem_region *cellvm_mem_find(const struct cellvm_mem *m,
						uint64_t gpa);

#endif

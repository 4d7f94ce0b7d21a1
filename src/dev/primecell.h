/* SPDX-License-Identifier: MIT */
/*
 * What every ARM PrimeCell peripheral shares (pl011, pl031, pl061): the
 * identification registers at the top of its 4 KiB window and the shape
 * of its device-tree node. See primecell.c.
 */
#ifndef CELLVM_DEV_PRIMECELL_H
#define CELLVM_DEV_PRIMECELL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/bus.h"

/* PeriphID0-3 then PCellID0-3, one byte per 32-bit word. */
#define PRIMECELL_PERIPHID0 0xfe0
#define PRIMECELL_ID_END 0x1000

/* Is the register at window offset `reg` one of the eight ID registers? */
bool primecell_is_id_reg(uint64_t reg);

/*
 * The ID register at `reg` (primecell_is_id_reg) of a cell whose
 * PeriphID0-3 read as the bytes of `periph_id`, least significant first.
 */
uint32_t primecell_id_read(uint32_t periph_id, uint64_t reg);

/*
 * Write the node "<name>@<base>": compatible (the NUL-separated list
 * `compat` of `compat_len` bytes), reg, the interrupt `line` (level),
 * clock-names (the NUL-separated list `clock_names`, at most
 * PRIMECELL_MAX_CLOCKS names) and one APB clock phandle per name.
 * Returns 0 or -errno.
 */
#define PRIMECELL_MAX_CLOCKS 4
int primecell_fdt_node(const struct cellvm_fdt_ctx *ctx, const char *name,
		       uint64_t base, uint64_t size, const char *compat,
		       size_t compat_len, const char *clock_names,
		       size_t clock_names_len, unsigned line);

/* The same, but the node is left open for the cell's own properties:
 * the caller ends it (fdt_end_node). */
int primecell_fdt_begin(const struct cellvm_fdt_ctx *ctx, const char *name,
			uint64_t base, uint64_t size, const char *compat,
			size_t compat_len, const char *clock_names,
			size_t clock_names_len, unsigned line);

#endif

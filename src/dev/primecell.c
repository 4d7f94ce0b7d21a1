// SPDX-License-Identifier: MIT
/*
 * The parts every ARM PrimeCell peripheral shares, after the TRMs of the
 * cells emulated here (ARM DDI 0183 PL011 3.3.13-3.3.14, ARM DDI 0224
 * PL031 3.3.9-3.3.10, ARM DDI 0190 PL061 3.3.11-3.3.18):
 *
 * - PeriphID0-3 at 0xfe0-0xfec: the part number (12 bits), designer
 *   (0x41, ARM) and revision, one byte per 32-bit word;
 * - PCellID0-3 at 0xff0-0xffc: 0x0d, 0xf0, 0x05, 0xb1 on every cell,
 *   which is how an AMBA bus driver (Linux's amba_device) recognises one;
 * - the device-tree node: "arm,<cell>", "arm,primecell", its registers,
 *   a level interrupt and the APB clock under one or more names.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>

#include <libfdt.h>

#include "core/bytes.h"
#include "dev/primecell.h"

#define PRIMECELL_REG_SIZE 4u
#define PRIMECELL_CELLID 0xb105f00du /* PCellID0-3, least significant first */

bool primecell_is_id_reg(uint64_t reg)
{
	return reg >= PRIMECELL_PERIPHID0 && reg < PRIMECELL_ID_END;
}

uint32_t primecell_id_read(uint32_t periph_id, uint64_t reg)
{
	unsigned word = (unsigned)((reg - PRIMECELL_PERIPHID0) /
				   PRIMECELL_REG_SIZE);
	uint32_t id = word < 4 ? periph_id : PRIMECELL_CELLID;

	if (!primecell_is_id_reg(reg))
		return 0;
	return (id >> (8 * (word % 4))) & 0xffu;
}

int primecell_fdt_begin(const struct cellvm_fdt_ctx *ctx, const char *name,
			uint64_t base, uint64_t size, const char *compat,
			size_t compat_len, const char *clock_names,
			size_t clock_names_len, unsigned line)
{
	/* Two address and two size cells, as the root node declares. */
	fdt64_t reg[2] = { cpu_to_fdt64(base), cpu_to_fdt64(size) };
	fdt32_t clocks[PRIMECELL_MAX_CLOCKS];
	size_t nclocks = 0;
	void *fdt = ctx->fdt;
	char node[32];
	int ret;

	if (!fdt || !ctx->irq_prop)
		return -EINVAL;
	/* One APB clock phandle per name in clock_names. */
	for (size_t i = 0; i < clock_names_len; i++) {
		if (clock_names[i])
			continue;
		if (nclocks == PRIMECELL_MAX_CLOCKS)
			return -EINVAL;
		clocks[nclocks++] = cpu_to_fdt32(ctx->apb_clk_phandle);
	}
	snprintf(node, sizeof(node), "%s@%" PRIx64, name, base);
	ret = fdt_begin_node(fdt, node);
	if (!ret)
		ret = fdt_property(fdt, "compatible", compat, (int)compat_len);
	if (!ret)
		ret = fdt_property(fdt, "reg", reg, sizeof(reg));
	if (ret)
		return fdt_to_errno(ret);
	ret = ctx->irq_prop(ctx, line, false);
	if (ret)
		return ret < 0 ? ret : -EINVAL;
	ret = fdt_property(fdt, "clock-names", clock_names,
			   (int)clock_names_len);
	if (!ret)
		ret = fdt_property(fdt, "clocks", clocks,
				   (int)(nclocks * sizeof(clocks[0])));
	return fdt_to_errno(ret);
}

int primecell_fdt_node(const struct cellvm_fdt_ctx *ctx, const char *name,
		       uint64_t base, uint64_t size, const char *compat,
		       size_t compat_len, const char *clock_names,
		       size_t clock_names_len, unsigned line)
{
	int ret = primecell_fdt_begin(ctx, name, base, size, compat,
				      compat_len, clock_names,
				      clock_names_len, line);

	return ret ? ret : fdt_to_errno(fdt_end_node(ctx->fdt));
}

// SPDX-License-Identifier: MIT
/* Small helpers shared by the parsers and device models: see bytes.h. */
#include <errno.h>
#include <libfdt.h>

#include "core/bytes.h"

uint64_t get_le(const void *p, unsigned n)
{
	const uint8_t *b = p;
	uint64_t v = 0;

	if (n > 8)
		n = 8;
	while (n--)
		v = (v << 8) | b[n];
	return v;
}

int fdt_to_errno(int fdt_ret)
{
	if (!fdt_ret)
		return 0;
	return fdt_ret == -FDT_ERR_NOSPACE ? -ENOSPC : -EINVAL;
}

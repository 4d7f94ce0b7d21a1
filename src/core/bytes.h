/* SPDX-License-Identifier: MIT */
/* Small helpers shared by the parsers and device models. */
#ifndef CELLVM_CORE_BYTES_H
#define CELLVM_CORE_BYTES_H

#include <stdint.h>

/* The n-byte (1..8) little-endian unsigned integer at p; any alignment. */
uint64_t get_le(const void *p, unsigned n);

/*
 * libfdt's return codes as 0 or -errno: -FDT_ERR_NOSPACE (the blob is
 * full) is -ENOSPC, any other error -EINVAL.
 */
int fdt_to_errno(int fdt_ret);

#endif

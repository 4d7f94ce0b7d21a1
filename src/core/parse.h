/* SPDX-License-Identifier: MIT */
/* Parsers for command-line values, kept in the library so they are tested. */
#ifndef CELLVM_CORE_PARSE_H
#define CELLVM_CORE_PARSE_H

#include <stdbool.h>
#include <stdint.h>
#include "cellvm/cellvm.h"

/* "256M", "1G", "65536", "512K": bytes. Suffixes K, M, G, T (powers of
 * 1024), optionally followed by "iB" or "B". -EINVAL when malformed,
 * -ERANGE on overflow. */
int cellvm_parse_size(const char *s, uint64_t *out) CELLVM_MUST_CHECK;

/* A decimal unsigned integer in [min, max]. */
int cellvm_parse_uint(const char *s, unsigned min, unsigned max,
		      unsigned *out) CELLVM_MUST_CHECK;

/* "52:54:00:12:34:56". */
int cellvm_parse_mac(const char *s, uint8_t mac[6]) CELLVM_MUST_CHECK;

/* "PATH[,ro]" -> disk config (path points into s). */
int cellvm_parse_disk(char *s, struct cellvm_disk_cfg *out) CELLVM_MUST_CHECK;

/* "tap=IFNAME[,mac=MAC]" -> net config (tap points into s). */
int cellvm_parse_net(char *s, struct cellvm_net_cfg *out) CELLVM_MUST_CHECK;

/* "cid=N,uds=PATH" (either order) -> vsock config (uds_path points into
 * s; PATH has no comma). -EINVAL when malformed, -ERANGE for a CID
 * outside 3..4294967294 (5.10.4 of virtio 1.2: 0-2 are reserved). */
int cellvm_parse_vsock(char *s, struct cellvm_vsock_cfg *out) CELLVM_MUST_CHECK;

#endif

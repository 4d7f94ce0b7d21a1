/* SPDX-License-Identifier: MIT */
/*
 * Unit-test helper: gzip a buffer in memory with zlib (test_gunzip,
 * test_kernel_load). Include after <cmocka.h>.
 */
#ifndef CELLVM_TESTS_UNIT_GZIP_BUF_H
#define CELLVM_TESTS_UNIT_GZIP_BUF_H

#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

/* Slack past the compressed stream, for tests that append to it. */
#define GZIP_BUF_SLACK 100

/* A gzip member (windowBits + 16) of in[0..n), malloc'd; *zlen its size. */
static inline uint8_t *gzip_buf(const uint8_t *in, size_t n, size_t *zlen)
{
	z_stream zs;
	size_t room = n + n / 100 + 1024;
	uint8_t *z = malloc(room + GZIP_BUF_SLACK);

	assert_non_null(z);
	memset(&zs, 0, sizeof(zs));
	assert_int_equal(deflateInit2(&zs, 6, Z_DEFLATED, MAX_WBITS + 16, 8,
				      Z_DEFAULT_STRATEGY),
			 Z_OK);
	zs.next_in = (Bytef *)in;
	zs.avail_in = (uInt)n;
	zs.next_out = z;
	zs.avail_out = (uInt)room;
	assert_int_equal(deflate(&zs, Z_FINISH), Z_STREAM_END);
	*zlen = zs.total_out;
	deflateEnd(&zs);
	return z;
}

#endif

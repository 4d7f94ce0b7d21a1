// SPDX-License-Identifier: MIT
/*
 * libFuzzer target for the bounded gzip inflate (src/core/gunzip.c).
 * Byte 0 chooses the mode, the rest is the input:
 *
 *   bit 0      peek (stop quietly at the bound)
 *   bits 1-3   reader chunk: 1 << (2 * n) bytes per read (1 .. 16 KiB)
 *   bits 4-7   bound: 1 << (n + 4) bytes (16 .. 512 KiB)
 *   bit 7 set and mode 0xff: round trip, the rest is compressed first
 *
 * Invariants: never more than the bound written (the output buffer is
 * exactly the bound, so ASan catches any overrun); a failure comes with a
 * CELLVM_E_IMAGE message; a round trip gives the input back.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "core/gunzip.h"

#define CHECK(cond)                                                       \
	do {                                                              \
		if (!(cond))                                              \
			__builtin_trap();                                 \
	} while (0)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

struct src {
	const uint8_t *data;
	size_t size, chunk;
};

static long src_read(void *opaque, uint64_t off, void *buf, size_t len)
{
	struct src *s = opaque;

	if (off >= s->size)
		return 0;
	if (len > s->size - off)
		len = s->size - off;
	if (len > s->chunk)
		len = s->chunk;
	memcpy(buf, s->data + off, len);
	return (long)len;
}

static void round_trip(const uint8_t *data, size_t size)
{
	struct cellvm_err err = { 0 };
	uLong room = compressBound((uLong)size) + 32;
	uint8_t *z = malloc(room), *out = malloc(size ? size : 1);
	struct src s = { z, 0, 4096 };
	struct gunzip_src gs = { src_read, &s, "kernel", NULL };
	z_stream zs;
	uint64_t got;

	CHECK(z && out);
	memset(&zs, 0, sizeof(zs));
	CHECK(deflateInit2(&zs, 1, Z_DEFLATED, MAX_WBITS + 16, 8,
			   Z_DEFAULT_STRATEGY) == Z_OK);
	zs.next_in = (Bytef *)data;
	zs.avail_in = (uInt)size;
	zs.next_out = z;
	zs.avail_out = (uInt)room;
	CHECK(deflate(&zs, Z_FINISH) == Z_STREAM_END);
	s.size = zs.total_out;
	deflateEnd(&zs);
	CHECK(gunzip(&gs, out, size, false, &got, &err) == 0);
	CHECK(got == size && memcmp(out, data, size) == 0);
	free(z);
	free(out);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct cellvm_err err = { 0 };
	struct src s;
	struct gunzip_src gs = { src_read, &s, "kernel", NULL };
	uint64_t cap, got;
	uint8_t mode, *out;
	int ret;

	if (size < 1)
		return 0;
	mode = data[0];
	if (mode == 0xff) {
		round_trip(data + 1, size - 1);
		return 0;
	}
	s = (struct src){ data + 1, size - 1, 1U << (2 * ((mode >> 1) & 7)) };
	cap = 1ULL << (((mode >> 4) & 0xf) + 4);
	if (cap > 512 * 1024)
		cap = 512 * 1024;
	out = malloc(cap);
	if (!out)
		return 0;
	ret = gunzip(&gs, out, cap, mode & 1, &got, &err);
	CHECK(got <= cap);
	if (ret)
		CHECK(ret < 0 && err.cat == CELLVM_E_IMAGE && err.msg[0]);
	else
		CHECK(err.cat == CELLVM_E_NONE);
	free(out);
	return 0;
}

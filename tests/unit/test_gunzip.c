// SPDX-License-Identifier: MIT
/*
 * Bounded streaming gzip inflate (src/core/gunzip.c), table-driven: each
 * case compresses a payload with zlib (RFC 1952 framing), then damages or
 * bounds it, and checks what gunzip() writes and says.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>
#include <cmocka.h>

#include "gzip_buf.h"

#include "core/gunzip.h"

#define KIB 1024ULL
#define MIB (1024ULL * KIB)

enum payload { PATTERN, ZEROS };
enum damage {
	INTACT,
	CUT_HALF, /* first half of the compressed bytes only */
	CUT_TRAILER, /* all but the last 4 bytes (ISIZE) */
	CUT_HEADER, /* the first 5 bytes */
	FLIP_MIDDLE, /* one bit flipped in the deflate data */
	FLIP_CRC, /* one bit flipped in the CRC-32 */
	NOT_GZIP, /* first byte changed */
	TRAILING, /* 100 bytes of junk after the member */
	READ_ERROR, /* the reader fails after the first chunk */
};

struct gz_case {
	const char *name;
	enum payload payload;
	uint64_t size; /* uncompressed */
	enum damage damage;
	uint64_t cap;
	bool peek;
	size_t chunk; /* bytes the reader returns per call (0: all asked) */
	int ret;
	uint64_t out_len; /* on success */
	const char *msg; /* expected in the error message */
};

static const struct gz_case cases[] = {
	{ "round trip", PATTERN, 300 * KIB, INTACT, 1 * MIB, false, 0, 0,
	  300 * KIB, NULL },
	{ "exactly the bound", PATTERN, 300 * KIB, INTACT, 300 * KIB, false,
	  0, 0, 300 * KIB, NULL },
	{ "one byte over the bound", PATTERN, 300 * KIB + 1, INTACT,
	  300 * KIB, false, 0, -EFBIG, 0,
	  "kernel: gzip data decompresses to more than 307200 bytes" },
	{ "bomb: 64 MiB of zeros, 1 MiB bound", ZEROS, 64 * MIB, INTACT,
	  1 * MIB, false, 0, -EFBIG, 0,
	  "decompresses to more than 1048576 bytes (the test's bound)" },
	{ "empty payload", PATTERN, 0, INTACT, 4096, false, 0, 0, 0, NULL },
	{ "one byte per read", PATTERN, 20 * KIB, INTACT, 1 * MIB, false, 1,
	  0, 20 * KIB, NULL },
	{ "peek at a header", PATTERN, 300 * KIB, INTACT, 64, true, 0, 0, 64,
	  NULL },
	{ "peek beyond the end", PATTERN, 100, INTACT, 4096, true, 0, 0, 100,
	  NULL },
	{ "peek at a truncated stream", PATTERN, 300 * KIB, CUT_HALF, 4096,
	  true, 0, 0, 4096, NULL },
	{ "truncated in the data", PATTERN, 300 * KIB, CUT_HALF, 1 * MIB,
	  false, 0, -EINVAL, 0, "kernel: gzip data truncated (ends after" },
	{ "truncated in the trailer", PATTERN, 300 * KIB, CUT_TRAILER, 1 * MIB,
	  false, 0, -EINVAL, 0, "gzip data truncated" },
	{ "truncated in the header", PATTERN, 300 * KIB, CUT_HEADER, 1 * MIB,
	  false, 0, -EINVAL, 0, "gzip data truncated (ends after 5 compressed" },
	{ "corrupt data", PATTERN, 300 * KIB, FLIP_MIDDLE, 1 * MIB, false, 0,
	  -EINVAL, 0, "kernel: corrupt gzip data" },
	{ "bad CRC", PATTERN, 300 * KIB, FLIP_CRC, 1 * MIB, false, 0, -EINVAL,
	  0, "(zlib: incorrect data check)" },
	{ "not gzip", PATTERN, 300 * KIB, NOT_GZIP, 1 * MIB, false, 0, -EINVAL,
	  0, "(zlib: incorrect header check)" },
	{ "junk after the member is ignored", PATTERN, 300 * KIB, TRAILING,
	  1 * MIB, false, 0, 0, 300 * KIB, NULL },
	{ "read error", PATTERN, 300 * KIB, READ_ERROR, 1 * MIB, false, 1000,
	  -EIO, 0, "kernel: read failed at byte 1000: Input/output error" },
};

struct mem_src {
	const uint8_t *data;
	size_t size;
	size_t chunk;
	bool fail_after_first;
};

static long mem_read(void *opaque, uint64_t off, void *buf, size_t len)
{
	struct mem_src *s = opaque;

	if (s->fail_after_first && off > 0)
		return -EIO;
	if (off >= s->size)
		return 0;
	if (len > s->size - off)
		len = s->size - off;
	if (s->chunk && len > s->chunk)
		len = s->chunk;
	memcpy(buf, s->data + off, len);
	return (long)len;
}

static void fill(uint8_t *p, uint64_t n, enum payload what)
{
	uint64_t i;

	for (i = 0; i < n; i++)
		p[i] = what == ZEROS ? 0 : (uint8_t)((i * 2654435761u) >> 13);
}

/* gzip-compress in[0..n) into a new buffer; *zlen gets its size. */
static void damage(uint8_t *z, size_t *zlen, const struct gz_case *c,
		   struct mem_src *src)
{
	switch (c->damage) {
	case CUT_HALF: *zlen /= 2; break;
	case CUT_TRAILER: *zlen -= 4; break;
	case CUT_HEADER: *zlen = 5; break;
	case FLIP_MIDDLE: z[*zlen / 2] ^= 0x10; break;
	case FLIP_CRC: z[*zlen - 8] ^= 0x01; break;
	case NOT_GZIP: z[0] = 0x1e; break;
	case TRAILING:
		memset(z + *zlen, 0xa5, 100);
		*zlen += 100;
		break;
	case READ_ERROR: src->fail_after_first = true; break;
	case INTACT: break;
	}
}

static void run_case(const struct gz_case *c)
{
	struct cellvm_err err = { 0 };
	struct mem_src ms = { 0 };
	struct gunzip_src src = { mem_read, &ms, "kernel",
				  c->payload == ZEROS ? "the test's bound" : NULL };
	uint8_t *in = malloc(c->size + 1), *z, *out;
	uint64_t got = 12345;
	size_t zlen;
	int ret;

	assert_non_null(in);
	fill(in, c->size, c->payload);
	z = gzip_buf(in, c->size, &zlen);
	damage(z, &zlen, c, &ms);
	ms.data = z;
	ms.size = zlen;
	ms.chunk = c->chunk;
	/* An exact-size buffer: a write past cap trips ASan. */
	out = malloc(c->cap ? c->cap : 1);
	assert_non_null(out);
	ret = gunzip(&src, out, c->cap, c->peek, &got, &err);
	if (ret != c->ret)
		fail_msg("%s: got %d (%s), want %d", c->name, ret, err.msg,
			 c->ret);
	if (c->ret == 0) {
		assert_int_equal(got, c->out_len);
		if (got)
			assert_memory_equal(out, in, got);
		assert_int_equal(err.cat, CELLVM_E_NONE);
	} else {
		assert_int_equal(err.cat, CELLVM_E_IMAGE);
		if (!strstr(err.msg, c->msg))
			fail_msg("%s: message '%s' lacks '%s'", c->name,
				 err.msg, c->msg);
		assert_true(got <= c->cap);
	}
	free(out);
	free(z);
	free(in);
}

static void test_cases(void **state)
{
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		run_case(&cases[i]);
}

/* A bound over 4 GiB (zlib's avail_out is 32 bits) is handed over in
 * pieces: a small stream still decompresses whole. */
static void test_bound_over_4g(void **state)
{
	struct cellvm_err err = { 0 };
	struct mem_src ms = { 0 };
	struct gunzip_src src = { mem_read, &ms, "kernel", NULL };
	uint8_t in[5000], out[5000];
	uint64_t got;
	size_t zlen;
	uint8_t *z;

	fill(in, sizeof(in), PATTERN);
	z = gzip_buf(in, sizeof(in), &zlen);
	ms.data = z;
	ms.size = zlen;
	/* cap larger than out: legal only because the data is shorter. */
	assert_int_equal(gunzip(&src, out, 5ULL << 30, false, &got, &err), 0);
	assert_int_equal(got, sizeof(in));
	assert_memory_equal(out, in, sizeof(in));
	free(z);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_cases),
		cmocka_unit_test(test_bound_over_4g),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

// SPDX-License-Identifier: MIT
/*
 * Bounded streaming gzip inflate: see gunzip.h. zlib does the format work
 * (RFC 1952 member header, RFC 1951 deflate data, the CRC-32 and ISIZE
 * trailer, checked at the end of the member); this file feeds it in
 * GUNZIP_CHUNK pieces and enforces the output bound.
 *
 * The bound: the output buffer is cap bytes. When it is full and the
 * stream has not ended, inflating goes on into a one-byte scratch buffer:
 * if that byte is ever written, the data holds more than cap bytes and is
 * refused; if the stream ends first, the data was exactly cap bytes long.
 */
#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "core/gunzip.h"

/* inflateInit2: window bits 15 (the deflate maximum) + 16 = gzip only. */
#define GZIP_WINDOW_BITS (MAX_WBITS + 16)
/* avail_out is a uInt: hand the output over in pieces of at most this. */
#define OUT_STEP (1U << 30)

struct inflater {
	const struct gunzip_src *src;
	z_stream zs;
	uint8_t *in;
	uint64_t in_off; /* compressed bytes read so far */
	uint8_t *out;
	uint64_t cap, done; /* bytes of out: room, written */
	uint8_t scratch; /* where output past cap goes */
	bool over; /* writing into scratch */
};

/* Refill the input; 0, or -errno with err set. */
static int refill(struct inflater *f, struct cellvm_err *err)
{
	long n = f->src->read(f->src->opaque, f->in_off, f->in, GUNZIP_CHUNK);

	if (n < 0)
		return cellvm_err_set(err, CELLVM_E_IMAGE, (int)n,
				      "%s: read failed at byte %" PRIu64 ": %s",
				      f->src->what, f->in_off,
				      strerror((int)-n));
	if (n == 0)
		return cellvm_err_set(err, CELLVM_E_IMAGE, EINVAL,
				      "%s: gzip data truncated (ends after %" PRIu64
				      " compressed bytes, %" PRIu64
				      " decompressed)",
				      f->src->what, f->in_off, f->done);
	if (n > GUNZIP_CHUNK)
		n = GUNZIP_CHUNK; /* a reader that overstates: trust the buffer */
	f->zs.next_in = f->in;
	f->zs.avail_in = (uInt)n;
	f->in_off += (uint64_t)n;
	return 0;
}

/* Point zlib at the next piece of output room (scratch once out is full). */
static void next_out(struct inflater *f)
{
	uint64_t left = f->cap - f->done;

	if (!left) {
		f->over = true;
		f->zs.next_out = &f->scratch;
		f->zs.avail_out = 1;
		return;
	}
	f->zs.next_out = f->out + f->done;
	f->zs.avail_out = left > OUT_STEP ? OUT_STEP : (uInt)left;
}

/* One inflate call; 1 at the end of the member, 0 to go on, or -errno. */
static int step(struct inflater *f, bool peek, struct cellvm_err *err)
{
	uInt room = f->zs.avail_out;
	int zret = inflate(&f->zs, Z_NO_FLUSH);
	uInt wrote = room - f->zs.avail_out;

	if (f->over && wrote)
		return cellvm_err_set(err, CELLVM_E_IMAGE, EFBIG,
				      "%s: gzip data decompresses to more than %" PRIu64
				      " bytes%s%s%s",
				      f->src->what, f->cap,
				      f->src->limit ? " (" : "",
				      f->src->limit ? f->src->limit : "",
				      f->src->limit ? ")" : "");
	if (!f->over)
		f->done += wrote;
	if (zret == Z_STREAM_END)
		return 1;
	if (peek && f->done == f->cap)
		return 1;
	if (zret == Z_OK || zret == Z_BUF_ERROR)
		return 0; /* more input or more room needed */
	if (zret == Z_MEM_ERROR)
		return cellvm_err_set(err, CELLVM_E_IMAGE, ENOMEM,
				      "%s: out of memory inflating gzip data",
				      f->src->what);
	return cellvm_err_set(err, CELLVM_E_IMAGE, EINVAL,
			      "%s: corrupt gzip data after %" PRIu64
			      " decompressed bytes (zlib: %s)",
			      f->src->what, f->done,
			      f->zs.msg ? f->zs.msg : zError(zret));
}

static int run(struct inflater *f, bool peek, struct cellvm_err *err)
{
	int ret;

	for (;;) {
		if (!f->zs.avail_in) {
			ret = refill(f, err);
			if (ret)
				return ret;
		}
		if (!f->zs.avail_out)
			next_out(f);
		ret = step(f, peek, err);
		if (ret)
			return ret > 0 ? 0 : ret;
	}
}

int gunzip(const struct gunzip_src *src, void *out, uint64_t cap, bool peek,
	   uint64_t *out_len, struct cellvm_err *err)
{
	struct inflater f;
	int ret;

	memset(&f, 0, sizeof(f));
	*out_len = 0;
	f.src = src;
	f.out = out;
	f.cap = cap;
	if (peek && !cap)
		return 0;
	f.in = malloc(GUNZIP_CHUNK);
	if (!f.in)
		return cellvm_err_set(err, CELLVM_E_IMAGE, ENOMEM,
				      "%s: out of memory", src->what);
	if (inflateInit2(&f.zs, GZIP_WINDOW_BITS) != Z_OK) {
		free(f.in);
		return cellvm_err_set(err, CELLVM_E_IMAGE, ENOMEM,
				      "%s: cannot start zlib's inflate",
				      src->what);
	}
	ret = run(&f, peek, err);
	inflateEnd(&f.zs);
	free(f.in);
	*out_len = f.done;
	return ret;
}

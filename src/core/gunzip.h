/* SPDX-License-Identifier: MIT */
/*
 * Bounded, streaming gzip decompression (RFC 1952, through zlib) for
 * compressed boot images: compressed bytes are pulled from a reader a
 * chunk at a time and inflated straight into the destination (guest RAM),
 * which never grows past the bound the caller gives. A stream that would
 * decompress to more than that (a "gzip bomb") is refused, not cut.
 */
#ifndef CELLVM_CORE_GUNZIP_H
#define CELLVM_CORE_GUNZIP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cellvm/err.h"

/* Read up to len bytes at offset off of the compressed data into buf:
 * the number read (0 at the end), or -errno. */
typedef long (*gunzip_read_fn)(void *opaque, uint64_t off, void *buf,
			       size_t len);

struct gunzip_src {
	gunzip_read_fn read;
	void *opaque;
	const char *what; /* "kernel": starts the error messages */
	/* What the bound is, for the message refusing a longer stream
	 * ("the Image header's image_size"); NULL: not said. */
	const char *limit;
};

/* Compressed bytes read per call of src->read. */
#define GUNZIP_CHUNK 65536

/*
 * Inflate the first gzip member from src into out (room for cap bytes);
 * *out_len gets the bytes written. Bytes after the member are ignored.
 * With peek, stop without error once cap bytes are out (to read a header);
 * without, a stream longer than cap is -EFBIG and one that ends early is
 * truncated. Errors set err (CELLVM_E_IMAGE, "<what>: ..."): -EINVAL for
 * data that is not gzip, corrupt (bad CRC or length included) or
 * truncated, -EFBIG over cap, -ENOMEM, or the reader's -errno.
 */
int gunzip(const struct gunzip_src *src, void *out, uint64_t cap, bool peek,
	   uint64_t *out_len, struct cellvm_err *err) CELLVM_MUST_CHECK;

#endif

/* SPDX-License-Identifier: MIT */
/*
 * Guest image loading: an image is a file or bytes in memory; it is read
 * straight into guest RAM, or, if it is immutable (the file cannot change
 * while the VM runs) and file offset and guest address are page-aligned,
 * mapped there copy-on-write (MAP_PRIVATE), so start-up does not grow with
 * the image size and guest writes never reach the file.
 *
 * Only immutable files are mapped: a MAP_PRIVATE page the guest has not
 * written is the file's page-cache page, so a host writing the file
 * changes guest RAM, and truncating it makes the pages past the new end
 * fault (SIGBUS in a device worker, EFAULT from KVM_RUN). Everything
 * else is copied, which leaves guest RAM independent of the file.
 */
#ifndef CELLVM_CORE_LOADER_H
#define CELLVM_CORE_LOADER_H

#include <stdbool.h>
#include <stdint.h>

#include "cellvm/cellvm.h"
#include "core/mem.h"

struct loader_image {
	const char *what; /* "kernel", "initrd", "DTB": for messages */
	const char *path; /* NULL for in-memory data */
	int fd; /* -1 for in-memory data */
	const uint8_t *data;
	uint64_t size;
	long long file_offset; /* -1: not mappable */
	bool immutable; /* cellvm_image.immutable: may be mapped */
};

/* Open and size an image. A missing or unreadable file is CELLVM_E_IMAGE
 * naming the path. */
int loader_open(const struct cellvm_image *img, const char *what,
		struct loader_image *li, struct cellvm_err *err)
	CELLVM_MUST_CHECK;

/* Copy up to len leading bytes; returns how many, or -errno. */
long loader_peek(const struct loader_image *li, void *buf, size_t len);

/* Copy up to len bytes from offset off: how many (0 at or past the end;
 * fewer than asked is not an error), or -errno. */
long loader_read(const struct loader_image *li, uint64_t off, void *buf,
		 size_t len);

/* Put the whole image at gpa (all of it must be RAM). With zero_copy, map
 * an immutable image when possible; *mapped tells which happened (may be
 * NULL). */
int loader_place(const struct loader_image *li, const struct cellvm_mem *mem,
		 uint64_t gpa, bool zero_copy, bool *mapped,
		 struct cellvm_err *err) CELLVM_MUST_CHECK;

void loader_close(struct loader_image *li);

/* Whether the kernel refuses to open path for writing because a process
 * is executing it (ETXTBSY; Linux write-protects a running executable and
 * refuses truncate(2) on it too). For /proc/self/exe this means the file
 * cannot change while we run. Any other outcome is false: an open that
 * succeeds is closed at once without writing. */
bool loader_write_denied(const char *path);

#endif

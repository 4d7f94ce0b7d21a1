// SPDX-License-Identifier: MIT
/* Guest image loading: see loader.h. */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/loader.h"

#define PAGE 4096ULL

int loader_open(const struct cellvm_image *img, const char *what,
		struct loader_image *li, struct cellvm_err *err)
{
	struct stat st;

	memset(li, 0, sizeof(*li));
	li->what = what;
	li->fd = -1;
	li->file_offset = img->file_offset;
	li->immutable = img->immutable;
	if (!img->path && !img->has_fd) {
		li->data = img->data;
		li->size = img->size;
		return 0;
	}
	li->path = img->path ? img->path : "(fd)";
	/* O_NONBLOCK: opening a FIFO must not wait for a writer (a signal
	 * could not end that wait); only regular files are accepted. */
	if (img->has_fd)
		li->fd = fcntl(img->fd, F_DUPFD_CLOEXEC, 0);
	else
		li->fd = open(li->path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
	if (li->fd < 0)
		return cellvm_err_set(err, CELLVM_E_IMAGE, errno,
				      "%s %s: %s", what, li->path,
				      strerror(errno));
	if (fstat(li->fd, &st) < 0) {
		int e = errno;

		loader_close(li);
		return cellvm_err_set(err, CELLVM_E_IMAGE, e,
				      "%s %s: cannot stat: %s", what,
				      li->path, strerror(e));
	}
	if (!S_ISREG(st.st_mode)) {
		loader_close(li);
		return cellvm_err_set(err, CELLVM_E_IMAGE, EINVAL,
				      "%s %s: not a regular file", what,
				      li->path);
	}
	fcntl(li->fd, F_SETFL, fcntl(li->fd, F_GETFL) & ~O_NONBLOCK);
	li->size = (uint64_t)st.st_size;
	/* A whole file starts at offset 0, which is page-aligned. */
	li->file_offset = 0;
	if (img->size && img->file_offset >= 0) {
		/* A part of a file (the embedded guest in our own ELF). */
		li->file_offset = img->file_offset;
		li->size = img->size;
		li->data = img->data;
	}
	return 0;
}

long loader_read(const struct loader_image *li, uint64_t off, void *buf,
		 size_t len)
{
	ssize_t n;

	if (off >= li->size)
		return 0;
	if (len > li->size - off)
		len = (size_t)(li->size - off);
	if (li->data) {
		memcpy(buf, li->data + off, len);
		return (long)len;
	}
	do
		n = pread(li->fd, buf, len, (off_t)off);
	while (n < 0 && errno == EINTR);
	return n < 0 ? -errno : (long)n;
}

long loader_peek(const struct loader_image *li, void *buf, size_t len)
{
	return loader_read(li, 0, buf, len);
}

static int loader_map(const struct loader_image *li, void *host)
{
	uint64_t len = (li->size + PAGE - 1) & ~(PAGE - 1);
	void *p;

	if (li->fd < 0 || li->file_offset < 0 ||
	    (uint64_t)li->file_offset % PAGE || (uintptr_t)host % PAGE)
		return -EINVAL;
	/* Private: guest writes land in anonymous copies, never the file. */
	p = mmap(host, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_FIXED,
		 li->fd, (off_t)li->file_offset);
	if (p == MAP_FAILED)
		return -errno;
	/* The tail of the last page past the image must read as zero: it is
	 * (mmap zero-fills beyond end of file) unless the image is a part
	 * of a larger file, so clear it. */
	if (len > li->size)
		memset((uint8_t *)host + li->size, 0, len - li->size);
	return 0;
}

/*
 * Read the image into guest RAM. A file, or a part of one (the embedded
 * guest in cellvm's own executable), is read with pread(), never copied
 * through the caller's mapping of it: that would fault the file's pages
 * into our address space one 4 KiB page at a time, and they would count
 * in cellvm's RSS as long as it runs (33 MiB for the embedded guest).
 */
static int loader_copy(const struct loader_image *li, uint8_t *host)
{
	uint64_t base = li->file_offset > 0 ? (uint64_t)li->file_offset : 0;
	uint64_t done = 0;

	if (li->fd < 0) {
		memcpy(host, li->data, li->size);
		return 0;
	}
	while (done < li->size) {
		ssize_t n = pread(li->fd, host + done, li->size - done,
				  (off_t)(base + done));

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		if (n == 0)
			return -EIO; /* the file shrank under us */
		done += (uint64_t)n;
	}
	return 0;
}

int loader_place(const struct loader_image *li, const struct cellvm_mem *mem,
		 uint64_t gpa, bool zero_copy, bool *mapped,
		 struct cellvm_err *err)
{
	uint8_t *host = cellvm_mem_ptr(mem, gpa, li->size);
	int ret;

	if (mapped)
		*mapped = false;
	if (!host)
		return cellvm_err_set(err, CELLVM_E_IMAGE, ERANGE,
				      "%s (%" PRIu64
				      " bytes) does not fit in guest RAM at 0x%" PRIx64,
				      li->what, li->size, gpa);
	/* A file that can change is copied: see loader.h. */
	if (zero_copy && li->immutable &&
	    cellvm_mem_ptr(mem, gpa, (li->size + PAGE - 1) & ~(PAGE - 1)) &&
	    loader_map(li, host) == 0) {
		if (mapped)
			*mapped = true;
		return 0;
	}
	ret = loader_copy(li, host);
	if (ret)
		return cellvm_err_set(err, CELLVM_E_IMAGE, ret,
				      "%s %s: read failed: %s", li->what,
				      li->path ? li->path : "(embedded)",
				      strerror(-ret));
	return 0;
}

void loader_close(struct loader_image *li)
{
	if (li->fd >= 0)
		close(li->fd);
	li->fd = -1;
}

bool loader_write_denied(const char *path)
{
	int fd = open(path, O_WRONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY);

	if (fd >= 0) {
		close(fd);
		return false;
	}
	return errno == ETXTBSY;
}

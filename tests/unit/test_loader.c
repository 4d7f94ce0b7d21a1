// SPDX-License-Identifier: MIT
/*
 * Image loading (src/core/loader.c): the zero-copy path maps page-aligned
 * immutable files copy-on-write into guest RAM, and guest writes must never
 * reach the file; everything else (files that may change, unaligned offsets
 * or addresses, in-memory data, zero_copy off) is copied, and later writes
 * to or truncation of such a file leave guest RAM alone; images that do not
 * fit are errors. loader_write_denied() tells a running executable (which
 * may be mapped) from a file anyone may rewrite.
 *
 * "Guest RAM" here is an anonymous mapping registered with cellvm_mem_add,
 * as vm.c does; the images are temporary files.
 */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdbool.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>

#include "core/loader.h"

#define PG 4096ULL
#define RAM_GPA 0x40000000ULL
#define RAM_PAGES 16
#define FILE_SIZE (3 * PG + 100) /* not a page multiple: a partial tail */
#define SENTINEL 0xee

struct fixture {
	char path[64];
	uint8_t *content; /* what the file holds */
	size_t size;
	uint8_t *ram;
	struct cellvm_mem mem;
	struct loader_image li;
};

static void fill_pattern(uint8_t *p, size_t n, unsigned seed)
{
	size_t i;

	for (i = 0; i < n; i++)
		p[i] = (uint8_t)((i * 131 + seed) ^ (i >> 9));
}

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));
	int fd;

	assert_non_null(f);
	f->size = FILE_SIZE;
	f->content = malloc(f->size);
	assert_non_null(f->content);
	fill_pattern(f->content, f->size, 7);
	snprintf(f->path, sizeof(f->path), "/tmp/cellvm-test-loader.XXXXXX");
	fd = mkstemp(f->path);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, f->content, f->size), (ssize_t)f->size);
	close(fd);
	f->ram = mmap(NULL, RAM_PAGES * PG, PROT_READ | PROT_WRITE,
		      MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	assert_true(f->ram != MAP_FAILED);
	memset(f->ram, SENTINEL, RAM_PAGES * PG);
	assert_int_equal(cellvm_mem_add(&f->mem, RAM_GPA, RAM_PAGES * PG,
					f->ram), 0);
	f->li.fd = -1;
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;

	loader_close(&f->li);
	munmap(f->ram, RAM_PAGES * PG);
	unlink(f->path);
	free(f->content);
	free(f);
	return 0;
}

/* The whole file, as cellvm --kernel PATH opens it, but marked immutable
 * (as the embedded guest is), so that zero_copy may map it. */
static void open_file(struct fixture *f)
{
	struct cellvm_image img = { .path = f->path, .file_offset = -1,
				    .immutable = true };
	struct cellvm_err err = { 0 };

	assert_int_equal(loader_open(&img, "kernel", &f->li, &err), 0);
	assert_int_equal(f->li.size, f->size);
	assert_int_equal(f->li.file_offset, 0);
}

static void assert_file_unchanged(const struct fixture *f)
{
	uint8_t *now = malloc(f->size + 1);
	FILE *fp = fopen(f->path, "rb");

	assert_non_null(now);
	assert_non_null(fp);
	assert_int_equal(fread(now, 1, f->size + 1, fp), f->size);
	fclose(fp);
	assert_memory_equal(now, f->content, f->size);
	free(now);
}

/* Whether /proc/self/maps shows a mapping of path. */
static bool file_is_mapped(const char *path)
{
	char line[512];
	bool found = false;
	FILE *fp = fopen("/proc/self/maps", "r");

	assert_non_null(fp);
	while (!found && fgets(line, sizeof(line), fp))
		found = strstr(line, path) != NULL;
	fclose(fp);
	return found;
}

/* Bytes of RAM outside [off, off + len) still hold the sentinel. */
static void assert_ram_outside_untouched(const struct fixture *f, size_t off,
					 size_t len)
{
	size_t i;

	for (i = 0; i < RAM_PAGES * PG; i++)
		if (i < off || i >= off + len)
			assert_int_equal(f->ram[i], SENTINEL);
}

static void test_map_aligned_file(void **state)
{
	struct fixture *f = *state;
	struct cellvm_err err = { 0 };
	uint64_t gpa = RAM_GPA + 2 * PG;
	uint8_t *g = f->ram + 2 * PG;
	bool mapped = false;
	size_t i;

	open_file(f);
	assert_int_equal(loader_place(&f->li, &f->mem, gpa, true, &mapped,
				      &err), 0);
	assert_true(mapped);
	assert_true(file_is_mapped(f->path));
	assert_memory_equal(g, f->content, f->size);
	/* The rest of the last page reads as zero, like copied-to RAM that
	 * was never touched... */
	for (i = f->size; i < 4 * PG; i++)
		assert_int_equal(g[i], 0);
	/* ...and the mapping replaced exactly the image's pages. */
	assert_ram_outside_untouched(f, 2 * PG, 4 * PG);

	/* Guest writes, on every page and the partial tail: the guest sees
	 * them, the file does not, even after the loader closed it. */
	loader_close(&f->li);
	memset(g, 0x5a, 4 * PG);
	assert_int_equal(g[0], 0x5a);
	assert_int_equal(g[f->size - 1], 0x5a);
	assert_file_unchanged(f);
}

static void test_no_zero_copy_copies(void **state)
{
	struct fixture *f = *state;
	struct cellvm_err err = { 0 };
	bool mapped = true;

	open_file(f);
	assert_int_equal(loader_place(&f->li, &f->mem, RAM_GPA, false,
				      &mapped, &err), 0);
	assert_false(mapped);
	assert_false(file_is_mapped(f->path));
	assert_memory_equal(f->ram, f->content, f->size);
	/* Copying writes the image bytes only. */
	assert_ram_outside_untouched(f, 0, f->size);
	memset(f->ram, 0x5a, f->size);
	assert_file_unchanged(f);
}

/* A guest address that is not page-aligned cannot be mapped: copy. */
static void test_unaligned_gpa_copies(void **state)
{
	struct fixture *f = *state;
	struct cellvm_err err = { 0 };
	bool mapped = true;

	open_file(f);
	assert_int_equal(loader_place(&f->li, &f->mem, RAM_GPA + 8, true,
				      &mapped, &err), 0);
	assert_false(mapped);
	assert_memory_equal(f->ram + 8, f->content, f->size);
	assert_ram_outside_untouched(f, 8, f->size);
}

/* A part of a file (the embedded guest inside the cellvm binary) at an
 * unaligned file offset is copied from its in-memory bytes. */
static void test_unaligned_file_offset_copies(void **state)
{
	struct fixture *f = *state;
	struct cellvm_image img = { .path = f->path,
				    .data = f->content + 100,
				    .size = 2 * PG,
				    .file_offset = 100,
				    .immutable = true };
	struct cellvm_err err = { 0 };
	bool mapped = true;

	assert_int_equal(loader_open(&img, "kernel", &f->li, &err), 0);
	assert_int_equal(loader_place(&f->li, &f->mem, RAM_GPA, true, &mapped,
				      &err), 0);
	assert_false(mapped);
	assert_memory_equal(f->ram, f->content + 100, 2 * PG);
	assert_ram_outside_untouched(f, 0, 2 * PG);
}

/* A part of a file is read from the file, never copied through the
 * caller's mapping of it (for cellvm's own executable that would make the
 * whole embedded guest resident in cellvm's RSS): here that mapping is
 * PROT_NONE, so touching it would kill the test. */
static void test_file_part_read_from_file(void **state)
{
	struct fixture *f = *state;
	void *guard = mmap(NULL, 4 * PG, PROT_NONE,
			   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	struct cellvm_image img = { .path = f->path, .size = 2 * PG + 7,
				    .file_offset = 100 };
	struct cellvm_err err = { 0 };
	bool mapped = true;

	assert_true(guard != MAP_FAILED);
	img.data = guard;
	assert_int_equal(loader_open(&img, "kernel", &f->li, &err), 0);
	assert_int_equal(loader_place(&f->li, &f->mem, RAM_GPA, true, &mapped,
				      &err), 0);
	assert_false(mapped);
	assert_memory_equal(f->ram, f->content + 100, 2 * PG + 7);
	assert_ram_outside_untouched(f, 0, 2 * PG + 7);
	munmap(guard, 4 * PG);
}

/* A page-aligned part of a file is mapped; the bytes of the file after
 * the part, in its last page, must not show in guest RAM. */
static void test_aligned_file_part_maps(void **state)
{
	struct fixture *f = *state;
	struct cellvm_image img = { .path = f->path,
				    .data = f->content + PG,
				    .size = PG + 10,
				    .file_offset = PG,
				    .immutable = true };
	struct cellvm_err err = { 0 };
	bool mapped = false;
	size_t i;

	assert_int_equal(loader_open(&img, "initrd", &f->li, &err), 0);
	assert_int_equal(loader_place(&f->li, &f->mem, RAM_GPA + PG, true,
				      &mapped, &err), 0);
	assert_true(mapped);
	assert_memory_equal(f->ram + PG, f->content + PG, PG + 10);
	for (i = 2 * PG + 10; i < 3 * PG; i++)
		assert_int_equal(f->ram[i], 0);
	assert_ram_outside_untouched(f, PG, 2 * PG);
	memset(f->ram + PG, 0x5a, 2 * PG);
	assert_file_unchanged(f);
}

/* A file that may change (cellvm --kernel PATH: immutable not set) is
 * copied even with zero_copy, so a host rewriting it in place or
 * truncating it while the guest runs changes nothing in guest RAM. */
static void test_mutable_file_copies(void **state)
{
	struct fixture *f = *state;
	struct cellvm_image img = { .path = f->path, .file_offset = -1 };
	struct cellvm_err err = { 0 };
	uint64_t gpa = RAM_GPA + 2 * PG;
	uint8_t *g = f->ram + 2 * PG;
	uint8_t junk[PG];
	bool mapped = true;
	int fd;

	assert_int_equal(loader_open(&img, "kernel", &f->li, &err), 0);
	assert_false(f->li.immutable);
	assert_int_equal(loader_place(&f->li, &f->mem, gpa, true, &mapped,
				      &err), 0);
	assert_false(mapped);
	assert_false(file_is_mapped(f->path));
	assert_memory_equal(g, f->content, f->size);
	assert_ram_outside_untouched(f, 2 * PG, f->size);

	/* The host rewrites the first page in place (dd conv=notrunc)... */
	memset(junk, 0xa5, sizeof(junk));
	fd = open(f->path, O_WRONLY | O_CLOEXEC);
	assert_true(fd >= 0);
	assert_int_equal(pwrite(fd, junk, sizeof(junk), 0), (ssize_t)PG);
	close(fd);
	/* ...then truncates the file: guest RAM still reads the image, every
	 * byte (a mapping would fault here: SIGBUS). */
	assert_int_equal(truncate(f->path, 0), 0);
	assert_memory_equal(g, f->content, f->size);
	assert_ram_outside_untouched(f, 2 * PG, f->size);
	/* teardown compares nothing: nothing more to restore. */
}

/* Only ETXTBSY counts as write-protected: the running test binary is,
 * a temporary file and a missing path are not, and probing a writable
 * file leaves it as it was. */
static void test_write_denied(void **state)
{
	struct fixture *f = *state;

	assert_true(loader_write_denied("/proc/self/exe"));
	assert_false(loader_write_denied(f->path));
	assert_file_unchanged(f);
	assert_false(loader_write_denied("/nonexistent/cellvm-Image"));
	assert_false(loader_write_denied("/"));
}

/* Bytes in memory with no file behind them are copied. */
static void test_memory_data_copies(void **state)
{
	struct fixture *f = *state;
	struct cellvm_image img = { .data = f->content, .size = f->size,
				    .file_offset = -1 };
	struct cellvm_err err = { 0 };
	bool mapped = true;

	assert_int_equal(loader_open(&img, "initrd", &f->li, &err), 0);
	assert_int_equal(loader_place(&f->li, &f->mem, RAM_GPA, true, &mapped,
				      &err), 0);
	assert_false(mapped);
	assert_memory_equal(f->ram, f->content, f->size);
}

/* An image running past the end of RAM, or outside it, is refused before
 * anything is mapped or copied. */
static void test_does_not_fit(void **state)
{
	struct fixture *f = *state;
	static const uint64_t gpas[] = {
		RAM_GPA + (RAM_PAGES - 3) * PG, /* 3 pages left, needs 4 */
		RAM_GPA - PG, /* below RAM */
		RAM_GPA + RAM_PAGES * PG, /* just past RAM */
	};
	unsigned i;

	open_file(f);
	for (i = 0; i < sizeof(gpas) / sizeof(gpas[0]); i++) {
		struct cellvm_err err = { 0 };
		bool mapped = true;

		assert_int_equal(loader_place(&f->li, &f->mem, gpas[i], true,
					      &mapped, &err), -ERANGE);
		assert_false(mapped);
		assert_int_equal(err.cat, CELLVM_E_IMAGE);
		assert_non_null(strstr(err.msg, "does not fit"));
	}
	assert_ram_outside_untouched(f, 0, 0);
}

/* The image fits but its last page, rounded up, would not: map nothing
 * past RAM, copy instead. RAM here ends 100 bytes after the image. */
static void test_partial_last_page_at_ram_end_copies(void **state)
{
	struct fixture *f = *state;
	struct cellvm_mem small = { 0 };
	struct cellvm_err err = { 0 };
	bool mapped = true;

	assert_int_equal(cellvm_mem_add(&small, RAM_GPA, 3 * PG + 200,
					f->ram), 0);
	open_file(f);
	assert_int_equal(loader_place(&f->li, &small, RAM_GPA, true, &mapped,
				      &err), 0);
	assert_false(mapped);
	assert_memory_equal(f->ram, f->content, f->size);
}

/* A file that shrinks between open and placing is a read error naming
 * the file, not a short image. */
static void test_short_file_is_an_error(void **state)
{
	struct fixture *f = *state;
	struct cellvm_err err = { 0 };

	open_file(f);
	assert_int_equal(truncate(f->path, PG), 0);
	assert_int_equal(loader_place(&f->li, &f->mem, RAM_GPA, false, NULL,
				      &err), -EIO);
	assert_int_equal(err.cat, CELLVM_E_IMAGE);
	assert_non_null(strstr(err.msg, f->path));
}

/* A pre-opened fd (cellvm --jail): used though its path is gone, read
 * without moving its offset, left open for the next VM. */
static void test_preopened_fd(void **state)
{
	struct fixture *f = *state;
	int fd = open(f->path, O_RDONLY | O_CLOEXEC);
	struct cellvm_image img = { .path = "held-kernel", .has_fd = true,
				    .fd = fd, .file_offset = -1 };
	struct cellvm_err err = { 0 };
	bool mapped = true;
	unsigned round;

	assert_true(fd >= 0);
	assert_int_equal(unlink(f->path), 0);
	for (round = 0; round < 2; round++) { /* as across a guest reboot */
		memset(f->ram, SENTINEL, RAM_PAGES * PG);
		assert_int_equal(loader_open(&img, "kernel", &f->li, &err), 0);
		assert_int_equal(f->li.size, f->size);
		assert_true(f->li.fd >= 0 && f->li.fd != fd);
		assert_int_equal(loader_place(&f->li, &f->mem, RAM_GPA, false,
					      &mapped, &err), 0);
		assert_memory_equal(f->ram, f->content, f->size);
		loader_close(&f->li);
		assert_int_equal(fcntl(fd, F_GETFD), FD_CLOEXEC);
		assert_int_equal(lseek(fd, 0, SEEK_CUR), 0);
	}
	/* A bad fd is an image error naming the image. */
	img.fd = -1;
	assert_int_equal(loader_open(&img, "kernel", &f->li, &err), -EBADF);
	assert_int_equal(err.cat, CELLVM_E_IMAGE);
	assert_non_null(strstr(err.msg, "held-kernel"));
	close(fd);
	/* teardown unlinks again: give it a file. */
	close(open(f->path, O_CREAT | O_WRONLY | O_CLOEXEC, 0600));
}

static void test_missing_file_is_an_error(void **state)
{
	struct cellvm_image img = { .path = "/nonexistent/cellvm-Image",
				    .file_offset = -1 };
	struct cellvm_err err = { 0 };
	struct loader_image li;

	assert_int_equal(loader_open(&img, "kernel", &li, &err), -ENOENT);
	assert_int_equal(err.cat, CELLVM_E_IMAGE);
	assert_non_null(strstr(err.msg, "/nonexistent/cellvm-Image"));
	assert_int_equal(li.fd, -1);
}

/*
 * fstat() failing on an open file is rare (EOVERFLOW, a dying FUSE mount),
 * so this test binary interposes its own fstat: with fail_fstat set it
 * fails with EIO, otherwise it asks the kernel.
 */
static bool fail_fstat;

int fstat(int fd, struct stat *st)
{
	if (fail_fstat) {
		errno = EIO;
		return -1;
	}
	return fstatat(fd, "", st, AT_EMPTY_PATH);
}

static void test_unstatable_file_is_an_error(void **state)
{
	struct fixture *f = *state;
	struct cellvm_image img = { .path = f->path, .file_offset = -1 };
	struct cellvm_err err = { 0 };
	struct loader_image li;
	int ret;

	fail_fstat = true;
	ret = loader_open(&img, "kernel", &li, &err);
	fail_fstat = false;
	assert_int_equal(ret, -EIO);
	assert_int_equal(err.cat, CELLVM_E_IMAGE);
	assert_non_null(strstr(err.msg, f->path));
	assert_non_null(strstr(err.msg, "cannot stat"));
	assert_int_equal(li.fd, -1);
}

static void test_directory_is_an_error(void **state)
{
	struct cellvm_image img = { .path = "/", .file_offset = -1 };
	struct cellvm_err err = { 0 };
	struct loader_image li;

	assert_int_equal(loader_open(&img, "initrd", &li, &err), -EINVAL);
	assert_string_equal(err.msg, "initrd /: not a regular file");
	assert_int_equal(li.fd, -1);
}

/* A FIFO is refused at once, never waited on for a writer (issue 11
 * row 4: open() blocked, deaf to signals). The alarm fails a hang. */
static void test_fifo_is_refused(void **state)
{
	char path[64] = "/tmp/cellvm-test-fifo-XXXXXX";
	struct cellvm_image img = { .file_offset = -1 };
	struct cellvm_err err = { 0 };
	struct loader_image li;

	assert_non_null(mkdtemp(path));
	strcat(path, "/f");
	assert_int_equal(mkfifo(path, 0600), 0);
	img.path = path;
	alarm(10);
	assert_int_equal(loader_open(&img, "initrd", &li, &err), -EINVAL);
	alarm(0);
	assert_int_equal(err.cat, CELLVM_E_IMAGE);
	assert_non_null(strstr(err.msg, "not a regular file"));
	assert_int_equal(li.fd, -1);
	unlink(path);
	*strrchr(path, '/') = '\0';
	rmdir(path);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)
		T(test_map_aligned_file),
		T(test_no_zero_copy_copies),
		T(test_unaligned_gpa_copies),
		T(test_unaligned_file_offset_copies),
		T(test_aligned_file_part_maps),
		T(test_file_part_read_from_file),
		T(test_memory_data_copies),
		T(test_mutable_file_copies),
		T(test_write_denied),
		T(test_does_not_fit),
		T(test_partial_last_page_at_ram_end_copies),
		T(test_short_file_is_an_error),
		T(test_missing_file_is_an_error),
		T(test_preopened_fd),
		T(test_unstatable_file_is_an_error),
		T(test_directory_is_an_error),
		T(test_fifo_is_refused),
#undef T
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

// SPDX-License-Identifier: MIT
/*
 * virtio-blk (virtio 1.2, 5.2) against a temporary image: read, write,
 * flush, get-id, discard, write-zeroes, the read-only refusals, sector
 * range checks, malformed requests, and creation errors.
 */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/stat.h>
#include <unistd.h>
#include <endian.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "cellvm/cellvm.h"
#include "dev/virtio_blk.h"
#include "virtio_drv.h"

#define QSIZE 32
#define DISK_SECTORS 2048u /* 1 MiB */
#define SECTOR 512u
#define ALL_OK                                                              \
	(VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER |                 \
	 VIRTIO_STATUS_FEATURES_OK | VIRTIO_STATUS_DRIVER_OK)

/* 5.2.6 */
#define T_IN 0
#define T_OUT 1
#define T_FLUSH 4
#define T_GET_ID 8
#define T_DISCARD 11
#define T_WRITE_ZEROES 13
#define S_OK 0
#define S_IOERR 1
#define S_UNSUPP 2
#define F_RO 5
#define F_FLUSH 9
#define F_DISCARD 13
#define F_WRITE_ZEROES 14
#define STATUS_UNTOUCHED 0xee

struct fx {
	struct drv *d;
	struct virtio_mmio *t;
	char path[64];
	int fd; /* the test's own view of the image */
	uint64_t hdr, data, status;
	uint16_t used;
};

static uint8_t pattern(uint64_t off)
{
	return (uint8_t)(off * 7 + (off >> 9));
}

static void make_image(struct fx *f)
{
	static uint8_t buf[DISK_SECTORS * SECTOR];
	unsigned i;

	strcpy(f->path, "/tmp/cellvm-test-disk-image-XXXXXX");
	f->fd = mkstemp(f->path);
	assert_true(f->fd >= 0);
	for (i = 0; i < sizeof(buf); i++)
		buf[i] = pattern(i);
	assert_int_equal(write(f->fd, buf, sizeof(buf)), sizeof(buf));
}

static void open_dev(struct fx *f, bool ro)
{
	struct virtio_blk_params p = { .path = f->path, .readonly = ro };
	struct cellvm_err err = { 0 };

	p.mmio = drv_params(f->d);
	assert_int_equal(virtio_blk_create(&p, &f->t, &err), 0);
	assert_int_equal(drv_setup(f->d, 1, QSIZE, DRV_FEATURES_DEFAULT),
			 ALL_OK);
}

static struct fx *fx_new(bool ro)
{
	struct fx *f = calloc(1, sizeof(*f));

	f->d = drv_new();
	make_image(f);
	open_dev(f, ro);
	f->hdr = drv_alloc(f->d, 16);
	f->status = drv_alloc(f->d, 16);
	f->data = drv_alloc(f->d, 64 * 1024);
	return f;
}

static int setup_rw(void **state)
{
	*state = fx_new(false);
	return 0;
}

static int setup_ro(void **state)
{
	*state = fx_new(true);
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;

	drv_destroy(f->t);
	close(f->fd);
	unlink(f->path);
	drv_free(f->d);
	free(f);
	return 0;
}

static void put_hdr(struct fx *f, uint32_t type, uint64_t sector)
{
	uint8_t *h = drv_ptr(f->d, f->hdr);
	uint32_t t = htole32(type);
	uint64_t s = htole64(sector);

	memset(h, 0, 16);
	memcpy(h, &t, 4);
	memcpy(h + 8, &s, 8);
	*(uint8_t *)drv_ptr(f->d, f->status) = STATUS_UNTOUCHED;
}

/* Publish a chain, notify, let the device run; returns the used len. */
static uint32_t submit(struct fx *f, const struct drv_buf *b, unsigned n)
{
	drv_chain(f->d, 0, b, n);
	drv_write(f->d, VIRTIO_MMIO_QUEUE_NOTIFY, 0);
	assert_int_equal(drv_serve(f->t), 0);
	assert_int_equal(drv_used_idx(f->d, 0), (uint16_t)(f->used + 1));
	return drv_used_len(f->d, 0, f->used++);
}

/* header, data (len may be 0), status. */
static uint8_t req(struct fx *f, uint32_t type, uint64_t sector,
		   uint32_t len, bool data_writable, uint32_t *used_len)
{
	struct drv_buf b[3] = {
		{ f->hdr, 16, false },
		{ f->data, len, data_writable },
		{ f->status, 1, true },
	};
	uint32_t u;

	put_hdr(f, type, sector);
	if (len)
		u = submit(f, b, 3);
	else
		u = submit(f, (struct drv_buf[]){ b[0], b[2] }, 2);
	if (used_len)
		*used_len = u;
	return *(uint8_t *)drv_ptr(f->d, f->status);
}

static void test_config(void **state)
{
	struct fx *f = *state;
	uint64_t cap;

	cap = drv_readn(f->d, VIRTIO_MMIO_CONFIG, 8);
	assert_int_equal(cap, DISK_SECTORS);
	/* the driver reads 64-bit fields as two 32-bit halves, or bytes */
	assert_int_equal(drv_readn(f->d, VIRTIO_MMIO_CONFIG, 4), DISK_SECTORS);
	assert_int_equal(drv_readn(f->d, VIRTIO_MMIO_CONFIG + 4, 4), 0);
	assert_int_equal(drv_readn(f->d, VIRTIO_MMIO_CONFIG + 1, 1),
			 DISK_SECTORS >> 8);
	assert_int_equal(drv_readn(f->d, VIRTIO_MMIO_CONFIG + 12, 4), 254);
	assert_int_equal(drv_readn(f->d, VIRTIO_MMIO_CONFIG + 20, 4), 512);
	assert_int_equal(drv_readn(f->d, VIRTIO_MMIO_CONFIG + 56, 1), 1);
	/* past the end: zero */
	assert_int_equal(drv_readn(f->d, VIRTIO_MMIO_CONFIG + 60, 4), 0);
	drv_write(f->d, VIRTIO_MMIO_DEVICE_FEATURES_SEL, 0);
	assert_int_equal(drv_read(f->d, VIRTIO_MMIO_DEVICE_FEATURES) &
				 (1u << F_RO | 1u << F_FLUSH |
				  1u << F_DISCARD | 1u << F_WRITE_ZEROES),
			 1u << F_FLUSH | 1u << F_DISCARD |
				 1u << F_WRITE_ZEROES);
	assert_int_equal(drv_read(f->d, VIRTIO_MMIO_DEVICE_ID), VIRTIO_ID_BLOCK);
}

static void check_data(struct fx *f, uint64_t gpa, uint64_t off, size_t len)
{
	const uint8_t *p = drv_ptr(f->d, gpa);
	size_t i;

	for (i = 0; i < len; i++)
		if (p[i] != pattern(off + i))
			fail_msg("byte %zu of disk offset %llu differs", i,
				 (unsigned long long)off);
}

static void test_read(void **state)
{
	struct fx *f = *state;
	uint32_t used;

	assert_int_equal(req(f, T_IN, 3, 2 * SECTOR, true, &used), S_OK);
	assert_int_equal(used, 2 * SECTOR + 1);
	check_data(f, f->data, 3 * SECTOR, 2 * SECTOR);
	assert_int_equal(f->d->edges, 1);
	/* last sector; the driver has caught up (EVENT_IDX) */
	drv_used_event(f->d, 0, 1);
	assert_int_equal(req(f, T_IN, DISK_SECTORS - 1, SECTOR, true, NULL),
			 S_OK);
	check_data(f, f->data, (DISK_SECTORS - 1) * SECTOR, SECTOR);
	assert_int_equal(f->d->edges, 2);
	/* without the driver moving used_event: suppressed */
	assert_int_equal(req(f, T_IN, 0, SECTOR, true, NULL), S_OK);
	assert_int_equal(f->d->edges, 2);
}

static void test_read_scattered(void **state)
{
	struct fx *f = *state;
	uint64_t a = drv_alloc(f->d, 1024), b = drv_alloc(f->d, 512);
	uint64_t h2 = drv_alloc(f->d, 16);
	struct drv_buf bufs[5] = {
		{ f->hdr, 8, false }, /* header split in two */
		{ h2, 8, false },
		{ a, 1024, true },
		{ b, 511, true }, /* data and status share a buffer */
		{ f->status, 2, true },
	};

	put_hdr(f, T_IN, 7);
	memcpy(drv_ptr(f->d, h2), drv_ptr(f->d, f->hdr + 8), 8);
	assert_int_equal(submit(f, bufs, 5), 1024 + 512 + 1);
	check_data(f, a, 7 * SECTOR, 1024);
	check_data(f, b, 9 * SECTOR, 511);
	assert_int_equal(*(uint8_t *)drv_ptr(f->d, f->status),
			 pattern(10 * SECTOR - 1));
	assert_int_equal(*(uint8_t *)drv_ptr(f->d, f->status + 1), S_OK);
}

static void test_write_flush(void **state)
{
	struct fx *f = *state;
	uint8_t back[SECTOR];
	uint32_t used;

	memset(drv_ptr(f->d, f->data), 0xab, SECTOR);
	assert_int_equal(req(f, T_OUT, 100, SECTOR, false, &used), S_OK);
	assert_int_equal(used, 1);
	assert_int_equal(pread(f->fd, back, SECTOR, 100 * SECTOR), SECTOR);
	assert_int_equal(back[0], 0xab);
	assert_int_equal(back[SECTOR - 1], 0xab);
	assert_int_equal(pread(f->fd, back, 1, 101 * SECTOR), 1);
	assert_int_equal(back[0], pattern(101 * SECTOR));
	assert_int_equal(req(f, T_FLUSH, 0, 0, false, &used), S_OK);
	assert_int_equal(used, 1);
}

/* The transport's counters (GET /metrics): requests, the driver's bytes
 * and the device's per queue, and interrupts raised: one, as the test
 * driver's used_event stays 0 (virtio 1.2 2.7.10, EVENT_IDX). */
static void test_counters(void **state)
{
	struct fx *f = *state;
	struct cellvm_dev_counters c;

	memset(&c, 0, sizeof(c));
	assert_int_equal(req(f, T_OUT, 100, SECTOR, false, NULL), S_OK);
	assert_int_equal(req(f, T_IN, 0, 2 * SECTOR, true, NULL), S_OK);
	virtio_mmio_ops.counters(f->t, &c);
	assert_int_equal(c.nr_queues, 1);
	assert_int_equal(c.queue[0].requests, 2);
	/* header + data of the write, header of the read */
	assert_int_equal(c.queue[0].bytes_read, 16 + SECTOR + 16);
	/* the write's status; the read's data and status */
	assert_int_equal(c.queue[0].bytes_written, 1 + 2 * SECTOR + 1);
	assert_int_equal(c.irqs, 1);
	assert_int_equal(c.errors, 0);
}

static void test_get_id(void **state)
{
	struct fx *f = *state;
	uint32_t used;

	assert_int_equal(req(f, T_GET_ID, 0, 20, true, &used), S_OK);
	assert_int_equal(used, 21);
	/* the file name, cut to 20 bytes, not terminated */
	assert_memory_equal(drv_ptr(f->d, f->data), "cellvm-test-disk-ima",
			    20);
	/* a short buffer gets what fits */
	assert_int_equal(req(f, T_GET_ID, 0, 4, true, &used), S_OK);
	assert_int_equal(used, 5);
}

static void test_range_checks(void **state)
{
	static const struct {
		uint32_t type;
		uint64_t sector;
		uint32_t len;
	} bad[] = {
		{ T_IN, DISK_SECTORS, SECTOR },
		{ T_IN, DISK_SECTORS - 1, 2 * SECTOR },
		{ T_IN, UINT64_MAX, SECTOR },
		{ T_IN, UINT64_MAX >> 9, SECTOR },
		{ T_IN, 0, 100 }, /* not whole sectors */
		{ T_OUT, DISK_SECTORS, SECTOR },
		{ T_OUT, UINT64_MAX - 1, 2 * SECTOR },
		{ T_OUT, 0, SECTOR + 1 },
	};
	struct fx *f = *state;
	unsigned i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		if (req(f, bad[i].type, bad[i].sector, bad[i].len,
			bad[i].type == T_IN, NULL) != S_IOERR)
			fail_msg("case %u accepted", i);
	assert_int_equal(req(f, 99, 0, 0, false, NULL), S_UNSUPP);
	/* the image is unchanged */
	assert_int_equal(lseek(f->fd, 0, SEEK_END), DISK_SECTORS * SECTOR);
}

static void test_malformed(void **state)
{
	struct fx *f = *state;
	struct drv_buf b[2];

	/* header in a device-writable buffer: nothing to answer */
	put_hdr(f, T_IN, 0);
	b[0] = (struct drv_buf){ f->hdr, 16, true };
	assert_int_equal(submit(f, b, 1), 0);
	/* no device-writable status byte */
	b[0] = (struct drv_buf){ f->hdr, 16, false };
	b[1] = (struct drv_buf){ f->status, 1, false };
	assert_int_equal(submit(f, b, 2), 0);
	assert_int_equal(*(uint8_t *)drv_ptr(f->d, f->status),
			 STATUS_UNTOUCHED);
	/* a short header */
	b[0] = (struct drv_buf){ f->hdr, 15, false };
	b[1] = (struct drv_buf){ f->status, 1, true };
	assert_int_equal(submit(f, b, 2), 0);
	/* read data in a device-readable buffer: it is "OUT data" for an
	 * IN, so the IN has zero length and writes nothing */
	memset(drv_ptr(f->d, f->data), 0x11, SECTOR);
	assert_int_equal(req(f, T_IN, 0, SECTOR, false, NULL), S_OK);
	assert_int_equal(*(uint8_t *)drv_ptr(f->d, f->data), 0x11);
	/* a write whose data is device-writable has no data: nothing
	 * written, and the status is still where it belongs */
	assert_int_equal(req(f, T_OUT, 0, SECTOR, true, NULL), S_OK);
	assert_int_equal(pread(f->fd, f->path + 60, 1, 0), 1);
	assert_int_equal((uint8_t)f->path[60], pattern(0));
	assert_false(virtio_mmio_status(f->t) & VIRTIO_STATUS_NEEDS_RESET);
}

static void put_seg(struct fx *f, unsigned i, uint64_t sector, uint32_t num,
		    uint32_t flags)
{
	uint8_t *p = drv_ptr(f->d, f->data + 16 * i);
	uint64_t s = htole64(sector);
	uint32_t n = htole32(num), fl = htole32(flags);

	memcpy(p, &s, 8);
	memcpy(p + 8, &n, 4);
	memcpy(p + 12, &fl, 4);
}

static void check_zero(struct fx *f, uint64_t sector, unsigned n, bool zero)
{
	uint8_t buf[SECTOR];
	unsigned i, j;

	for (i = 0; i < n; i++) {
		assert_int_equal(pread(f->fd, buf, SECTOR,
				       (off_t)((sector + i) * SECTOR)),
				 SECTOR);
		for (j = 0; j < SECTOR; j++)
			if ((buf[j] == 0) != zero &&
			    pattern((sector + i) * SECTOR + j) != 0)
				fail_msg("sector %llu byte %u",
					 (unsigned long long)(sector + i), j);
	}
}

static void test_write_zeroes(void **state)
{
	struct fx *f = *state;

	put_seg(f, 0, 16, 8, 0);
	assert_int_equal(req(f, T_WRITE_ZEROES, 0, 16, false, NULL), S_OK);
	check_zero(f, 16, 8, true);
	check_zero(f, 24, 1, false);
	/* with unmap, two segments, unaligned to the hole granularity */
	put_seg(f, 0, 33, 3, 1);
	put_seg(f, 1, 40, 1, 1);
	assert_int_equal(req(f, T_WRITE_ZEROES, 0, 32, false, NULL), S_OK);
	check_zero(f, 32, 1, false);
	check_zero(f, 33, 3, true);
	check_zero(f, 36, 4, false);
	check_zero(f, 40, 1, true);
	assert_int_equal(lseek(f->fd, 0, SEEK_END), DISK_SECTORS * SECTOR);
}

static void test_discard(void **state)
{
	struct fx *f = *state;

	put_seg(f, 0, 64, 16, 0);
	assert_int_equal(req(f, T_DISCARD, 0, 16, false, NULL), S_OK);
	/* 5.2.6.2: unmap flag on a discard, or unknown flags: UNSUPP */
	put_seg(f, 0, 64, 16, 1);
	assert_int_equal(req(f, T_DISCARD, 0, 16, false, NULL), S_UNSUPP);
	put_seg(f, 0, 64, 16, 4);
	assert_int_equal(req(f, T_WRITE_ZEROES, 0, 16, false, NULL),
			 S_UNSUPP);
	/* out of range, partial segment, no segment */
	put_seg(f, 0, DISK_SECTORS - 1, 2, 0);
	assert_int_equal(req(f, T_DISCARD, 0, 16, false, NULL), S_IOERR);
	put_seg(f, 0, UINT64_MAX, 1, 0);
	assert_int_equal(req(f, T_WRITE_ZEROES, 0, 16, false, NULL), S_IOERR);
	put_seg(f, 0, 0, 1, 0);
	assert_int_equal(req(f, T_DISCARD, 0, 12, false, NULL), S_IOERR);
	assert_int_equal(req(f, T_DISCARD, 0, 0, false, NULL), S_IOERR);
	assert_int_equal(lseek(f->fd, 0, SEEK_END), DISK_SECTORS * SECTOR);
}

static void test_readonly(void **state)
{
	struct fx *f = *state;
	uint8_t back[4];

	drv_write(f->d, VIRTIO_MMIO_DEVICE_FEATURES_SEL, 0);
	assert_int_equal(drv_read(f->d, VIRTIO_MMIO_DEVICE_FEATURES) &
				 (1u << F_RO | 1u << F_DISCARD |
				  1u << F_WRITE_ZEROES),
			 1u << F_RO);
	memset(drv_ptr(f->d, f->data), 0xcd, SECTOR);
	assert_int_equal(req(f, T_OUT, 0, SECTOR, false, NULL), S_IOERR);
	put_seg(f, 0, 0, 1, 0);
	assert_int_equal(req(f, T_WRITE_ZEROES, 0, 16, false, NULL), S_IOERR);
	assert_int_equal(req(f, T_DISCARD, 0, 16, false, NULL), S_IOERR);
	assert_int_equal(pread(f->fd, back, 4, 0), 4);
	assert_int_equal(back[1], pattern(1));
	assert_int_equal(req(f, T_IN, 0, SECTOR, true, NULL), S_OK);
	check_data(f, f->data, 0, SECTOR);
}

static void test_create_errors(void **state)
{
	struct drv *d = drv_new();
	struct virtio_blk_params p = { .path = "/nonexistent/cellvm.img" };
	struct cellvm_err err = { 0 };
	struct virtio_mmio *b = NULL;

	p.mmio = drv_params(d);
	assert_int_equal(virtio_blk_create(&p, &b, &err), -ENOENT);
	assert_int_equal(err.cat, CELLVM_E_IO);
	assert_non_null(strstr(err.msg, "/nonexistent/cellvm.img"));
	assert_non_null(strstr(err.msg, "No such file"));
	cellvm_err_clear(&err);
	p.path = "/tmp";
	assert_true(virtio_blk_create(&p, &b, &err) < 0);
	assert_int_equal(err.cat, CELLVM_E_IO);
	assert_int_equal(d->bus.nr, 0); /* nothing left on the bus */
	drv_free(d);
}

/* A pre-opened fd (cellvm --jail): used though the path is gone, kept
 * open for the next VM, whose disk reads the same bytes. */
static void test_preopened_fd(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));
	struct cellvm_err err = { 0 };
	unsigned round;

	assert_non_null(f);
	make_image(f);
	assert_int_equal(unlink(f->path), 0);
	for (round = 0; round < 2; round++) { /* as across a guest reboot */
		struct virtio_blk_params p = { .path = "held-disk",
					       .has_fd = true, .fd = f->fd };

		f->d = drv_new();
		f->used = 0;
		p.mmio = drv_params(f->d);
		assert_int_equal(virtio_blk_create(&p, &f->t, &err), 0);
		assert_int_equal(drv_setup(f->d, 1, QSIZE, DRV_FEATURES_DEFAULT),
				 ALL_OK);
		f->hdr = drv_alloc(f->d, 16);
		f->status = drv_alloc(f->d, 16);
		f->data = drv_alloc(f->d, 64 * 1024);
		assert_int_equal(req(f, T_IN, 5, SECTOR, true, NULL), S_OK);
		check_data(f, f->data, 5 * SECTOR, SECTOR);
		drv_destroy(f->t);
		drv_free(f->d);
		assert_true(fcntl(f->fd, F_GETFD) >= 0);
	}
	close(f->fd);
	free(f);
}

/* A read-only FIFO disk is refused at once, not waited on for a writer
 * (issue 11 row 4). The alarm fails a hang. */
static void test_fifo_refused(void **state)
{
	struct drv *d = drv_new();
	char dir[] = "/tmp/cellvm-test-fifo-XXXXXX", path[64];
	struct virtio_blk_params p = { .path = path, .readonly = true };
	struct cellvm_err err = { 0 };
	struct virtio_mmio *b = NULL;

	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/f", dir);
	assert_int_equal(mkfifo(path, 0600), 0);
	p.mmio = drv_params(d);
	alarm(10);
	assert_int_equal(virtio_blk_create(&p, &b, &err), -EINVAL);
	alarm(0);
	assert_int_equal(err.cat, CELLVM_E_IO);
	assert_non_null(strstr(err.msg, "not a regular file"));
	assert_int_equal(d->bus.nr, 0);
	unlink(path);
	rmdir(dir);
	drv_free(d);
}

/* Disk images are locked like QEMU's (OFD locks): a read-write disk is
 * exclusive, read-only ones share (issue 11 row 11: two cellvm wrote one
 * image). OFD locks conflict between two opens in one process too. */
static void try_open(const char *path, bool ro, int want)
{
	struct drv *d = drv_new();
	struct virtio_blk_params p = { .path = path, .readonly = ro };
	struct cellvm_err err = { 0 };
	struct virtio_mmio *t = NULL;

	p.mmio = drv_params(d);
	assert_int_equal(virtio_blk_create(&p, &t, &err), want);
	if (want) {
		assert_int_equal(err.cat, CELLVM_E_IO);
		assert_non_null(strstr(err.msg, "in use by another process"));
	} else {
		virtio_mmio_destroy(t);
	}
	drv_free(d);
}

static void test_lock_rw(void **state)
{
	struct fx *f = *state;

	try_open(f->path, false, -EAGAIN);
	try_open(f->path, true, -EAGAIN);
}

static void test_lock_ro(void **state)
{
	struct fx *f = *state;

	try_open(f->path, true, 0);
	try_open(f->path, false, -EAGAIN);
}

/* With a pre-opened image (the command opens each disk once) the lock
 * is taken on that open file, so it stays held between two devices (a
 * guest reboot): nobody else gets the disk in between. */
static void test_lock_held_across_devices(void **state)
{
	char path[] = "/tmp/cellvm-test-disk-held-XXXXXX";
	static uint8_t zero[8 * SECTOR];
	int fd = mkstemp(path), round;

	assert_true(fd >= 0);
	assert_int_equal(write(fd, zero, sizeof(zero)), sizeof(zero));
	for (round = 0; round < 2; round++) {
		struct drv *d = drv_new();
		struct virtio_blk_params p = { .path = path, .has_fd = true,
					       .fd = fd };
		struct cellvm_err err = { 0 };
		struct virtio_mmio *t = NULL;

		p.mmio = drv_params(d);
		assert_int_equal(virtio_blk_create(&p, &t, &err), 0);
		virtio_mmio_destroy(t);
		drv_free(d);
		try_open(path, true, -EAGAIN); /* between two boots */
	}
	close(fd);
	try_open(path, false, 0); /* released with the last open file */
	unlink(path);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_config, setup_rw, teardown),
		cmocka_unit_test(test_preopened_fd),
		cmocka_unit_test_setup_teardown(test_read, setup_rw, teardown),
		cmocka_unit_test_setup_teardown(test_read_scattered, setup_rw,
						teardown),
		cmocka_unit_test_setup_teardown(test_write_flush, setup_rw,
						teardown),
		cmocka_unit_test_setup_teardown(test_counters, setup_rw, teardown),
		cmocka_unit_test_setup_teardown(test_get_id, setup_rw, teardown),
		cmocka_unit_test_setup_teardown(test_range_checks, setup_rw,
						teardown),
		cmocka_unit_test_setup_teardown(test_malformed, setup_rw,
						teardown),
		cmocka_unit_test_setup_teardown(test_write_zeroes, setup_rw,
						teardown),
		cmocka_unit_test_setup_teardown(test_discard, setup_rw,
						teardown),
		cmocka_unit_test_setup_teardown(test_readonly, setup_ro,
						teardown),
		cmocka_unit_test(test_create_errors),
		cmocka_unit_test(test_fifo_refused),
		cmocka_unit_test_setup_teardown(test_lock_rw, setup_rw,
						teardown),
		cmocka_unit_test_setup_teardown(test_lock_ro, setup_ro,
						teardown),
		cmocka_unit_test(test_lock_held_across_devices),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

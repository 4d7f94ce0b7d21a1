// SPDX-License-Identifier: MIT
/*
 * virtio-blk: virtio 1.2, "5.2 Block Device", on a raw image.
 *
 * Emulated: one request queue; VIRTIO_BLK_T_IN, _OUT, _FLUSH (fdatasync),
 * _GET_ID (the image's file name, up to 20 bytes), _DISCARD (punch a
 * hole, or nothing where the host cannot) and _WRITE_ZEROES (zero range,
 * punch hole when unmap is allowed, else written zeroes); features
 * VIRTIO_BLK_F_SEG_MAX, _BLK_SIZE (512), _FLUSH, _RO, _DISCARD and
 * _WRITE_ZEROES (not on read-only disks). The capacity is the image size
 * in 512-byte sectors, rounded down.
 * Not emulated: multiqueue, geometry, topology, writeback toggling
 * (CONFIG_WCE: the cache is always write-back, FLUSH is honoured),
 * lifetime, secure erase, zoned devices.
 *
 * Every request is checked (5.2.6.2): a 16-byte header in the readable
 * part, the status byte in the last writable byte, data lengths in whole
 * sectors, the sector range inside the disk (overflow-safe); violations
 * complete with VIRTIO_BLK_S_IOERR, unknown types with _UNSUPP. Writes of
 * any kind to a read-only disk fail with _IOERR and touch nothing.
 *
 * Device tree node: the transport's (see virtio_mmio.c).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <endian.h>
#include <sys/stat.h>
#include <unistd.h>

#include "dev/virtio_blk.h"
#include "dev/virtio_devices.h"

#define BLK_SUBSYS "virtio-blk"
#define SECTOR_SIZE 512u
#define SECTOR_SHIFT 9

/* 5.2.3 Feature bits */
#define VIRTIO_BLK_F_SEG_MAX 2
#define VIRTIO_BLK_F_RO 5
#define VIRTIO_BLK_F_BLK_SIZE 6
#define VIRTIO_BLK_F_FLUSH 9
#define VIRTIO_BLK_F_DISCARD 13
#define VIRTIO_BLK_F_WRITE_ZEROES 14

/* 5.2.6 request types and status values */
#define VIRTIO_BLK_T_IN 0
#define VIRTIO_BLK_T_OUT 1
#define VIRTIO_BLK_T_FLUSH 4
#define VIRTIO_BLK_T_GET_ID 8
#define VIRTIO_BLK_T_DISCARD 11
#define VIRTIO_BLK_T_WRITE_ZEROES 13
#define VIRTIO_BLK_S_OK 0
#define VIRTIO_BLK_S_IOERR 1
#define VIRTIO_BLK_S_UNSUPP 2
#define VIRTIO_BLK_ID_BYTES 20
#define VIRTIO_BLK_WZ_FLAG_UNMAP 1u

/* 5.2.4 Device configuration layout, little-endian. */
struct blk_config {
	uint64_t capacity;
	uint32_t size_max;
	uint32_t seg_max;
	uint8_t geometry[4];
	uint32_t blk_size;
	uint8_t topology[8];
	uint8_t writeback;
	uint8_t unused0;
	uint16_t num_queues;
	uint32_t max_discard_sectors;
	uint32_t max_discard_seg;
	uint32_t discard_sector_alignment;
	uint32_t max_write_zeroes_sectors;
	uint32_t max_write_zeroes_seg;
	uint8_t write_zeroes_may_unmap;
	uint8_t unused1[3];
} __attribute__((packed));
_Static_assert(sizeof(struct blk_config) == 60, "5.2.4 layout");

/* struct virtio_blk_req header (5.2.6) */
struct blk_req_hdr {
	uint32_t type;
	uint32_t reserved;
	uint64_t sector;
} __attribute__((packed));

/* struct virtio_blk_discard_write_zeroes (5.2.6) */
struct blk_dwz_seg {
	uint64_t sector;
	uint32_t num_sectors;
	uint32_t flags;
} __attribute__((packed));

/* Our limits: two descriptors of a chain are header and status. */
#define BLK_SEG_MAX (VIRTQ_MAX_SIZE - 2)
#define BLK_MAX_DWZ_SECTORS (1u << 22) /* 2 GiB per segment */
#define BLK_MAX_DWZ_SEGS 16u
#define BLK_DISCARD_ALIGN 8u /* sectors: 4 KiB, a file system block */
/* Requests served per wake-up before other events get a turn. */
#define BLK_BUDGET 64
#define BLK_ZERO_CHUNK 65536

struct virtio_blk {
	struct virtio_mmio *t;
	int fd;
	bool ro;
	uint64_t capacity; /* sectors */
	char id[VIRTIO_BLK_ID_BYTES];
	/* Worker-thread only: */
	struct cellvm_ratelimit rl;
	struct virtq_chain chain;
};

/* Is [sector, sector + n) inside the disk? Overflow-safe. */
static bool range_ok(const struct virtio_blk *b, uint64_t sector, uint64_t n)
{
	return sector <= b->capacity && n <= b->capacity - sector;
}

/* ---- data transfer ---- */

struct blk_io {
	int fd;
	uint64_t off; /* byte offset in the image */
	bool write;
};

/* One contiguous guest piece: loop over short transfers and EINTR. */
static int blk_io_piece(void *ctx, uint8_t *p, size_t n)
{
	struct blk_io *io = ctx;
	ssize_t r;

	while (n) {
		if (io->write)
			r = pwrite(io->fd, p, n, (off_t)io->off);
		else
			r = pread(io->fd, p, n, (off_t)io->off);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			return -EIO; /* error, or the image shrank under us */
		p += r;
		n -= (size_t)r;
		io->off += (uint64_t)r;
	}
	return 0;
}

/* IN: device-writable data before the status byte; OUT: readable data
 * after the header. Whole sectors, inside the disk. */
static uint8_t blk_rw(struct virtio_blk *b, const struct virtq_chain *c,
		      bool write, uint64_t sector, uint32_t *written)
{
	size_t len = write ? c->out_len - sizeof(struct blk_req_hdr) : c->in_len - 1u;
	struct blk_io io = { .fd = b->fd, .write = write };

	if (len % SECTOR_SIZE || !range_ok(b, sector, len / SECTOR_SIZE)) {
		virtio_mmio_warn(b->t, &b->rl,
				 "%s of %zu bytes at sector %llu refused",
				 write ? "write" : "read", len,
				 (unsigned long long)sector);
		return VIRTIO_BLK_S_IOERR;
	}
	if (write && b->ro)
		return VIRTIO_BLK_S_IOERR;
	io.off = sector << SECTOR_SHIFT;
	if (virtq_chain_walk(c, !write, write ? sizeof(struct blk_req_hdr) : 0, len,
			     blk_io_piece, &io))
		return VIRTIO_BLK_S_IOERR;
	if (!write)
		*written = (uint32_t)len;
	return VIRTIO_BLK_S_OK;
}

static uint8_t blk_flush(struct virtio_blk *b)
{
	return fdatasync(b->fd) ? VIRTIO_BLK_S_IOERR : VIRTIO_BLK_S_OK;
}

static uint8_t blk_get_id(struct virtio_blk *b, const struct virtq_chain *c,
			  uint32_t *written)
{
	size_t n = c->in_len - 1u;

	/* 5.2.6: 20 bytes, NUL-padded, not terminated when 20 long. */
	if (n > VIRTIO_BLK_ID_BYTES)
		n = VIRTIO_BLK_ID_BYTES;
	if (virtq_chain_write(c, 0, b->id, n))
		return VIRTIO_BLK_S_IOERR;
	*written = (uint32_t)n;
	return VIRTIO_BLK_S_OK;
}

/* ---- discard / write zeroes ---- */

static int write_zeroes_slow(int fd, uint64_t off, uint64_t len)
{
	static const uint8_t zeroes[BLK_ZERO_CHUNK];
	ssize_t r;

	while (len) {
		size_t n = len < sizeof(zeroes) ? (size_t)len : sizeof(zeroes);

		r = pwrite(fd, zeroes, n, (off_t)off);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			return -EIO;
		off += (uint64_t)r;
		len -= (uint64_t)r;
	}
	return 0;
}

static int punch_hole(int fd, uint64_t off, uint64_t len)
{
	return fallocate(fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE,
			 (off_t)off, (off_t)len) ? -errno : 0;
}

/* One range: discard may do nothing; write zeroes must leave zeroes,
 * and may deallocate only with the unmap flag (5.2.6.2). */
static uint8_t blk_dwz_one(struct virtio_blk *b, bool zero, bool unmap,
			   uint64_t off, uint64_t len)
{
	int ret;

	if (!zero) {
		ret = punch_hole(b->fd, off, len);
		return ret == 0 || ret == -EOPNOTSUPP ? VIRTIO_BLK_S_OK
						       : VIRTIO_BLK_S_IOERR;
	}
	if (unmap && punch_hole(b->fd, off, len) == 0)
		return VIRTIO_BLK_S_OK;
	if (fallocate(b->fd, FALLOC_FL_ZERO_RANGE | FALLOC_FL_KEEP_SIZE,
		      (off_t)off, (off_t)len) == 0)
		return VIRTIO_BLK_S_OK;
	return write_zeroes_slow(b->fd, off, len) ? VIRTIO_BLK_S_IOERR
						   : VIRTIO_BLK_S_OK;
}

static uint8_t blk_dwz(struct virtio_blk *b, const struct virtq_chain *c,
		       bool zero)
{
	size_t len = c->out_len - sizeof(struct blk_req_hdr);
	struct blk_dwz_seg seg;
	size_t i, nr = len / sizeof(seg);
	uint8_t st;

	if (b->ro)
		return VIRTIO_BLK_S_IOERR;
	if (len % sizeof(seg) || nr == 0 || nr > BLK_MAX_DWZ_SEGS)
		return VIRTIO_BLK_S_IOERR;
	for (i = 0; i < nr; i++) {
		uint64_t sector;
		uint32_t num, flags;

		if (virtq_chain_read(c, sizeof(struct blk_req_hdr) +
						i * sizeof(seg),
				     &seg, sizeof(seg)))
			return VIRTIO_BLK_S_IOERR;
		sector = le64toh(seg.sector);
		num = le32toh(seg.num_sectors);
		flags = le32toh(seg.flags);
		/* Unknown flags, or unmap on a discard: UNSUPP (5.2.6.2). */
		if (flags & ~VIRTIO_BLK_WZ_FLAG_UNMAP ||
		    (!zero && (flags & VIRTIO_BLK_WZ_FLAG_UNMAP)))
			return VIRTIO_BLK_S_UNSUPP;
		if (num > BLK_MAX_DWZ_SECTORS || !range_ok(b, sector, num))
			return VIRTIO_BLK_S_IOERR;
		st = blk_dwz_one(b, zero, flags & VIRTIO_BLK_WZ_FLAG_UNMAP,
				 sector << SECTOR_SHIFT,
				 (uint64_t)num << SECTOR_SHIFT);
		if (st != VIRTIO_BLK_S_OK)
			return st;
	}
	return VIRTIO_BLK_S_OK;
}

/* ---- requests ---- */

static uint8_t blk_dispatch(struct virtio_blk *b, const struct virtq_chain *c,
			    uint32_t type, uint64_t sector, uint32_t *written)
{
	switch (type) {
	case VIRTIO_BLK_T_IN:
		return blk_rw(b, c, false, sector, written);
	case VIRTIO_BLK_T_OUT:
		return blk_rw(b, c, true, sector, written);
	case VIRTIO_BLK_T_FLUSH:
		return blk_flush(b);
	case VIRTIO_BLK_T_GET_ID:
		return blk_get_id(b, c, written);
	case VIRTIO_BLK_T_DISCARD:
		return blk_dwz(b, c, false);
	case VIRTIO_BLK_T_WRITE_ZEROES:
		return blk_dwz(b, c, true);
	default:
		return VIRTIO_BLK_S_UNSUPP;
	}
}

/* Worker, transport unlocked: serve one request; returns the used length
 * (data written to the driver plus the status byte). */
static uint32_t blk_request(void *dev, struct virtq_chain *c)
{
	struct virtio_blk *b = dev;
	struct blk_req_hdr hdr;
	uint8_t status;
	uint32_t written = 0;

	/* The header must be device-readable and the status byte
	 * device-writable; without those there is nothing to answer. */
	if (c->out_len < sizeof(struct blk_req_hdr) || c->in_len < 1 ||
	    virtq_chain_read(c, 0, &hdr, sizeof(hdr))) {
		virtio_mmio_warn(b->t, &b->rl,
				 "request without header or status byte dropped");
		return 0;
	}
	status = blk_dispatch(b, c, le32toh(hdr.type), le64toh(hdr.sector),
			      &written);
	/* The status is the last writable byte (5.2.6). */
	if (virtq_chain_write(c, c->in_len - 1u, &status, 1))
		return 0;
	return written + 1;
}

static bool blk_process(void *dev)
{
	struct virtio_blk *b = dev;

	return virtio_mmio_serve(b->t, 0, &b->chain, BLK_BUDGET, blk_request,
				 b);
}

static void blk_free(void *dev)
{
	struct virtio_blk *b = dev;

	if (b->fd >= 0)
		close(b->fd);
	free(b);
}

#define BLK_OPS_COMMON                                                      \
	.name = BLK_SUBSYS, .device_id = VIRTIO_ID_BLOCK, .num_queues = 1,  \
	.thread_kind = CELLVM_THREAD_VIRTIO_BLK,                            \
	.process = blk_process, .destroy = blk_free

static const struct virtio_dev_ops blk_ops_rw = {
	BLK_OPS_COMMON,
	.features = VIRTIO_BIT(VIRTIO_BLK_F_SEG_MAX) |
		    VIRTIO_BIT(VIRTIO_BLK_F_BLK_SIZE) |
		    VIRTIO_BIT(VIRTIO_BLK_F_FLUSH) |
		    VIRTIO_BIT(VIRTIO_BLK_F_DISCARD) |
		    VIRTIO_BIT(VIRTIO_BLK_F_WRITE_ZEROES),
};

static const struct virtio_dev_ops blk_ops_ro = {
	BLK_OPS_COMMON,
	.features = VIRTIO_BIT(VIRTIO_BLK_F_SEG_MAX) |
		    VIRTIO_BIT(VIRTIO_BLK_F_BLK_SIZE) |
		    VIRTIO_BIT(VIRTIO_BLK_F_FLUSH) |
		    VIRTIO_BIT(VIRTIO_BLK_F_RO),
};

/* ---- creation ---- */

static void blk_config(const struct virtio_blk *b, struct blk_config *cfg);

static void blk_fill_config(struct virtio_blk *b)
{
	struct blk_config cfg;

	blk_config(b, &cfg);
	virtio_mmio_set_config(b->t, &cfg, sizeof(cfg));
}

static void blk_config(const struct virtio_blk *b, struct blk_config *out)
{
	struct blk_config cfg = {
		.capacity = htole64(b->capacity),
		.seg_max = htole32(BLK_SEG_MAX),
		.blk_size = htole32(SECTOR_SIZE),
	};

	if (!b->ro) {
		cfg.max_discard_sectors = htole32(BLK_MAX_DWZ_SECTORS);
		cfg.max_discard_seg = htole32(BLK_MAX_DWZ_SEGS);
		cfg.discard_sector_alignment = htole32(BLK_DISCARD_ALIGN);
		cfg.max_write_zeroes_sectors = htole32(BLK_MAX_DWZ_SECTORS);
		cfg.max_write_zeroes_seg = htole32(BLK_MAX_DWZ_SEGS);
		cfg.write_zeroes_may_unmap = 1;
	}
	*out = cfg;
}

/* GET_ID answer: the image's file name, truncated to 20 bytes. */
static void blk_set_id(struct virtio_blk *b, const char *path)
{
	const char *name = strrchr(path, '/');

	name = name ? name + 1 : path;
	/* NUL-padded, unterminated when 20 long: b->id starts zeroed. */
	memcpy(b->id, name, strnlen(name, sizeof(b->id)));
}

/*
 * Lock the image as QEMU does, with an open-file-description lock (owned
 * by this fd, released when it closes, so a reboot's new VM can take it
 * again): exclusive for read-write, shared for read-only. Returns -EAGAIN
 * if someone else holds a conflicting lock; a file system without locks
 * is used unlocked.
 */
static int blk_lock(int fd, bool readonly)
{
	struct flock fl = {
		.l_type = readonly ? F_RDLCK : F_WRLCK,
		.l_whence = SEEK_SET,
		.l_start = 0,
		.l_len = 0, /* the whole file */
	};

	if (fcntl(fd, F_OFD_SETLK, &fl) == 0)
		return 0;
	return errno == EAGAIN || errno == EACCES ? -EAGAIN : 0;
}

static int blk_open(struct virtio_blk *b, const struct virtio_blk_params *p,
		    struct cellvm_err *err)
{
	struct stat st;
	off_t size;
	int ret;

	/* O_NONBLOCK: a FIFO must be refused, not waited on for a writer. */
	if (p->has_fd)
		b->fd = fcntl(p->fd, F_DUPFD_CLOEXEC, 0);
	else
		b->fd = open(p->path, (p->readonly ? O_RDONLY : O_RDWR) |
					      O_CLOEXEC | O_NONBLOCK);
	if (b->fd < 0)
		return cellvm_err_set(err, CELLVM_E_IO, errno, "disk %s: %s",
				      p->path, strerror(errno));
	if (fstat(b->fd, &st))
		return cellvm_err_set(err, CELLVM_E_IO, errno, "disk %s: %s",
				      p->path, strerror(errno));
	if (!S_ISREG(st.st_mode) && !S_ISBLK(st.st_mode))
		return cellvm_err_set(err, CELLVM_E_IO, EINVAL,
				      "disk %s: not a regular file or block device",
				      p->path);
	fcntl(b->fd, F_SETFL, fcntl(b->fd, F_GETFL) & ~O_NONBLOCK);
	ret = blk_lock(b->fd, p->readonly);
	if (ret == -EAGAIN)
		return cellvm_err_set(err, CELLVM_E_IO, EAGAIN,
				      "disk %s: in use by another process (a read-write disk is locked exclusively, read-only ones shared)",
				      p->path);
	size = lseek(b->fd, 0, SEEK_END);
	if (size < 0)
		return cellvm_err_set(err, CELLVM_E_IO, errno, "disk %s: %s",
				      p->path, strerror(errno));
	b->capacity = (uint64_t)size >> SECTOR_SHIFT;
	return 0;
}

int virtio_blk_create(const struct virtio_blk_params *p,
		      struct virtio_mmio **out, struct cellvm_err *err)
{
	struct virtio_blk *b;
	int ret;

	if (!p->path)
		return cellvm_err_set(err, CELLVM_E_USAGE, EINVAL,
				      "disk: no path given");
	b = calloc(1, sizeof(*b));
	if (!b)
		return cellvm_err_set(err, CELLVM_E_HOST, ENOMEM,
				      "disk %s: out of memory", p->path);
	b->ro = p->readonly;
	ret = blk_open(b, p, err);
	if (!ret)
		ret = virtio_mmio_create(&p->mmio,
					 b->ro ? &blk_ops_ro : &blk_ops_rw, b,
					 &b->t, err);
	if (ret) {
		blk_free(b);
		return ret;
	}
	/* From here the transport owns b. */
	blk_set_id(b, p->path);
	blk_fill_config(b);
	ret = virtio_mmio_attach(b->t, p->mmio.bus, err);
	if (ret) {
		virtio_mmio_destroy(b->t);
		return ret;
	}
	*out = b->t;
	return 0;
}

/*
 * A new backing file, the same mode: the worker is stopped (no request
 * in flight), the file swapped, the capacity updated with a configuration
 * change notification, and the worker started again unless it was
 * stopped already (a pause). On failure the old file stays.
 */
int virtio_blk_replace(struct virtio_mmio *t, const char *path,
		       struct cellvm_err *err)
{
	struct virtio_blk *b = virtio_mmio_device(t);
	struct virtio_blk_params p = { .path = path, .readonly = b->ro };
	struct virtio_blk n = { .t = t, .ro = b->ro, .fd = -1 };
	bool was_running = virtio_mmio_running(t);
	struct flock unlock = { .l_type = F_UNLCK, .l_whence = SEEK_SET };
	struct blk_config cfg;
	int ret;

	virtio_mmio_stop(t);
	/* The old file's lock goes first: the new path may be the same
	 * file (a rescan after the host changed it). */
	fcntl(b->fd, F_OFD_SETLK, &unlock);
	ret = blk_open(&n, &p, err);
	if (ret) {
		if (n.fd >= 0)
			close(n.fd);
		blk_lock(b->fd, b->ro);
		if (was_running && virtio_mmio_start(t, NULL))
			return -EIO;
		return ret;
	}
	close(b->fd);
	b->fd = n.fd;
	b->capacity = n.capacity;
	memset(b->id, 0, sizeof(b->id));
	blk_set_id(b, path);
	blk_config(b, &cfg);
	virtio_mmio_config_changed(t, &cfg, sizeof(cfg));
	return was_running ? virtio_mmio_start(t, err) : 0;
}

static int blk_new(const struct cellvm_dev_cfg *cfg,
		   const struct virtio_dev_env *env, struct virtio_mmio **out,
		   struct cellvm_err *err)
{
	struct virtio_blk_params p = {
		.mmio = env->mmio,
		.path = cfg->blk.path,
		.readonly = cfg->blk.readonly,
		.has_fd = cfg->blk.has_fd,
		.fd = cfg->blk.fd,
	};

	return virtio_blk_create(&p, out, err);
}

const struct virtio_dev_type virtio_blk_type = {
	.name = "virtio-blk",
	.type = CELLVM_DEV_VIRTIO_BLK,
	.create = blk_new,
};

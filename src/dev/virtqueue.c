// SPDX-License-Identifier: MIT
/*
 * Split virtqueue walker, device side: virtio 1.2 "2.7 Split Virtqueues".
 *
 * Emulated: descriptor chains (2.7.5), indirect descriptors (2.7.5.3,
 * one level), the available and used rings (2.7.6, 2.7.8), notification
 * suppression both ways with and without VIRTIO_F_EVENT_IDX (2.7.7,
 * 2.7.10). Not emulated: packed virtqueues (2.8), in-order use.
 *
 * Hostile-driver rules: each descriptor is copied out of guest memory
 * once and validated (address and length against the memory map, index
 * against the table, direction order 2.7.4.2, no INDIRECT with NEXT and
 * no INDIRECT inside a table 2.7.5.3.1); a chain may not have more
 * descriptors than its table has entries, which bounds loops; the avail
 * idx may not run more than a queue size ahead of what we consumed.
 */
#include <endian.h>
#include <errno.h>
#include <string.h>

#include "dev/virtqueue.h"

/* Offsets inside the areas (2.7.6 and 2.7.8). */
#define AVAIL_FLAGS 0u
#define AVAIL_IDX 2u
#define AVAIL_RING 4u
#define USED_FLAGS 0u
#define USED_IDX 2u
#define USED_RING 4u
#define USED_ELEM_SIZE 8u

/* virtq_desc as laid out in guest memory (2.7.5), little-endian. */
struct virtq_desc {
	uint64_t addr;
	uint32_t len;
	uint16_t flags;
	uint16_t next;
};

static uint64_t desc_area_size(uint16_t size)
{
	return (uint64_t)VIRTQ_DESC_SIZE * size;
}

/* flags, idx, ring[size], used_event */
static uint64_t avail_area_size(uint16_t size)
{
	return AVAIL_RING + 2ull * size + 2;
}

/* flags, idx, ring[size], avail_event */
static uint64_t used_area_size(uint16_t size)
{
	return USED_RING + (uint64_t)USED_ELEM_SIZE * size + 2;
}

/*
 * A 16-bit ring field, as a host pointer fit for atomic access: the
 * area was checked aligned at init, and the host mapping is checked
 * here too since a region's host address may be aligned differently.
 */
static uint16_t *ring_u16(const struct virtq *vq, uint64_t gpa)
{
	uint16_t *p = cellvm_mem_ptr(vq->mem, gpa, sizeof(*p));

	if (!p || ((uintptr_t)p & (sizeof(*p) - 1)))
		return NULL;
	return p;
}

static int area_ok(const struct cellvm_mem *mem, uint64_t gpa, uint64_t len,
		   unsigned align)
{
	const uint8_t *p;

	if (gpa & (align - 1))
		return 0;
	p = cellvm_mem_ptr(mem, gpa, len);
	return p && !((uintptr_t)p & (align - 1));
}

int virtq_init(struct virtq *vq, const struct cellvm_mem *mem, uint16_t size,
	       uint64_t desc, uint64_t avail, uint64_t used, bool event_idx,
	       bool indirect)
{
	/* 2.7: "Queue Size ... is always a power of 2", at most 32768;
	 * we offer at most VIRTQ_MAX_SIZE. */
	if (size == 0 || size > VIRTQ_MAX_SIZE || (size & (size - 1)))
		return -EINVAL;
	if (!area_ok(mem, desc, desc_area_size(size), VIRTQ_DESC_ALIGN) ||
	    !area_ok(mem, avail, avail_area_size(size), VIRTQ_AVAIL_ALIGN) ||
	    !area_ok(mem, used, used_area_size(size), VIRTQ_USED_ALIGN))
		return -EINVAL;
	memset(vq, 0, sizeof(*vq));
	vq->mem = mem;
	vq->size = size;
	vq->desc_gpa = desc;
	vq->avail_gpa = avail;
	vq->used_gpa = used;
	vq->event_idx = event_idx;
	vq->indirect = indirect;
	return 0;
}

/* The driver's avail idx; acquire so the ring entries it covers are
 * read after it (2.7.13.3: the driver publishes idx after the entries). */
static int read_avail_idx(const struct virtq *vq, uint16_t *idx)
{
	uint16_t *p = ring_u16(vq, vq->avail_gpa + AVAIL_IDX);

	if (!p)
		return -EIO;
	*idx = le16toh(__atomic_load_n(p, __ATOMIC_ACQUIRE));
	return 0;
}

static int read_ring_u16(const struct virtq *vq, uint64_t gpa, uint16_t *val)
{
	uint16_t *p = ring_u16(vq, gpa);

	if (!p)
		return -EIO;
	*val = le16toh(__atomic_load_n(p, __ATOMIC_RELAXED));
	return 0;
}

static int write_ring_u16(const struct virtq *vq, uint64_t gpa, uint16_t val)
{
	uint16_t *p = ring_u16(vq, gpa);

	if (!p)
		return -EIO;
	__atomic_store_n(p, htole16(val), __ATOMIC_RELAXED);
	return 0;
}

bool virtq_has_avail(const struct virtq *vq)
{
	uint16_t idx;

	return read_avail_idx(vq, &idx) == 0 && idx != vq->last_avail;
}

/* Where the walk is: the ring's table or one indirect table. */
struct walk {
	uint64_t table; /* gpa of descriptor 0 */
	uint32_t entries; /* descriptors in the table */
	uint32_t visited; /* descriptors taken from this table */
	bool in_indirect;
	bool seen_writable;
};

static int read_desc(const struct virtq *vq, const struct walk *w,
		     uint16_t idx, struct virtq_desc *d)
{
	if (idx >= w->entries)
		return -EINVAL;
	if (cellvm_mem_read(vq->mem, w->table + (uint64_t)idx * VIRTQ_DESC_SIZE,
			    d, sizeof(*d)))
		return -EINVAL;
	d->addr = le64toh(d->addr);
	d->len = le32toh(d->len);
	d->flags = le16toh(d->flags);
	d->next = le16toh(d->next);
	return 0;
}

/* 2.7.5.3: switch the walk to the indirect table `d` describes. */
static int enter_indirect(const struct virtq *vq, struct walk *w,
			  const struct virtq_desc *d, const char **why)
{
	if (!vq->indirect) {
		*why = "indirect descriptor not negotiated";
		return -EINVAL;
	}
	if (w->in_indirect) {
		*why = "indirect descriptor inside an indirect table";
		return -EINVAL;
	}
	if (d->flags & VIRTQ_DESC_F_NEXT) {
		*why = "indirect descriptor with NEXT set";
		return -EINVAL;
	}
	if (d->len == 0 || d->len % VIRTQ_DESC_SIZE ||
	    d->len / VIRTQ_DESC_SIZE > vq->size) {
		*why = "bad indirect table length";
		return -EINVAL;
	}
	if (!cellvm_mem_ptr(vq->mem, d->addr, d->len)) {
		*why = "indirect table outside guest RAM";
		return -EINVAL;
	}
	w->table = d->addr;
	w->entries = d->len / VIRTQ_DESC_SIZE;
	w->visited = 0;
	w->in_indirect = true;
	return 0;
}

/* Record one buffer descriptor in the chain. */
static int add_seg(const struct virtq *vq, struct walk *w,
		   struct virtq_chain *c, const struct virtq_desc *d,
		   const char **why)
{
	bool writable = d->flags & VIRTQ_DESC_F_WRITE;
	uint8_t *p = cellvm_mem_ptr(vq->mem, d->addr, d->len);
	uint32_t *total = writable ? &c->in_len : &c->out_len;

	if (!p) {
		*why = "buffer outside guest RAM";
		return -EINVAL;
	}
	/* 2.7.4.2: device-writable buffers come after device-readable. */
	if (!writable && w->seen_writable) {
		*why = "device-readable buffer after a device-writable one";
		return -EINVAL;
	}
	w->seen_writable |= writable;
	if (d->len == 0)
		return 0;
	/* The used element's len is 32 bits: so is what a chain may hold. */
	if (d->len > UINT32_MAX - *total) {
		*why = "chain longer than 4 GiB";
		return -EINVAL;
	}
	if (c->nr >= VIRTQ_MAX_SEGS) {
		*why = "too many buffers in chain";
		return -EINVAL;
	}
	*total += d->len;
	c->seg[c->nr++] = (struct virtq_seg){
		.base = p, .len = d->len, .writable = writable
	};
	if (!writable)
		c->nr_out = c->nr;
	return 0;
}

static int walk_chain(const struct virtq *vq, struct virtq_chain *c,
		      const char **why)
{
	struct walk w = { .table = vq->desc_gpa, .entries = vq->size };
	uint16_t idx = c->head;
	struct virtq_desc d;

	for (;;) {
		/* More descriptors than the table holds means a cycle. */
		if (++w.visited > w.entries) {
			*why = "descriptor chain loops or is too long";
			return -EINVAL;
		}
		if (read_desc(vq, &w, idx, &d)) {
			*why = "descriptor index out of range";
			return -EINVAL;
		}
		if (d.flags & VIRTQ_DESC_F_INDIRECT) {
			if (enter_indirect(vq, &w, &d, why))
				return -EINVAL;
			idx = 0;
			continue;
		}
		if (add_seg(vq, &w, c, &d, why))
			return -EINVAL;
		if (!(d.flags & VIRTQ_DESC_F_NEXT))
			return 0;
		idx = d.next;
	}
}

int virtq_pop(struct virtq *vq, struct virtq_chain *c, const char **why)
{
	uint16_t avail_idx, head;

	*why = "";
	if (read_avail_idx(vq, &avail_idx)) {
		*why = "avail ring outside guest RAM";
		return -EIO;
	}
	if (avail_idx == vq->last_avail)
		return 0;
	if ((uint16_t)(avail_idx - vq->last_avail) > vq->size) {
		*why = "avail idx ran ahead by more than the queue size";
		return -EIO;
	}
	if (read_ring_u16(vq, vq->avail_gpa + AVAIL_RING +
				      2ull * (vq->last_avail % vq->size),
			  &head)) {
		*why = "avail ring outside guest RAM";
		return -EIO;
	}
	if (head >= vq->size) {
		*why = "chain head index out of range";
		return -EIO;
	}
	vq->last_avail++;
	c->head = head;
	c->nr = 0;
	c->nr_out = 0;
	c->out_len = 0;
	c->in_len = 0;
	if (walk_chain(vq, c, why))
		return -EINVAL;
	return 1;
}

void virtq_unpop(struct virtq *vq)
{
	vq->last_avail--;
}

int virtq_push(struct virtq *vq, uint16_t head, uint32_t len)
{
	uint64_t gpa = vq->used_gpa + USED_RING +
		       (uint64_t)USED_ELEM_SIZE * (vq->used_idx % vq->size);
	uint32_t elem[2] = { htole32(head), htole32(len) };
	uint16_t *idx = ring_u16(vq, vq->used_gpa + USED_IDX);

	if (!idx || cellvm_mem_write(vq->mem, gpa, elem, sizeof(elem)))
		return -EFAULT;
	vq->used_idx++;
	/* 2.7.8.2: the element must be visible before the new idx. */
	__atomic_store_n(idx, htole16(vq->used_idx), __ATOMIC_RELEASE);
	return 0;
}

/* 2.7.10: vring_need_event(event_idx, new_idx, old_idx) */
static bool need_event(uint16_t event, uint16_t new_idx, uint16_t old_idx)
{
	return (uint16_t)(new_idx - event - 1) < (uint16_t)(new_idx - old_idx);
}

bool virtq_need_interrupt(struct virtq *vq)
{
	uint16_t old = vq->signalled_used, val;

	/* The used idx store must be visible before we read the driver's
	 * suppression state, or both sides may wait on each other. */
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	vq->signalled_used = vq->used_idx;
	if (vq->event_idx) {
		/* used_event sits after the avail ring (2.7.6). */
		if (read_ring_u16(vq, vq->avail_gpa + AVAIL_RING +
					      2ull * vq->size, &val))
			return true;
		return need_event(val, vq->used_idx, old);
	}
	if (old == vq->used_idx)
		return false;
	if (read_ring_u16(vq, vq->avail_gpa + AVAIL_FLAGS, &val))
		return true;
	return !(val & VIRTQ_AVAIL_F_NO_INTERRUPT);
}

bool virtq_enable_notify(struct virtq *vq)
{
	if (vq->event_idx) {
		/* avail_event sits after the used ring (2.7.8). */
		if (write_ring_u16(vq, vq->used_gpa + USED_RING +
					       (uint64_t)USED_ELEM_SIZE * vq->size,
				   vq->last_avail))
			return false;
	} else if (write_ring_u16(vq, vq->used_gpa + USED_FLAGS, 0)) {
		return false;
	}
	/* Publish the request before looking again (see need_interrupt). */
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	return virtq_has_avail(vq);
}

int virtq_chain_walk(const struct virtq_chain *c, bool writable, size_t skip,
		     size_t len, virtq_piece_fn fn, void *ctx)
{
	unsigned i = writable ? c->nr_out : 0;
	unsigned end = writable ? c->nr : c->nr_out;
	int ret;

	if (skip > (writable ? c->in_len : c->out_len) ||
	    len > (writable ? c->in_len : c->out_len) - skip)
		return -ERANGE;
	for (; i < end && len; i++) {
		size_t n = c->seg[i].len;

		if (skip >= n) {
			skip -= n;
			continue;
		}
		n -= skip;
		if (n > len)
			n = len;
		ret = fn(ctx, c->seg[i].base + skip, n);
		if (ret)
			return ret;
		len -= n;
		skip = 0;
	}
	return 0;
}

static int copy_out(void *ctx, uint8_t *p, size_t n)
{
	uint8_t **dst = ctx;

	memcpy(*dst, p, n);
	*dst += n;
	return 0;
}

static int copy_in(void *ctx, uint8_t *p, size_t n)
{
	const uint8_t **src = ctx;

	memcpy(p, *src, n);
	*src += n;
	return 0;
}

int virtq_chain_read(const struct virtq_chain *c, size_t off, void *dst,
		     size_t len)
{
	uint8_t *cur = dst;

	return virtq_chain_walk(c, false, off, len, copy_out, &cur);
}

int virtq_chain_write(const struct virtq_chain *c, size_t off,
		      const void *src, size_t len)
{
	const uint8_t *cur = src;

	return virtq_chain_walk(c, true, off, len, copy_in, &cur);
}

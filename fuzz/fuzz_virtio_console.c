// SPDX-License-Identifier: MIT
/*
 * Fuzz virtio-console (virtio 1.2, 5.3) behind the MMIO transport, with
 * the hostile driver of tests/lib/virtio_oracle.h.
 *
 * Transmit (queue 1): chains of any shape go to the tx callback. Every
 * piece it gets must point into guest RAM, and (while the layout is
 * stable) the pieces of each completed chain must be exactly its
 * device-readable buffers, in order, or nothing for a rejected chain;
 * the chain completes with length 0.
 * Receive (queue 0): virtio_console_receive() with host input of chosen
 * lengths into buffers the driver posted in hostile shapes: it takes no
 * more than offered, the completed chains' lengths add up to what it
 * took, and their writable buffers hold the input in order.
 * Plus the common checks: RAM written only in used rings and writable
 * buffers, used rings bounded by what was made available.
 */
#include <stdlib.h>

#include "dev/virtio_console.h"
#include "virtio_oracle.h"

#define CON_RXQ 0
#define CON_TXQ 1
/* Host input per receive call: up to 4 KiB. */
#define CON_RX_MAX 4096u
#define CON_RX_HIGH_SHIFT 8

/* One tx callback call, as an offset in RAM, and the used element of
 * the transmit queue it belongs to. */
struct piece {
	uint32_t off, len, elem;
};

struct con_fz {
	struct fz *f;
	struct piece *piece;
	unsigned npieces, cap;
	/* The receive call under way: its input and how far the used
	 * elements seen so far have taken it. */
	const uint8_t *rx_data;
	size_t rx_pos;
	unsigned rx_ready_calls;
	uint8_t rx_buf[CON_RX_MAX];
};

FZ_NO_COVERAGE static void con_fill(uint8_t *p, size_t len, uint8_t seed)
{
	size_t i;

	for (i = 0; i < len; i++)
		p[i] = (uint8_t)(i * 7 + seed);
}

static void piece_add(struct con_fz *c, uint32_t off, uint32_t len,
		      uint32_t elem)
{
	if (c->npieces == c->cap) {
		c->cap = c->cap ? 2 * c->cap : 64;
		c->piece = realloc(c->piece, c->cap * sizeof(*c->piece));
		if (!c->piece)
			abort();
	}
	c->piece[c->npieces++] = (struct piece){ off, len, elem };
}

static void con_tx(void *opaque, const uint8_t *buf, size_t len)
{
	struct con_fz *c = opaque;
	struct fz *f = c->f;
	struct fz_queue *fq = &f->q[CON_TXQ];
	uintptr_t p = (uintptr_t)buf, ram = (uintptr_t)f->ram;
	uint16_t idx;

	if (p < ram || len > FZ_RAM_SIZE || p - ram > FZ_RAM_SIZE - len)
		fz_fail(f, "tx: %zu bytes from outside guest RAM", len);
	if (!f->stable || !fq->live)
		return;
	/* The chain being sent is completed after the callback: it will
	 * be the used element after those published so far. */
	idx = fz_get16(f, (uint32_t)(fq->used - FZ_RAM_GPA) + DRV_USED_IDX);
	piece_add(c, (uint32_t)(buf - f->ram), (uint32_t)len,
		  fq->used_total + (uint16_t)(idx - fq->used_seen));
}

static void con_rx_ready(void *opaque)
{
	struct con_fz *c = opaque;

	c->rx_ready_calls++;
}

static int con_create(struct fz *f, const struct virtio_mmio_params *mp)
{
	struct virtio_console_params p = { .mmio = *mp, .tx = con_tx,
					   .rx_ready = con_rx_ready,
					   .cb_opaque = f->priv };
	struct cellvm_err err = { 0 };
	struct con_fz *c = f->priv;

	c->f = f;
	return virtio_console_create(&p, &f->t, &err);
}

/* Match the pieces of one chain against its readable buffers: the
 * pieces' bytes must be the buffers' bytes, address for address. */
struct tx_match {
	const struct piece *p, *end;
	uint32_t ppos; /* bytes of *p already matched */
};

static void tx_match_seg(struct fz *f, void *ctx, uint32_t off, uint32_t len,
			 enum fz_seg_kind kind)
{
	struct tx_match *m = ctx;
	uint32_t n;

	if (kind != FZ_SEG_READ)
		return;
	while (len) {
		if (m->p == m->end)
			fz_fail(f, "tx: chain sent short of its buffers");
		n = m->p->len - m->ppos < len ? m->p->len - m->ppos : len;
		if (m->p->off + m->ppos != off)
			fz_fail(f, "tx: sent RAM %#x, buffer is at %#x",
				m->p->off + m->ppos, off);
		off += n;
		len -= n;
		m->ppos += n;
		if (m->ppos == m->p->len) {
			m->p++;
			m->ppos = 0;
		}
	}
}

/* Each completed chain sent exactly its readable buffers, or nothing. */
static void con_tx_used(struct fz *f, uint32_t first, const struct fz_used *u,
			unsigned n)
{
	struct con_fz *c = f->priv;
	unsigned i, next = 0, stop;
	struct tx_match m;

	for (i = 0; i < n; i++) {
		if (u[i].len)
			fz_fail(f, "tx: used len %u, nothing was written",
				u[i].len);
		for (stop = next;
		     stop < c->npieces && c->piece[stop].elem == first + i;
		     stop++)
			;
		if (stop == next)
			continue; /* rejected, or nothing to send */
		m = (struct tx_match){ .p = c->piece + next,
				       .end = c->piece + stop };
		fz_walk(f, CON_TXQ, u[i].id, tx_match_seg, &m);
		if (m.p != m.end || m.ppos)
			fz_fail(f, "tx: chain %u sent more than its buffers",
				u[i].id);
		next = stop;
	}
	if (next != c->npieces)
		fz_fail(f, "tx: sent for a chain that was not completed");
	c->npieces = 0;
}

static const uint8_t *rx_expect(void *ctx, unsigned i, uint32_t len)
{
	struct con_fz *c = ctx;
	const uint8_t *p = c->rx_data + c->rx_pos;

	c->rx_pos += len;
	return p;
}

static void con_used(struct fz *f, unsigned q, uint32_t first,
		     const struct fz_used *u, unsigned n)
{
	struct con_fz *c = f->priv;
	size_t start = c->rx_pos;
	unsigned i;

	if (q == CON_TXQ) {
		con_tx_used(f, first, u, n);
		return;
	}
	for (i = 0; i < n; i++) {
		if (u[i].len && !c->rx_data)
			fz_fail(f, "rx: %u bytes written with no input",
				u[i].len);
		c->rx_pos += u[i].len;
	}
	if (!f->exact)
		return;
	c->rx_pos = start;
	fz_check_written(f, CON_RXQ, u, n, rx_expect, c);
}

/* The host console has input: receive() with some of it. */
static void con_receive(struct fz *f, unsigned q, uint8_t arg, uint8_t extra)
{
	struct con_fz *c = f->priv;
	size_t len = ((size_t)(extra & 0xf) << CON_RX_HIGH_SHIFT | arg) %
		     CON_RX_MAX;
	size_t done;

	con_fill(c->rx_buf, len, arg);
	c->rx_data = c->rx_buf;
	c->rx_pos = 0;
	done = virtio_console_receive(virtio_mmio_device(f->t), c->rx_buf,
				      len);
	if (done > len)
		fz_fail(f, "rx: took %zu of %zu bytes", done, len);
	fz_check(f);
	if (f->stable && c->rx_pos != done)
		fz_fail(f, "rx: took %zu bytes, used elements hold %zu", done,
			c->rx_pos);
	c->rx_data = NULL;
}

static const struct fz_dev_ops con_fz_ops = {
	.num_queues = 2,
	.create = con_create,
	.action = con_receive,
	.used = con_used,
};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct con_fz *c = calloc(1, sizeof(*c));

	if (!c)
		abort();
	fz_run(&con_fz_ops, c, data, size);
	free(c->piece);
	free(c);
	return 0;
}

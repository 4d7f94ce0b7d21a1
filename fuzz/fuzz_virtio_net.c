// SPDX-License-Identifier: MIT
/*
 * Fuzz virtio-net (virtio 1.2, 5.1) behind the MMIO transport, with the
 * hostile driver of tests/lib/virtio_oracle.h. A SOCK_DGRAM socketpair stands
 * in for the TAP (virtio_net_params.has_fd): the device holds sv[0], the
 * harness plays the host network on sv[1].
 *
 * Transmit (queue 1): chains of any shape; every frame that comes out of
 * sv[1] must be, byte for byte, the device-readable part of a completed
 * chain after its 12-byte header (5.1.6), in chain order.
 * Receive (queue 0): the script injects frames of chosen lengths (empty,
 * small, around the 65550-byte limit) into buffers the driver posted in
 * hostile shapes; each completed chain of non-zero length must hold the
 * header (num_buffers 1) and the next delivered frame, whole, in its
 * writable buffers; frames that do not fit are dropped, never cut
 * (but those longer than the device's 65550-byte maximum are, by read()).
 * Plus the common checks: RAM written only in used rings and writable
 * buffers, used rings bounded by what was made available.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "dev/virtio_net.h"
#include "virtio_oracle.h"

#define NET_RXQ 0
#define NET_TXQ 1
#define NET_HDR 12 /* struct virtio_net_hdr with num_buffers */
#define NET_HDR_NUM_BUFFERS 10
/* virtio_net.c reads frames up to this size (NET_MAX_FRAME). */
#define NET_MAX_FRAME 65550u
/* Injected frame length: arg with FRAME_BIG set, around the limit (the
 * device reads at most NET_MAX_FRAME bytes of a longer datagram). */
#define FRAME_BIG 0x80u
#define FRAME_BIG_BELOW 64u
#define FRAME_SMALL_STEP 4u
#define FRAME_MAX (NET_MAX_FRAME - FRAME_BIG_BELOW + FRAME_BIG)

struct net_fz {
	int sv[2];
	/* Frames sent into sv[1] and not matched yet, in order. */
	uint32_t sent[FZ_MAX_OPS];
	unsigned nsent, matched;
	uint32_t *rx_frame; /* scratch: which frame each used element got */
	uint8_t exp[NET_HDR + NET_MAX_FRAME];
	uint8_t frame[FRAME_MAX];
	uint8_t chain[NET_HDR + NET_MAX_FRAME];
};

FZ_NO_COVERAGE static void frame_fill(uint8_t *p, uint32_t len)
{
	uint32_t i;

	/* Equal lengths, equal frames: a dropped frame and a delivered one
	 * of the same length cannot be told apart, nor need to be. */
	for (i = 0; i < len; i++)
		p[i] = (uint8_t)(len + i * 151u + (i >> 8) * 7u);
}

static int net_create(struct fz *f, const struct virtio_mmio_params *mp)
{
	struct net_fz *n = f->priv;
	struct virtio_net_params p = { .mmio = *mp, .tap = "fuzz0",
				       .has_fd = true, .fd = n->sv[0] };
	struct cellvm_err err = { 0 };

	return virtio_net_create(&p, &f->t, &err);
}

/* The host network sends a frame towards the guest. */
static void net_inject(struct fz *f, unsigned q, uint8_t arg, uint8_t extra)
{
	struct net_fz *n = f->priv;
	uint32_t len = arg & FRAME_BIG
			       ? NET_MAX_FRAME - FRAME_BIG_BELOW +
					 (arg & ~FRAME_BIG)
			       : arg * FRAME_SMALL_STEP + (extra & 3);

	if (n->nsent == FZ_MAX_OPS)
		return;
	frame_fill(n->frame, len);
	/* A full socket (EAGAIN) loses the frame, as a full link would. */
	if (send(n->sv[1], n->frame, len, MSG_DONTWAIT) == (ssize_t)len)
		n->sent[n->nsent++] = len;
}

/* Expected contents of receive element i: header, then the frame. */
static const uint8_t *rx_expect(void *ctx, unsigned i, uint32_t len)
{
	struct net_fz *n = ctx;
	uint32_t sent = n->rx_frame[i];

	/* The frame's bytes depend on its length as sent, not as cut. */
	memset(n->exp, 0, NET_HDR);
	n->exp[NET_HDR_NUM_BUFFERS] = 1;
	frame_fill(n->frame, sent);
	memcpy(n->exp + NET_HDR, n->frame, len - NET_HDR);
	return n->exp;
}

/* Each non-empty receive completion is the next frame that was sent
 * (some may have been dropped before it), cut only at NET_MAX_FRAME. */
static void net_rx_used(struct fz *f, const struct fz_used *u, unsigned k)
{
	struct net_fz *n = f->priv;
	uint32_t got, i;

	n->rx_frame = calloc(k ? k : 1, sizeof(*n->rx_frame));
	if (!n->rx_frame)
		abort();
	for (i = 0; i < k; i++) {
		if (!u[i].len)
			continue;
		if (u[i].len < NET_HDR)
			fz_fail(f, "rx: used len %u < header", u[i].len);
		got = u[i].len - NET_HDR;
		while (n->matched < n->nsent &&
		       (n->sent[n->matched] < NET_MAX_FRAME
				? n->sent[n->matched]
				: NET_MAX_FRAME) != got)
			n->matched++;
		if (n->matched == n->nsent)
			fz_fail(f, "rx: %u-byte frame never sent", got);
		n->rx_frame[i] = n->sent[n->matched++];
	}
	if (f->exact)
		fz_check_written(f, NET_RXQ, u, k, rx_expect, n);
	free(n->rx_frame);
	n->rx_frame = NULL;
}

/* Frames out of sv[1] must be the readable parts of the completed
 * chains, in order, each after its header. */
static void net_tx_used(struct fz *f, const struct fz_used *u, unsigned k)
{
	struct net_fz *n = f->priv;
	unsigned i = 0;
	uint64_t out;
	ssize_t r;

	while ((r = recv(n->sv[1], n->frame, sizeof(n->frame),
			 MSG_DONTWAIT)) >= 0) {
		if (!f->exact) {
			if (i++ == k)
				fz_fail(f, "tx: more frames than chains");
			continue;
		}
		for (; i < k; i++) {
			out = fz_gather(f, NET_TXQ, u[i].id, FZ_SEG_READ,
					n->chain, sizeof(n->chain));
			if (out >= NET_HDR && out <= sizeof(n->chain) &&
			    out - NET_HDR == (uint64_t)r &&
			    !memcmp(n->chain + NET_HDR, n->frame, (size_t)r))
				break;
		}
		if (i++ == k)
			fz_fail(f, "tx: a %zd-byte frame from no completed chain",
				r);
	}
}

static void net_used(struct fz *f, unsigned q, uint32_t first,
		     const struct fz_used *u, unsigned k)
{
	unsigned i;

	if (q == NET_RXQ) {
		net_rx_used(f, u, k);
		return;
	}
	for (i = 0; i < k; i++)
		if (u[i].len)
			fz_fail(f, "tx: used len %u, nothing was written",
				u[i].len);
	net_tx_used(f, u, k);
}

/* Whatever the checks did not take (layouts they cannot judge). */
static void net_settle(struct fz *f)
{
	struct net_fz *n = f->priv;

	while (recv(n->sv[1], n->frame, sizeof(n->frame), MSG_DONTWAIT) >= 0)
		if (f->stable)
			fz_fail(f, "tx: a frame while the transmit queue is "
				"not live");
}

static const struct fz_dev_ops net_fz_ops = {
	.num_queues = 2,
	.create = net_create,
	.action = net_inject,
	.used = net_used,
	.settle = net_settle,
};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct net_fz *n = calloc(1, sizeof(*n));

	if (!n || socketpair(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0, n->sv))
		abort();
	fz_run(&net_fz_ops, n, data, size);
	close(n->sv[0]);
	close(n->sv[1]);
	free(n);
	return 0;
}

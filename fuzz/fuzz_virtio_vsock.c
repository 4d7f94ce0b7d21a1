// SPDX-License-Identifier: MIT
/*
 * Fuzz virtio-vsock (virtio 1.2, 5.10) behind the MMIO transport, with
 * the hostile driver of tests/lib/virtio_oracle.h on all three queues
 * (rx 0, tx 1, event 2). The host side is real: a listener in a
 * temporary directory (PATH), host clients the script opens, feeds and
 * closes, and a listener at PATH_1 that guest connections to port 1
 * reach.
 *
 * Script actions (FZ_OP_DEVICE, extra & 3): a host client connects and
 * sends "CONNECT <arg>\n"; a client writes arg * 64 bytes; a client
 * closes; the PATH_1 listener accepts and its streams are read.
 * Checks, beside the common ones (RAM written only in used rings and
 * writable buffers, used rings bounded by what was made available):
 * tx chains complete with length 0; event chains with 0 or 4; every
 * non-empty rx completion holds a header from CID 2 to the guest's CID,
 * a stream type, a known op and a len equal to what follows it.
 */
#include <endian.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "dev/virtio_vsock.h"
#include "virtio_oracle.h"

#define VS_RXQ 0
#define VS_TXQ 1
#define VS_EVQ 2
#define VS_CID 3
#define VS_HDR 44
#define VS_HOST_CID 2
#define VS_OP_MAX 7
#define VS_CLIENTS 4
#define VS_WRITE_STEP 64u
#define VS_READ_MAX 4096

struct vs_fz {
	char dir[64];
	char path[96];
	int client[VS_CLIENTS];
	int gl; /* the PATH_1 listener */
	int acc[VS_CLIENTS];
	uint8_t buf[VS_READ_MAX];
	uint8_t hdr[VS_HDR];
};

static int vs_create(struct fz *f, const struct virtio_mmio_params *mp)
{
	struct vs_fz *v = f->priv;
	struct virtio_vsock_params p = { .mmio = *mp, .guest_cid = VS_CID,
					 .uds_path = v->path };
	struct cellvm_err err = { 0 };

	return virtio_vsock_create(&p, &f->t, &err);
}

static int vs_connect(const char *path)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);

	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", path);
	if (fd >= 0 && connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		close(fd);
		fd = -1;
	}
	return fd;
}

/* The host side's moves. */
static void vs_action(struct fz *f, unsigned q, uint8_t arg, uint8_t extra)
{
	struct vs_fz *v = f->priv;
	unsigned k = q % VS_CLIENTS, i;
	char line[32];
	int n;

	switch (extra & 3) {
	case 0:
		if (v->client[k] >= 0)
			close(v->client[k]);
		v->client[k] = vs_connect(v->path);
		n = snprintf(line, sizeof(line), "CONNECT %u\n", arg);
		if (v->client[k] >= 0 &&
		    send(v->client[k], line, (size_t)n, MSG_NOSIGNAL)) {
		}
		break;
	case 1:
		memset(v->buf, arg, sizeof(v->buf));
		if (v->client[k] >= 0 &&
		    send(v->client[k], v->buf, arg * VS_WRITE_STEP % VS_READ_MAX,
			 MSG_NOSIGNAL)) {
		}
		break;
	case 2:
		if (v->client[k] >= 0)
			close(v->client[k]);
		v->client[k] = -1;
		break;
	default:
		for (i = 0; i < VS_CLIENTS; i++) {
			if (v->acc[i] < 0)
				v->acc[i] = accept4(v->gl, NULL, NULL,
						    SOCK_NONBLOCK | SOCK_CLOEXEC);
			if (v->acc[i] >= 0 &&
			    recv(v->acc[i], v->buf, sizeof(v->buf), 0) == 0) {
				close(v->acc[i]);
				v->acc[i] = -1;
			}
		}
		break;
	}
	fz_check(f);
}

static uint64_t vs_le(const uint8_t *p, unsigned n)
{
	uint64_t v = 0;

	while (n--)
		v = v << 8 | p[n];
	return v;
}

/* A non-empty rx completion is one well-formed packet to the guest. */
static void vs_rx_check(struct fz *f, const struct fz_used *u)
{
	struct vs_fz *v = f->priv;
	uint64_t got;

	if (!u->len)
		return;
	if (u->len < VS_HDR)
		fz_fail(f, "rx: used len %u < header", u->len);
	if (!f->exact)
		return;
	got = fz_gather(f, VS_RXQ, u->id, FZ_SEG_WRITE, v->hdr, VS_HDR);
	if (got < VS_HDR)
		fz_fail(f, "rx: used len %u beyond the buffers", u->len);
	if (vs_le(v->hdr, 8) != VS_HOST_CID || vs_le(v->hdr + 8, 8) != VS_CID)
		fz_fail(f, "rx: packet not from CID 2 to the guest");
	if (vs_le(v->hdr + 24, 4) != u->len - VS_HDR)
		fz_fail(f, "rx: header len %llu, used len %u",
			(unsigned long long)vs_le(v->hdr + 24, 4), u->len);
	if (vs_le(v->hdr + 28, 2) != 1 || vs_le(v->hdr + 30, 2) == 0 ||
	    vs_le(v->hdr + 30, 2) > VS_OP_MAX)
		fz_fail(f, "rx: bad type or op");
}

static void vs_used(struct fz *f, unsigned q, uint32_t first,
		    const struct fz_used *u, unsigned k)
{
	unsigned i;

	(void)first;
	for (i = 0; i < k; i++) {
		if (q == VS_RXQ)
			vs_rx_check(f, &u[i]);
		else if (q == VS_TXQ && u[i].len)
			fz_fail(f, "tx: used len %u, nothing was written",
				u[i].len);
		else if (q == VS_EVQ && u[i].len && u[i].len != 4)
			fz_fail(f, "event: used len %u", u[i].len);
	}
}

static const struct fz_dev_ops vs_fz_ops = {
	.num_queues = 3,
	.create = vs_create,
	.action = vs_action,
	.used = vs_used,
};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct vs_fz *v = calloc(1, sizeof(*v));
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	unsigned i;

	if (!v)
		abort();
	snprintf(v->dir, sizeof(v->dir), "/tmp/cellvm-fz-vsock-XXXXXX");
	if (!mkdtemp(v->dir))
		abort();
	snprintf(v->path, sizeof(v->path), "%s/v", v->dir);
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s_1", v->path);
	v->gl = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (v->gl < 0 || bind(v->gl, (struct sockaddr *)&sa, sizeof(sa)) ||
	    listen(v->gl, 16))
		abort();
	for (i = 0; i < VS_CLIENTS; i++)
		v->client[i] = v->acc[i] = -1;
	fz_run(&vs_fz_ops, v, data, size);
	for (i = 0; i < VS_CLIENTS; i++) {
		if (v->client[i] >= 0)
			close(v->client[i]);
		if (v->acc[i] >= 0)
			close(v->acc[i]);
	}
	close(v->gl);
	unlink(sa.sun_path);
	unlink(v->path);
	rmdir(v->dir);
	free(v);
	return 0;
}

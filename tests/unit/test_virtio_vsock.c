// SPDX-License-Identifier: MIT
/*
 * virtio-vsock (virtio 1.2, 5.10) through the shared test driver, three
 * queues, with real Unix sockets in a temporary directory as the host
 * side: both connection directions and the CONNECT/OK handshake, credit
 * both ways, shutdown and reset, hostile headers answered with RST, the
 * connection limit, device reset, the transport-reset event, and the
 * listener's path checks.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <endian.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>
#include <cmocka.h>

#include "dev/virtio_vsock.h"
#include "virtio_drv.h"

#define QSIZE 64
#define RXQ 0
#define TXQ 1
#define EVQ 2
#define HDR 44
#define RXBUF (HDR + 4096)
#define CID 42
#define HOST_CID 2
#define OUR_BUF_ALLOC (128u * 1024)

enum { OP_REQUEST = 1, OP_RESPONSE, OP_RST, OP_SHUTDOWN, OP_RW,
       OP_CREDIT_UPDATE, OP_CREDIT_REQUEST };

struct hdr {
	uint64_t src_cid, dst_cid;
	uint32_t src_port, dst_port, len;
	uint16_t type, op;
	uint32_t flags, buf_alloc, fwd_cnt;
} __attribute__((packed));

struct fx {
	struct drv *d;
	struct virtio_mmio *t;
	char dir[64];
	char path[128];
	uint64_t rxbuf[QSIZE];
	uint16_t rx_seen;
	uint64_t txbuf;
};

static void fill_rx(struct fx *f, unsigned n)
{
	unsigned i;

	for (i = 0; i < n; i++) {
		uint16_t head = f->d->q[RXQ].next_desc % QSIZE;
		struct drv_buf b = { f->rxbuf[head], RXBUF, true };

		drv_chain(f->d, RXQ, &b, 1);
	}
	drv_write(f->d, VIRTIO_MMIO_QUEUE_NOTIFY, RXQ);
}

static void run(struct fx *f, int n)
{
	while (n--)
		assert_int_equal(drv_serve(f->t), 0);
}

static struct hdr mk(uint16_t op, uint32_t src_port, uint32_t dst_port)
{
	struct hdr h = {
		.src_cid = htole64(CID), .dst_cid = htole64(HOST_CID),
		.src_port = htole32(src_port), .dst_port = htole32(dst_port),
		.type = htole16(1), .op = htole16(op),
		.buf_alloc = htole32(OUR_BUF_ALLOC),
	};
	return h;
}

/* The driver sends h and len bytes of payload (one chain). */
static void send_pkt(struct fx *f, const struct hdr *h, const void *p,
		     uint32_t len, uint32_t chain_len)
{
	struct drv_buf b[2] = { { f->txbuf, chain_len < HDR ? chain_len : HDR,
				  false },
				{ f->txbuf + HDR, len, false } };

	memcpy(drv_ptr(f->d, f->txbuf), h, sizeof(*h));
	if (len)
		memcpy(drv_ptr(f->d, f->txbuf + HDR), p, len);
	drv_chain(f->d, TXQ, b, len ? 2 : 1);
	drv_write(f->d, VIRTIO_MMIO_QUEUE_NOTIFY, TXQ);
	run(f, 3);
}

/* The next packet the device put in the rx queue; false if none. */
static bool recv_pkt(struct fx *f, struct hdr *h, uint8_t *payload)
{
	uint32_t id, len;

	if (drv_used_idx(f->d, RXQ) == f->rx_seen)
		return false;
	id = drv_used_id(f->d, RXQ, f->rx_seen);
	len = drv_used_len(f->d, RXQ, f->rx_seen);
	f->rx_seen++;
	assert_true(len >= HDR);
	memcpy(h, drv_ptr(f->d, f->rxbuf[id]), sizeof(*h));
	assert_int_equal(le32toh(h->len), len - HDR);
	assert_int_equal(le64toh(h->src_cid), HOST_CID);
	assert_int_equal(le64toh(h->dst_cid), CID);
	if (payload)
		memcpy(payload, drv_ptr(f->d, f->rxbuf[id] + HDR), len - HDR);
	fill_rx(f, 1);
	return true;
}

static void expect_op(struct fx *f, uint16_t op, struct hdr *out)
{
	struct hdr h;

	assert_true(recv_pkt(f, &h, NULL));
	assert_int_equal(le16toh(h.op), op);
	if (out)
		*out = h;
}

static int host_connect(const char *path)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);

	assert_true(fd >= 0);
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", path);
	assert_int_equal(connect(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	return fd;
}

static ssize_t host_read(int fd, void *buf, size_t n)
{
	return recv(fd, buf, n, MSG_DONTWAIT);
}

static struct virtio_mmio *make(struct drv *d, uint64_t cid, const char *path,
				struct cellvm_err *err, int *ret)
{
	struct virtio_vsock_params p = { .guest_cid = cid, .uds_path = path };
	struct virtio_mmio *t = NULL;

	p.mmio = drv_params(d);
	*ret = virtio_vsock_create(&p, &t, err);
	return t;
}

static int setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));
	struct cellvm_err err = { 0 };
	unsigned i;
	int ret;

	snprintf(f->dir, sizeof(f->dir), "/tmp/cellvm-vsock-XXXXXX");
	assert_non_null(mkdtemp(f->dir));
	snprintf(f->path, sizeof(f->path), "%.60s/v.sock", f->dir);
	f->d = drv_new_ram(8u << 20);
	f->t = make(f->d, CID, f->path, &err, &ret);
	assert_int_equal(ret, 0);
	assert_int_equal(drv_setup(f->d, 3, QSIZE, DRV_FEATURES_DEFAULT) &
				 VIRTIO_STATUS_DRIVER_OK,
			 VIRTIO_STATUS_DRIVER_OK);
	for (i = 0; i < QSIZE; i++)
		f->rxbuf[i] = drv_alloc(f->d, RXBUF);
	f->txbuf = drv_alloc(f->d, HDR + 70000);
	fill_rx(f, 32);
	run(f, 1);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;
	char cmd[200];

	drv_destroy(f->t);
	drv_free(f->d);
	snprintf(cmd, sizeof(cmd), "rm -rf %s", f->dir);
	assert_int_equal(system(cmd), 0);
	free(f);
	return 0;
}

static void test_config(void **state)
{
	struct fx *f = *state;

	assert_int_equal(drv_read(f->d, VIRTIO_MMIO_DEVICE_ID), 19);
	drv_write(f->d, VIRTIO_MMIO_DEVICE_FEATURES_SEL, 0);
	/* VIRTIO_VSOCK_F_STREAM (5.10.3) */
	assert_int_equal(drv_read(f->d, VIRTIO_MMIO_DEVICE_FEATURES) &
				 ~(3u << 28),
			 1u);
	assert_int_equal(drv_readn(f->d, VIRTIO_MMIO_CONFIG, 8), CID);
	drv_write(f->d, VIRTIO_MMIO_QUEUE_SEL, EVQ);
	assert_int_equal(drv_read(f->d, VIRTIO_MMIO_QUEUE_NUM_MAX),
			 VIRTQ_MAX_SIZE);
}

/* Host -> guest: CONNECT, REQUEST, RESPONSE, OK; returns the host fd
 * and the device's local port. */
static int open_from_host(struct fx *f, uint32_t guest_port,
			  uint32_t *local, uint32_t guest_buf)
{
	int fd = host_connect(f->path);
	char line[64];
	struct hdr h, r;
	ssize_t n;

	snprintf(line, sizeof(line), "CONNECT %u\n", guest_port);
	assert_int_equal(write(fd, line, strlen(line)), (ssize_t)strlen(line));
	run(f, 3);
	expect_op(f, OP_REQUEST, &h);
	assert_int_equal(le32toh(h.dst_port), guest_port);
	assert_true(le32toh(h.src_port) >= 1u << 30);
	assert_int_equal(le32toh(h.buf_alloc), OUR_BUF_ALLOC);
	*local = le32toh(h.src_port);
	r = mk(OP_RESPONSE, guest_port, *local);
	r.buf_alloc = htole32(guest_buf);
	send_pkt(f, &r, NULL, 0, HDR);
	n = host_read(fd, line, sizeof(line) - 1);
	assert_true(n > 0);
	line[n] = '\0';
	snprintf((char *)&h, sizeof(h), "OK %u\n", *local);
	assert_string_equal(line, (char *)&h);
	return fd;
}

static void test_host_to_guest(void **state)
{
	struct fx *f = *state;
	uint8_t buf[4096];
	uint32_t local;
	struct hdr h;
	int fd = open_from_host(f, 1234, &local, 65536);

	assert_int_equal(write(fd, "hello", 5), 5);
	run(f, 3);
	assert_true(recv_pkt(f, &h, buf));
	assert_int_equal(le16toh(h.op), OP_RW);
	assert_int_equal(le32toh(h.len), 5);
	assert_memory_equal(buf, "hello", 5);
	h = mk(OP_RW, 1234, local);
	h.len = htole32(5);
	send_pkt(f, &h, "world", 5, HDR);
	assert_int_equal(host_read(fd, buf, sizeof(buf)), 5);
	assert_memory_equal(buf, "world", 5);
	/* host EOF: the guest hears SHUTDOWN(SEND) */
	shutdown(fd, SHUT_WR);
	run(f, 3);
	expect_op(f, OP_SHUTDOWN, &h);
	assert_true(le32toh(h.flags) & 2);
	/* the guest closes: SHUTDOWN both, answered with RST, host EOF */
	h = mk(OP_SHUTDOWN, 1234, local);
	h.flags = htole32(3);
	send_pkt(f, &h, NULL, 0, HDR);
	expect_op(f, OP_RST, NULL);
	assert_int_equal(host_read(fd, buf, sizeof(buf)), 0);
	close(fd);
}

static void test_bad_handshake(void **state)
{
	static const char *const lines[] = { "CONNECT\n", "CONNECT x1\n",
					     "connect 5\n",
					     "CONNECT 99999999999\n",
					     "CONNECT 1234567890123456789012345678901234567890" };
	struct fx *f = *state;
	struct hdr h;
	char buf[8];
	unsigned i;

	for (i = 0; i < sizeof(lines) / sizeof(lines[0]); i++) {
		int fd = host_connect(f->path);

		ssize_t r;

		assert_true(write(fd, lines[i], strlen(lines[i])) > 0);
		run(f, 3);
		/* closed: EOF, or a reset when bytes were left unread */
		r = host_read(fd, buf, sizeof(buf));
		assert_true(r == 0 || (r < 0 && errno == ECONNRESET));
		close(fd);
	}
	assert_false(recv_pkt(f, &h, NULL));
}

static void test_guest_to_host(void **state)
{
	struct fx *f = *state;
	char lpath[100];
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	uint8_t buf[64];
	struct hdr h;
	int l, c;

	/* nobody listens yet: RST */
	h = mk(OP_REQUEST, 777, 5000);
	send_pkt(f, &h, NULL, 0, HDR);
	expect_op(f, OP_RST, &h);
	assert_int_equal(le32toh(h.src_port), 5000);
	assert_int_equal(le32toh(h.dst_port), 777);

	snprintf(lpath, sizeof(lpath), "%.80s_5000", f->path);
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", lpath);
	l = socket(AF_UNIX, SOCK_STREAM, 0);
	assert_int_equal(bind(l, (struct sockaddr *)&sa, sizeof(sa)), 0);
	assert_int_equal(listen(l, 4), 0);
	h = mk(OP_REQUEST, 777, 5000);
	send_pkt(f, &h, NULL, 0, HDR);
	expect_op(f, OP_RESPONSE, NULL);
	c = accept(l, NULL, NULL);
	assert_true(c >= 0);
	h = mk(OP_RW, 777, 5000);
	h.len = htole32(4);
	send_pkt(f, &h, "ping", 4, HDR);
	assert_int_equal(host_read(c, buf, sizeof(buf)), 4);
	assert_memory_equal(buf, "ping", 4);
	assert_int_equal(write(c, "pong", 4), 4);
	run(f, 3);
	assert_true(recv_pkt(f, &h, buf));
	assert_int_equal(le16toh(h.op), OP_RW);
	assert_memory_equal(buf, "pong", 4);
	/* the guest resets: the host sees the stream end */
	h = mk(OP_RST, 777, 5000);
	send_pkt(f, &h, NULL, 0, HDR);
	assert_int_equal(host_read(c, buf, sizeof(buf)), 0);
	assert_false(recv_pkt(f, &h, NULL));
	close(c);
	/* a host peer gone: the device's write is EPIPE (never SIGPIPE,
	 * which would end this process) and the guest gets RST */
	h = mk(OP_REQUEST, 778, 5000);
	send_pkt(f, &h, NULL, 0, HDR);
	expect_op(f, OP_RESPONSE, NULL);
	c = accept(l, NULL, NULL);
	assert_true(c >= 0);
	close(c);
	h = mk(OP_RW, 778, 5000);
	h.len = htole32(4);
	send_pkt(f, &h, "lost", 4, HDR);
	expect_op(f, OP_RST, NULL);
	close(l);
}

/* The device reads from the host only as far as the guest's credit. */
static void test_credit_to_guest(void **state)
{
	struct fx *f = *state;
	uint8_t big[1000], buf[4096];
	uint32_t local, got = 0;
	struct hdr h;
	int fd = open_from_host(f, 99, &local, 300);

	memset(big, 'x', sizeof(big));
	assert_int_equal(write(fd, big, sizeof(big)), (ssize_t)sizeof(big));
	run(f, 3);
	while (recv_pkt(f, &h, buf)) {
		assert_int_equal(le16toh(h.op), OP_RW);
		got += le32toh(h.len);
	}
	assert_int_equal(got, 300);
	/* the guest consumed 300: 300 more */
	h = mk(OP_CREDIT_UPDATE, 99, local);
	h.buf_alloc = htole32(300);
	h.fwd_cnt = htole32(300);
	send_pkt(f, &h, NULL, 0, HDR);
	run(f, 3);
	while (recv_pkt(f, &h, buf))
		got += le32toh(h.len);
	assert_int_equal(got, 600);
	/* CREDIT_REQUEST is answered with our credit */
	h = mk(OP_CREDIT_REQUEST, 99, local);
	h.buf_alloc = htole32(300);
	h.fwd_cnt = htole32(300);
	send_pkt(f, &h, NULL, 0, HDR);
	expect_op(f, OP_CREDIT_UPDATE, &h);
	assert_int_equal(le32toh(h.buf_alloc), OUR_BUF_ALLOC);
	close(fd);
}

/* A host peer that does not read: the guest may fill our buffer, and
 * a guest sending beyond that credit is reset; memory stays bounded. */
static void test_credit_from_guest(void **state)
{
	struct fx *f = *state;
	static uint8_t chunk[65536];
	uint32_t local, sent = 0;
	struct hdr h;
	int one = 4096, fd2, fd = open_from_host(f, 7, &local, 65536);
	uint32_t local2;
	bool reset = false;
	char buf[16];

	setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &one, sizeof(one));
	fd2 = open_from_host(f, 8, &local2, 65536);
	/* fill the host socket and our buffer */
	while (sent < 8u * 65536 && !reset) {
		h = mk(OP_RW, 7, local);
		h.len = htole32(sizeof(chunk));
		send_pkt(f, &h, chunk, sizeof(chunk), HDR);
		sent += sizeof(chunk);
		/* credit updates while the socket took some, then RST */
		while (!reset && recv_pkt(f, &h, NULL))
			reset = le16toh(h.op) == OP_RST;
	}
	assert_true(reset);
	/* it was reset when it overran 128 KiB plus what the socket took */
	assert_true(sent < 8u * 65536);
	/* the other connection still flows */
	h = mk(OP_RW, 8, local2);
	h.len = htole32(2);
	send_pkt(f, &h, "ok", 2, HDR);
	assert_int_equal(host_read(fd2, buf, sizeof(buf)), 2);
	close(fd);
	close(fd2);
}

/* Hostile headers: RST to the sender, and a short one dropped. */
static void test_hostile(void **state)
{
	struct fx *f = *state;
	struct {
		struct hdr h;
		uint32_t len, chain;
	} cases[] = {
		{ mk(OP_RW, 1, 2), 10, HDR }, /* len beyond the chain */
		{ mk(9, 1, 2), 0, HDR }, /* unknown op */
		{ mk(0, 1, 2), 0, HDR }, /* INVALID */
		{ mk(OP_REQUEST, 1, 2), 0, HDR }, /* type, below */
		{ mk(OP_REQUEST, 1, 2), 0, HDR }, /* src CID, below */
		{ mk(OP_REQUEST, 1, 2), 0, HDR }, /* dst CID, below */
		{ mk(OP_RW, 1, 2), 0, HDR }, /* RW on no connection */
		{ mk(OP_RW, 1, 2), 70000, HDR }, /* len too large */
	};
	static uint8_t zero[70000];
	struct hdr h;
	unsigned i;

	cases[3].h.type = htole16(2);
	cases[4].h.src_cid = htole64(CID + 1);
	cases[5].h.dst_cid = htole64(7);
	cases[7].h.len = htole32(70000);
	cases[0].h.len = htole32(100);
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		send_pkt(f, &cases[i].h, zero, cases[i].len, cases[i].chain);
		expect_op(f, OP_RST, &h);
		assert_int_equal(le32toh(h.dst_port), 1);
		assert_false(recv_pkt(f, &h, NULL));
	}
	/* a RST is never answered */
	h = mk(OP_RST, 1, 2);
	h.op = htole16(OP_RST);
	h.src_cid = htole64(1);
	send_pkt(f, &h, NULL, 0, HDR);
	assert_false(recv_pkt(f, &h, NULL));
	/* shorter than a header: dropped */
	send_pkt(f, &cases[1].h, NULL, 0, 20);
	assert_false(recv_pkt(f, &h, NULL));
	assert_int_equal(drv_used_idx(f->d, TXQ), 10);
	assert_true(f->d->log_lines > 0);
}

/* Receive buffers too small for a header are returned empty; a good
 * one after them still gets the packet. */
static void test_small_rx(void **state)
{
	struct fx *f = *state;
	struct drv *d = drv_new_ram(1u << 20);
	struct cellvm_err err = { 0 };
	struct virtio_mmio *t;
	char path[128];
	uint64_t small, good;
	struct hdr h;
	unsigned i;
	int ret, fd;

	snprintf(path, sizeof(path), "%.60s/w.sock", f->dir);
	t = make(d, CID, path, &err, &ret);
	assert_int_equal(ret, 0);
	drv_setup(d, 3, QSIZE, DRV_FEATURES_DEFAULT);
	small = drv_alloc(d, 16);
	good = drv_alloc(d, RXBUF);
	for (i = 0; i < 8; i++)
		drv_chain(d, RXQ, (struct drv_buf[]){ { small, 16, true } }, 1);
	drv_chain(d, RXQ, (struct drv_buf[]){ { good, RXBUF, true } }, 1);
	fd = host_connect(path);
	assert_int_equal(write(fd, "CONNECT 9\n", 10), 10);
	for (i = 0; i < 4; i++)
		assert_int_equal(drv_serve(t), 0);
	assert_int_equal(drv_used_idx(d, RXQ), 9);
	for (i = 0; i < 8; i++)
		assert_int_equal(drv_used_len(d, RXQ, (uint16_t)i), 0);
	assert_int_equal(drv_used_len(d, RXQ, 8), HDR);
	memcpy(&h, drv_ptr(d, good), sizeof(h));
	assert_int_equal(le16toh(h.op), OP_REQUEST);
	assert_true(d->log_lines > 0);
	close(fd);
	drv_destroy(t);
	drv_free(d);
}

static long long ms_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000LL + ts.tv_nsec / 1000000;
}

/* Out of fds, accept4() fails: the listener leaves the epoll set (the
 * worker would spin on it) until a connection closes. */
static void test_accept_emfile(void **state)
{
	struct fx *f = *state;
	struct rlimit old, low;
	long long t0;
	int fd, spare;

	spare = dup(0);
	assert_true(spare >= 0);
	close(spare);
	assert_int_equal(getrlimit(RLIMIT_NOFILE, &old), 0);
	low = old;
	low.rlim_cur = (rlim_t)spare + 1; /* room for the client only */
	assert_int_equal(setrlimit(RLIMIT_NOFILE, &low), 0);
	fd = host_connect(f->path);
	run(f, 1);
	t0 = ms_now();
	assert_int_equal(virtio_mmio_run_once(f->t, 300), 0);
	assert_true(ms_now() - t0 >= 250);
	assert_int_equal(setrlimit(RLIMIT_NOFILE, &old), 0);
	assert_true(f->d->log_lines > 0);
	close(fd);
}

/* At most VIRTIO_VSOCK_MAX_CONNS; the next host connection is closed. */
static void test_conn_limit(void **state)
{
	struct fx *f = *state;
	int fds[VIRTIO_VSOCK_MAX_CONNS + 1];
	struct hdr h;
	char buf[4];
	unsigned i;

	for (i = 0; i <= VIRTIO_VSOCK_MAX_CONNS; i++) {
		fds[i] = host_connect(f->path);
		run(f, 2);
	}
	assert_int_equal(host_read(fds[VIRTIO_VSOCK_MAX_CONNS], buf, 4), 0);
	assert_int_equal(host_read(fds[0], buf, 4), -1);
	/* a guest connection beyond the limit: RST */
	h = mk(OP_REQUEST, 1, 5);
	send_pkt(f, &h, NULL, 0, HDR);
	expect_op(f, OP_RST, NULL);
	for (i = 0; i <= VIRTIO_VSOCK_MAX_CONNS; i++)
		close(fds[i]);
}

/* A device reset ends every connection; a transport reset too, and
 * the driver gets the event. The listener stays. */
static void test_resets(void **state)
{
	struct fx *f = *state;
	uint64_t ev = drv_alloc(f->d, 8);
	struct drv_buf b = { ev, 4, true };
	uint32_t local;
	char buf[8];
	int fd = open_from_host(f, 5, &local, 4096);

	virtio_vsock_transport_reset(f->t);
	run(f, 2);
	assert_int_equal(host_read(fd, buf, sizeof(buf)), 0);
	close(fd);
	memset(drv_ptr(f->d, ev), 0xff, 4);
	drv_chain(f->d, EVQ, &b, 1);
	drv_write(f->d, VIRTIO_MMIO_QUEUE_NOTIFY, EVQ);
	run(f, 2);
	assert_int_equal(drv_used_idx(f->d, EVQ), 1);
	assert_int_equal(drv_used_len(f->d, EVQ, 0), 4);
	assert_int_equal(drv_get32(f->d, ev), 0); /* TRANSPORT_RESET */

	fd = open_from_host(f, 6, &local, 4096);
	drv_write(f->d, VIRTIO_MMIO_STATUS, 0);
	/* closed by the worker (the vCPU's filter has no close) */
	assert_int_equal(host_read(fd, buf, sizeof(buf)), -1);
	run(f, 1);
	assert_int_equal(host_read(fd, buf, sizeof(buf)), 0);
	close(fd);
	/* the listener survives: a new connection is accepted */
	fd = host_connect(f->path);
	close(fd);
}

static void test_listen_errors(void **state)
{
	struct cellvm_err err = { 0 };
	struct drv *d = drv_new();
	char dir[] = "/tmp/cellvm-vsock-XXXXXX", p[300];
	int ret, fd;

	(void)state;
	assert_non_null(mkdtemp(dir));
	assert_null(make(d, 2, "/tmp/x", &err, &ret));
	assert_int_equal(err.cat, CELLVM_E_USAGE);
	memset(&err, 0, sizeof(err));
	snprintf(p, sizeof(p), "%s/nodir/v.sock", dir);
	assert_int_equal(virtio_vsock_listen(p, &err), -ENOENT);
	assert_int_equal(err.cat, CELLVM_E_IO);
	memset(&err, 0, sizeof(err));
	memset(p, 'a', 100);
	p[100] = '\0';
	assert_int_equal(virtio_vsock_listen(p, &err), -ENAMETOOLONG);
	assert_int_equal(err.cat, CELLVM_E_USAGE);
	snprintf(p, sizeof(p), "%s/file", dir);
	fd = open(p, O_CREAT | O_WRONLY, 0600);
	close(fd);
	memset(&err, 0, sizeof(err));
	assert_int_equal(virtio_vsock_listen(p, &err), -EEXIST);
	assert_int_equal(err.cat, CELLVM_E_IO);
	unlink(p);
	/* a live listener is refused, a stale socket replaced */
	snprintf(p, sizeof(p), "%s/s", dir);
	fd = virtio_vsock_listen(p, &err);
	assert_true(fd >= 0);
	assert_int_equal(virtio_vsock_listen(p, &err), -EADDRINUSE);
	close(fd);
	fd = virtio_vsock_listen(p, &err);
	assert_true(fd >= 0);
	close(fd);
	unlink(p);
	rmdir(dir);
	drv_free(d);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_config, setup, teardown),
		cmocka_unit_test_setup_teardown(test_host_to_guest, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_bad_handshake, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_guest_to_host, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_credit_to_guest, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_credit_from_guest, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_hostile, setup, teardown),
		cmocka_unit_test_setup_teardown(test_small_rx, setup, teardown),
		cmocka_unit_test_setup_teardown(test_accept_emfile, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_conn_limit, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_resets, setup, teardown),
		cmocka_unit_test(test_listen_errors),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

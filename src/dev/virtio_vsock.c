// SPDX-License-Identifier: MIT
/*
 * virtio-vsock: virtio 1.2, "5.10 Socket Device", with Firecracker's
 * host-side model (its docs/vsock.md): the host end of every connection
 * is a Unix stream socket.
 *
 *   host -> guest: a host program connects to the listener at PATH and
 *     writes "CONNECT <port>\n"; the device sends the guest a REQUEST
 *     from CID 2 and a local port of its own, and on the guest's
 *     RESPONSE answers "OK <local port>\n" and relays the stream.
 *   guest -> host: a guest REQUEST to CID 2 port P is a connect() to the
 *     Unix listener at PATH_P; RESPONSE on success, RST otherwise.
 *
 * Emulated: rx (queue 0), tx (queue 1) and event (queue 2) queues
 * (5.10.2); VIRTIO_VSOCK_F_STREAM; config guest_cid (5.10.4); ops
 * REQUEST, RESPONSE, RST, SHUTDOWN, RW, CREDIT_UPDATE, CREDIT_REQUEST
 * (5.10.6); credit-based flow control both ways (5.10.6.3): the device
 * reads a host socket only as far as the guest's buf_alloc - (tx_cnt -
 * fwd_cnt) allows, so bytes from the host are never buffered, and takes
 * from the guest at most VSOCK_BUF_ALLOC bytes per connection (its own
 * buf_alloc) until the host socket drains them. A guest overrunning
 * that credit is reset. VIRTIO_VSOCK_EVENT_TRANSPORT_RESET (5.10.6.6) is
 * sent by virtio_vsock_transport_reset().
 * Not emulated: SEQPACKET (5.10.6.4), connection timeouts (a guest that
 * never answers a REQUEST holds that host connection until the guest
 * resets it, the device resets, or the host closes it).
 *
 * Hostile packets (a header shorter than 44 bytes is dropped; a bad
 * length, an unknown op or type, a source CID other than the guest's or a
 * destination other than 2) are answered with RST and a rate-limited log
 * line. At most VSOCK_MAX_CONNS connections at once; more are refused
 * (host: closed at once; guest: RST).
 *
 * The worker thread polls one epoll fd holding the listener and every
 * connection's socket, and does all its work with the transport lock
 * held (host sockets are non-blocking), so a device reset (Status 0,
 * written under that lock by a vCPU) closes the connections in between.
 *
 * Device tree node: the transport's (see virtio_mmio.c).
 */
#include <endian.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "dev/virtio_devices.h"
#include "dev/virtio_vsock.h"

#define VSOCK_SUBSYS "virtio-vsock"
#define VIRTIO_ID_VSOCK 19 /* 5 Device Types */
#define VSOCK_RXQ 0
#define VSOCK_TXQ 1
#define VSOCK_EVQ 2

/* 5.10.3 Feature bits */
#define VIRTIO_VSOCK_F_STREAM 0

#define VSOCK_HOST_CID 2ull

/* 5.10.6 Device Operation: the packet header, little-endian */
struct vsock_hdr {
	uint64_t src_cid;
	uint64_t dst_cid;
	uint32_t src_port;
	uint32_t dst_port;
	uint32_t len;
	uint16_t type;
	uint16_t op;
	uint32_t flags;
	uint32_t buf_alloc;
	uint32_t fwd_cnt;
} __attribute__((packed));
_Static_assert(sizeof(struct vsock_hdr) == 44, "5.10.6 layout");

#define VSOCK_TYPE_STREAM 1
enum vsock_op {
	VSOCK_OP_INVALID,
	VSOCK_OP_REQUEST,
	VSOCK_OP_RESPONSE,
	VSOCK_OP_RST,
	VSOCK_OP_SHUTDOWN,
	VSOCK_OP_RW,
	VSOCK_OP_CREDIT_UPDATE,
	VSOCK_OP_CREDIT_REQUEST,
};
#define VSOCK_SHUTDOWN_RCV 1u
#define VSOCK_SHUTDOWN_SEND 2u
#define VSOCK_SHUTDOWN_BOTH (VSOCK_SHUTDOWN_RCV | VSOCK_SHUTDOWN_SEND)
/* 5.10.6.6 Device Events */
#define VSOCK_EVENT_TRANSPORT_RESET 0u

#define VSOCK_MAX_CONNS VIRTIO_VSOCK_MAX_CONNS
/* Our buf_alloc: guest bytes held per connection until the host reads. */
#define VSOCK_BUF_ALLOC (128u * 1024)
/* Largest payload taken in one packet either way (Linux's own limit). */
#define VSOCK_MAX_PKT (64u * 1024)
#define VSOCK_BUDGET 64
#define VSOCK_RST_QUEUE 64
#define VSOCK_LINE_MAX 32 /* "CONNECT 4294967295\n" and a margin */
#define VSOCK_LOCAL_PORT_BASE (1u << 30) /* host-initiated local ports */
#define VSOCK_EP_LISTENER UINT64_MAX
#define VSOCK_EP_EVENTS 16

enum conn_state {
	CONN_FREE,
	CONN_HOST_LINE, /* accepted; reading "CONNECT <port>\n" */
	CONN_HOST_REQUEST, /* REQUEST to send / sent; awaiting RESPONSE */
	CONN_ESTABLISHED,
};

/* Control packets a connection owes the guest. */
#define CTL_REQUEST 1u
#define CTL_RESPONSE 2u
#define CTL_SHUTDOWN 4u
#define CTL_CREDIT 8u

struct vsock_conn {
	enum conn_state state;
	int fd;
	uint32_t host_port, guest_port;
	/* host -> guest: the guest's credit (5.10.6.3) */
	uint32_t peer_buf_alloc, peer_fwd_cnt, tx_cnt;
	/* guest -> host: bytes taken, bytes the host socket took, the
	 * fwd_cnt last told the guest, and the ring between them */
	uint32_t rx_cnt, fwd_cnt, fwd_sent;
	uint8_t *buf;
	uint32_t head, len;
	char reply[VSOCK_LINE_MAX]; /* "OK <port>\n" still to write */
	unsigned reply_len, reply_off;
	unsigned ctl; /* CTL_* */
	uint32_t shut_flags; /* of the SHUTDOWN to send */
	bool host_eof, host_hup, host_wr_shut;
	bool guest_shut_send, guest_shut_rcv;
	uint32_t ep_mask;
	bool in_ep;
	char line[VSOCK_LINE_MAX];
	unsigned line_len;
};

struct vsock_rst {
	uint32_t host_port, guest_port;
};

struct virtio_vsock {
	struct virtio_mmio *t;
	uint64_t cid;
	char path[sizeof(((struct sockaddr_un *)0)->sun_path)];
	int listen_fd;
	bool own_listen;
	/* accept4() failed (out of fds): the listener is out of the epoll
	 * set, or it would spin, until a connection closes. */
	bool listen_paused;
	int ep;
	/* Everything below: worker (or reset) with the transport lock. */
	struct vsock_conn conn[VSOCK_MAX_CONNS];
	unsigned nconns;
	uint32_t next_port;
	struct vsock_rst rst[VSOCK_RST_QUEUE];
	unsigned nrst;
	bool rx_starved;
	bool event_pending;
	/* A device reset not yet acted on: the worker closes the
	 * connections (a vCPU thread's filter allows no close). */
	bool reset_pending;
	struct cellvm_ratelimit rl;
	struct virtq_chain chain;
	uint8_t scratch[VSOCK_MAX_PKT];
};

static void vsock_warn_pkt(struct virtio_vsock *v, const char *why,
			   const struct vsock_hdr *h)
{
	virtio_mmio_warn(v->t, &v->rl,
			 "%s: op %u type %u %llu:%u -> %llu:%u len %u, answered with RST",
			 why, le16toh(h->op), le16toh(h->type),
			 (unsigned long long)le64toh(h->src_cid),
			 le32toh(h->src_port),
			 (unsigned long long)le64toh(h->dst_cid),
			 le32toh(h->dst_port), le32toh(h->len));
}

/* ---- connections ---- */

static struct vsock_conn *conn_find(struct virtio_vsock *v, uint32_t host_port,
				    uint32_t guest_port)
{
	unsigned i;

	for (i = 0; i < VSOCK_MAX_CONNS; i++) {
		struct vsock_conn *c = &v->conn[i];

		if (c->state != CONN_FREE && c->host_port == host_port &&
		    c->guest_port == guest_port)
			return c;
	}
	return NULL;
}

static struct vsock_conn *conn_new(struct virtio_vsock *v, int fd)
{
	unsigned i;

	for (i = 0; i < VSOCK_MAX_CONNS; i++) {
		struct vsock_conn *c = &v->conn[i];

		if (c->state != CONN_FREE)
			continue;
		memset(c, 0, sizeof(*c));
		c->fd = fd;
		v->nconns++;
		return c;
	}
	return NULL;
}

/* The guest's credit left for this connection (5.10.6.3); a guest
 * claiming more bytes forwarded than were sent gets none. */
static uint32_t peer_free(const struct vsock_conn *c)
{
	uint32_t inflight = c->tx_cnt - c->peer_fwd_cnt;

	return inflight > c->peer_buf_alloc ? 0 : c->peer_buf_alloc - inflight;
}

/* Close the host socket (its peer sees EOF or a reset) and free the
 * slot; with rst, the guest is told so. */
static void conn_close(struct virtio_vsock *v, struct vsock_conn *c, bool rst)
{
	if (rst && c->state != CONN_HOST_LINE) {
		if (v->nrst < VSOCK_RST_QUEUE)
			v->rst[v->nrst++] = (struct vsock_rst){ c->host_port,
								c->guest_port };
		else
			virtio_mmio_warn(v->t, &v->rl, "RST queue full, dropped");
	}
	if (c->in_ep)
		epoll_ctl(v->ep, EPOLL_CTL_DEL, c->fd, NULL);
	close(c->fd);
	free(c->buf);
	memset(c, 0, sizeof(*c));
	c->state = CONN_FREE;
	v->nconns--;
	if (v->listen_paused) {
		struct epoll_event ev = { .events = EPOLLIN,
					  .data.u64 = VSOCK_EP_LISTENER };

		if (epoll_ctl(v->ep, EPOLL_CTL_ADD, v->listen_fd, &ev) == 0)
			v->listen_paused = false;
	}
}

/* What to wait for on the host socket; EPOLLHUP alone would spin. */
static uint32_t conn_mask(const struct virtio_vsock *v,
			  const struct vsock_conn *c)
{
	uint32_t m = 0;

	if (c->state == CONN_HOST_LINE)
		m |= EPOLLIN;
	if (c->state == CONN_ESTABLISHED && !c->host_eof &&
	    !c->guest_shut_rcv && !v->rx_starved && peer_free(c))
		m |= EPOLLIN;
	if (c->reply_len > c->reply_off || c->len)
		m |= EPOLLOUT;
	return m;
}

static void conn_watch(struct virtio_vsock *v, struct vsock_conn *c)
{
	struct epoll_event ev = { .data.u64 = (uint64_t)(c - v->conn) };
	uint32_t m = conn_mask(v, c);

	ev.events = m;
	if (!m && c->host_hup) {
		if (c->in_ep)
			epoll_ctl(v->ep, EPOLL_CTL_DEL, c->fd, NULL);
		c->in_ep = false;
		return;
	}
	if (c->in_ep && m == c->ep_mask)
		return;
	if (epoll_ctl(v->ep, c->in_ep ? EPOLL_CTL_MOD : EPOLL_CTL_ADD, c->fd,
		      &ev) == 0) {
		c->in_ep = true;
		c->ep_mask = m;
	}
}

static void watch_all(struct virtio_vsock *v)
{
	unsigned i;

	for (i = 0; i < VSOCK_MAX_CONNS; i++)
		if (v->conn[i].state != CONN_FREE)
			conn_watch(v, &v->conn[i]);
}

/* ---- guest -> host bytes ---- */

/* Both ways done and nothing left to write: the connection ends. */
static void conn_check_done(struct virtio_vsock *v, struct vsock_conn *c)
{
	if (c->state != CONN_ESTABLISHED || c->len)
		return;
	if (c->guest_shut_send && !c->host_wr_shut) {
		shutdown(c->fd, SHUT_WR);
		c->host_wr_shut = true;
	}
	if (c->guest_shut_send && c->host_eof)
		conn_close(v, c, true);
}

/* Write what the host socket takes: the OK line, then the ring. send()
 * with MSG_NOSIGNAL: a host peer gone is EPIPE, never a SIGPIPE that
 * would kill a process which did not ignore it. */
static void conn_flush(struct virtio_vsock *v, struct vsock_conn *c)
{
	ssize_t r;

	while (c->reply_off < c->reply_len) {
		r = send(c->fd, c->reply + c->reply_off,
			 c->reply_len - c->reply_off, MSG_NOSIGNAL);
		if (r <= 0)
			goto stalled;
		c->reply_off += (unsigned)r;
	}
	while (c->len) {
		uint32_t n = VSOCK_BUF_ALLOC - c->head;

		n = n < c->len ? n : c->len;
		r = send(c->fd, c->buf + c->head, n, MSG_NOSIGNAL);
		if (r <= 0)
			goto stalled;
		c->head = (c->head + (uint32_t)r) % VSOCK_BUF_ALLOC;
		c->len -= (uint32_t)r;
		c->fwd_cnt += (uint32_t)r;
	}
	/* The guest sends nothing without credit: once it believes less
	 * than half of our buffer free, tell it what the host took. Every
	 * packet to the guest carries fwd_cnt as well. */
	if (c->rx_cnt - c->fwd_sent > VSOCK_BUF_ALLOC / 2 &&
	    c->fwd_cnt != c->fwd_sent)
		c->ctl |= CTL_CREDIT;
	conn_check_done(v, c);
	return;
stalled:
	if (r < 0 && (errno == EAGAIN || errno == EINTR))
		return;
	/* The host end is gone (EPIPE, ECONNRESET): so is the stream. */
	conn_close(v, c, true);
}

/* A RW packet's payload into the ring; false: more than our credit. */
static bool conn_take(struct vsock_conn *c, const struct virtq_chain *ch,
		      uint32_t len)
{
	uint32_t tail, first;

	if (len > VSOCK_BUF_ALLOC - c->len)
		return false;
	if (!c->buf) {
		c->buf = malloc(VSOCK_BUF_ALLOC);
		if (!c->buf)
			return false;
	}
	tail = (c->head + c->len) % VSOCK_BUF_ALLOC;
	first = VSOCK_BUF_ALLOC - tail < len ? VSOCK_BUF_ALLOC - tail : len;
	if (virtq_chain_read(ch, sizeof(struct vsock_hdr), c->buf + tail,
			     first) ||
	    virtq_chain_read(ch, sizeof(struct vsock_hdr) + first, c->buf,
			     len - first))
		return false;
	c->len += len;
	c->rx_cnt += len;
	return true;
}

/* ---- packets to the guest (rx queue) ---- */

static void hdr_fill(const struct virtio_vsock *v, struct vsock_hdr *h,
		     uint32_t host_port, uint32_t guest_port, uint16_t op)
{
	memset(h, 0, sizeof(*h));
	h->src_cid = htole64(VSOCK_HOST_CID);
	h->dst_cid = htole64(v->cid);
	h->src_port = htole32(host_port);
	h->dst_port = htole32(guest_port);
	h->type = htole16(VSOCK_TYPE_STREAM);
	h->op = htole16(op);
}

static void hdr_credit(struct vsock_conn *c, struct vsock_hdr *h)
{
	h->buf_alloc = htole32(VSOCK_BUF_ALLOC);
	h->fwd_cnt = htole32(c->fwd_cnt);
	c->fwd_sent = c->fwd_cnt;
}

/* Under the lock: the next rx chain able to hold a header, or false
 * (the device is rx-starved and asked to be notified). A queue's worth
 * of useless buffers at most per call, however fast they come. */
static bool rx_pop(struct virtio_vsock *v, uint32_t *gen)
{
	unsigned n;

	for (n = 0; n < VIRTQ_MAX_SIZE; n++) {
		if (virtio_mmio_pop(v->t, VSOCK_RXQ, &v->chain, gen) == 0) {
			if (virtio_mmio_enable_notify(v->t, VSOCK_RXQ))
				continue;
			v->rx_starved = true;
			return false;
		}
		if (v->chain.in_len >= sizeof(struct vsock_hdr) + 1)
			return true;
		virtio_mmio_warn(v->t, &v->rl, "rx buffer of %u bytes too small",
				 v->chain.in_len);
		virtio_mmio_push(v->t, VSOCK_RXQ, v->chain.head, 0, *gen);
	}
	return false;
}

/* One header-only packet; false when the guest has no buffer. */
static bool send_ctl(struct virtio_vsock *v, const struct vsock_hdr *h)
{
	uint32_t gen, len = sizeof(*h);

	if (!rx_pop(v, &gen))
		return false;
	if (virtq_chain_write(&v->chain, 0, h, sizeof(*h)))
		len = 0;
	virtio_mmio_push(v->t, VSOCK_RXQ, v->chain.head, len, gen);
	return true;
}

/* The connection's owed control packets; false when out of buffers. */
static bool conn_send_ctl(struct virtio_vsock *v, struct vsock_conn *c)
{
	static const struct {
		unsigned bit;
		uint16_t op;
	} order[] = {
		{ CTL_REQUEST, VSOCK_OP_REQUEST },
		{ CTL_RESPONSE, VSOCK_OP_RESPONSE },
		{ CTL_CREDIT, VSOCK_OP_CREDIT_UPDATE },
		{ CTL_SHUTDOWN, VSOCK_OP_SHUTDOWN },
	};
	struct vsock_hdr h;
	unsigned i;

	for (i = 0; i < sizeof(order) / sizeof(order[0]); i++) {
		if (!(c->ctl & order[i].bit))
			continue;
		hdr_fill(v, &h, c->host_port, c->guest_port, order[i].op);
		hdr_credit(c, &h);
		if (order[i].bit == CTL_SHUTDOWN)
			h.flags = htole32(c->shut_flags);
		if (!send_ctl(v, &h))
			return false;
		c->ctl &= ~order[i].bit;
	}
	return true;
}

/* The host closed its writing side (or all of it). */
static void conn_host_eof(struct vsock_conn *c)
{
	c->host_eof = true;
	c->shut_flags = VSOCK_SHUTDOWN_SEND |
			(c->host_hup ? VSOCK_SHUTDOWN_RCV : 0);
	c->ctl |= CTL_SHUTDOWN;
}

/*
 * One RW packet of host bytes, as many as the guest's credit and buffer
 * allow. 1 sent, 0 nothing to send now, -1 out of rx buffers.
 */
static int conn_send_data(struct virtio_vsock *v, struct vsock_conn *c)
{
	uint32_t room = peer_free(c), gen;
	struct vsock_hdr h;
	ssize_t r;

	if (c->state != CONN_ESTABLISHED || c->host_eof || c->guest_shut_rcv ||
	    !room)
		return 0;
	if (!rx_pop(v, &gen))
		return -1;
	if (room > v->chain.in_len - sizeof(h))
		room = v->chain.in_len - (uint32_t)sizeof(h);
	if (room > VSOCK_MAX_PKT)
		room = VSOCK_MAX_PKT;
	do
		r = read(c->fd, v->scratch, room);
	while (r < 0 && errno == EINTR);
	if (r <= 0) {
		virtio_mmio_unpop(v->t, VSOCK_RXQ);
		if (r == 0)
			conn_host_eof(c);
		else if (errno != EAGAIN)
			conn_close(v, c, true);
		return 0;
	}
	hdr_fill(v, &h, c->host_port, c->guest_port, VSOCK_OP_RW);
	hdr_credit(c, &h);
	h.len = htole32((uint32_t)r);
	if (virtq_chain_write(&v->chain, 0, &h, sizeof(h)) ||
	    virtq_chain_write(&v->chain, sizeof(h), v->scratch, (size_t)r))
		r = 0; /* the buffer left RAM: the bytes are lost */
	virtio_mmio_push(v->t, VSOCK_RXQ, v->chain.head,
			 (uint32_t)(sizeof(h) + (size_t)r), gen);
	c->tx_cnt += (uint32_t)r;
	return 1;
}

static bool send_event(struct virtio_vsock *v)
{
	uint32_t id = htole32(VSOCK_EVENT_TRANSPORT_RESET), gen, len = 4;

	if (virtio_mmio_pop(v->t, VSOCK_EVQ, &v->chain, &gen) == 0) {
		virtio_mmio_enable_notify(v->t, VSOCK_EVQ);
		return false;
	}
	if (virtq_chain_write(&v->chain, 0, &id, sizeof(id)))
		len = 0;
	virtio_mmio_push(v->t, VSOCK_EVQ, v->chain.head, len, gen);
	return true;
}

/* Everything owed to the guest: events, RSTs, control, then data, one
 * packet per connection per round so none starves the others. */
static void pump_rx(struct virtio_vsock *v)
{
	struct vsock_hdr h;
	unsigned i, round;
	bool sent;

	if (v->event_pending && send_event(v))
		v->event_pending = false;
	v->rx_starved = false;
	while (v->nrst) {
		hdr_fill(v, &h, v->rst[0].host_port, v->rst[0].guest_port,
			 VSOCK_OP_RST);
		if (!send_ctl(v, &h))
			return;
		memmove(v->rst, v->rst + 1, --v->nrst * sizeof(v->rst[0]));
	}
	for (i = 0; i < VSOCK_MAX_CONNS; i++)
		if (v->conn[i].state != CONN_FREE &&
		    !conn_send_ctl(v, &v->conn[i]))
			return;
	for (round = 0, sent = true; sent && round < VSOCK_BUDGET; round++) {
		sent = false;
		for (i = 0; i < VSOCK_MAX_CONNS; i++) {
			struct vsock_conn *c = &v->conn[i];
			int r = conn_send_data(v, c);

			if (r < 0)
				return;
			sent |= r > 0;
			/* An EOF just seen owes a SHUTDOWN. */
			if (c->state != CONN_FREE && c->ctl &&
			    !conn_send_ctl(v, c))
				return;
		}
	}
}

/* ---- packets from the guest (tx queue) ---- */

/* Guest -> host: connect to PATH_<port>. */
static void guest_connect(struct virtio_vsock *v, const struct vsock_hdr *h)
{
	uint32_t port = le32toh(h->dst_port);
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	struct vsock_conn *c;
	int fd, n;

	n = snprintf(sa.sun_path, sizeof(sa.sun_path), "%s_%u", v->path, port);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd >= 0 && (n < 0 || (size_t)n >= sizeof(sa.sun_path) ||
			v->nconns >= VSOCK_MAX_CONNS ||
			connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0)) {
		virtio_mmio_warn(v->t, &v->rl, "guest connect to %s: %s",
				 sa.sun_path,
				 v->nconns >= VSOCK_MAX_CONNS ?
					 "too many connections" :
					 strerror(errno));
		close(fd);
		fd = -1;
	}
	c = fd >= 0 ? conn_new(v, fd) : NULL;
	if (!c) {
		if (fd >= 0)
			close(fd);
		if (v->nrst < VSOCK_RST_QUEUE)
			v->rst[v->nrst++] = (struct vsock_rst){
				port, le32toh(h->src_port)
			};
		return;
	}
	c->state = CONN_ESTABLISHED;
	c->host_port = port;
	c->guest_port = le32toh(h->src_port);
	c->peer_buf_alloc = le32toh(h->buf_alloc);
	c->peer_fwd_cnt = le32toh(h->fwd_cnt);
	c->ctl = CTL_RESPONSE;
}

/* Answer a packet with RST (never a RST with one, 5.10.6.5). */
static void reply_rst(struct virtio_vsock *v, const struct vsock_hdr *h)
{
	if (le16toh(h->op) == VSOCK_OP_RST || v->nrst >= VSOCK_RST_QUEUE)
		return;
	v->rst[v->nrst++] = (struct vsock_rst){ le32toh(h->dst_port),
						le32toh(h->src_port) };
}

static void guest_shutdown(struct virtio_vsock *v, struct vsock_conn *c,
			   uint32_t flags)
{
	if (flags & VSOCK_SHUTDOWN_RCV)
		c->guest_shut_rcv = true;
	if (flags & VSOCK_SHUTDOWN_SEND)
		c->guest_shut_send = true;
	if ((flags & VSOCK_SHUTDOWN_BOTH) == VSOCK_SHUTDOWN_BOTH) {
		/* The guest closed its socket and waits for our RST: give the
		 * host what it takes now, then end. */
		conn_flush(v, c);
		if (c->state != CONN_FREE)
			conn_close(v, c, true);
		return;
	}
	conn_check_done(v, c);
}

/* A packet on an existing connection (credit already recorded). */
static void conn_packet(struct virtio_vsock *v, struct vsock_conn *c,
			const struct vsock_hdr *h, const struct virtq_chain *ch)
{
	uint32_t len = le32toh(h->len);

	switch (le16toh(h->op)) {
	case VSOCK_OP_RESPONSE:
		if (c->state != CONN_HOST_REQUEST)
			break;
		c->state = CONN_ESTABLISHED;
		c->reply_len = (unsigned)snprintf(c->reply, sizeof(c->reply),
						  "OK %u\n", c->host_port);
		conn_flush(v, c);
		return;
	case VSOCK_OP_RST:
		conn_close(v, c, false);
		return;
	case VSOCK_OP_SHUTDOWN:
		guest_shutdown(v, c, le32toh(h->flags));
		return;
	case VSOCK_OP_RW:
		if (c->state != CONN_ESTABLISHED)
			break;
		if (!len)
			return;
		if (c->guest_shut_send || !conn_take(c, ch, len)) {
			vsock_warn_pkt(v, "data beyond the credit", h);
			conn_close(v, c, true);
			return;
		}
		conn_flush(v, c);
		return;
	case VSOCK_OP_CREDIT_UPDATE:
		return;
	case VSOCK_OP_CREDIT_REQUEST:
		c->ctl |= CTL_CREDIT;
		return;
	default: /* REQUEST on a live connection */
		break;
	}
	vsock_warn_pkt(v, "unexpected op", h);
	conn_close(v, c, true);
}

/* Header checks of 5.10.6; NULL when the packet is acceptable. */
static const char *hdr_check(const struct virtio_vsock *v,
			     const struct vsock_hdr *h, uint32_t out_len)
{
	uint32_t len = le32toh(h->len);
	uint16_t op = le16toh(h->op);

	if (len > out_len - sizeof(*h) || len > VSOCK_MAX_PKT)
		return "bad length";
	if (le64toh(h->src_cid) != v->cid)
		return "wrong source CID";
	if (le64toh(h->dst_cid) != VSOCK_HOST_CID)
		return "wrong destination CID";
	if (le16toh(h->type) != VSOCK_TYPE_STREAM)
		return "unknown type";
	if (op == VSOCK_OP_INVALID || op > VSOCK_OP_CREDIT_REQUEST)
		return "unknown op";
	if (len && op != VSOCK_OP_RW)
		return "payload on a control op";
	return NULL;
}

static uint32_t vsock_tx(void *dev, struct virtq_chain *ch)
{
	struct virtio_vsock *v = dev;
	struct vsock_conn *c;
	struct vsock_hdr h;
	const char *why;

	if (ch->out_len < sizeof(h) || virtq_chain_read(ch, 0, &h, sizeof(h))) {
		virtio_mmio_warn(v->t, &v->rl, "tx packet of %u bytes dropped",
				 ch->out_len);
		return 0;
	}
	why = hdr_check(v, &h, ch->out_len);
	if (why) {
		vsock_warn_pkt(v, why, &h);
		c = conn_find(v, le32toh(h.dst_port), le32toh(h.src_port));
		if (c)
			conn_close(v, c, true);
		else
			reply_rst(v, &h);
		return 0;
	}
	c = conn_find(v, le32toh(h.dst_port), le32toh(h.src_port));
	if (!c) {
		if (le16toh(h.op) == VSOCK_OP_REQUEST)
			guest_connect(v, &h);
		else
			reply_rst(v, &h);
		return 0;
	}
	c->peer_buf_alloc = le32toh(h.buf_alloc);
	c->peer_fwd_cnt = le32toh(h.fwd_cnt);
	conn_packet(v, c, &h, ch);
	return 0;
}

/* Under the lock: up to a budget of tx packets; true if more wait. */
static bool serve_tx(struct virtio_vsock *v)
{
	uint32_t gen;
	unsigned n;

	for (n = 0; n < VSOCK_BUDGET; n++) {
		if (virtio_mmio_pop(v->t, VSOCK_TXQ, &v->chain, &gen) == 0) {
			if (virtio_mmio_enable_notify(v->t, VSOCK_TXQ))
				continue;
			return false;
		}
		virtio_mmio_push(v->t, VSOCK_TXQ, v->chain.head,
				 vsock_tx(v, &v->chain), gen);
	}
	return true;
}

/* ---- host events ---- */

/* "CONNECT <port>\n": the port, or -1. */
static long long parse_connect(const char *line)
{
	static const char verb[] = "CONNECT ";
	unsigned long long port = 0;
	const char *p = line + sizeof(verb) - 1;

	if (strncmp(line, verb, sizeof(verb) - 1) != 0 || !*p)
		return -1;
	for (; *p; p++) {
		if (*p < '0' || *p > '9')
			return -1;
		port = port * 10 + (unsigned)(*p - '0');
		if (port > UINT32_MAX)
			return -1;
	}
	return (long long)port;
}

/* A local port no connection uses, for a host-initiated stream. */
static uint32_t local_port(struct virtio_vsock *v, uint32_t guest_port)
{
	uint32_t p;

	do {
		p = v->next_port++;
		if (v->next_port < VSOCK_LOCAL_PORT_BASE)
			v->next_port = VSOCK_LOCAL_PORT_BASE;
	} while (conn_find(v, p, guest_port));
	return p;
}

/* Read the CONNECT line a byte at a time: what follows it is the
 * stream's, left in the socket. */
static void conn_read_line(struct virtio_vsock *v, struct vsock_conn *c)
{
	long long port;
	ssize_t r;
	char ch;

	for (;;) {
		r = read(c->fd, &ch, 1);
		if (r < 0 && (errno == EAGAIN || errno == EINTR))
			return;
		if (r <= 0 || c->line_len + 1 >= sizeof(c->line))
			goto bad;
		if (ch == '\n')
			break;
		c->line[c->line_len++] = ch;
	}
	c->line[c->line_len] = '\0';
	port = parse_connect(c->line);
	if (port < 0)
		goto bad;
	c->guest_port = (uint32_t)port;
	c->host_port = local_port(v, c->guest_port);
	c->state = CONN_HOST_REQUEST;
	c->ctl = CTL_REQUEST;
	return;
bad:
	/* Firecracker's answer to a bad handshake: the socket closes. */
	conn_close(v, c, false);
}

static void accept_host(struct virtio_vsock *v)
{
	struct vsock_conn *c;
	unsigned n;
	int fd;

	for (n = 0; n < VSOCK_MAX_CONNS; n++) {
		fd = accept4(v->listen_fd, NULL, NULL,
			     SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (fd < 0 && errno != EAGAIN && errno != EINTR &&
		    errno != ECONNABORTED && !v->listen_paused) {
			virtio_mmio_warn(v->t, &v->rl,
					 "accept: %s: host connections wait",
					 strerror(errno));
			if (epoll_ctl(v->ep, EPOLL_CTL_DEL, v->listen_fd,
				      NULL) == 0)
				v->listen_paused = true;
		}
		if (fd < 0)
			return;
		c = conn_new(v, fd);
		if (!c) {
			virtio_mmio_warn(v->t, &v->rl,
					 "%d connections: host connection refused",
					 VSOCK_MAX_CONNS);
			close(fd);
			continue;
		}
		c->state = CONN_HOST_LINE;
		conn_watch(v, c);
	}
}

static void host_event(struct virtio_vsock *v, const struct epoll_event *e)
{
	struct vsock_conn *c;

	if (e->data.u64 == VSOCK_EP_LISTENER) {
		accept_host(v);
		return;
	}
	if (e->data.u64 >= VSOCK_MAX_CONNS)
		return;
	c = &v->conn[e->data.u64];
	if (c->state == CONN_FREE)
		return;
	if (e->events & EPOLLERR) {
		conn_close(v, c, true);
		return;
	}
	if (e->events & EPOLLHUP)
		c->host_hup = true;
	if (c->state == CONN_HOST_LINE) {
		conn_read_line(v, c);
		return;
	}
	if (e->events & EPOLLOUT)
		conn_flush(v, c);
	/* EPOLLIN: pump_rx() reads, as far as the guest's credit goes. */
}

/* Every connection ends; their host sockets close. */
static void close_all(struct virtio_vsock *v)
{
	unsigned i;

	for (i = 0; i < VSOCK_MAX_CONNS; i++)
		if (v->conn[i].state != CONN_FREE)
			conn_close(v, &v->conn[i], false);
	v->nrst = 0;
	v->rx_starved = false;
	v->reset_pending = false;
}

/* Under the lock: everything the device can do now. */
static void vsock_run(struct virtio_vsock *v, bool host)
{
	struct epoll_event ev[VSOCK_EP_EVENTS];
	int n, i;

	if (host) {
		n = epoll_wait(v->ep, ev, VSOCK_EP_EVENTS, 0);
		for (i = 0; i < n; i++)
			host_event(v, &ev[i]);
	}
	pump_rx(v);
	watch_all(v);
}

static bool vsock_process(void *dev)
{
	struct virtio_vsock *v = dev;
	bool more;

	virtio_mmio_lock(v->t);
	if (v->reset_pending)
		close_all(v);
	more = serve_tx(v);
	vsock_run(v, false);
	virtio_mmio_unlock(v->t);
	return more;
}

static short vsock_poll_events(void *dev)
{
	(void)dev;
	return POLLIN;
}

static bool vsock_poll_ready(void *dev, short revents)
{
	struct virtio_vsock *v = dev;

	(void)revents;
	virtio_mmio_lock(v->t);
	if (v->reset_pending)
		close_all(v);
	vsock_run(v, true);
	virtio_mmio_unlock(v->t);
	return false;
}

/* Transport lock held, on the vCPU that wrote Status 0 (2.4): every
 * connection ends, on the worker, which runs before anything else. */
static void vsock_reset(void *dev)
{
	struct virtio_vsock *v = dev;

	v->reset_pending = true;
	v->event_pending = false;
	virtio_mmio_kick(v->t);
}

void virtio_vsock_transport_reset(struct virtio_mmio *t)
{
	struct virtio_vsock *v = virtio_mmio_device(t);

	virtio_mmio_lock(t);
	vsock_reset(v);
	v->event_pending = true;
	virtio_mmio_unlock(t);
	virtio_mmio_kick(t);
}

static void vsock_free(void *dev)
{
	struct virtio_vsock *v = dev;
	unsigned i;

	for (i = 0; i < VSOCK_MAX_CONNS; i++)
		if (v->conn[i].state != CONN_FREE) {
			close(v->conn[i].fd);
			free(v->conn[i].buf);
		}
	if (v->ep >= 0)
		close(v->ep);
	if (v->own_listen && v->listen_fd >= 0)
		close(v->listen_fd);
	free(v);
}

static const struct virtio_dev_ops vsock_ops = {
	.name = VSOCK_SUBSYS,
	.device_id = VIRTIO_ID_VSOCK,
	.thread_kind = CELLVM_THREAD_VIRTIO_VSOCK,
	.features = VIRTIO_BIT(VIRTIO_VSOCK_F_STREAM),
	.num_queues = 3,
	.process = vsock_process,
	.reset = vsock_reset,
	.poll_events = vsock_poll_events,
	.poll_ready = vsock_poll_ready,
	.destroy = vsock_free,
};

/* ---- creation ---- */

/* An existing PATH: a socket nobody accepts on is stale (removed). */
static int listen_clear(const char *path, const struct sockaddr_un *sa,
			struct cellvm_err *err)
{
	struct stat st;
	int fd, live;

	if (lstat(path, &st) < 0)
		return errno == ENOENT ? 0 :
		       cellvm_err_set(err, CELLVM_E_IO, errno, "vsock %s: %s",
				      path, strerror(errno));
	if (!S_ISSOCK(st.st_mode))
		return cellvm_err_set(err, CELLVM_E_IO, EEXIST,
				      "vsock %s: exists and is not a socket",
				      path);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return cellvm_err_set(err, CELLVM_E_IO, errno, "vsock: %s",
				      strerror(errno));
	live = connect(fd, (const struct sockaddr *)sa, sizeof(*sa)) == 0;
	close(fd);
	if (live)
		return cellvm_err_set(err, CELLVM_E_IO, EADDRINUSE,
				      "vsock %s: in use by another listener",
				      path);
	if (unlink(path) < 0)
		return cellvm_err_set(err, CELLVM_E_IO, errno, "vsock %s: %s",
				      path, strerror(errno));
	return 0;
}

int virtio_vsock_listen(const char *path, struct cellvm_err *err)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int fd, ret;

	if (!path || !*path ||
	    strlen(path) + VIRTIO_VSOCK_PORT_SUFFIX >= sizeof(sa.sun_path))
		return cellvm_err_set(err, CELLVM_E_USAGE, ENAMETOOLONG,
				      "vsock %s: path empty or longer than %zu bytes",
				      path ? path : "(none)",
				      sizeof(sa.sun_path) - 1 -
					      VIRTIO_VSOCK_PORT_SUFFIX);
	memcpy(sa.sun_path, path, strlen(path));
	ret = listen_clear(path, &sa, err);
	if (ret)
		return ret;
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0 || bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 ||
	    listen(fd, VSOCK_MAX_CONNS) < 0) {
		ret = errno;
		if (fd >= 0)
			close(fd);
		return cellvm_err_set(err, CELLVM_E_IO, ret, "vsock %s: %s",
				      path, strerror(ret));
	}
	return fd;
}

static int vsock_backend(struct virtio_vsock *v,
			 const struct virtio_vsock_params *p,
			 struct cellvm_err *err)
{
	struct epoll_event ev = { .events = EPOLLIN,
				  .data.u64 = VSOCK_EP_LISTENER };
	int flags;

	if (p->guest_cid < VIRTIO_VSOCK_CID_MIN ||
	    p->guest_cid > VIRTIO_VSOCK_CID_MAX)
		return cellvm_err_set(err, CELLVM_E_USAGE, EINVAL,
				      "vsock: guest CID %llu out of 3..%llu",
				      (unsigned long long)p->guest_cid,
				      VIRTIO_VSOCK_CID_MAX);
	if (!p->uds_path ||
	    strlen(p->uds_path) + VIRTIO_VSOCK_PORT_SUFFIX >= sizeof(v->path))
		return cellvm_err_set(err, CELLVM_E_USAGE, ENAMETOOLONG,
				      "vsock: socket path missing or too long");
	memcpy(v->path, p->uds_path, strlen(p->uds_path) + 1);
	v->cid = p->guest_cid;
	if (p->has_fd) {
		v->listen_fd = p->fd;
		flags = fcntl(v->listen_fd, F_GETFL);
		if (flags < 0 ||
		    fcntl(v->listen_fd, F_SETFL, flags | O_NONBLOCK) < 0)
			return cellvm_err_set(err, CELLVM_E_IO, errno,
					      "vsock listener fd %d: %s", p->fd,
					      strerror(errno));
	} else {
		v->listen_fd = virtio_vsock_listen(p->uds_path, err);
		if (v->listen_fd < 0)
			return v->listen_fd;
		v->own_listen = true;
	}
	v->ep = epoll_create1(EPOLL_CLOEXEC);
	if (v->ep < 0 || epoll_ctl(v->ep, EPOLL_CTL_ADD, v->listen_fd, &ev) < 0)
		return cellvm_err_set(err, CELLVM_E_HOST, errno, "vsock: epoll: %s",
				      strerror(errno));
	return 0;
}

int virtio_vsock_create(const struct virtio_vsock_params *p,
			struct virtio_mmio **out, struct cellvm_err *err)
{
	struct virtio_vsock *v = calloc(1, sizeof(*v));
	uint64_t cfg;
	int ret;

	if (!v)
		return cellvm_err_set(err, CELLVM_E_HOST, ENOMEM,
				      "virtio-vsock: out of memory");
	v->listen_fd = -1;
	v->ep = -1;
	v->next_port = VSOCK_LOCAL_PORT_BASE;
	ret = vsock_backend(v, p, err);
	if (!ret)
		ret = virtio_mmio_create(&p->mmio, &vsock_ops, v, &v->t, err);
	if (ret) {
		vsock_free(v);
		return ret;
	}
	/* 5.10.4 Device configuration layout: le64 guest_cid */
	cfg = htole64(p->guest_cid);
	virtio_mmio_set_config(v->t, &cfg, sizeof(cfg));
	virtio_mmio_set_poll_fd(v->t, v->ep);
	ret = virtio_mmio_attach(v->t, p->mmio.bus, err);
	if (ret) {
		virtio_mmio_destroy(v->t);
		return ret;
	}
	*out = v->t;
	return 0;
}

static int vsock_new(const struct cellvm_dev_cfg *cfg,
		     const struct virtio_dev_env *env, struct virtio_mmio **out,
		     struct cellvm_err *err)
{
	struct virtio_vsock_params p = {
		.mmio = env->mmio,
		.guest_cid = cfg->vsock.guest_cid,
		.uds_path = cfg->vsock.uds_path,
		.has_fd = cfg->vsock.has_fd,
		.fd = cfg->vsock.fd,
	};

	return virtio_vsock_create(&p, out, err);
}

const struct virtio_dev_type virtio_vsock_type = {
	.name = "virtio-vsock",
	.type = CELLVM_DEV_VIRTIO_VSOCK,
	.create = vsock_new,
};

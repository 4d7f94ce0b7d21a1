// SPDX-License-Identifier: MIT
/*
 * virtio-net: virtio 1.2, "5.1 Network Device", on a Linux TAP device.
 *
 * Emulated: receiveq1 (queue 0) and transmitq1 (queue 1); features
 * VIRTIO_NET_F_MAC (the configured MAC, else 52:54:00 and three bytes
 * hashed from the interface name, so a guest keeps its address across
 * boots) and VIRTIO_NET_F_STATUS (link always up). Every frame carries
 * the 12-byte struct virtio_net_hdr (5.1.6: with VIRTIO_F_VERSION_1 it
 * always includes num_buffers). The TAP is opened IFF_TAP | IFF_NO_PI
 * without IFF_VNET_HDR: the header is stripped on transmit and a zero
 * header with num_buffers = 1 is prepended on receive (5.1.6.3.1).
 * Not emulated: checksum and segmentation offloads, MRG_RXBUF,
 * multiqueue, the control queue, MTU, link-state changes.
 *
 * One worker thread polls the TAP fd (only while the guest has receive
 * buffers) and the notify eventfd. A received frame larger than the
 * guest's buffer, and a transmitted frame the TAP refuses, are dropped.
 *
 * Device tree node: the transport's (see virtio_mmio.c).
 */
#include <endian.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/if_tun.h>
#include <net/if.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "dev/virtio_devices.h"
#include "dev/virtio_net.h"

#define NET_SUBSYS "virtio-net"
#define NET_RXQ 0
#define NET_TXQ 1

/* 5.1.3 Feature bits */
#define VIRTIO_NET_F_MAC 5
#define VIRTIO_NET_F_STATUS 16
#define VIRTIO_NET_S_LINK_UP 1

/* 5.1.6 struct virtio_net_hdr, little-endian */
struct net_hdr {
	uint8_t flags;
	uint8_t gso_type;
	uint16_t hdr_len;
	uint16_t gso_size;
	uint16_t csum_start;
	uint16_t csum_offset;
	uint16_t num_buffers;
} __attribute__((packed));
_Static_assert(sizeof(struct net_hdr) == 12, "5.1.6 layout");

/* 5.1.4 Device configuration layout */
struct net_config {
	uint8_t mac[6];
	uint16_t status;
	uint16_t max_virtqueue_pairs;
} __attribute__((packed));

/* The largest frame a TAP hands us (64 KiB MTU plus Ethernet header). */
#define NET_MAX_FRAME 65550u
#define NET_BUDGET 64
#define MAC_OUI_0 0x52 /* 52:54:00, locally administered (QEMU's) */
#define MAC_OUI_1 0x54
#define MAC_OUI_2 0x00
#define FNV_OFFSET 2166136261u
#define FNV_PRIME 16777619u

struct virtio_net {
	struct virtio_mmio *t;
	int fd;
	bool own_fd;
	/* Worker-thread only: */
	bool rx_starved; /* no guest buffers: stop polling the TAP */
	bool tap_dead;
	struct cellvm_ratelimit rl;
	struct virtq_chain chain;
	uint8_t buf[sizeof(struct net_hdr) + NET_MAX_FRAME];
};

/* ---- transmit ---- */

/* Worker: one frame from the guest to the TAP, header stripped. */
static uint32_t net_tx(void *dev, struct virtq_chain *c)
{
	struct virtio_net *n = dev;
	size_t hdr = sizeof(struct net_hdr);
	ssize_t r;

	if (c->out_len < hdr || c->out_len > sizeof(n->buf) ||
	    virtq_chain_read(c, 0, n->buf, c->out_len)) {
		virtio_mmio_warn(n->t, &n->rl, "bad tx frame of %u bytes",
				 c->out_len);
		return 0;
	}
	do
		r = write(n->fd, n->buf + hdr, c->out_len - hdr);
	while (r < 0 && errno == EINTR);
	/* EAGAIN: the TAP queue is full; drop, as a NIC would. */
	if (r < 0 && errno != EAGAIN)
		virtio_mmio_warn(n->t, &n->rl, "tap write: %s",
				 strerror(errno));
	return 0;
}

static bool net_process(void *dev)
{
	struct virtio_net *n = dev;
	bool more;

	more = virtio_mmio_serve(n->t, NET_TXQ, &n->chain, NET_BUDGET, net_tx,
				 n);
	/* The guest may have posted receive buffers: poll the TAP again. */
	virtio_mmio_lock(n->t);
	if (n->rx_starved && virtio_mmio_has_avail(n->t, NET_RXQ))
		n->rx_starved = false;
	virtio_mmio_unlock(n->t);
	return more;
}

/* ---- receive ---- */

/* Under the lock: is there a receive buffer (asking for a notification
 * when there is none)? */
static bool rx_has_buffer(struct virtio_net *n)
{
	return virtio_mmio_has_avail(n->t, NET_RXQ) ||
	       virtio_mmio_enable_notify(n->t, NET_RXQ);
}

/* Under the lock: hand one frame of len bytes in n->buf (header first)
 * to the guest, or drop it. */
static void rx_deliver(struct virtio_net *n, size_t len)
{
	uint32_t gen;

	if (virtio_mmio_pop(n->t, NET_RXQ, &n->chain, &gen) == 0)
		return; /* reset meanwhile */
	if (n->chain.in_len < len) {
		virtio_mmio_unpop(n->t, NET_RXQ);
		virtio_mmio_warn(n->t, &n->rl,
				 "rx frame of %zu bytes dropped: buffer of %u",
				 len, n->chain.in_len);
		return;
	}
	if (virtq_chain_write(&n->chain, 0, n->buf, len))
		len = 0;
	virtio_mmio_push(n->t, NET_RXQ, n->chain.head, (uint32_t)len, gen);
}

/* Read one frame; 1 delivered or dropped, 0 nothing to do now. */
static int rx_one(struct virtio_net *n)
{
	struct net_hdr hdr = { .num_buffers = htole16(1) };
	bool ok;
	ssize_t r;

	virtio_mmio_lock(n->t);
	ok = rx_has_buffer(n);
	virtio_mmio_unlock(n->t);
	if (!ok) {
		n->rx_starved = true;
		return 0;
	}
	do
		r = read(n->fd, n->buf + sizeof(hdr), NET_MAX_FRAME);
	while (r < 0 && errno == EINTR);
	if (r < 0) {
		if (errno != EAGAIN) {
			virtio_mmio_warn(n->t, &n->rl, "tap read: %s",
					 strerror(errno));
			n->tap_dead = true;
		}
		return 0;
	}
	memcpy(n->buf, &hdr, sizeof(hdr));
	virtio_mmio_lock(n->t);
	rx_deliver(n, sizeof(hdr) + (size_t)r);
	virtio_mmio_unlock(n->t);
	return 1;
}

static short net_poll_events(void *dev)
{
	struct virtio_net *n = dev;

	return n->tap_dead || n->rx_starved ? 0 : POLLIN;
}

static bool net_poll_ready(void *dev, short revents)
{
	struct virtio_net *n = dev;
	unsigned i;

	if (revents & (POLLERR | POLLHUP | POLLNVAL)) {
		/* The TAP is gone (or the test peer closed): stop polling. */
		virtio_mmio_warn(n->t, &n->rl, "tap error, receive stopped");
		n->tap_dead = true;
		return false;
	}
	for (i = 0; i < NET_BUDGET; i++)
		if (rx_one(n) == 0)
			return false;
	return true;
}

static void net_free(void *dev)
{
	struct virtio_net *n = dev;

	if (n->own_fd)
		close(n->fd);
	free(n);
}

static const struct virtio_dev_ops net_ops = {
	.name = NET_SUBSYS,
	.device_id = VIRTIO_ID_NET,
	.thread_kind = CELLVM_THREAD_VIRTIO_NET,
	.features = VIRTIO_BIT(VIRTIO_NET_F_MAC) |
		    VIRTIO_BIT(VIRTIO_NET_F_STATUS),
	.num_queues = 2,
	.process = net_process,
	.poll_events = net_poll_events,
	.poll_ready = net_poll_ready,
	.destroy = net_free,
};

/* ---- creation ---- */

/* A stable MAC: 52:54:00 and 24 bits of FNV-1a over the name. */
static void mac_from_name(const char *name, uint8_t mac[6])
{
	uint32_t h = FNV_OFFSET;

	for (; name && *name; name++)
		h = (h ^ (uint8_t)*name) * FNV_PRIME;
	mac[0] = MAC_OUI_0;
	mac[1] = MAC_OUI_1;
	mac[2] = MAC_OUI_2;
	mac[3] = (uint8_t)(h >> 16);
	mac[4] = (uint8_t)(h >> 8);
	mac[5] = (uint8_t)h;
}

int virtio_net_tap_open(const char *name, struct cellvm_err *err)
{
	struct ifreq ifr = { .ifr_flags = IFF_TAP | IFF_NO_PI };
	int fd, e;

	if (!name || !*name || strlen(name) >= sizeof(ifr.ifr_name))
		return cellvm_err_set(err, CELLVM_E_USAGE, EINVAL,
				      "tap %s: bad interface name",
				      name ? name : "(none)");
	memcpy(ifr.ifr_name, name, strlen(name));
	fd = open("/dev/net/tun", O_RDWR | O_NONBLOCK | O_CLOEXEC);
	if (fd < 0)
		return cellvm_err_set(err, CELLVM_E_IO, errno,
				      "tap %s: /dev/net/tun: %s", name,
				      strerror(errno));
	if (ioctl(fd, TUNSETIFF, &ifr) < 0) {
		e = errno;
		close(fd);
		return cellvm_err_set(err, CELLVM_E_IO, e, "tap %s: %s", name,
				      strerror(e));
	}
	return fd;
}

static int net_backend(struct virtio_net *n, const struct virtio_net_params *p,
		       struct cellvm_err *err)
{
	int flags;

	if (!p->has_fd) {
		n->fd = virtio_net_tap_open(p->tap, err);
		if (n->fd < 0)
			return n->fd;
		n->own_fd = true;
		return 0;
	}
	n->fd = p->fd;
	flags = fcntl(n->fd, F_GETFL);
	if (flags < 0 || fcntl(n->fd, F_SETFL, flags | O_NONBLOCK) < 0)
		return cellvm_err_set(err, CELLVM_E_IO, errno,
				      "net backend fd %d: %s", p->fd,
				      strerror(errno));
	return 0;
}

int virtio_net_create(const struct virtio_net_params *p,
		      struct virtio_mmio **out, struct cellvm_err *err)
{
	struct net_config cfg = {
		.status = htole16(VIRTIO_NET_S_LINK_UP),
		.max_virtqueue_pairs = htole16(1),
	};
	struct virtio_net *n = calloc(1, sizeof(*n));
	int ret;

	if (!n)
		return cellvm_err_set(err, CELLVM_E_HOST, ENOMEM,
				      "virtio-net: out of memory");
	ret = net_backend(n, p, err);
	if (!ret)
		ret = virtio_mmio_create(&p->mmio, &net_ops, n, &n->t, err);
	if (ret) {
		net_free(n);
		return ret;
	}
	if (p->has_mac)
		memcpy(cfg.mac, p->mac, sizeof(cfg.mac));
	else
		mac_from_name(p->tap, cfg.mac);
	virtio_mmio_set_config(n->t, &cfg, sizeof(cfg));
	virtio_mmio_set_poll_fd(n->t, n->fd);
	ret = virtio_mmio_attach(n->t, p->mmio.bus, err);
	if (ret) {
		virtio_mmio_destroy(n->t);
		return ret;
	}
	*out = n->t;
	return 0;
}

static int net_new(const struct cellvm_dev_cfg *cfg,
		   const struct virtio_dev_env *env, struct virtio_mmio **out,
		   struct cellvm_err *err)
{
	struct virtio_net_params p = {
		.mmio = env->mmio,
		.tap = cfg->net.tap,
		.has_mac = cfg->net.has_mac,
		.has_fd = cfg->net.has_fd,
		.fd = cfg->net.fd,
	};

	memcpy(p.mac, cfg->net.mac, sizeof(p.mac));
	return virtio_net_create(&p, out, err);
}

const struct virtio_dev_type virtio_net_type = {
	.name = "virtio-net",
	.type = CELLVM_DEV_VIRTIO_NET,
	.create = net_new,
};

/* SPDX-License-Identifier: MIT */
/*
 * virtio-net on a Linux TAP interface (virtio 1.2, "5.1 Network Device"),
 * one receive and one transmit queue, no offloads.
 */
#ifndef CELLVM_DEV_VIRTIO_NET_H
#define CELLVM_DEV_VIRTIO_NET_H

#include <stdbool.h>
#include <stdint.h>

#include "cellvm/err.h"
#include "dev/virtio_mmio.h"

struct virtio_net_params {
	struct virtio_mmio_params mmio;
	const char *tap; /* TAP interface name, attached with TUNSETIFF */
	uint8_t mac[6];
	bool has_mac; /* else 52:54:00:xx:xx:xx derived from the tap name */
	/* Use this fd instead of opening a TAP: a TAP already attached with
	 * virtio_net_tap_open() (kept open across VMs by cellvm --jail), or
	 * in tests one end of a SOCK_DGRAM socketpair (frames without a
	 * header). Not owned; it is made non-blocking. */
	bool has_fd;
	int fd;
};

/* Open /dev/net/tun and attach it to the TAP interface `name` (created if
 * missing); the fd (O_NONBLOCK, O_CLOEXEC) or -errno with err set. */
int virtio_net_tap_open(const char *name, struct cellvm_err *err);

/* Attach the TAP (CELLVM_E_IO naming the interface on failure). The
 * returned transport is run with virtio_mmio_start/stop/destroy(). */
int virtio_net_create(const struct virtio_net_params *p,
		      struct virtio_mmio **out,
		      struct cellvm_err *err) CELLVM_MUST_CHECK;

#endif

/* SPDX-License-Identifier: MIT */
/*
 * virtio-vsock (virtio 1.2, "5.10 Socket Device"), stream sockets only,
 * with Firecracker's host side: Unix sockets (see virtio_vsock.c).
 */
#ifndef CELLVM_DEV_VIRTIO_VSOCK_H
#define CELLVM_DEV_VIRTIO_VSOCK_H

#include <stdbool.h>
#include <stdint.h>

#include "cellvm/err.h"
#include "dev/virtio_mmio.h"

/* 5.10.4: CIDs 0-2 are reserved (2 is the host); 0xffffffff is "any". */
#define VIRTIO_VSOCK_CID_MIN 3ull
#define VIRTIO_VSOCK_CID_MAX 0xfffffffeull
/* Connections at once; each holds a host socket (and an epoll fd). */
#define VIRTIO_VSOCK_MAX_CONNS 32u
/* Room left in sun_path for "_<port>" (guest-to-host connections). */
#define VIRTIO_VSOCK_PORT_SUFFIX 11u

struct virtio_vsock_params {
	struct virtio_mmio_params mmio;
	uint64_t guest_cid; /* VIRTIO_VSOCK_CID_MIN..MAX */
	/* The host side: host programs connect to uds_path; a guest
	 * connecting to CID 2 port P reaches the listener at uds_path_P. */
	const char *uds_path;
	/* A listener on uds_path already bound (virtio_vsock_listen()),
	 * kept across VMs by the caller: not owned. Else the device
	 * binds uds_path itself and closes it when destroyed. */
	bool has_fd;
	int fd;
};

/*
 * Bind and listen on the Unix socket `path` (non-blocking, close-on-exec).
 * A socket file nobody listens on (a stale one) is replaced; a live one,
 * or a file of another kind, is refused. The fd, or -errno with err set:
 * CELLVM_E_USAGE for a path too long, CELLVM_E_IO for the rest.
 */
int virtio_vsock_listen(const char *path, struct cellvm_err *err);

int virtio_vsock_create(const struct virtio_vsock_params *p,
			struct virtio_mmio **out,
			struct cellvm_err *err) CELLVM_MUST_CHECK;

/* Queue a VIRTIO_VSOCK_EVENT_TRANSPORT_RESET (5.10.6.6) and drop every
 * connection: for a VM whose guest keeps running on a new host side (a
 * restored snapshot). Any thread. */
void virtio_vsock_transport_reset(struct virtio_mmio *t);

#endif

// SPDX-License-Identifier: MIT
/*
 * virtio-net (virtio 1.2, 5.1) with a SOCK_DGRAM socketpair standing in
 * for the TAP: transmit strips the 12-byte header, receive prepends it,
 * receive waits for guest buffers, oversize frames are dropped, MAC and
 * status in the configuration space, TAP open errors.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>
#include <unistd.h>
#include <endian.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "dev/virtio_net.h"
#include "virtio_drv.h"

#define QSIZE 16
#define RXQ 0
#define TXQ 1
#define HDR 12
#define F_MAC 5
#define F_STATUS 16

struct fx {
	struct drv *d;
	struct virtio_mmio *t;
	int sv[2]; /* [0] the device's "tap", [1] the host network */
};

static struct virtio_mmio *make(struct drv *d, int fd, const char *tap,
			       const uint8_t *mac)
{
	struct virtio_net_params p = { .tap = tap, .has_fd = true, .fd = fd };
	struct cellvm_err err = { 0 };
	struct virtio_mmio *n;

	p.mmio = drv_params(d);
	if (mac) {
		memcpy(p.mac, mac, 6);
		p.has_mac = true;
	}
	assert_int_equal(virtio_net_create(&p, &n, &err), 0);
	return n;
}

static int setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));

	f->d = drv_new();
	assert_int_equal(socketpair(AF_UNIX, SOCK_DGRAM, 0, f->sv), 0);
	f->t = make(f->d, f->sv[0], "tap0", NULL);
	assert_int_equal(drv_setup(f->d, 2, QSIZE, DRV_FEATURES_DEFAULT),
			 VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER |
				 VIRTIO_STATUS_FEATURES_OK |
				 VIRTIO_STATUS_DRIVER_OK);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;

	drv_destroy(f->t);
	close(f->sv[0]);
	close(f->sv[1]);
	drv_free(f->d);
	free(f);
	return 0;
}

static void test_config(void **state)
{
	static const uint8_t mac[6] = { 0x02, 1, 2, 3, 4, 5 };
	struct fx *f = *state;
	struct drv *d2 = drv_new();
	struct virtio_mmio *n2;
	uint8_t m1[6];
	unsigned i;

	assert_int_equal(drv_read(f->d, VIRTIO_MMIO_DEVICE_ID), VIRTIO_ID_NET);
	drv_write(f->d, VIRTIO_MMIO_DEVICE_FEATURES_SEL, 0);
	assert_int_equal(drv_read(f->d, VIRTIO_MMIO_DEVICE_FEATURES) &
				 ~(3u << 28),
			 1u << F_MAC | 1u << F_STATUS);
	for (i = 0; i < 6; i++)
		m1[i] = (uint8_t)drv_readn(f->d, VIRTIO_MMIO_CONFIG + i, 1);
	assert_int_equal(m1[0], 0x52);
	assert_int_equal(m1[1], 0x54);
	assert_int_equal(m1[2], 0x00);
	/* status: LINK_UP */
	assert_int_equal(drv_readn(f->d, VIRTIO_MMIO_CONFIG + 6, 2), 1);

	/* same name, same MAC; a configured MAC wins */
	n2 = make(d2, f->sv[0], "tap0", NULL);
	for (i = 0; i < 6; i++)
		assert_int_equal(drv_readn(d2, VIRTIO_MMIO_CONFIG + i, 1), m1[i]);
	drv_destroy(n2);
	memset(&d2->bus, 0, sizeof(d2->bus));
	n2 = make(d2, f->sv[0], "tap0", mac);
	for (i = 0; i < 6; i++)
		assert_int_equal(drv_readn(d2, VIRTIO_MMIO_CONFIG + i, 1), mac[i]);
	drv_destroy(n2);
	drv_free(d2);
}

static void test_tx(void **state)
{
	struct fx *f = *state;
	uint64_t h = drv_alloc(f->d, HDR), p = drv_alloc(f->d, 64);
	struct drv_buf b[2] = { { h, HDR, false }, { p, 60, false } };
	uint8_t got[128];
	unsigned i;

	for (i = 0; i < 60; i++)
		((uint8_t *)drv_ptr(f->d, p))[i] = (uint8_t)i;
	drv_chain(f->d, TXQ, b, 2);
	/* too short to hold the header: dropped */
	drv_chain(f->d, TXQ, (struct drv_buf[]){ { h, 8, false } }, 1);
	drv_write(f->d, VIRTIO_MMIO_QUEUE_NOTIFY, TXQ);
	assert_int_equal(drv_serve(f->t), 0);
	assert_int_equal(drv_used_idx(f->d, TXQ), 2);
	assert_int_equal(recv(f->sv[1], got, sizeof(got), MSG_DONTWAIT), 60);
	assert_memory_equal(got, drv_ptr(f->d, p), 60);
	assert_int_equal(recv(f->sv[1], got, sizeof(got), MSG_DONTWAIT), -1);
	assert_int_equal(errno, EAGAIN);
}

/* n worker iterations, without waiting */
static void run(struct fx *f, int n)
{
	while (n--)
		assert_int_equal(drv_serve(f->t), 0);
}

static void post_rx(struct fx *f, uint64_t gpa, uint32_t len)
{
	struct drv_buf b = { gpa, len, true };

	drv_chain(f->d, RXQ, &b, 1);
}

static void test_rx(void **state)
{
	struct fx *f = *state;
	uint64_t a = drv_alloc(f->d, 1526);
	uint8_t frame[100];
	const uint8_t *g = drv_ptr(f->d, a);
	static const uint8_t hdr[HDR] = { [10] = 1 }; /* num_buffers = 1 */

	memset(frame, 0x5a, sizeof(frame));
	memset(drv_ptr(f->d, a), 0xff, 1526);
	post_rx(f, a, 1526);
	drv_write(f->d, VIRTIO_MMIO_QUEUE_NOTIFY, RXQ);
	assert_int_equal(send(f->sv[1], frame, sizeof(frame), 0), 100);
	assert_int_equal(drv_serve(f->t), 0);
	assert_int_equal(drv_used_idx(f->d, RXQ), 1);
	assert_int_equal(drv_used_len(f->d, RXQ, 0), HDR + 100);
	assert_memory_equal(g, hdr, HDR);
	assert_memory_equal(g + HDR, frame, 100);
	assert_true(f->d->edges >= 1);
}

static void test_rx_waits_for_buffers(void **state)
{
	struct fx *f = *state;
	uint64_t a = drv_alloc(f->d, 64), b = drv_alloc(f->d, 256);
	uint8_t big[200], small[30];

	memset(big, 1, sizeof(big));
	memset(small, 2, sizeof(small));
	assert_int_equal(send(f->sv[1], big, sizeof(big), 0), 200);
	assert_int_equal(send(f->sv[1], small, sizeof(small), 0), 30);
	/* no buffers: the frames stay in the "tap", the worker idles */
	run(f, 3);
	assert_int_equal(drv_used_idx(f->d, RXQ), 0);
	/* a buffer too small for the first frame: it is dropped, the
	 * buffer kept for the next one */
	post_rx(f, a, 64);
	drv_write(f->d, VIRTIO_MMIO_QUEUE_NOTIFY, RXQ);
	run(f, 3);
	assert_int_equal(drv_used_idx(f->d, RXQ), 1);
	assert_int_equal(drv_used_len(f->d, RXQ, 0), HDR + 30);
	assert_memory_equal((uint8_t *)drv_ptr(f->d, a) + HDR, small, 30);
	/* later frames flow again once buffers come */
	assert_int_equal(send(f->sv[1], big, sizeof(big), 0), 200);
	post_rx(f, b, 256);
	drv_write(f->d, VIRTIO_MMIO_QUEUE_NOTIFY, RXQ);
	run(f, 3);
	assert_int_equal(drv_used_idx(f->d, RXQ), 2);
	assert_int_equal(drv_used_len(f->d, RXQ, 1), HDR + 200);
}

static void test_rx_after_reset(void **state)
{
	struct fx *f = *state;
	uint64_t a = drv_alloc(f->d, 256);
	uint8_t frame[40] = { 0 };

	drv_write(f->d, VIRTIO_MMIO_STATUS, 0);
	assert_int_equal(send(f->sv[1], frame, sizeof(frame), 0), 40);
	run(f, 2);
	drv_setup(f->d, 2, QSIZE, DRV_FEATURES_DEFAULT);
	post_rx(f, a, 256);
	drv_write(f->d, VIRTIO_MMIO_QUEUE_NOTIFY, RXQ);
	run(f, 3);
	assert_int_equal(drv_used_idx(f->d, RXQ), 1);
	assert_int_equal(drv_used_len(f->d, RXQ, 0), HDR + 40);
}

static void test_tap_errors(void **state)
{
	struct drv *d = drv_new();
	struct virtio_net_params p = { .tap = "a-name-too-long-for-ifnamsiz" };
	struct cellvm_err err = { 0 };
	struct virtio_mmio *n = NULL;
	int ret;

	p.mmio = drv_params(d);
	assert_int_equal(virtio_net_create(&p, &n, &err), -EINVAL);
	assert_non_null(strstr(err.msg, "a-name-too-long-for-ifnamsiz"));
	/* A real TAP: works as root with /dev/net/tun, else a clear error. */
	cellvm_err_clear(&err);
	p.tap = "cvmtest%d";
	ret = virtio_net_create(&p, &n, &err);
	if (ret == 0) {
		drv_destroy(n);
	} else {
		assert_int_equal(err.cat, CELLVM_E_IO);
		assert_non_null(strstr(err.msg, "cvmtest%d"));
	}
	drv_free(d);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_config, setup, teardown),
		cmocka_unit_test_setup_teardown(test_tx, setup, teardown),
		cmocka_unit_test_setup_teardown(test_rx, setup, teardown),
		cmocka_unit_test_setup_teardown(test_rx_waits_for_buffers, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_rx_after_reset, setup,
						teardown),
		cmocka_unit_test(test_tap_errors),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

// SPDX-License-Identifier: MIT
/*
 * virtio-console (virtio 1.2, 5.3), port 0 without MULTIPORT: guest
 * output to the tx callback, host input into posted receive buffers with
 * back-pressure and rx_ready once the guest posts more.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <endian.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "dev/virtio_console.h"
#include "virtio_drv.h"

#define QSIZE 8
#define RXQ 0
#define TXQ 1

struct fx {
	struct drv *d;
	struct virtio_mmio *t;
	char out[256];
	size_t out_len;
	unsigned tx_calls, rx_ready_calls;
};

static void tx_cb(void *opaque, const uint8_t *buf, size_t len)
{
	struct fx *f = opaque;

	assert_true(f->out_len + len <= sizeof(f->out));
	memcpy(f->out + f->out_len, buf, len);
	f->out_len += len;
	f->tx_calls++;
}

static void rx_ready_cb(void *opaque)
{
	struct fx *f = opaque;

	f->rx_ready_calls++;
}

static int setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));
	struct virtio_console_params p = {
		.tx = tx_cb, .rx_ready = rx_ready_cb, .cb_opaque = f
	};
	struct cellvm_err err = { 0 };

	f->d = drv_new();
	p.mmio = drv_params(f->d);
	assert_int_equal(virtio_console_create(&p, &f->t, &err), 0);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;

	drv_destroy(f->t);
	drv_free(f->d);
	free(f);
	return 0;
}

static void start(struct fx *f)
{
	assert_int_equal(drv_setup(f->d, 2, QSIZE, DRV_FEATURES_DEFAULT),
			 VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER |
				 VIRTIO_STATUS_FEATURES_OK |
				 VIRTIO_STATUS_DRIVER_OK);
	assert_int_equal(drv_serve(f->t), 0);
}

static void test_ids(void **state)
{
	struct fx *f = *state;

	assert_int_equal(drv_read(f->d, VIRTIO_MMIO_DEVICE_ID),
			 VIRTIO_ID_CONSOLE);
	drv_write(f->d, VIRTIO_MMIO_DEVICE_FEATURES_SEL, 0);
	/* no SIZE, MULTIPORT, EMERG_WRITE */
	assert_int_equal(drv_read(f->d, VIRTIO_MMIO_DEVICE_FEATURES) & 7, 0);
	drv_write(f->d, VIRTIO_MMIO_QUEUE_SEL, 1);
	assert_int_equal(drv_read(f->d, VIRTIO_MMIO_QUEUE_NUM_MAX), 256);
	drv_write(f->d, VIRTIO_MMIO_QUEUE_SEL, 2);
	assert_int_equal(drv_read(f->d, VIRTIO_MMIO_QUEUE_NUM_MAX), 0);
}

static void test_tx(void **state)
{
	struct fx *f = *state;
	uint64_t a = drv_alloc(f->d, 16), b = drv_alloc(f->d, 16);
	struct drv_buf bufs[2] = { { a, 6, false }, { b, 6, false } };

	start(f);
	memcpy(drv_ptr(f->d, a), "hello ", 6);
	memcpy(drv_ptr(f->d, b), "world\n", 6);
	drv_chain(f->d, TXQ, bufs, 2);
	drv_write(f->d, VIRTIO_MMIO_QUEUE_NOTIFY, TXQ);
	assert_int_equal(drv_serve(f->t), 0);
	assert_int_equal(f->out_len, 12);
	assert_memory_equal(f->out, "hello world\n", 12);
	assert_int_equal(drv_used_idx(f->d, TXQ), 1);
	assert_int_equal(drv_used_len(f->d, TXQ, 0), 0);
}

static void post_rx(struct fx *f, uint64_t gpa, uint32_t len)
{
	struct drv_buf b = { gpa, len, true };

	drv_chain(f->d, RXQ, &b, 1);
}

static void test_rx_backpressure(void **state)
{
	struct fx *f = *state;
	struct cellvm_console_port port = virtio_console_port(f->t);
	uint64_t a = drv_alloc(f->d, 16), b = drv_alloc(f->d, 16);
	uint64_t c = drv_alloc(f->d, 16);

	/* no driver yet: nothing taken */
	assert_int_equal(port.receive(port.opaque, (const uint8_t *)"x", 1),
			 0);
	start(f);
	/* DRIVER_OK with input waiting, but no buffers: no rx_ready */
	assert_int_equal(f->rx_ready_calls, 0);
	post_rx(f, a, 4);
	post_rx(f, b, 4);
	drv_write(f->d, VIRTIO_MMIO_QUEUE_NOTIFY, RXQ);
	assert_int_equal(drv_serve(f->t), 0);
	assert_int_equal(f->rx_ready_calls, 1);
	assert_int_equal(port.receive(port.opaque,
				      (const uint8_t *)"hello world", 11),
			 8);
	assert_memory_equal(drv_ptr(f->d, a), "hell", 4);
	assert_memory_equal(drv_ptr(f->d, b), "o wo", 4);
	assert_int_equal(drv_used_idx(f->d, RXQ), 2);
	assert_int_equal(drv_used_len(f->d, RXQ, 1), 4);
	assert_true(f->d->edges >= 1);
	/* the guest posts one more: the console hears about it once */
	post_rx(f, c, 8);
	drv_write(f->d, VIRTIO_MMIO_QUEUE_NOTIFY, RXQ);
	assert_int_equal(drv_serve(f->t), 0);
	assert_int_equal(f->rx_ready_calls, 2);
	drv_write(f->d, VIRTIO_MMIO_QUEUE_NOTIFY, RXQ);
	assert_int_equal(drv_serve(f->t), 0);
	assert_int_equal(f->rx_ready_calls, 2);
	assert_int_equal(port.receive(port.opaque, (const uint8_t *)"rld", 3),
			 3);
	assert_int_equal(drv_used_len(f->d, RXQ, 2), 3);
	assert_memory_equal(drv_ptr(f->d, c), "rld", 3);
}

static void test_rx_bad_buffers(void **state)
{
	struct fx *f = *state;
	uint64_t a = drv_alloc(f->d, 16);
	struct drv_buf ro = { a, 8, false };

	start(f);
	/* a device-readable "receive buffer" is returned empty */
	drv_chain(f->d, RXQ, &ro, 1);
	post_rx(f, a, 8);
	assert_int_equal(virtio_console_receive(virtio_mmio_device(f->t), (const uint8_t *)"ab",
						2),
			 2);
	assert_int_equal(drv_used_idx(f->d, RXQ), 2);
	assert_int_equal(drv_used_len(f->d, RXQ, 0), 0);
	assert_int_equal(drv_used_len(f->d, RXQ, 1), 2);
	/* reset: nothing taken any more */
	drv_write(f->d, VIRTIO_MMIO_STATUS, 0);
	post_rx(f, a, 8);
	assert_int_equal(virtio_console_receive(virtio_mmio_device(f->t), (const uint8_t *)"ab",
						2),
			 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_ids, setup, teardown),
		cmocka_unit_test_setup_teardown(test_tx, setup, teardown),
		cmocka_unit_test_setup_teardown(test_rx_backpressure, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_rx_bad_buffers, setup,
						teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

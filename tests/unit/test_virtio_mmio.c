// SPDX-License-Identifier: MIT
/*
 * The virtio-mmio transport (virtio 1.2, 4.2) through the bus, with
 * virtio-rng (5.4) as the device: identification registers, feature
 * negotiation, status and reset, queue set-up checks, notifications,
 * interrupts (line, irqfd), NEEDS_RESET on a broken ring, the worker
 * thread, the device-tree node.
 */
#include <errno.h>
#include <libfdt.h>
#include <poll.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/eventfd.h>
#include <time.h>
#include <unistd.h>
#include <cmocka.h>

#include "dev/virtio_rng.h"
#include "test_virt_drv.h"

#define QSIZE 16
#define ALL_OK                                                              \
	(VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER |                 \
	 VIRTIO_STATUS_FEATURES_OK | VIRTIO_STATUS_DRIVER_OK)

struct fx {
	struct drv *d;
	struct virtio_mmio *t;
	uint64_t buf;
	/* hooks */
	uint64_t ioevent_addr;
	unsigned ioevent_len;
	int ioevent_fd;
};

static int fake_ioeventfd(void *ctx, uint64_t addr, unsigned len, int fd)
{
	struct fx *f = ctx;

	f->ioevent_addr = addr;
	f->ioevent_len = len;
	f->ioevent_fd = fd;
	return 0;
}

static int setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));
	struct virtio_rng_params p = { 0 };
	struct cellvm_err err = { 0 };

	f->d = drv_new();
	p.mmio = drv_params(f->d);
	p.mmio.ioeventfd = fake_ioeventfd;
	p.mmio.hv_ctx = f;
	f->ioevent_fd = -1;
	assert_int_equal(virtio_rng_create(&p, &f->t, &err), 0);
	f->buf = drv_alloc(f->d, 4096);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;

	virtio_mmio_destroy(f->t);
	drv_free(f->d);
	free(f);
	return 0;
}

static void test_ids(void **state)
{
	struct fx *f = *state;

	assert_int_equal(mmio_r(f->d, VIRTIO_MMIO_MAGIC_VALUE), 0x74726976);
	assert_int_equal(mmio_r(f->d, VIRTIO_MMIO_VERSION), 2);
	assert_int_equal(mmio_r(f->d, VIRTIO_MMIO_DEVICE_ID), VIRTIO_ID_RNG);
	assert_int_equal(mmio_r(f->d, VIRTIO_MMIO_VENDOR_ID),
			 VIRTIO_MMIO_VENDOR);
	mmio_w(f->d, VIRTIO_MMIO_QUEUE_SEL, 0);
	assert_int_equal(mmio_r(f->d, VIRTIO_MMIO_QUEUE_NUM_MAX), 256);
	mmio_w(f->d, VIRTIO_MMIO_QUEUE_SEL, 1); /* rng has one queue */
	assert_int_equal(mmio_r(f->d, VIRTIO_MMIO_QUEUE_NUM_MAX), 0);
	assert_int_equal(mmio_r(f->d, VIRTIO_MMIO_SHM_LEN_LOW), 0xffffffff);
	/* unknown register: zero, and a (rate-limited) log line */
	assert_int_equal(mmio_r(f->d, 0x0e0), 0);
	assert_true(f->d->log_lines > 0);
	/* 32-bit only: a byte read of the magic is refused */
	assert_int_equal(mmio_rn(f->d, VIRTIO_MMIO_MAGIC_VALUE, 1), 0);
	/* rng has no configuration space */
	assert_int_equal(mmio_rn(f->d, VIRTIO_MMIO_CONFIG, 4), 0);
}

static void test_features(void **state)
{
	struct fx *f = *state;
	uint32_t lo, hi;
	const uint32_t ack = VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER;

	mmio_w(f->d, VIRTIO_MMIO_DEVICE_FEATURES_SEL, 0);
	lo = mmio_r(f->d, VIRTIO_MMIO_DEVICE_FEATURES);
	mmio_w(f->d, VIRTIO_MMIO_DEVICE_FEATURES_SEL, 1);
	hi = mmio_r(f->d, VIRTIO_MMIO_DEVICE_FEATURES);
	mmio_w(f->d, VIRTIO_MMIO_DEVICE_FEATURES_SEL, 2);
	assert_int_equal(mmio_r(f->d, VIRTIO_MMIO_DEVICE_FEATURES), 0);
	assert_int_equal(hi, 1); /* VERSION_1 */
	assert_int_equal(lo, (1u << VIRTIO_F_EVENT_IDX) |
				     (1u << VIRTIO_F_INDIRECT_DESC));

	/* legacy driver (no VERSION_1): FEATURES_OK does not stick */
	mmio_w(f->d, VIRTIO_MMIO_STATUS, ack);
	mmio_w(f->d, VIRTIO_MMIO_DRIVER_FEATURES_SEL, 0);
	mmio_w(f->d, VIRTIO_MMIO_DRIVER_FEATURES, lo);
	mmio_w(f->d, VIRTIO_MMIO_STATUS, ack | VIRTIO_STATUS_FEATURES_OK);
	assert_int_equal(mmio_r(f->d, VIRTIO_MMIO_STATUS), ack);
	/* DRIVER_OK without FEATURES_OK is not taken either */
	mmio_w(f->d, VIRTIO_MMIO_STATUS, ack | VIRTIO_STATUS_DRIVER_OK);
	assert_int_equal(mmio_r(f->d, VIRTIO_MMIO_STATUS), ack);

	/* a feature we never offered */
	mmio_w(f->d, VIRTIO_MMIO_DRIVER_FEATURES, lo | 1u << 3);
	mmio_w(f->d, VIRTIO_MMIO_DRIVER_FEATURES_SEL, 1);
	mmio_w(f->d, VIRTIO_MMIO_DRIVER_FEATURES, 1);
	mmio_w(f->d, VIRTIO_MMIO_STATUS, ack | VIRTIO_STATUS_FEATURES_OK);
	assert_int_equal(mmio_r(f->d, VIRTIO_MMIO_STATUS), ack);

	/* a proper subset with VERSION_1 */
	mmio_w(f->d, VIRTIO_MMIO_DRIVER_FEATURES_SEL, 0);
	mmio_w(f->d, VIRTIO_MMIO_DRIVER_FEATURES,
	       1u << VIRTIO_F_INDIRECT_DESC);
	mmio_w(f->d, VIRTIO_MMIO_STATUS, ack | VIRTIO_STATUS_FEATURES_OK);
	assert_int_equal(mmio_r(f->d, VIRTIO_MMIO_STATUS),
			 ack | VIRTIO_STATUS_FEATURES_OK);
	assert_int_equal(virtio_mmio_features(f->t),
			 VIRTIO_BIT(VIRTIO_F_VERSION_1) |
				 VIRTIO_BIT(VIRTIO_F_INDIRECT_DESC));
	/* frozen after FEATURES_OK */
	mmio_w(f->d, VIRTIO_MMIO_DRIVER_FEATURES, 0);
	assert_int_equal(virtio_mmio_features(f->t),
			 VIRTIO_BIT(VIRTIO_F_VERSION_1) |
				 VIRTIO_BIT(VIRTIO_F_INDIRECT_DESC));
}

static void test_reset(void **state)
{
	struct fx *f = *state;

	assert_int_equal(drv_setup(f->d, 1, QSIZE, DRV_FEATURES_DEFAULT),
			 ALL_OK);
	mmio_w(f->d, VIRTIO_MMIO_QUEUE_SEL, 0);
	assert_int_equal(mmio_r(f->d, VIRTIO_MMIO_QUEUE_READY), 1);
	assert_int_equal(mmio_r(f->d, VIRTIO_MMIO_QUEUE_NUM), QSIZE);
	mmio_w(f->d, VIRTIO_MMIO_STATUS, 0);
	assert_int_equal(mmio_r(f->d, VIRTIO_MMIO_STATUS), 0);
	assert_int_equal(mmio_r(f->d, VIRTIO_MMIO_QUEUE_READY), 0);
	assert_int_equal(mmio_r(f->d, VIRTIO_MMIO_QUEUE_NUM), 0);
	assert_int_equal(mmio_r(f->d, VIRTIO_MMIO_QUEUE_DESC_LOW), 0);
	assert_int_equal(virtio_mmio_features(f->t), 0);
	/* and it comes up again */
	assert_int_equal(drv_setup(f->d, 1, QSIZE, DRV_FEATURES_DEFAULT),
			 ALL_OK);
}

/* Write one queue's registers and QueueReady=1; return QueueReady. */
static uint32_t try_queue(struct fx *f, uint32_t num, uint64_t desc,
			  uint64_t avail, uint64_t used)
{
	mmio_w(f->d, VIRTIO_MMIO_STATUS, 0);
	mmio_w(f->d, VIRTIO_MMIO_STATUS,
	       VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER);
	mmio_w(f->d, VIRTIO_MMIO_DRIVER_FEATURES_SEL, 1);
	mmio_w(f->d, VIRTIO_MMIO_DRIVER_FEATURES, 1);
	mmio_w(f->d, VIRTIO_MMIO_STATUS,
	       VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER |
		       VIRTIO_STATUS_FEATURES_OK);
	mmio_w(f->d, VIRTIO_MMIO_QUEUE_SEL, 0);
	mmio_w(f->d, VIRTIO_MMIO_QUEUE_NUM, num);
	mmio_w(f->d, VIRTIO_MMIO_QUEUE_DESC_LOW, (uint32_t)desc);
	mmio_w(f->d, VIRTIO_MMIO_QUEUE_DESC_HIGH, (uint32_t)(desc >> 32));
	mmio_w(f->d, VIRTIO_MMIO_QUEUE_DRIVER_LOW, (uint32_t)avail);
	mmio_w(f->d, VIRTIO_MMIO_QUEUE_DRIVER_HIGH, (uint32_t)(avail >> 32));
	mmio_w(f->d, VIRTIO_MMIO_QUEUE_DEVICE_LOW, (uint32_t)used);
	mmio_w(f->d, VIRTIO_MMIO_QUEUE_DEVICE_HIGH, (uint32_t)(used >> 32));
	mmio_w(f->d, VIRTIO_MMIO_QUEUE_READY, 1);
	return mmio_r(f->d, VIRTIO_MMIO_QUEUE_READY);
}

static void test_queue_refused(void **state)
{
	static const uint32_t bad[] = { 0, 3, 100, 257, 512, 0x10000 };
	struct fx *f = *state;
	uint64_t q = DRV_RAM_GPA;
	unsigned i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_int_equal(try_queue(f, bad[i], q, q + 0x1000,
					   q + 0x2000),
				 0);
		assert_true(mmio_r(f->d, VIRTIO_MMIO_STATUS) &
			    VIRTIO_STATUS_NEEDS_RESET);
	}
	assert_int_equal(try_queue(f, 256, q, q + 0x1000, q + 0x2000), 1);
	assert_false(mmio_r(f->d, VIRTIO_MMIO_STATUS) &
		     VIRTIO_STATUS_NEEDS_RESET);
	assert_int_equal(try_queue(f, 8, 0x1000, q + 0x1000, q + 0x2000), 0);
	assert_int_equal(try_queue(f, 8, q + 4, q + 0x1000, q + 0x2000), 0);
	assert_int_equal(try_queue(f, 8, q, 0xffffffffffffffffull, q), 0);

	/* before FEATURES_OK */
	mmio_w(f->d, VIRTIO_MMIO_STATUS, 0);
	mmio_w(f->d, VIRTIO_MMIO_QUEUE_NUM, 8);
	mmio_w(f->d, VIRTIO_MMIO_QUEUE_READY, 1);
	assert_int_equal(mmio_r(f->d, VIRTIO_MMIO_QUEUE_READY), 0);
}

static uint64_t eventfd_count(int fd)
{
	uint64_t v = 0;

	if (read(fd, &v, sizeof(v)) != sizeof(v))
		return 0;
	return v;
}

/* A writable chain of len bytes for the rng; returns its head. */
static uint16_t rng_buf(struct fx *f, uint32_t len)
{
	struct drv_buf b = { f->buf, len, true };

	return drv_chain(f->d, 0, &b, 1);
}

static void test_notify_and_interrupt(void **state)
{
	struct fx *f = *state;
	int nfd = virtio_mmio_notify_fd(f->t);
	static const uint8_t zero[64];

	assert_int_equal(drv_setup(f->d, 1, QSIZE, DRV_FEATURES_DEFAULT),
			 ALL_OK);
	eventfd_count(nfd); /* DRIVER_OK kicks the worker */
	mmio_w(f->d, VIRTIO_MMIO_QUEUE_NOTIFY, 0);
	assert_int_equal(eventfd_count(nfd), 1);
	assert_int_equal(eventfd_count(nfd), 0);

	rng_buf(f, 64);
	mmio_w(f->d, VIRTIO_MMIO_QUEUE_NOTIFY, 0);
	assert_int_equal(virtio_mmio_run_once(f->t, 0), 0);
	assert_int_equal(drv_used_idx(f->d, 0), 1);
	assert_int_equal(drv_used_len(f->d, 0, 0), 64);
	assert_memory_not_equal(drv_ptr(f->d, f->buf), zero, 64);
	assert_int_equal(f->d->edges, 1);
	assert_int_equal(mmio_r(f->d, VIRTIO_MMIO_INTERRUPT_STATUS),
			 VIRTIO_MMIO_INT_VRING);
	mmio_w(f->d, VIRTIO_MMIO_INTERRUPT_ACK, VIRTIO_MMIO_INT_VRING);
	assert_int_equal(mmio_r(f->d, VIRTIO_MMIO_INTERRUPT_STATUS), 0);

	/* A device-readable buffer gets nothing written. */
	{
		struct drv_buf b = { f->buf, 64, false };

		drv_chain(f->d, 0, &b, 1);
	}
	mmio_w(f->d, VIRTIO_MMIO_QUEUE_NOTIFY, 0);
	assert_int_equal(virtio_mmio_run_once(f->t, 0), 0);
	assert_int_equal(drv_used_idx(f->d, 0), 2);
	assert_int_equal(drv_used_len(f->d, 0, 1), 0);

	/* Without a notification nothing happens. */
	rng_buf(f, 8);
	assert_int_equal(virtio_mmio_run_once(f->t, 0), 0);
	assert_int_equal(drv_used_idx(f->d, 0), 2);
}

static void test_before_driver_ok(void **state)
{
	struct fx *f = *state;

	/* Buffers queued and notified before DRIVER_OK are served after. */
	assert_int_equal(try_queue(f, QSIZE, DRV_RAM_GPA, DRV_RAM_GPA + 0x1000,
				   DRV_RAM_GPA + 0x2000),
			 1);
	drv_layout(f->d, 0, QSIZE);
	rng_buf(f, 16);
	mmio_w(f->d, VIRTIO_MMIO_QUEUE_NOTIFY, 0);
	assert_int_equal(virtio_mmio_run_once(f->t, 0), 0);
	assert_int_equal(drv_used_idx(f->d, 0), 0);
	mmio_w(f->d, VIRTIO_MMIO_STATUS, ALL_OK);
	assert_int_equal(virtio_mmio_run_once(f->t, 0), 0);
	assert_int_equal(drv_used_idx(f->d, 0), 1);
}

static void test_broken_ring(void **state)
{
	struct fx *f = *state;
	struct drv_q *q = &f->d->q[0];

	assert_int_equal(drv_setup(f->d, 1, QSIZE, DRV_FEATURES_DEFAULT),
			 ALL_OK);
	drv_put16(f->d, q->avail + 2, QSIZE + 5);
	mmio_w(f->d, VIRTIO_MMIO_QUEUE_NOTIFY, 0);
	assert_int_equal(virtio_mmio_run_once(f->t, 0), 0);
	assert_true(mmio_r(f->d, VIRTIO_MMIO_STATUS) &
		    VIRTIO_STATUS_NEEDS_RESET);
	assert_int_equal(mmio_r(f->d, VIRTIO_MMIO_INTERRUPT_STATUS),
			 VIRTIO_MMIO_INT_CONFIG);
	assert_int_equal(f->d->edges, 1);
	/* the driver cannot clear it, and nothing is processed */
	mmio_w(f->d, VIRTIO_MMIO_STATUS, ALL_OK);
	assert_true(mmio_r(f->d, VIRTIO_MMIO_STATUS) &
		    VIRTIO_STATUS_NEEDS_RESET);
	drv_put16(f->d, q->avail + 2, 1);
	mmio_w(f->d, VIRTIO_MMIO_QUEUE_NOTIFY, 0);
	assert_int_equal(virtio_mmio_run_once(f->t, 0), 0);
	assert_int_equal(drv_used_idx(f->d, 0), 0);
	/* reset brings it back */
	assert_int_equal(drv_setup(f->d, 1, QSIZE, DRV_FEATURES_DEFAULT),
			 ALL_OK);
	rng_buf(f, 4);
	mmio_w(f->d, VIRTIO_MMIO_QUEUE_NOTIFY, 0);
	assert_int_equal(virtio_mmio_run_once(f->t, 0), 0);
	assert_int_equal(drv_used_idx(f->d, 0), 1);
}

static void test_bad_chain_dropped(void **state)
{
	struct fx *f = *state;
	struct drv_q *q = &f->d->q[0];

	assert_int_equal(drv_setup(f->d, 1, QSIZE, DRV_FEATURES_DEFAULT),
			 ALL_OK);
	/* a looping chain is returned unused; the next one is served */
	drv_desc(f->d, q->desc, 5, f->buf, 8,
		 VIRTQ_DESC_F_NEXT | VIRTQ_DESC_F_WRITE, 5);
	drv_publish(f->d, 0, 5);
	q->next_desc = 6;
	rng_buf(f, 8);
	mmio_w(f->d, VIRTIO_MMIO_QUEUE_NOTIFY, 0);
	assert_int_equal(virtio_mmio_run_once(f->t, 0), 0);
	assert_int_equal(drv_used_idx(f->d, 0), 2);
	assert_int_equal(drv_used_id(f->d, 0, 0), 5);
	assert_int_equal(drv_used_len(f->d, 0, 0), 0);
	assert_int_equal(drv_used_id(f->d, 0, 1), 6);
	assert_int_equal(drv_used_len(f->d, 0, 1), 8);
	assert_false(mmio_r(f->d, VIRTIO_MMIO_STATUS) &
		     VIRTIO_STATUS_NEEDS_RESET);
}

static void test_stale_completion(void **state)
{
	struct fx *f = *state;
	struct virtq_chain *c = malloc(sizeof(*c));
	uint32_t gen;

	assert_int_equal(drv_setup(f->d, 1, QSIZE, DRV_FEATURES_DEFAULT),
			 ALL_OK);
	rng_buf(f, 8);
	virtio_mmio_lock(f->t);
	assert_int_equal(virtio_mmio_pop(f->t, 0, c, &gen), 1);
	virtio_mmio_unlock(f->t);
	/* the driver resets and sets the queue up again meanwhile ... */
	assert_int_equal(drv_setup(f->d, 1, QSIZE, DRV_FEATURES_DEFAULT),
			 ALL_OK);
	/* ... so the late completion must not land in the new ring */
	virtio_mmio_lock(f->t);
	virtio_mmio_push(f->t, 0, c->head, 8, gen);
	virtio_mmio_unlock(f->t);
	assert_int_equal(drv_used_idx(f->d, 0), 0);
	/* the same with QueueReady 0 and 1 instead of a reset */
	rng_buf(f, 8);
	virtio_mmio_lock(f->t);
	assert_int_equal(virtio_mmio_pop(f->t, 0, c, &gen), 1);
	virtio_mmio_unlock(f->t);
	mmio_w(f->d, VIRTIO_MMIO_QUEUE_READY, 0);
	mmio_w(f->d, VIRTIO_MMIO_QUEUE_READY, 1);
	virtio_mmio_lock(f->t);
	virtio_mmio_push(f->t, 0, c->head, 8, gen);
	virtio_mmio_unlock(f->t);
	assert_int_equal(drv_used_idx(f->d, 0), 0);
	free(c);
}

static int irqfd_ok(struct cellvm_irqchip *chip, unsigned line, int fd)
{
	struct drv *d = chip->priv;

	d->log_lines = 1000 + (unsigned)fd; /* remember the fd */
	return 0;
}

static const struct cellvm_irqchip_ops irqfd_chip_ops = {
	.set_line = drv_set_line,
	.irqfd = irqfd_ok,
};

static bool wait_used(struct drv *d, uint16_t idx)
{
	struct timespec ts = { 0, 1000000 };
	int i;

	for (i = 0; i < 5000; i++) {
		if (__atomic_load_n((uint16_t *)drv_ptr(d, d->q[0].used + 2),
				    __ATOMIC_ACQUIRE) == idx)
			return true;
		nanosleep(&ts, NULL);
	}
	return false;
}

static void test_worker_fast_paths(void **state)
{
	struct fx *f = *state;
	struct cellvm_err err = { 0 };
	struct pollfd pfd;
	int irq_fd;

	f->d->chip.ops = &irqfd_chip_ops;
	assert_int_equal(virtio_mmio_start(f->t, &err), 0);
	/* ioeventfd registered for QueueNotify with the notify eventfd */
	assert_int_equal(f->ioevent_addr,
			 DRV_MMIO_BASE + VIRTIO_MMIO_QUEUE_NOTIFY);
	assert_int_equal(f->ioevent_len, 4);
	assert_int_equal(f->ioevent_fd, virtio_mmio_notify_fd(f->t));
	irq_fd = (int)f->d->log_lines - 1000;
	assert_true(irq_fd >= 0);

	assert_int_equal(drv_setup(f->d, 1, QSIZE, DRV_FEATURES_DEFAULT),
			 ALL_OK);
	rng_buf(f, 32);
	/* what KVM does on a QueueNotify write with ioeventfd */
	eventfd_write(f->ioevent_fd, 1);
	assert_true(wait_used(f->d, 1));
	/* the interrupt went to the irqfd, not the line */
	pfd = (struct pollfd){ .fd = irq_fd, .events = POLLIN };
	assert_int_equal(poll(&pfd, 1, 2000), 1);
	assert_int_equal(f->d->edges, 0);
	virtio_mmio_stop(f->t);
	virtio_mmio_stop(f->t); /* twice is fine */
	/* and it restarts */
	assert_int_equal(virtio_mmio_start(f->t, &err), 0);
	rng_buf(f, 32);
	mmio_w(f->d, VIRTIO_MMIO_QUEUE_NOTIFY, 0);
	assert_true(wait_used(f->d, 2));
}

/* The worker serving while the "vCPU" resets and re-initialises the
 * device under it: no crash, no hang, no stray write. */
static void test_reset_race(void **state)
{
	struct fx *f = *state;
	struct cellvm_err err = { 0 };
	int i, j;

	assert_int_equal(virtio_mmio_start(f->t, &err), 0);
	for (i = 0; i < 200; i++) {
		assert_int_equal(drv_setup(f->d, 1, QSIZE,
					   i & 1 ? DRV_FEATURES_DEFAULT
						 : VIRTIO_BIT(VIRTIO_F_VERSION_1)),
				 ALL_OK);
		for (j = 0; j < 4; j++)
			rng_buf(f, 512);
		mmio_w(f->d, VIRTIO_MMIO_QUEUE_NOTIFY, 0);
		if (i % 8 == 0)
			assert_true(wait_used(f->d, 4));
	}
	mmio_w(f->d, VIRTIO_MMIO_STATUS, 0);
	virtio_mmio_stop(f->t);
}

static int fake_irq_prop(const struct cellvm_fdt_ctx *ctx, unsigned line,
			 bool edge)
{
	fdt32_t cells[3] = { cpu_to_fdt32(0), cpu_to_fdt32(line - 32),
			     cpu_to_fdt32(edge ? 1 : 4) };

	return fdt_property(ctx->fdt, "interrupts", cells, sizeof(cells));
}

static bool idle_process(void *dev)
{
	return false;
}

/* Three queues per device fit (virtio-vsock's rx, tx, event: virtio 1.2,
 * 5.10.2); the fourth QueueSel reads QueueNumMax 0 (4.2.2), and a device
 * asking for more than the transport has is refused. */
static void test_three_queues(void **state)
{
	struct virtio_dev_ops ops = {
		.name = "three", .device_id = 19, .process = idle_process,
	};
	struct cellvm_err err = { 0 };
	struct drv *d = drv_new();
	struct virtio_mmio_params p = drv_params(d);
	struct virtio_mmio *t = NULL;
	static int dev;
	unsigned q;

	ops.num_queues = 3;
	assert_int_equal(virtio_mmio_create(&p, &ops, &dev, &t, &err), 0);
	assert_int_equal(virtio_mmio_attach(t, p.bus, &err), 0);
	for (q = 0; q < 4; q++) {
		mmio_w(d, VIRTIO_MMIO_QUEUE_SEL, q);
		assert_int_equal(mmio_r(d, VIRTIO_MMIO_QUEUE_NUM_MAX),
				 q < 3 ? VIRTQ_MAX_SIZE : 0);
	}
	virtio_mmio_destroy(t);
	drv_free(d);

	d = drv_new();
	p = drv_params(d);
	ops.num_queues = VIRTIO_MMIO_MAX_QUEUES + 1;
	assert_int_not_equal(virtio_mmio_create(&p, &ops, &dev, &t, &err), 0);
	drv_free(d);
}

static void test_fdt_node(void **state)
{
	struct fx *f = *state;
	static char buf[4096];
	struct cellvm_fdt_ctx ctx = { .fdt = buf, .irq_prop = fake_irq_prop };
	const fdt32_t *irq;
	const void *reg;
	fdt64_t r[2];
	int node, len;

	assert_int_equal(fdt_create(buf, sizeof(buf)), 0);
	assert_int_equal(fdt_finish_reservemap(buf), 0);
	assert_int_equal(fdt_begin_node(buf, ""), 0);
	assert_int_equal(virtio_mmio_ops.fdt_node(f->t, &ctx, DRV_MMIO_BASE,
						  0x200),
			 0);
	assert_int_equal(fdt_end_node(buf), 0);
	assert_int_equal(fdt_finish(buf), 0);
	node = fdt_path_offset(buf, "/virtio_mmio@a000000");
	assert_true(node >= 0);
	assert_string_equal(fdt_getprop(buf, node, "compatible", NULL),
			    "virtio,mmio");
	reg = fdt_getprop(buf, node, "reg", &len);
	assert_int_equal(len, 16);
	memcpy(r, reg, sizeof(r)); /* properties are only 4-byte aligned */
	assert_int_equal(fdt64_to_cpu(r[0]), DRV_MMIO_BASE);
	assert_int_equal(fdt64_to_cpu(r[1]), 0x200);
	irq = fdt_getprop(buf, node, "interrupts", &len);
	assert_int_equal(len, 12);
	assert_int_equal(fdt32_to_cpu(irq[1]), DRV_IRQ - 32);
	assert_int_equal(fdt32_to_cpu(irq[2]), 1); /* edge rising */
	assert_non_null(fdt_getprop(buf, node, "dma-coherent", &len));
	assert_int_equal(len, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_ids, setup, teardown),
		cmocka_unit_test_setup_teardown(test_features, setup, teardown),
		cmocka_unit_test_setup_teardown(test_reset, setup, teardown),
		cmocka_unit_test_setup_teardown(test_queue_refused, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_notify_and_interrupt,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_before_driver_ok, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_broken_ring, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_bad_chain_dropped, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_stale_completion, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_worker_fast_paths, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_reset_race, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_fdt_node, setup, teardown),
		cmocka_unit_test(test_three_queues),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

/* SPDX-License-Identifier: MIT */
/*
 * The hostile virtio driver and its ring oracle, shared by every virtio
 * fuzzer (fuzz/fuzz_virtio_*.c) and tested by tests/unit/test_oracle.c.
 * It plays a driver against one device through the test driver of
 * virtio_drv.h: a small guest RAM taken from the input, the device set up
 * through its MMIO registers (virtio 1.2, 3.1.1 and 4.2.2) with queue
 * sizes and ring addresses from the input, then a script of driver
 * actions, the device served on this thread (drv_serve()). No worker
 * thread is started.
 *
 * Input: FZ_CTRL_BYTES control bytes (see fz_parse), a script of up to
 * FZ_MAX_OPS two-byte operations (see enum fz_op_kind), then the initial
 * guest RAM image (zero-padded to FZ_RAM_SIZE).
 *
 * After each step that lets the device run, the oracle reads the rings
 * itself rather than through the device's walker (virtqueue.c) and checks:
 *   - guest RAM changed only in the used rings and in the buffers of
 *     device-writable descriptors (so never in device-readable ones);
 *   - each used ring advanced by no more than the driver made available,
 *     naming only heads the driver put in the avail ring, with lengths no
 *     larger than the writable part of the chain;
 *   - the target's own checks (its used hook) on what the device sent or
 *     wrote; fz_check_written() compares written bytes with what the
 *     target expects, the last write of a byte winning, so chains whose
 *     writable buffers overlap (each other, or another chain's) are judged
 *     as the device must leave them.
 * A hostile layout can make the device rewrite its own rings (a writable
 * buffer over a descriptor table, a used ring over an avail ring): then
 * the oracle cannot know the rings any more and only the sanitizers
 * judge ("stable" false). Content checks also need writable buffers and
 * used rings apart from readable buffers ("exact").
 */
#ifndef TESTS_LIB_VIRTIO_ORACLE_H
#define TESTS_LIB_VIRTIO_ORACLE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cellvm/log.h"
#include "virtio_drv.h"

/* The harness's own byte loops: no coverage feedback (it would only
 * steer the fuzzer towards the oracle, and costs most of the time). */
#ifdef __clang__
#define FZ_NO_COVERAGE __attribute__((no_sanitize("coverage"), noinline))
#else /* gcc builds (unit tests) have no coverage instrumentation */
#define FZ_NO_COVERAGE __attribute__((noinline))
#endif

#define FZ_RAM_GPA DRV_RAM_GPA
#define FZ_RAM_SIZE 0x10000u
#define FZ_CTRL_BYTES 18
#define FZ_MAX_OPS 64

/* Control byte 0: what the driver does during set-up. */
#define FZ_C_EVENT_IDX 0x01
#define FZ_C_INDIRECT 0x02
#define FZ_C_DEV_FEATURES 0x04 /* accept every device-type feature */
#define FZ_C_BAD_FEATURE 0x08 /* ask for one the device does not offer */
#define FZ_C_NO_VERSION_1 0x10
#define FZ_C_EARLY_DRIVER_OK 0x20 /* DRIVER_OK before the queues */
/* Control byte 1: script length; 2..3: queue sizes (bit 7 set: any size,
 * low bits x 5; else 2^(b % 9)); 4: ring layout per queue (two bits, enum
 * fz_layout; bits 4-7: queue 2's size, 2^(b % 9), its rings packed); 5: for the target (fz.ctrl_target); 6..17: desc, avail,
 * used offsets of queue 0 then 1 (16-bit little-endian). */
#define FZ_QSIZE_RAW 0x80

enum fz_layout {
	FZ_LAYOUT_PACKED, /* from RAM offset 0, the queues' rings back to back */
	FZ_LAYOUT_PACKED_TOO, /* (twice as likely as the others) */
	FZ_LAYOUT_ALIGNED, /* anywhere in RAM, aligned */
	FZ_LAYOUT_RAW, /* anywhere near RAM: misaligned, partly outside */
};

/* Script operations: byte 0 = kind | queue << 3 | extra << 4, byte 1 =
 * argument. */
enum fz_op_kind {
	FZ_OP_PUBLISH, /* avail entry = arg | (extra & 1) << 8 */
	FZ_OP_PUBLISH_TOO,
	FZ_OP_NOTIFY, /* QueueNotify, run once, check */
	FZ_OP_BUMP, /* avail idx += arg without writing entries */
	FZ_OP_DEVICE, /* the target's action (inject a frame, ...), check */
	FZ_OP_POLL, /* config read, interrupt ack, run once, check */
	FZ_OP_RESET, /* Status 0, then the whole set-up again */
	FZ_OP_REENABLE, /* QueueReady 0 then 1 */
};
#define FZ_OP_QUEUE_SHIFT 3
#define FZ_OP_EXTRA_SHIFT 4

/* The oracle handles up to three queues (virtio-vsock's). The third has
 * no control bytes of its own (see fz_parse_queue): two-queue inputs
 * mean what they meant before. */
#define FZ_MAX_QUEUES 3
/* Op byte 0 with the queue bit: this bit too selects queue 2. */
#define FZ_OP_QUEUE2_BIT 0x80u

enum fz_seg_kind { FZ_SEG_READ, FZ_SEG_WRITE, FZ_SEG_TABLE };

struct fz_queue {
	/* As written to the registers */
	uint32_t num;
	uint64_t desc, avail, used;
	bool live; /* QueueReady read back 1 */
	uint16_t avail_idx; /* the driver's avail idx */
	uint32_t made_avail; /* chains made available since set-up */
	uint16_t used_seen; /* used idx at the last check */
	uint32_t used_total; /* used elements seen since set-up */
	/* Oracle: heads ever in the avail ring, their writable bytes. */
	bool head_known[VIRTQ_MAX_SIZE];
	uint64_t in_len[VIRTQ_MAX_SIZE];
};

struct fz_op {
	uint8_t kind, q, extra, arg;
};

/* One used element, as the device published it. */
struct fz_used {
	uint16_t id;
	uint32_t len;
};

struct fz;

/* What a target adds; all hooks but create are optional. */
struct fz_dev_ops {
	unsigned num_queues; /* at most FZ_MAX_QUEUES */
	/* Create the device on mp (adds it to the bus), set f->t. */
	int (*create)(struct fz *f, const struct virtio_mmio_params *mp);
	void (*action)(struct fz *f, unsigned q, uint8_t arg, uint8_t extra);
	/* New used elements of live queue q, the first being the
	 * first-th since set-up; called on every pass while stable. */
	void (*used)(struct fz *f, unsigned q, uint32_t first,
		     const struct fz_used *u, unsigned n);
	/* End of every check pass, stable or not. */
	void (*settle)(struct fz *f);
	/* A broken invariant: without this hook, print and abort (what a
	 * fuzzer wants); with it, the run goes on (the oracle's tests). */
	void (*report)(struct fz *f, const char *msg);
};

struct fz {
	const struct fz_dev_ops *ops;
	void *priv; /* the target's state */
	struct drv *d; /* FZ_RAM_SIZE bytes of RAM, the bus, the irqchip */
	uint8_t *ram; /* d->ram */
	uint8_t *shadow; /* RAM as of the last check */
	uint16_t *map; /* what each RAM byte is (FZ_M_* in the .c) */
	uint16_t *owner; /* fz_check_written scratch, zero between uses */
	uint8_t *expect; /* fz_check_written: the byte's last write */
	struct virtio_mmio *t;
	unsigned nq;
	uint8_t ctrl0, ctrl_target;
	uint64_t features;
	bool stable, exact;
	unsigned failures;
	struct fz_queue q[FZ_MAX_QUEUES];
	struct fz_op op[FZ_MAX_OPS];
	unsigned nops;
};

/* One input, start to end; returns the number of broken invariants
 * (only ever non-zero with a report hook). The target's state in priv is
 * set up and torn down by the caller (sockets etc.). */
unsigned fz_run(const struct fz_dev_ops *ops, void *priv,
		const uint8_t *data, size_t size);

/* A broken invariant: ops->report, or print and abort. */
void fz_fail(struct fz *f, const char *fmt, ...) CELLVM_PRINTF(2, 3);

/* After the device ran: everything it did must fit the oracle. */
void fz_check(struct fz *f);

uint16_t fz_get16(const struct fz *f, uint32_t off);

typedef void (*fz_seg_fn)(struct fz *f, void *ctx, uint32_t off,
			  uint32_t len, enum fz_seg_kind kind);
/* Walk chain head of queue q, calling fn on each buffer in RAM and each
 * indirect table, in the order the device uses a well-formed chain. */
void fz_walk(struct fz *f, unsigned q, uint16_t head, fz_seg_fn fn,
	     void *ctx);
/* Copy the readable or writable bytes of a chain into buf (at most cap);
 * returns how many there are. */
uint64_t fz_gather(struct fz *f, unsigned q, uint16_t head,
		   enum fz_seg_kind kind, uint8_t *buf, uint64_t cap);

/*
 * Did the device write what it should have? expect(ctx, i, len) gives
 * used element i's len bytes; it is called once per element, in order.
 * The device writes each chain's writable buffers in order (2.7.4), so a
 * byte covered twice (by two chains, or twice within one chain) must hold
 * its last write.
 */
typedef const uint8_t *(*fz_expect_fn)(void *ctx, unsigned i, uint32_t len);
void fz_check_written(struct fz *f, unsigned q, const struct fz_used *u,
		      unsigned n, fz_expect_fn expect, void *ctx);

#endif

// SPDX-License-Identifier: MIT
/*
 * The ring oracle of the virtio fuzzers (tests/lib/virtio_oracle.c) must
 * pass what a correct device does and flag what a broken one would do.
 * A real virtio-console receives host input into a chain whose two
 * writable buffers overlap (virtio 1.2, 2.7.4 does not forbid it); then
 * a "broken device" rewrites the result one way or another before the
 * oracle looks, and the oracle must name the fault.
 */
#include <endian.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "dev/virtio_console.h"
#include "virtio_oracle.h"

#define RXQ 0
#define QSIZE_BYTE 2 /* 2^2 = 4 entries */
/* Packed layout for 4-entry queues (fz_pack): queue 0's used ring. */
#define USED0 80u
#define USED0_IDX (USED0 + DRV_USED_IDX)
#define USED0_ID (USED0 + DRV_USED_RING)
#define USED0_LEN (USED0_ID + 4)
#define BUF 0x1000u /* the chain's buffers: [BUF, +8) and [BUF + 4, +8) */
#define BUF_OVERLAP 4u
#define BUF_LEN 8u
#define RX_LEN 16u /* exactly the chain's writable bytes */
#define FREE_RAM 0x3000u /* no ring, no buffer */
#define RAM_IMAGE 0x1100u

enum fault {
	FAULT_NONE,
	FAULT_BYTE, /* a written byte changed afterwards */
	FAULT_OVERLAP_BYTE, /* the byte both buffers cover: first write kept */
	FAULT_LEN, /* used len beyond the chain's writable bytes */
	FAULT_ID, /* used id the driver never made available */
	FAULT_EXTRA, /* more used elements than available chains */
	FAULT_STRAY, /* RAM written outside rings and writable buffers */
};

struct oracle_case {
	enum fault fault;
	const char *msg; /* expected in the report; NULL: no report */
};

struct ofx {
	const struct oracle_case *c;
	uint8_t rx[RX_LEN];
	unsigned reports, checked;
	char first[256];
};

static void put32(struct fz *f, uint32_t off, uint32_t v)
{
	v = htole32(v);
	memcpy(f->ram + off, &v, sizeof(v));
}

static void report(struct fz *f, const char *msg)
{
	struct ofx *o = f->priv;

	if (!o->reports++)
		snprintf(o->first, sizeof(o->first), "%s", msg);
}

static int create(struct fz *f, const struct virtio_mmio_params *mp)
{
	struct virtio_console_params p = { .mmio = *mp };
	struct cellvm_err err = { 0 };

	return virtio_console_create(&p, &f->t, &err);
}

static const uint8_t *expect(void *ctx, unsigned i, uint32_t len)
{
	struct ofx *o = ctx;

	assert_int_equal(len, RX_LEN);
	return o->rx;
}

static void used(struct fz *f, unsigned q, uint32_t first,
		 const struct fz_used *u, unsigned n)
{
	struct ofx *o = f->priv;

	if (q != RXQ || !f->exact)
		return;
	o->checked += n;
	fz_check_written(f, q, u, n, expect, o);
}

/* What the device did, then the fault, then the oracle's look. */
static void receive(struct fz *f, unsigned q, uint8_t arg, uint8_t extra)
{
	struct ofx *o = f->priv;
	unsigned i;

	for (i = 0; i < RX_LEN; i++)
		o->rx[i] = (uint8_t)(0x10 + i);
	assert_int_equal(virtio_console_receive(virtio_mmio_device(f->t),
						o->rx, RX_LEN),
			 RX_LEN);
	/* The second buffer's first bytes overwrote the first's last. */
	assert_memory_equal(f->ram + BUF + BUF_OVERLAP, o->rx + BUF_LEN,
			    BUF_LEN);
	switch (o->c->fault) {
	case FAULT_BYTE:
		f->ram[BUF] ^= 0xff;
		break;
	case FAULT_OVERLAP_BYTE:
		f->ram[BUF + BUF_OVERLAP] = o->rx[BUF_OVERLAP];
		break;
	case FAULT_LEN:
		put32(f, USED0_LEN, RX_LEN + 1);
		break;
	case FAULT_ID:
		put32(f, USED0_ID, 3);
		break;
	case FAULT_EXTRA:
		f->ram[USED0_IDX] = 2;
		break;
	case FAULT_STRAY:
		f->ram[FREE_RAM] = 1;
		break;
	default:
		break;
	}
	fz_check(f);
}

static const struct fz_dev_ops ops = {
	.num_queues = 2,
	.create = create,
	.action = receive,
	.used = used,
	.report = report,
};

static void desc(uint8_t *p, uint64_t addr, uint32_t len, uint16_t flags,
		 uint16_t next)
{
	addr = htole64(addr);
	len = htole32(len);
	flags = htole16(flags);
	next = htole16(next);
	memcpy(p, &addr, 8);
	memcpy(p + 8, &len, 4);
	memcpy(p + 12, &flags, 2);
	memcpy(p + 14, &next, 2);
}

/* Control bytes, script (publish head 0, receive), RAM: one chain of two
 * writable buffers overlapping by BUF_OVERLAP bytes. */
static size_t make_input(uint8_t *in)
{
	static const uint8_t script[] = { FZ_OP_PUBLISH, 0, FZ_OP_DEVICE, 0 };
	uint8_t *ram = in + FZ_CTRL_BYTES + sizeof(script);

	memset(in, 0, FZ_CTRL_BYTES + sizeof(script) + RAM_IMAGE);
	in[1] = sizeof(script) / 2;
	in[2] = in[3] = QSIZE_BYTE;
	memcpy(in + FZ_CTRL_BYTES, script, sizeof(script));
	desc(ram, FZ_RAM_GPA + BUF, BUF_LEN,
	     VIRTQ_DESC_F_WRITE | VIRTQ_DESC_F_NEXT, 1);
	desc(ram + DRV_DESC_SIZE, FZ_RAM_GPA + BUF + BUF_OVERLAP, BUF_LEN,
	     VIRTQ_DESC_F_WRITE, 0);
	return FZ_CTRL_BYTES + sizeof(script) + RAM_IMAGE;
}

static const struct oracle_case cases[] = {
	{ FAULT_NONE, NULL },
	{ FAULT_BYTE, "used element 0: byte 0 is 0xef, not 0x10" },
	{ FAULT_OVERLAP_BYTE, "used element 0: byte 4 is 0x14, not 0x18" },
	{ FAULT_LEN, "queue 0: used len 17 > 16 writable" },
	{ FAULT_ID, "queue 0: used id 3 never made available" },
	{ FAULT_EXTRA, "queue 0: 2 used after 1 made available" },
	{ FAULT_STRAY, "RAM 0x3000 written" },
};

static void test_oracle_cases(void **state)
{
	static uint8_t in[FZ_CTRL_BYTES + 4 + RAM_IMAGE];
	size_t n = make_input(in);
	unsigned i, failures;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct ofx o = { .c = &cases[i] };

		failures = fz_run(&ops, &o, in, n);
		assert_int_equal(failures, o.reports);
		if (!cases[i].msg) {
			/* A correct device: checked, and nothing flagged. */
			assert_int_equal(o.reports, 0);
			assert_int_equal(o.checked, 1);
			continue;
		}
		if (!o.reports || !strstr(o.first, cases[i].msg))
			fail_msg("case %u: reported \"%s\", want \"%s\"", i,
				 o.reports ? o.first : "nothing",
				 cases[i].msg);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_oracle_cases),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

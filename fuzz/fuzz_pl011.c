// SPDX-License-Identifier: MIT
/*
 * libFuzzer target for the PL011 model (src/dev/pl011.c). The input is a
 * sequence of operations, each an opcode byte and its operands:
 *
 *   0: read   offset(2) size          guest read anywhere in the window
 *   1: write  offset(2) size value(8) guest write anywhere in the window
 *   2: write  reg(1) value(2)         write to a real register (to reach
 *                                     deep states faster)
 *   3: receive len(1) bytes(len)      host input
 *   4: fdt    bufsize(1)              device-tree node into a small blob
 *
 * After each operation: the FIFO holds at most PL011_FIFO_DEPTH bytes,
 * MIS == RIS & IMSC, the line level equals MIS != 0, UARTFR agrees with
 * the FIFO level and never reports TXFF or BUSY, and the host hooks are
 * called without the device lock held (they call back into the device).
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include <libfdt.h>

#include "dev/pl011.h"
#include "fuzz_util.h"

#define WINDOW 0x1000u
#define FR 0x018
#define IMSC 0x038
#define RIS 0x03c
#define MIS 0x040
#define FR_BUSY 0x08u
#define FR_RXFE 0x10u
#define FR_TXFF 0x20u

/* The real registers, for opcode 2. */
static const uint16_t regs[] = {
	0x000, 0x004, 0x018, 0x020, 0x024, 0x028, 0x02c,
	0x030, 0x034, 0x038, 0x03c, 0x040, 0x044, 0x048,
};

struct fuzz_state {
	struct fuzz_line line;
	struct pl011 *u;
};

/* At each change of the line: the device lock is not held (the call
 * would deadlock if it were). */
static void fuzz_line_changed(void *opaque)
{
	struct fuzz_state *s = opaque;

	check(pl011_rx_level(s->u) <= PL011_FIFO_DEPTH);
}

static void fuzz_tx(void *opaque, const uint8_t *buf, size_t len)
{
	struct fuzz_state *s = opaque;

	check(len == 1 && buf != NULL);
	(void)pl011_tx_count(s->u);
}

static void fuzz_rx_ready(void *opaque)
{
	struct fuzz_state *s = opaque;

	/* Called only when there is room. */
	check(pl011_rx_level(s->u) < PL011_FIFO_DEPTH);
}

static void check_invariants(struct fuzz_state *s)
{
	unsigned level = pl011_rx_level(s->u);
	uint64_t ris = fuzz_mmio_rd(&pl011_mmio_ops, s->u, RIS, 4);
	uint64_t imsc = fuzz_mmio_rd(&pl011_mmio_ops, s->u, IMSC, 4);
	uint64_t mis = fuzz_mmio_rd(&pl011_mmio_ops, s->u, MIS, 4);
	uint64_t fr = fuzz_mmio_rd(&pl011_mmio_ops, s->u, FR, 4);

	check(level <= PL011_FIFO_DEPTH);
	check(mis == (ris & imsc));
	check(s->line.level == (mis != 0));
	check(!(fr & (FR_TXFF | FR_BUSY)));
	check(!!(fr & FR_RXFE) == (level == 0));
}

static void do_op(struct fuzz_state *s, struct cursor *c)
{
	static const unsigned sizes[] = { 1, 2, 4, 8 };
	unsigned op = (unsigned)take(c, 1);
	unsigned size = sizes[(op >> 4) & 3];
	uint64_t off, v;
	uint8_t buf[256];
	size_t len, got;

	switch (op % 5) {
	case 0:
	case 1:
		/* Anywhere the bus would route: the access fits the window. */
		off = take(c, 2) % (WINDOW - size + 1);
		if (op % 5 == 0) {
			(void)fuzz_mmio_rd(&pl011_mmio_ops, s->u, off, size);
		} else {
			v = take(c, 8);
			fuzz_mmio_wr(&pl011_mmio_ops, s->u, off, size, v);
		}
		break;
	case 2:
		off = regs[take(c, 1) % (sizeof(regs) / sizeof(regs[0]))];
		fuzz_mmio_wr(&pl011_mmio_ops, s->u, off, 4, take(c, 2));
		break;
	case 3:
		len = (size_t)take(c, 1) % 64;
		if (len > c->left)
			len = c->left;
		for (size_t i = 0; i < len; i++)
			buf[i] = (uint8_t)take(c, 1);
		got = pl011_receive(s->u, buf, len);
		check(got <= len);
		break;
	default:
		fuzz_fdt_node(&pl011_mmio_ops, s->u, 0x9000000, WINDOW,
			      (unsigned)take(c, 1), "/pl011@9000000");
		break;
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fuzz_state s = { 0 };
	struct cursor c = { .p = data, .left = size };
	struct cellvm_log log = { .level = CELLVM_LOG_ERROR };
	struct pl011_host host = {
		.irq = { .chip = &s.line.chip, .line = 33 },
		.tx = fuzz_tx,
		.rx_ready = fuzz_rx_ready,
		.cb_opaque = &s,
		.log = &log,
	};

	fuzz_line_init(&s.line, fuzz_line_changed, &s);
	if (pl011_create(&host, &s.u))
		return 0;
	while (c.left) {
		do_op(&s, &c);
		check_invariants(&s);
	}
	pl011_destroy(s.u);
	return 0;
}

// SPDX-License-Identifier: MIT
/*
 * The PL011 model (src/dev/pl011.c) through its MMIO ops and host hooks:
 * a fake irqchip records the line, fake tx/rx_ready hooks record the
 * console side, and a capturing log sink counts warnings.
 */
#include <errno.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include <libfdt.h>

#include "cellvm/cellvm.h"
#include "dev/pl011.h"
#include "fdt_node.h"

/* Offsets and bits as the TRM names them (ARM DDI 0183, chapter 3). */
enum {
	DR = 0x000, RSR = 0x004, FR = 0x018, ILPR = 0x020, IBRD = 0x024,
	FBRD = 0x028, LCR_H = 0x02c, CR = 0x030, IFLS = 0x034, IMSC = 0x038,
	RIS = 0x03c, MIS = 0x040, ICR = 0x044, DMACR = 0x048,
};

#define FR_CTS 0x01u
#define FR_DSR 0x02u
#define FR_DCD 0x04u
#define FR_BUSY 0x08u
#define FR_RXFE 0x10u
#define FR_TXFF 0x20u
#define FR_RXFF 0x40u
#define FR_TXFE 0x80u
#define LCR_H_FEN 0x10u
#define CR_UARTEN 0x001u
#define CR_LBE 0x080u
#define CR_TXE 0x100u
#define CR_RXE 0x200u
#define CR_ON (CR_UARTEN | CR_TXE | CR_RXE)
#define INT_RX 0x10u
#define INT_TX 0x20u
#define INT_RT 0x40u
#define IFLS_RX(sel) ((sel) << 3)

#define TEST_LINE 33

struct fake {
	struct cellvm_irqchip chip;
	struct cellvm_log log;
	bool level;
	unsigned line_calls;
	unsigned redundant_calls; /* set_line with the level already set */
	unsigned bad_line_calls;
	uint8_t tx[512];
	size_t tx_len;
	unsigned rx_ready_calls;
	unsigned warnings;
	struct pl011 *u;
};

static int fake_set_line(struct cellvm_irqchip *chip, unsigned line,
			 bool level)
{
	struct fake *f = chip->priv;

	if (line != TEST_LINE)
		f->bad_line_calls++;
	if (f->line_calls && level == f->level)
		f->redundant_calls++;
	f->level = level;
	f->line_calls++;
	return 0;
}

static const struct cellvm_irqchip_ops fake_chip_ops = {
	.set_line = fake_set_line,
};

static void fake_tx(void *opaque, const uint8_t *buf, size_t len)
{
	struct fake *f = opaque;

	assert_true(f->tx_len + len <= sizeof(f->tx));
	memcpy(f->tx + f->tx_len, buf, len);
	f->tx_len += len;
}

static void fake_rx_ready(void *opaque)
{
	struct fake *f = opaque;

	f->rx_ready_calls++;
}

static void fake_sink(void *opaque, enum cellvm_log_level lvl,
		      const char *line)
{
	struct fake *f = opaque;

	if (lvl == CELLVM_LOG_WARN)
		f->warnings++;
}

static int setup(void **state)
{
	struct fake *f = calloc(1, sizeof(*f));
	struct pl011_host host;

	if (!f)
		return -1;
	f->chip = (struct cellvm_irqchip){ .ops = &fake_chip_ops, .priv = f };
	f->log = (struct cellvm_log){ .level = CELLVM_LOG_WARN,
				      .sink = fake_sink, .opaque = f };
	host = (struct pl011_host){
		.irq = { .chip = &f->chip, .line = TEST_LINE },
		.tx = fake_tx,
		.rx_ready = fake_rx_ready,
		.cb_opaque = f,
		.log = &f->log,
	};
	if (pl011_create(&host, &f->u)) {
		free(f);
		return -1;
	}
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fake *f = *state;

	pl011_destroy(f->u);
	free(f);
	return 0;
}

/* An access at offset `off` of the window, as the bus makes it. */
static uint64_t mmio_rd(struct pl011 *u, uint64_t off, unsigned size)
{
	struct cellvm_access_info a = { .offset = off, .size = size };

	return pl011_mmio_ops.read(u, &a);
}

static void mmio_wr(struct pl011 *u, uint64_t off, unsigned size, uint64_t v)
{
	struct cellvm_access_info a = { .offset = off, .size = size };

	pl011_mmio_ops.write(u, &a, v);
}

static uint32_t rd(struct fake *f, uint64_t off)
{
	return (uint32_t)mmio_rd(f->u, off, 4);
}

static void wr(struct fake *f, uint64_t off, uint32_t v)
{
	mmio_wr(f->u, off, 4, v);
}

static size_t rx(struct fake *f, const char *s, size_t len)
{
	return pl011_receive(f->u, (const uint8_t *)s, len);
}

/* The invariants every test may check at any point. */
static void check_irq(struct fake *f)
{
	uint32_t ris = rd(f, RIS), imsc = rd(f, IMSC);

	assert_int_equal(rd(f, MIS), ris & imsc);
	assert_int_equal(f->level, (ris & imsc) != 0);
	assert_int_equal(f->redundant_calls, 0);
	assert_int_equal(f->bad_line_calls, 0);
}

/* Enabled, FIFOs on, receive interrupts unmasked. */
static void enable_fifo(struct fake *f, unsigned ifls_sel)
{
	wr(f, LCR_H, LCR_H_FEN);
	wr(f, IFLS, IFLS_RX(ifls_sel));
	wr(f, CR, CR_ON);
	wr(f, IMSC, INT_RX | INT_RT);
}

static void test_id_registers(void **state)
{
	static const struct {
		uint64_t off;
		uint32_t val;
	} ids[] = {
		{ 0xfe0, 0x11 }, { 0xfe4, 0x10 }, { 0xfe8, 0x14 },
		{ 0xfec, 0x00 }, { 0xff0, 0x0d }, { 0xff4, 0xf0 },
		{ 0xff8, 0x05 }, { 0xffc, 0xb1 },
	};
	struct fake *f = *state;
	size_t i;

	for (i = 0; i < sizeof(ids) / sizeof(ids[0]); i++) {
		assert_int_equal(rd(f, ids[i].off), ids[i].val);
		assert_int_equal(mmio_rd(f->u, ids[i].off, 1),
				 ids[i].val);
		/* Read-only: a write changes nothing. */
		wr(f, ids[i].off, 0xff);
		assert_int_equal(rd(f, ids[i].off), ids[i].val);
	}
	assert_int_equal(f->warnings, 8);
}

static void test_reset_values(void **state)
{
	static const struct {
		uint64_t off;
		uint32_t val;
	} regs[] = {
		{ CR, CR_TXE | CR_RXE },
		{ IFLS, 0x12 },
		{ FR, FR_TXFE | FR_RXFE | FR_CTS | FR_DSR | FR_DCD },
		{ RSR, 0 }, { LCR_H, 0 }, { IMSC, 0 }, { RIS, 0 },
		{ MIS, 0 }, { IBRD, 0 }, { FBRD, 0 }, { ILPR, 0 },
		{ DMACR, 0 },
	};
	struct fake *f = *state;
	size_t i;

	for (i = 0; i < sizeof(regs) / sizeof(regs[0]); i++)
		assert_int_equal(rd(f, regs[i].off), regs[i].val);
	assert_int_equal(f->line_calls, 0);
	assert_int_equal(f->warnings, 0);
}

static void test_plain_registers(void **state)
{
	static const struct {
		uint64_t off;
		uint32_t written, read;
	} regs[] = {
		{ ILPR, 0xffffffff, 0xff },   { IBRD, 0xffffffff, 0xffff },
		{ FBRD, 0xffffffff, 0x3f },   { LCR_H, 0xffffffff, 0xff },
		{ IFLS, 0xffffffff, 0x3f },   { IMSC, 0xffffffff, 0x7ff },
		{ CR, 0xffff0000, 0 },	      { DMACR, 0x7, 0 },
		{ IBRD, 0x1234, 0x1234 },     { FBRD, 0x21, 0x21 },
	};
	struct fake *f = *state;
	size_t i;

	for (i = 0; i < sizeof(regs) / sizeof(regs[0]); i++) {
		wr(f, regs[i].off, regs[i].written);
		assert_int_equal(rd(f, regs[i].off), regs[i].read);
	}
	wr(f, IMSC, 0);
	check_irq(f);
}

static void test_tx(void **state)
{
	struct fake *f = *state;
	uint32_t fr;

	/* Reset state (UARTEN clear) still transmits: earlycon does this. */
	wr(f, DR, 'h');
	wr(f, DR, 0x100 | 'i'); /* bits above the data byte are ignored */
	assert_int_equal(f->tx_len, 2);
	assert_memory_equal(f->tx, "hi", 2);
	assert_int_equal(pl011_tx_count(f->u), 2);
	fr = rd(f, FR);
	assert_true(fr & FR_TXFE);
	assert_false(fr & (FR_TXFF | FR_BUSY));

	/* TXRIS follows each write; ICR clears it until the next one. */
	assert_int_equal(rd(f, RIS), INT_TX);
	wr(f, ICR, INT_TX);
	assert_int_equal(rd(f, RIS), 0);
	wr(f, IMSC, INT_TX);
	assert_false(f->level);
	wr(f, DR, '!');
	assert_true(f->level);
	check_irq(f);
	/* What Linux does when it has nothing more to send: mask TXIM. */
	wr(f, IMSC, 0);
	assert_false(f->level);
	check_irq(f);
	/* The metrics count that one interrupt. */
	{
		struct cellvm_dev_counters c = { 0 };

		pl011_mmio_ops.counters(f->u, &c);
		assert_int_equal(c.irqs, 1);
	}
	/* The RX FIFO saw none of it. */
	assert_int_equal(pl011_rx_level(f->u), 0);
}

static void test_tx_loopback(void **state)
{
	struct fake *f = *state;

	wr(f, LCR_H, LCR_H_FEN);
	wr(f, CR, CR_ON | CR_LBE);
	wr(f, DR, 'x');
	assert_int_equal(f->tx_len, 0);
	assert_int_equal(pl011_tx_count(f->u), 0);
	assert_int_equal(pl011_rx_level(f->u), 1);
	assert_int_equal(rd(f, DR), 'x');
	wr(f, CR, CR_ON);
	wr(f, DR, 'y');
	assert_int_equal(f->tx_len, 1);
	assert_int_equal(pl011_rx_level(f->u), 0);
}

static void test_rx_fifo_fill(void **state)
{
	struct fake *f = *state;
	char in[40];
	unsigned i;

	for (i = 0; i < sizeof(in); i++)
		in[i] = (char)('A' + i);
	enable_fifo(f, 2);
	assert_int_equal(rx(f, in, 10), 10);
	assert_int_equal(rx(f, in + 10, 30), 22);
	assert_int_equal(pl011_rx_level(f->u), PL011_FIFO_DEPTH);
	assert_int_equal(rd(f, FR) & (FR_RXFF | FR_RXFE), FR_RXFF);
	assert_int_equal(rx(f, in + 32, 8), 0);
	/* Oldest first, error bits (11:8) zero. */
	for (i = 0; i < PL011_FIFO_DEPTH; i++)
		assert_int_equal(rd(f, DR), (uint8_t)in[i]);
	assert_int_equal(rd(f, FR) & (FR_RXFF | FR_RXFE), FR_RXFE);
	/* Reading an empty FIFO is harmless. */
	assert_int_equal(rd(f, DR), 0);
	assert_int_equal(rd(f, RSR), 0);
	check_irq(f);
}

static void test_rx_holding_register(void **state)
{
	struct fake *f = *state;

	wr(f, CR, CR_ON); /* FEN clear: one-entry holding register */
	wr(f, IMSC, INT_RX | INT_RT);
	assert_int_equal(rx(f, "abc", 3), 1);
	assert_int_equal(rd(f, FR) & (FR_RXFF | FR_RXFE), FR_RXFF);
	/* Full holding register: RX, not the timeout (TRM, UARTRXINTR). */
	assert_int_equal(rd(f, RIS), INT_RX);
	assert_true(f->level);
	assert_int_equal(f->rx_ready_calls, 0);
	assert_int_equal(rd(f, DR), 'a');
	assert_int_equal(rd(f, RIS), 0);
	assert_false(f->level);
	/* The host was refused: it is asked for more. */
	assert_int_equal(f->rx_ready_calls, 1);
	assert_int_equal(rx(f, "bc", 2), 1);
	assert_int_equal(rd(f, DR), 'b');
	check_irq(f);
}

static void test_rx_ready_on_drain(void **state)
{
	struct fake *f = *state;
	char in[PL011_FIFO_DEPTH + 1] = { 0 };

	wr(f, LCR_H, LCR_H_FEN);
	wr(f, CR, CR_ON);
	wr(f, IMSC, INT_RX | INT_RT); /* a reader waits */
	/* Everything offered fits: no need to call back. */
	assert_int_equal(rx(f, in, 4), 4);
	rd(f, DR);
	rd(f, FR);
	assert_int_equal(f->rx_ready_calls, 0);
	/* Refused: the first read that makes room calls back, once. */
	assert_int_equal(rx(f, in, sizeof(in)), PL011_FIFO_DEPTH - 3);
	assert_int_equal(rd(f, FR) & FR_RXFF, FR_RXFF);
	assert_int_equal(f->rx_ready_calls, 0);
	rd(f, DR);
	assert_int_equal(f->rx_ready_calls, 1);
	rd(f, DR);
	assert_int_equal(f->rx_ready_calls, 1);
	/* The host offers the rest; all of it fits this time. */
	assert_int_equal(rx(f, in, 4), 2);
	assert_int_equal(pl011_rx_level(f->u), PL011_FIFO_DEPTH);
	rd(f, DR);
	assert_int_equal(f->rx_ready_calls, 2);
}

/* Reception gated by UARTCR: nothing is accepted unless UARTEN and RXE. */
static void test_rx_disabled(void **state)
{
	static const uint32_t off_crs[] = {
		0, CR_UARTEN, CR_RXE, CR_TXE | CR_RXE, CR_UARTEN | CR_TXE,
	};
	struct fake *f = *state;
	size_t i;

	wr(f, LCR_H, LCR_H_FEN);
	for (i = 0; i < sizeof(off_crs) / sizeof(off_crs[0]); i++) {
		wr(f, CR, off_crs[i]);
		assert_int_equal(rx(f, "z", 1), 0);
		assert_int_equal(rd(f, FR) & FR_RXFE, FR_RXFE);
	}
	/* Enabled with receive interrupts masked (Linux's start-up order):
	 * no call yet, so its FIFO drain does not eat the host's input. */
	wr(f, CR, CR_ON);
	assert_int_equal(f->rx_ready_calls, 0);
	/* Unmasking them asks the host for the input. */
	wr(f, IMSC, INT_RX | INT_RT);
	assert_int_equal(f->rx_ready_calls, 1);
	assert_int_equal(rx(f, "z", 1), 1);

	/* Disabled and re-enabled with interrupts unmasked: asked at once. */
	wr(f, CR, CR_UARTEN | CR_TXE);
	assert_int_equal(rx(f, "y", 1), 0);
	wr(f, CR, CR_ON);
	assert_int_equal(f->rx_ready_calls, 2);

	/* A guest with receive interrupts masked gets nothing, polling or
	 * not: its driver's start-up drain would discard it. */
	wr(f, IMSC, 0);
	wr(f, CR, 0);
	assert_int_equal(rx(f, "y", 1), 0);
	wr(f, CR, CR_ON);
	assert_int_equal(f->rx_ready_calls, 2);
	rd(f, FR);
	assert_int_equal(f->rx_ready_calls, 2);
	assert_int_equal(rx(f, "y", 1), 0);
	check_irq(f);
}

/* RX at the UARTIFLS level, the timeout (RT) below it. */
static void test_rx_trigger_levels(void **state)
{
	static const struct {
		unsigned sel, level;
	} cases[] = {
		{ 0, 4 }, { 1, 8 }, { 2, 16 }, { 3, 24 }, { 4, 28 },
		/* reserved encodings: 1/2 */
		{ 5, 16 }, { 7, 16 },
	};
	struct fake *f = *state;
	size_t i;
	unsigned n;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		enable_fifo(f, cases[i].sel);
		for (n = 1; n < cases[i].level; n++) {
			assert_int_equal(rx(f, "d", 1), 1);
			assert_int_equal(rd(f, RIS), INT_RT);
		}
		assert_int_equal(rx(f, "d", 1), 1);
		assert_int_equal(rd(f, RIS) & INT_RX, INT_RX);
		assert_true(f->level);
		check_irq(f);
		/* One read takes it below the level: RX drops, RT stays. */
		rd(f, DR);
		assert_int_equal(rd(f, RIS), INT_RT);
		while (!(rd(f, FR) & FR_RXFE))
			rd(f, DR);
		assert_int_equal(rd(f, RIS), 0);
		assert_false(f->level);
		check_irq(f);
	}
}

static void test_rt_and_icr(void **state)
{
	struct fake *f = *state;

	enable_fifo(f, 2);
	assert_int_equal(rx(f, "ab", 2), 2);
	assert_int_equal(rd(f, RIS), INT_RT);
	assert_true(f->level);
	/* ICR clears it while the data stays. */
	wr(f, ICR, INT_RT);
	assert_int_equal(rd(f, RIS), 0);
	assert_false(f->level);
	assert_int_equal(pl011_rx_level(f->u), 2);
	/* The next read leaving data behind expires the timeout again. */
	assert_int_equal(rd(f, DR), 'a');
	assert_int_equal(rd(f, RIS), INT_RT);
	assert_true(f->level);
	assert_int_equal(rd(f, DR), 'b');
	assert_int_equal(rd(f, RIS), 0);
	assert_false(f->level);
	/* New data raises it again; so would the host's next byte. */
	wr(f, ICR, 0x7ff);
	assert_int_equal(rx(f, "c", 1), 1);
	assert_int_equal(rd(f, RIS), INT_RT);
	check_irq(f);
}

/* MIS = RIS & IMSC and the line follows MIS, for each mask. */
static void test_mask_and_mis(void **state)
{
	static const uint32_t masks[] = {
		0, INT_RX, INT_RT, INT_TX, INT_RX | INT_RT,
		INT_RX | INT_TX | INT_RT, 0x7ff, 0x780, 0,
	};
	struct fake *f = *state;
	size_t i;
	char in[20] = { 0 };

	enable_fifo(f, 2);
	assert_int_equal(rx(f, in, sizeof(in)), sizeof(in));
	wr(f, IMSC, 0);
	wr(f, DR, '.');
	assert_int_equal(rd(f, RIS), INT_RX | INT_TX);
	for (i = 0; i < sizeof(masks) / sizeof(masks[0]); i++) {
		wr(f, IMSC, masks[i]);
		assert_int_equal(rd(f, MIS), (INT_RX | INT_TX) & masks[i]);
		check_irq(f);
	}
	/* Reads through RX -> RT -> empty, all masked in. */
	wr(f, IMSC, 0x7ff);
	wr(f, ICR, INT_TX);
	while (!(rd(f, FR) & FR_RXFE)) {
		rd(f, DR);
		check_irq(f);
	}
	assert_false(f->level);
}

/* set_line is called on changes only, with the right level. */
static void test_irq_line_changes(void **state)
{
	struct fake *f = *state;

	enable_fifo(f, 2);
	wr(f, IMSC, INT_RT);
	assert_int_equal(f->line_calls, 0);
	assert_int_equal(rx(f, "a", 1), 1);
	assert_int_equal(f->line_calls, 1);
	assert_true(f->level);
	/* More data, RT still pending: the line is left alone. */
	assert_int_equal(rx(f, "bc", 2), 2);
	wr(f, IMSC, INT_RT | INT_RX);
	assert_int_equal(f->line_calls, 1);
	rd(f, DR);
	rd(f, DR);
	assert_int_equal(f->line_calls, 1);
	rd(f, DR);
	assert_int_equal(f->line_calls, 2);
	assert_false(f->level);
	check_irq(f);
}

static void test_unknown_offsets(void **state)
{
	static const uint64_t offs[] = {
		0x008, 0x00c, 0x010, 0x014, 0x01c, 0x04c,
		0x080, 0x08c, 0x100, 0xfdc, ICR,
	};
	struct fake *f = *state;
	size_t i;

	for (i = 0; i < sizeof(offs) / sizeof(offs[0]); i++) {
		assert_int_equal(rd(f, offs[i]), 0);
		if (offs[i] == ICR)
			continue;
		wr(f, offs[i], 0xffffffff);
		assert_int_equal(rd(f, offs[i]), 0);
	}
	/* Read-only registers ignore writes. */
	wr(f, FR, 0);
	wr(f, RIS, 0x7ff);
	wr(f, MIS, 0x7ff);
	assert_int_equal(rd(f, FR), FR_TXFE | FR_RXFE | FR_CTS | FR_DSR | FR_DCD);
	assert_int_equal(rd(f, RIS), 0);
	/* Each was warned about, within the rate limit. */
	assert_int_equal(f->warnings, CELLVM_RATELIMIT_BURST);
	assert_int_equal(f->line_calls, 0);
}

/* Narrow and wide accesses reach the lanes of the 32-bit register. */
static void test_access_sizes(void **state)
{
	struct fake *f = *state;

	assert_int_equal(mmio_rd(f->u, CR, 2), CR_TXE | CR_RXE);
	assert_int_equal(mmio_rd(f->u, CR + 1, 1), (CR_TXE | CR_RXE) >> 8);
	assert_int_equal(mmio_rd(f->u, CR, 8), CR_TXE | CR_RXE);
	assert_int_equal(mmio_rd(f->u, 0xfe8, 2), 0x14);
	/* A byte write changes its lane only. */
	mmio_wr(f->u, CR, 1, CR_UARTEN);
	assert_int_equal(rd(f, CR), CR_ON);
	mmio_wr(f->u, CR + 1, 1, CR_RXE >> 8);
	assert_int_equal(rd(f, CR), CR_UARTEN | CR_RXE);
	mmio_wr(f->u, CR, 8, 0xffffffff00000000ULL | CR_ON);
	assert_int_equal(rd(f, CR), CR_ON);
	mmio_wr(f->u, IBRD, 2, 0x5678);
	mmio_wr(f->u, IBRD + 2, 2, 0xff); /* beyond IBRD's 16 bits */
	assert_int_equal(rd(f, IBRD), 0x5678);
	/* 16-bit DR traffic, as some Linux variants do. */
	mmio_wr(f->u, DR, 2, 'q');
	assert_int_equal(f->tx_len, 1);
	assert_int_equal(f->tx[0], 'q');
	wr(f, LCR_H, LCR_H_FEN);
	wr(f, IMSC, INT_RX | INT_RT);
	assert_int_equal(rx(f, "r", 1), 1);
	assert_int_equal(mmio_rd(f->u, DR, 2), 'r');
	assert_int_equal(mmio_rd(f->u, FR, 1) & FR_RXFE, FR_RXFE);
}

static int build_fdt(struct fake *f, void *buf, int size,
		     struct fdt_test_ctx *t)
{
	return build_node_fdt(&pl011_mmio_ops, f->u, 0x9000000, buf, size, t);
}

static void test_fdt_node(void **state)
{
	static const char compat[] = "arm,pl011\0arm,primecell";
	static const char clock_names[] = "uartclk\0apb_pclk";
	static const uint32_t reg[] = { 0, 0x9000000, 0, 0x1000 };
	static const uint32_t irq[] = { 0, TEST_LINE - 32, 4 };
	struct fake *f = *state;
	struct fdt_test_ctx t;
	char buf[1024];
	const fdt32_t *cells;
	const void *p;
	int node, len, i;

	assert_int_equal(build_fdt(f, buf, sizeof(buf), &t), 0);
	assert_int_equal(t.line_seen, TEST_LINE);
	node = fdt_path_offset(buf, "/pl011@9000000");
	assert_true(node >= 0);
	p = fdt_getprop(buf, node, "compatible", &len);
	assert_non_null(p);
	assert_int_equal(len, sizeof(compat));
	assert_memory_equal(p, compat, sizeof(compat));
	p = fdt_getprop(buf, node, "clock-names", &len);
	assert_int_equal(len, sizeof(clock_names));
	assert_memory_equal(p, clock_names, sizeof(clock_names));
	cells = fdt_getprop(buf, node, "reg", &len);
	assert_int_equal(len, sizeof(reg));
	for (i = 0; i < 4; i++)
		assert_int_equal(fdt32_to_cpu(cells[i]), reg[i]);
	cells = fdt_getprop(buf, node, "interrupts", &len);
	assert_int_equal(len, sizeof(irq));
	for (i = 0; i < 3; i++)
		assert_int_equal(fdt32_to_cpu(cells[i]), irq[i]);
	cells = fdt_getprop(buf, node, "clocks", &len);
	assert_int_equal(len, 8);
	assert_int_equal(fdt32_to_cpu(cells[0]), 2);
	assert_int_equal(fdt32_to_cpu(cells[1]), 2);
}

static void test_fdt_no_space(void **state)
{
	struct fake *f = *state;
	struct fdt_test_ctx t;
	char buf[128];

	assert_int_equal(build_fdt(f, buf, sizeof(buf), &t), -ENOSPC);
}

static void test_create_and_no_hooks(void **state)
{
	struct pl011_host host = { .irq = { .chip = NULL, .line = 40 } };
	struct pl011 *u = NULL;

	assert_int_equal(pl011_create(NULL, &u), -EINVAL);
	assert_int_equal(pl011_create(&host, NULL), -EINVAL);
	pl011_destroy(NULL);
	/* No chip, no hooks, no log: everything still works quietly. */
	assert_int_equal(pl011_create(&host, &u), 0);
	mmio_wr(u, LCR_H, 4, LCR_H_FEN);
	mmio_wr(u, CR, 4, CR_ON);
	mmio_wr(u, IMSC, 4, 0x7ff);
	mmio_wr(u, DR, 4, 'x');
	assert_int_equal(pl011_receive(u, (const uint8_t *)"ab", 2), 2);
	assert_int_equal(pl011_receive(u, NULL, 2), 0);
	assert_int_equal(mmio_rd(u, DR, 4), 'a');
	assert_int_equal(mmio_rd(u, MIS, 4), INT_TX | INT_RT);
	assert_int_equal(pl011_tx_count(u), 1);
	pl011_destroy(u);
}

/*
 * The host thread feeds a long sequence while a "vCPU" thread drains it
 * the way Linux does (read until RXFE), with no byte lost or reordered.
 */
#define STREAM_LEN 20000u

struct stream {
	struct fake *f;
	pthread_mutex_t m;
	pthread_cond_t c;
	unsigned kicks;
};

static void stream_rx_ready(void *opaque)
{
	struct stream *s = opaque;

	pthread_mutex_lock(&s->m);
	s->kicks++;
	pthread_cond_signal(&s->c);
	pthread_mutex_unlock(&s->m);
}

static void *stream_host(void *arg)
{
	struct stream *s = arg;
	uint8_t buf[64];
	unsigned sent = 0, i, kicks = 0;
	size_t n, want;

	while (sent < STREAM_LEN) {
		want = STREAM_LEN - sent;
		if (want > sizeof(buf))
			want = sizeof(buf);
		for (i = 0; i < want; i++)
			buf[i] = (uint8_t)(sent + i);
		n = pl011_receive(s->f->u, buf, want);
		sent += (unsigned)n;
		if (n == want)
			continue;
		/* Refused: wait for the device to ask for more. */
		pthread_mutex_lock(&s->m);
		while (s->kicks == kicks)
			pthread_cond_wait(&s->c, &s->m);
		kicks = s->kicks;
		pthread_mutex_unlock(&s->m);
	}
	return NULL;
}

static void test_threaded_stream(void **state)
{
	struct stream s = { .f = NULL };
	struct pl011_host host = { .rx_ready = stream_rx_ready };
	struct fake fk = { 0 };
	pthread_t th;
	unsigned got = 0;
	uint32_t v;

	pthread_mutex_init(&s.m, NULL);
	pthread_cond_init(&s.c, NULL);
	host.cb_opaque = &s;
	assert_int_equal(pl011_create(&host, &fk.u), 0);
	s.f = &fk;
	enable_fifo(&fk, 2);
	assert_int_equal(pthread_create(&th, NULL, stream_host, &s), 0);
	while (got < STREAM_LEN) {
		if (rd(&fk, FR) & FR_RXFE)
			continue;
		v = rd(&fk, DR);
		assert_int_equal(v, (uint8_t)got);
		got++;
	}
	pthread_join(th, NULL);
	assert_int_equal(pl011_rx_level(fk.u), 0);
	pl011_destroy(fk.u);
	pthread_cond_destroy(&s.c);
	pthread_mutex_destroy(&s.m);
}

#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_id_registers),
		T(test_reset_values),
		T(test_plain_registers),
		T(test_tx),
		T(test_tx_loopback),
		T(test_rx_fifo_fill),
		T(test_rx_holding_register),
		T(test_rx_ready_on_drain),
		T(test_rx_disabled),
		T(test_rx_trigger_levels),
		T(test_rt_and_icr),
		T(test_mask_and_mis),
		T(test_irq_line_changes),
		T(test_unknown_offsets),
		T(test_access_sizes),
		T(test_fdt_node),
		T(test_fdt_no_space),
		cmocka_unit_test(test_create_and_no_hooks),
		cmocka_unit_test(test_threaded_stream),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

// SPDX-License-Identifier: MIT
/*
 * The PL061 model (src/dev/pl061.c) through its MMIO ops and the host's
 * input pins: a fake irqchip records the line, a capturing log sink
 * counts warnings, and the device-tree nodes are parsed back with libfdt.
 */
#include <errno.h>
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
#include "dev/pl061.h"
#include "fdt_node.h"

/* Offsets as the TRM names them (ARM DDI 0190, 3.2). */
enum {
	DATA = 0x000, DIR = 0x400, IS = 0x404, IBE = 0x408, IEV = 0x40c,
	IE = 0x410, RIS = 0x414, MIS = 0x418, IC = 0x41c, AFSEL = 0x420,
};

#define TEST_LINE 39
#define KEY_PIN 3
#define KEY (1u << KEY_PIN)
/* GPIODATA with every pin in the address mask (3.3.1). */
#define DATA_ALL (DATA + (0xffu << 2))

struct fake {
	struct cellvm_irqchip chip;
	struct cellvm_log log;
	bool level;
	unsigned line_calls;
	unsigned redundant_calls;
	unsigned warnings;
	struct pl061 *gpio;
};

static int fake_set_line(struct cellvm_irqchip *chip, unsigned line,
			 bool level)
{
	struct fake *f = chip->priv;

	assert_int_equal(line, TEST_LINE);
	if (f->line_calls && level == f->level)
		f->redundant_calls++;
	f->level = level;
	f->line_calls++;
	return 0;
}

static const struct cellvm_irqchip_ops fake_chip_ops = {
	.set_line = fake_set_line,
};

static void fake_sink(void *opaque, enum cellvm_log_level lvl,
		      const char *line)
{
	struct fake *f = opaque;

	if (lvl == CELLVM_LOG_WARN)
		f->warnings++;
}

static int make(void **state, int power_pin)
{
	struct fake *f = calloc(1, sizeof(*f));
	struct pl061_host host;

	if (!f)
		return -1;
	f->chip = (struct cellvm_irqchip){ .ops = &fake_chip_ops, .priv = f };
	f->log = (struct cellvm_log){ .level = CELLVM_LOG_WARN,
				      .sink = fake_sink, .opaque = f };
	host = (struct pl061_host){
		.irq = { .chip = &f->chip, .line = TEST_LINE },
		.power_pin = power_pin,
		.log = &f->log,
	};
	if (pl061_create(&host, &f->gpio)) {
		free(f);
		return -1;
	}
	*state = f;
	return 0;
}

static int setup(void **state)
{
	return make(state, KEY_PIN);
}

static int setup_no_key(void **state)
{
	return make(state, PL061_NO_KEY);
}

static int teardown(void **state)
{
	struct fake *f = *state;

	pl061_destroy(f->gpio);
	free(f);
	return 0;
}

static uint64_t mmio_rd(struct pl061 *g, uint64_t off, unsigned size)
{
	struct cellvm_access_info a = { .offset = off, .size = size };

	return pl061_mmio_ops.read(g, &a);
}

static void mmio_wr(struct pl061 *g, uint64_t off, unsigned size, uint64_t v)
{
	struct cellvm_access_info a = { .offset = off, .size = size };

	pl061_mmio_ops.write(g, &a, v);
}

/* Linux's driver uses byte accesses (readb/writeb): so do the tests. */
static uint32_t rd(struct fake *f, uint64_t off)
{
	return (uint32_t)mmio_rd(f->gpio, off, 1);
}

static void wr(struct fake *f, uint64_t off, uint32_t v)
{
	mmio_wr(f->gpio, off, 1, v);
}

static void input(struct fake *f, unsigned pin, bool level)
{
	assert_int_equal(pl061_set_input(f->gpio, pin, level), 0);
}

/* The invariants every test may check at any point (3.3.8). */
static void check_irq(struct fake *f)
{
	uint32_t ris = rd(f, RIS), ie = rd(f, IE);

	assert_int_equal(rd(f, MIS), ris & ie);
	assert_int_equal(f->level, (ris & ie) != 0);
	assert_int_equal(pl061_irq_level(f->gpio), f->level);
	assert_int_equal(f->redundant_calls, 0);
}

static void test_id_registers(void **state)
{
	static const struct {
		uint64_t off;
		uint32_t val;
	} ids[] = {
		{ 0xfe0, 0x61 }, { 0xfe4, 0x10 }, { 0xfe8, 0x04 },
		{ 0xfec, 0x00 }, { 0xff0, 0x0d }, { 0xff4, 0xf0 },
		{ 0xff8, 0x05 }, { 0xffc, 0xb1 },
	};
	struct fake *f = *state;
	size_t i;

	for (i = 0; i < sizeof(ids) / sizeof(ids[0]); i++) {
		/* Linux's AMBA bus reads them as words. */
		assert_int_equal(mmio_rd(f->gpio, ids[i].off, 4), ids[i].val);
		wr(f, ids[i].off, 0xff);
		assert_int_equal(rd(f, ids[i].off), ids[i].val);
	}
	assert_int_equal(f->warnings, 8);
}

static void test_reset(void **state)
{
	static const uint64_t regs[] = { DATA_ALL, DIR, IS, IBE, IEV, IE,
					 RIS, MIS, AFSEL };
	struct fake *f = *state;
	size_t i;

	for (i = 0; i < sizeof(regs) / sizeof(regs[0]); i++)
		assert_int_equal(rd(f, regs[i]), 0);
	assert_false(f->level);
	assert_int_equal(f->warnings, 0);
}

/* 3.3.1: address bits [9:2] mask what GPIODATA reads and writes; only
 * output pins take written values; input pins read the host's level. */
static void test_data_masking(void **state)
{
	struct fake *f = *state;

	wr(f, DIR, 0x0f); /* pins 0-3 outputs */
	wr(f, DATA_ALL, 0xff);
	assert_int_equal(rd(f, DATA_ALL), 0x0f);
	wr(f, DATA + (0x03u << 2), 0x00); /* clears pins 0 and 1 only */
	assert_int_equal(rd(f, DATA_ALL), 0x0c);
	assert_int_equal(rd(f, DATA + (0x04u << 2)), 0x04);
	assert_int_equal(rd(f, DATA + (0x01u << 2)), 0x00);
	input(f, 7, true);
	input(f, 2, false); /* an output pin: its input is not seen */
	assert_int_equal(rd(f, DATA_ALL), 0x8c);
	assert_int_equal(rd(f, DATA + (0x80u << 2)), 0x80);
	assert_int_equal(rd(f, DATA + (0x7fu << 2)), 0x0c);
	/* Linux's pl061_set_value: writeb(v << pin, base + (1 << (pin+2))). */
	wr(f, DATA + (1u << (1 + 2)), 1u << 1);
	assert_int_equal(rd(f, DATA_ALL), 0x8e);
	assert_int_equal(f->warnings, 0);
}

/* 3.3.3-3.3.5, 3.3.7: rising edge latches, GPIOIC clears (3.3.9). */
static void test_rising_edge(void **state)
{
	struct fake *f = *state;

	wr(f, IEV, KEY);
	wr(f, IE, KEY);
	check_irq(f);
	assert_false(f->level);
	input(f, KEY_PIN, true);
	assert_int_equal(rd(f, RIS), KEY);
	assert_true(f->level);
	check_irq(f);
	input(f, KEY_PIN, false); /* a falling edge: still latched */
	assert_int_equal(rd(f, RIS), KEY);
	wr(f, IC, KEY);
	assert_int_equal(rd(f, RIS), 0);
	assert_false(f->level);
	check_irq(f);
	input(f, KEY_PIN, false); /* no change, no edge */
	assert_int_equal(rd(f, RIS), 0);
	/* Another pin's edges are its own: GPIOIEV 0 there, falling. */
	input(f, 5, true);
	assert_int_equal(rd(f, RIS), 0);
	input(f, 5, false);
	assert_int_equal(rd(f, RIS), 1u << 5);
	assert_false(f->level); /* masked */
	check_irq(f);
}

static void test_falling_and_both_edges(void **state)
{
	struct fake *f = *state;

	wr(f, IE, 0xff);
	input(f, 0, true); /* GPIOIEV 0: falling only */
	assert_int_equal(rd(f, RIS), 0);
	input(f, 0, false);
	assert_int_equal(rd(f, RIS), 1);
	wr(f, IC, 0xff);
	wr(f, IBE, KEY); /* both edges, whatever GPIOIEV says */
	input(f, KEY_PIN, true);
	assert_int_equal(rd(f, RIS), KEY);
	wr(f, IC, KEY);
	assert_false(f->level);
	input(f, KEY_PIN, false);
	assert_int_equal(rd(f, RIS), KEY);
	assert_true(f->level);
	check_irq(f);
}

/* 3.3.3: a level-sensitive pin reads 1 while at GPIOIEV's level; GPIOIC
 * does not clear it. */
static void test_level(void **state)
{
	struct fake *f = *state;

	wr(f, IS, KEY);
	wr(f, IEV, KEY);
	wr(f, IE, KEY);
	assert_false(f->level);
	input(f, KEY_PIN, true);
	assert_true(f->level);
	wr(f, IC, KEY);
	assert_int_equal(rd(f, RIS), KEY);
	assert_true(f->level);
	input(f, KEY_PIN, false);
	assert_false(f->level);
	assert_int_equal(rd(f, RIS), 0);
	wr(f, IEV, 0); /* low level: now active */
	assert_true(f->level);
	check_irq(f);
}

/* 3.3.6: a masked pin still shows in GPIORIS; unmasking raises the line. */
static void test_masking(void **state)
{
	struct fake *f = *state;

	wr(f, IBE, KEY);
	input(f, KEY_PIN, true);
	assert_int_equal(rd(f, RIS), KEY);
	assert_int_equal(rd(f, MIS), 0);
	assert_false(f->level);
	wr(f, IE, KEY);
	assert_true(f->level);
	assert_int_equal(rd(f, MIS), KEY);
	wr(f, IE, 0);
	assert_false(f->level);
	check_irq(f);
}

/* An output pin's own changes are edges too. */
static void test_output_edges(void **state)
{
	struct fake *f = *state;

	wr(f, DIR, 1);
	wr(f, IEV, 1);
	wr(f, IE, 1);
	wr(f, DATA + (1u << 2), 1);
	assert_int_equal(rd(f, RIS), 1);
	assert_true(f->level);
	check_irq(f);
}

/* What the guest sees of a power-key press as Linux's gpio-keys sets the
 * pin up (both edges, unmasked): press, clear, release. */
static void test_power_key_press(void **state)
{
	struct fake *f = *state;

	wr(f, IBE, KEY);
	wr(f, IE, KEY);
	input(f, KEY_PIN, true);
	assert_true(f->level);
	assert_int_equal(rd(f, DATA + (KEY << 2)), KEY);
	wr(f, IC, KEY);
	assert_false(f->level);
	input(f, KEY_PIN, false);
	assert_true(f->level);
	assert_int_equal(rd(f, DATA + (KEY << 2)), 0);
	wr(f, IC, KEY);
	assert_false(f->level);
	assert_int_equal(f->line_calls, 4);
	check_irq(f);
	/* The metrics: a press and a release, two interrupts. */
	{
		struct cellvm_dev_counters c = { 0 };

		pl061_mmio_ops.counters(f->gpio, &c);
		assert_int_equal(c.irqs, 2);
	}
}

/* RAZ/WI with a warning: unknown offsets, the write-only and read-only
 * registers misused, accesses not at a word's start or 8 bytes wide. */
static void test_raz_wi(void **state)
{
	struct fake *f = *state;

	assert_int_equal(rd(f, 0x424), 0);
	wr(f, 0x424, 0xff);
	assert_int_equal(rd(f, 0x800), 0);
	assert_int_equal(f->warnings, 3);
	assert_int_equal(rd(f, IC), 0);
	assert_int_equal(f->warnings, 4);
	wr(f, RIS, 0xff);
	wr(f, MIS, 0xff);
	assert_int_equal(f->warnings, 6);
	mmio_wr(f->gpio, DIR + 1, 1, 0xff);
	mmio_wr(f->gpio, DIR, 8, 0xff);
	assert_int_equal(mmio_rd(f->gpio, IE + 2, 2), 0);
	assert_int_equal(f->warnings, 9);
	assert_int_equal(rd(f, DIR), 0);
	/* Word and half-word accesses at a word's start work; bits above
	 * the eight pins are not kept. */
	mmio_wr(f->gpio, AFSEL, 4, 0xffffff5a);
	assert_int_equal(mmio_rd(f->gpio, AFSEL, 4), 0x5a);
	mmio_wr(f->gpio, DIR, 2, 0x1ff);
	assert_int_equal(mmio_rd(f->gpio, DIR, 2), 0xff);
	assert_int_equal(f->warnings, 9);
	check_irq(f);
}

static void test_save_restore(void **state)
{
	struct fake *f = *state;
	struct pl061_state st, back;

	wr(f, DIR, 0xf0);
	wr(f, DATA_ALL, 0xa0);
	wr(f, IBE, KEY);
	wr(f, IE, KEY);
	wr(f, AFSEL, 0x11);
	input(f, KEY_PIN, true);
	pl061_save(f->gpio, &st);
	assert_int_equal(st.dir, 0xf0);
	assert_int_equal(st.data, 0xa0);
	assert_int_equal(st.edge_ris, KEY);
	assert_int_equal(st.in, KEY);
	wr(f, IC, KEY);
	wr(f, DIR, 0);
	assert_false(f->level);
	assert_int_equal(pl061_restore(f->gpio, &st), 0);
	assert_true(f->level);
	pl061_save(f->gpio, &back);
	assert_memory_equal(&st, &back, sizeof(st));
	assert_int_equal(rd(f, AFSEL), 0x11);
	assert_int_equal(pl061_restore(f->gpio, NULL), -EINVAL);
	check_irq(f);
}

static void test_bad_arguments(void **state)
{
	struct pl061_host host = { .power_pin = 8 };
	struct pl061 *g = NULL;
	struct fake *f = *state;

	assert_int_equal(pl061_create(&host, &g), -EINVAL);
	host.power_pin = -2;
	assert_int_equal(pl061_create(&host, &g), -EINVAL);
	assert_int_equal(pl061_create(NULL, &g), -EINVAL);
	assert_null(g);
	assert_int_equal(pl061_set_input(f->gpio, PL061_NR_PINS, true),
			 -EINVAL);
	assert_int_equal(pl061_set_input(NULL, 0, true), -EINVAL);
	/* No irqchip: the model works, nothing is driven. */
	host = (struct pl061_host){ .power_pin = PL061_NO_KEY };
	assert_int_equal(pl061_create(&host, &g), 0);
	assert_int_equal(pl061_set_input(g, 0, true), 0);
	pl061_destroy(g);
	pl061_destroy(NULL);
}

static void test_fdt_nodes(void **state)
{
	static const char compat[] = "arm,pl061\0arm,primecell";
	static const uint32_t reg[] = { 0, 0x9030000, 0, 0x1000 };
	static const uint32_t irq[] = { 0, TEST_LINE - 32, 4 };
	static const uint32_t gpios[] = { FDT_TEST_PHANDLE, KEY_PIN, 0 };
	struct fake *f = *state;
	struct fdt_test_ctx t;
	char buf[2048];
	const fdt32_t *cells;
	const char *p;
	int node, len, i;

	assert_int_equal(build_node_fdt(&pl061_mmio_ops, f->gpio, 0x9030000,
					buf, sizeof(buf), &t), 0);
	assert_int_equal(t.line_seen, TEST_LINE);
	node = fdt_path_offset(buf, "/pl061@9030000");
	assert_true(node >= 0);
	p = fdt_getprop(buf, node, "compatible", &len);
	assert_non_null(p);
	assert_int_equal(len, sizeof(compat));
	assert_memory_equal(p, compat, sizeof(compat));
	cells = fdt_getprop(buf, node, "reg", &len);
	assert_int_equal(len, sizeof(reg));
	for (i = 0; i < 4; i++)
		assert_int_equal(fdt32_to_cpu(cells[i]), reg[i]);
	cells = fdt_getprop(buf, node, "interrupts", &len);
	assert_int_equal(len, sizeof(irq));
	for (i = 0; i < 3; i++)
		assert_int_equal(fdt32_to_cpu(cells[i]), irq[i]);
	assert_non_null(fdt_getprop(buf, node, "gpio-controller", &len));
	assert_int_equal(len, 0);
	cells = fdt_getprop(buf, node, "#gpio-cells", &len);
	assert_int_equal(len, 4);
	assert_int_equal(fdt32_to_cpu(cells[0]), 2);
	assert_int_equal(fdt_get_phandle(buf, node), FDT_TEST_PHANDLE);
	p = fdt_getprop(buf, node, "clock-names", &len);
	assert_non_null(p);
	assert_string_equal(p, "apb_pclk");

	node = fdt_path_offset(buf, "/gpio-keys");
	assert_true(node >= 0);
	assert_int_equal(fdt_node_check_compatible(buf, node, "gpio-keys"), 0);
	node = fdt_path_offset(buf, "/gpio-keys/poweroff");
	assert_true(node >= 0);
	cells = fdt_getprop(buf, node, "linux,code", &len);
	assert_int_equal(len, 4);
	assert_int_equal(fdt32_to_cpu(cells[0]), 116); /* KEY_POWER */
	cells = fdt_getprop(buf, node, "gpios", &len);
	assert_int_equal(len, sizeof(gpios));
	for (i = 0; i < 3; i++)
		assert_int_equal(fdt32_to_cpu(cells[i]), gpios[i]);
	assert_non_null(fdt_getprop(buf, node, "label", &len));
	assert_int_equal(fdt_check_full(buf, sizeof(buf)), 0);
}

static void test_fdt_without_key(void **state)
{
	struct fake *f = *state;
	struct fdt_test_ctx t;
	char buf[2048];

	assert_int_equal(build_node_fdt(&pl061_mmio_ops, f->gpio, 0x9030000,
					buf, sizeof(buf), &t), 0);
	assert_true(fdt_path_offset(buf, "/pl061@9030000") >= 0);
	assert_int_equal(fdt_path_offset(buf, "/gpio-keys"),
			 -FDT_ERR_NOTFOUND);
}

static void test_fdt_no_space(void **state)
{
	struct fake *f = *state;
	struct fdt_test_ctx t;
	char buf[200];
	int ret;

	/* libfdt's NOSPACE passed through, as the board's builder takes. */
	ret = build_node_fdt(&pl061_mmio_ops, f->gpio, 0x9030000, buf,
			     sizeof(buf), &t);
	assert_true(ret == -ENOSPC || ret == -FDT_ERR_NOSPACE);
}

#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_id_registers),
		T(test_reset),
		T(test_data_masking),
		T(test_rising_edge),
		T(test_falling_and_both_edges),
		T(test_level),
		T(test_masking),
		T(test_output_edges),
		T(test_power_key_press),
		T(test_raz_wi),
		T(test_save_restore),
		T(test_bad_arguments),
		T(test_fdt_nodes),
		cmocka_unit_test_setup_teardown(test_fdt_without_key,
						setup_no_key, teardown),
		T(test_fdt_no_space),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

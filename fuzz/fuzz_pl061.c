// SPDX-License-Identifier: MIT
/*
 * libFuzzer target for the PL061 model (src/dev/pl061.c). The input is a
 * sequence of operations, each an opcode byte and its operands:
 *
 *   0: read   offset(2) size          guest read anywhere in the window
 *   1: write  offset(2) size value(4) guest write anywhere in the window
 *   2: write  reg(1) value(1)         byte write to a real register
 *   3: input  pin(1) level            the host drives a pin (any number)
 *   4: save, restore                  round trip of the state
 *   5: fdt    bufsize(1)              device-tree nodes into a small blob
 *
 * After each operation: GPIOMIS == GPIORIS & GPIOIE, the line equals
 * GPIOMIS != 0 and is only driven on changes, GPIODATA (all pins in the
 * mask) is the outputs' data and the inputs' host levels, a
 * level-sensitive pin's GPIORIS bit says whether its level is GPIOIEV's,
 * and no register holds a bit above the eight pins.
 */
#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include <libfdt.h>

#include "dev/pl061.h"
#include "fuzz_util.h"

#define WINDOW 0x1000u
#define DATA_ALL (0xffu << 2)
#define IS 0x404
#define IEV 0x40c
#define IE 0x410
#define RIS 0x414
#define MIS 0x418

static const uint16_t regs[] = { 0x000, 0x3fc, 0x400, 0x404, 0x408, 0x40c,
				 0x410, 0x414, 0x418, 0x41c, 0x420 };

struct fuzz_state {
	struct fuzz_line line;
	struct pl061 *gpio;
};

static void check_invariants(struct fuzz_state *s)
{
	struct pl061_state st;
	uint64_t ris = fuzz_mmio_rd(&pl061_mmio_ops, s->gpio, RIS, 4);
	uint64_t ie = fuzz_mmio_rd(&pl061_mmio_ops, s->gpio, IE, 4);
	uint64_t mis = fuzz_mmio_rd(&pl061_mmio_ops, s->gpio, MIS, 4);
	uint64_t is = fuzz_mmio_rd(&pl061_mmio_ops, s->gpio, IS, 4);
	uint64_t iev = fuzz_mmio_rd(&pl061_mmio_ops, s->gpio, IEV, 4);
	uint64_t data = fuzz_mmio_rd(&pl061_mmio_ops, s->gpio, DATA_ALL, 4);
	uint8_t pins;

	pl061_save(s->gpio, &st);
	pins = (uint8_t)((st.dir & st.data) | (~st.dir & st.in));
	check(mis == (ris & ie));
	check(s->line.level == (mis != 0));
	check(pl061_irq_level(s->gpio) == s->line.level);
	check(data == pins);
	check((ris & is) == (is & (uint8_t)~(pins ^ iev)));
	check(ris <= 0xff && ie <= 0xff && data <= 0xff);
}

static void do_op(struct fuzz_state *s, struct cursor *c)
{
	static const unsigned sizes[] = { 1, 2, 4, 8 };
	unsigned op = (unsigned)take(c, 1);
	unsigned size = sizes[(op >> 4) & 3];
	struct pl061_state st;
	unsigned pin;
	uint64_t off;
	int ret;

	switch (op % 6) {
	case 0:
		off = take(c, 2) % (WINDOW - size + 1);
		(void)fuzz_mmio_rd(&pl061_mmio_ops, s->gpio, off, size);
		break;
	case 1:
		off = take(c, 2) % (WINDOW - size + 1);
		fuzz_mmio_wr(&pl061_mmio_ops, s->gpio, off, size, take(c, 4));
		break;
	case 2:
		off = regs[take(c, 1) % (sizeof(regs) / sizeof(regs[0]))];
		fuzz_mmio_wr(&pl061_mmio_ops, s->gpio, off, 1, take(c, 1));
		break;
	case 3:
		pin = (unsigned)take(c, 1);
		ret = pl061_set_input(s->gpio, pin, (op >> 6) & 1);
		check(ret == (pin < PL061_NR_PINS ? 0 : -EINVAL));
		break;
	case 4:
		pl061_save(s->gpio, &st);
		check(pl061_restore(s->gpio, &st) == 0);
		break;
	default:
		fuzz_fdt_node(&pl061_mmio_ops, s->gpio, 0x9030000, WINDOW,
			      (unsigned)take(c, 1), "/gpio-keys/poweroff");
		break;
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fuzz_state s = { 0 };
	struct cursor c = { data, size };
	struct pl061_host host = {
		.irq = { .chip = &s.line.chip, .line = 39 },
		.power_pin = 3,
	};

	fuzz_line_init(&s.line, NULL, &s);
	if (pl061_create(&host, &s.gpio))
		return 0;
	while (c.left) {
		do_op(&s, &c);
		check_invariants(&s);
	}
	pl061_destroy(s.gpio);
	return 0;
}

// SPDX-License-Identifier: MIT
/*
 * libFuzzer target for the PL031 model (src/dev/pl031.c), with a fake
 * clock the input drives. The input is a sequence of operations, each an
 * opcode byte and its operands:
 *
 *   0: read   offset(2) size          guest read anywhere in the window
 *   1: write  offset(2) size value(4) guest write anywhere in the window
 *   2: write  reg(1) value(4)         write to a real register
 *   3: clock  delta(4) sign           move the host clock (any direction)
 *   4: tick                           the alarm timer fires
 *   5: save, restore                  round trip of the state
 *   6: fdt    bufsize(1)              device-tree node into a small blob
 *
 * After each operation: RTCMIS == RTCRIS & RTCIMSC, the line equals
 * RTCMIS != 0 and is only driven on changes, RTCRIS, RTCIMSC and RTCCR
 * hold bit 0 only, RTCDR is (clock + offset) / 10^9 of the saved state,
 * the board's alarm and offset are the device's, and a due alarm has
 * fired (it is in the future or there is none) after a tick.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include <libfdt.h>

#include "dev/pl031.h"
#include "fuzz_util.h"

#define WINDOW 0x1000u
#define DR 0x000
#define CR 0x00c
#define IMSC 0x010
#define RIS 0x014
#define MIS 0x018
#define NS 1000000000LL
#define START (1796094000LL * NS)

static const uint16_t regs[] = { 0x000, 0x004, 0x008, 0x00c,
				 0x010, 0x014, 0x018, 0x01c };

struct fuzz_state {
	struct fuzz_line line;
	struct pl031 *rtc;
	int64_t now;
	int64_t alarm;
	int64_t offset;
};

static int64_t fuzz_now(void *opaque)
{
	return ((struct fuzz_state *)opaque)->now;
}

static void fuzz_alarm(void *opaque, int64_t when)
{
	((struct fuzz_state *)opaque)->alarm = when;
}

static void fuzz_offset(void *opaque, int64_t off)
{
	((struct fuzz_state *)opaque)->offset = off;
}

/* The counter as the saved state says it should read now. */
static uint32_t expected_count(const struct fuzz_state *s,
			       const struct pl031_state *st)
{
	int64_t t = s->now + st->offset_ns;
	int64_t q = t / NS;

	return (uint32_t)((t % NS < 0) ? q - 1 : q);
}

static void check_invariants(struct fuzz_state *s)
{
	struct pl031_state st;
	uint64_t ris = fuzz_mmio_rd(&pl031_mmio_ops, s->rtc, RIS, 4);
	uint64_t imsc = fuzz_mmio_rd(&pl031_mmio_ops, s->rtc, IMSC, 4);
	uint64_t mis = fuzz_mmio_rd(&pl031_mmio_ops, s->rtc, MIS, 4);
	uint64_t cr = fuzz_mmio_rd(&pl031_mmio_ops, s->rtc, CR, 4);
	uint64_t dr = fuzz_mmio_rd(&pl031_mmio_ops, s->rtc, DR, 4);

	pl031_save(s->rtc, &st);
	check(mis == (ris & imsc));
	check(s->line.level == (mis != 0));
	check(ris <= 1 && imsc <= 1 && cr <= 1);
	check(st.alarm_ns == s->alarm);
	check(st.offset_ns == s->offset);
	check(dr == expected_count(s, &st));
	/* A read latched any due match. */
	check(st.alarm_ns == PL031_NO_ALARM || st.alarm_ns > s->now);
}

static void move_clock(struct fuzz_state *s, struct cursor *c)
{
	int64_t delta = (int64_t)take(c, 4) * 1000;

	/* Within +-2^62 ns: the range the device promises to handle. */
	if (take(c, 1) & 1)
		delta = -delta;
	if (s->now + delta < (1LL << 62) && s->now + delta > -(1LL << 62))
		s->now += delta;
}

static void do_op(struct fuzz_state *s, struct cursor *c)
{
	static const unsigned sizes[] = { 1, 2, 4, 8 };
	unsigned op = (unsigned)take(c, 1);
	unsigned size = sizes[(op >> 4) & 3];
	struct pl031_state st;
	uint64_t off;

	switch (op % 7) {
	case 0:
		off = take(c, 2) % (WINDOW - size + 1);
		(void)fuzz_mmio_rd(&pl031_mmio_ops, s->rtc, off, size);
		break;
	case 1:
		off = take(c, 2) % (WINDOW - size + 1);
		fuzz_mmio_wr(&pl031_mmio_ops, s->rtc, off, size, take(c, 4));
		break;
	case 2:
		off = regs[take(c, 1) % (sizeof(regs) / sizeof(regs[0]))];
		fuzz_mmio_wr(&pl031_mmio_ops, s->rtc, off, 4, take(c, 4));
		break;
	case 3:
		move_clock(s, c);
		break;
	case 4:
		pl031_tick(s->rtc);
		break;
	case 5:
		pl031_save(s->rtc, &st);
		check(pl031_restore(s->rtc, &st) == 0);
		break;
	default:
		fuzz_fdt_node(&pl031_mmio_ops, s->rtc, 0x9010000, WINDOW,
			      (unsigned)take(c, 1), "/pl031@9010000");
		break;
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fuzz_state s = { .now = START, .alarm = PL031_NO_ALARM };
	struct cursor c = { data, size };
	struct pl031_host host = {
		.irq = { .chip = &s.line.chip, .line = 34 },
		.now_ns = fuzz_now,
		.set_alarm = fuzz_alarm,
		.offset_changed = fuzz_offset,
		.cb_opaque = &s,
	};

	fuzz_line_init(&s.line, NULL, &s);
	if (pl031_create(&host, &s.rtc))
		return 0;
	while (c.left) {
		do_op(&s, &c);
		check_invariants(&s);
	}
	pl031_destroy(s.rtc);
	return 0;
}

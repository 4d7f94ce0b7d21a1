// SPDX-License-Identifier: MIT
/*
 * The PL031 model (src/dev/pl031.c) through its MMIO ops and host hooks,
 * with a fake clock injected (no sleeping): a fake irqchip records the
 * line, fake alarm and offset hooks record what the board would do, and
 * a capturing log sink counts warnings.
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
#include "dev/pl031.h"
#include "fdt_node.h"

/* Offsets and bits as the TRM names them (ARM DDI 0224, chapter 3). */
enum {
	DR = 0x000, MR = 0x004, LR = 0x008, CR = 0x00c, IMSC = 0x010,
	RIS = 0x014, MIS = 0x018, ICR = 0x01c,
};

#define TEST_LINE 34
#define NS 1000000000LL
/* 2026-12-01 03:00:00 UTC, and half a second into it. */
#define T0 (1796094000LL * NS + NS / 2)

struct fake {
	struct cellvm_irqchip chip;
	struct cellvm_log log;
	int64_t now;
	bool level;
	unsigned line_calls;
	unsigned redundant_calls;
	int64_t alarm;
	unsigned alarm_calls;
	int64_t offset;
	unsigned offset_calls;
	unsigned warnings;
	struct pl031 *rtc;
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

static int64_t fake_now(void *opaque)
{
	return ((struct fake *)opaque)->now;
}

static void fake_alarm(void *opaque, int64_t when)
{
	struct fake *f = opaque;

	f->alarm = when;
	f->alarm_calls++;
}

static void fake_offset(void *opaque, int64_t off)
{
	struct fake *f = opaque;

	f->offset = off;
	f->offset_calls++;
}

static void fake_sink(void *opaque, enum cellvm_log_level lvl,
		      const char *line)
{
	struct fake *f = opaque;

	if (lvl == CELLVM_LOG_WARN)
		f->warnings++;
}

static struct pl031_host fake_host(struct fake *f, int64_t offset)
{
	return (struct pl031_host){
		.irq = { .chip = &f->chip, .line = TEST_LINE },
		.now_ns = fake_now,
		.set_alarm = fake_alarm,
		.offset_changed = fake_offset,
		.cb_opaque = f,
		.offset_ns = offset,
		.log = &f->log,
	};
}

static int setup(void **state)
{
	struct fake *f = calloc(1, sizeof(*f));
	struct pl031_host host;

	if (!f)
		return -1;
	f->chip = (struct cellvm_irqchip){ .ops = &fake_chip_ops, .priv = f };
	f->log = (struct cellvm_log){ .level = CELLVM_LOG_WARN,
				      .sink = fake_sink, .opaque = f };
	f->now = T0;
	f->alarm = PL031_NO_ALARM;
	host = fake_host(f, 0);
	if (pl031_create(&host, &f->rtc)) {
		free(f);
		return -1;
	}
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fake *f = *state;

	pl031_destroy(f->rtc);
	free(f);
	return 0;
}

static uint64_t mmio_rd(struct pl031 *rtc, uint64_t off, unsigned size)
{
	struct cellvm_access_info a = { .offset = off, .size = size };

	return pl031_mmio_ops.read(rtc, &a);
}

static void mmio_wr(struct pl031 *rtc, uint64_t off, unsigned size,
		    uint64_t v)
{
	struct cellvm_access_info a = { .offset = off, .size = size };

	pl031_mmio_ops.write(rtc, &a, v);
}

static uint32_t rd(struct fake *f, uint64_t off)
{
	return (uint32_t)mmio_rd(f->rtc, off, 4);
}

static void wr(struct fake *f, uint64_t off, uint32_t v)
{
	mmio_wr(f->rtc, off, 4, v);
}

/* The invariants every test may check at any point. */
static void check_irq(struct fake *f)
{
	uint32_t ris = rd(f, RIS), imsc = rd(f, IMSC);

	assert_int_equal(rd(f, MIS), ris & imsc);
	assert_int_equal(f->level, (ris & imsc) != 0);
	assert_int_equal(f->redundant_calls, 0);
}

static void test_id_registers(void **state)
{
	static const struct {
		uint64_t off;
		uint32_t val;
	} ids[] = {
		{ 0xfe0, 0x31 }, { 0xfe4, 0x10 }, { 0xfe8, 0x04 },
		{ 0xfec, 0x00 }, { 0xff0, 0x0d }, { 0xff4, 0xf0 },
		{ 0xff8, 0x05 }, { 0xffc, 0xb1 },
	};
	struct fake *f = *state;
	size_t i;

	for (i = 0; i < sizeof(ids) / sizeof(ids[0]); i++) {
		assert_int_equal(rd(f, ids[i].off), ids[i].val);
		/* Read-only: a write changes nothing and is logged. */
		wr(f, ids[i].off, 0xff);
		assert_int_equal(rd(f, ids[i].off), ids[i].val);
	}
	assert_int_equal(f->warnings, 8);
}

static void test_reset_and_host_time(void **state)
{
	struct fake *f = *state;

	/* The counter is host UTC in seconds; everything else 0. */
	assert_int_equal(rd(f, DR), (uint32_t)(T0 / NS));
	assert_int_equal(rd(f, MR), 0);
	assert_int_equal(rd(f, LR), 0);
	assert_int_equal(rd(f, CR), 0);
	assert_int_equal(rd(f, IMSC), 0);
	assert_int_equal(rd(f, RIS), 0);
	assert_int_equal(rd(f, MIS), 0);
	assert_int_equal(f->alarm_calls, 0);
	/* It counts with the host clock, one per whole second. */
	f->now = T0 + NS / 2 - 1;
	assert_int_equal(rd(f, DR), (uint32_t)(T0 / NS));
	f->now = T0 + NS / 2;
	assert_int_equal(rd(f, DR), (uint32_t)(T0 / NS) + 1);
	f->now = T0 + 3600 * NS;
	assert_int_equal(rd(f, DR), (uint32_t)(T0 / NS) + 3600);
	assert_int_equal(f->warnings, 0);
	check_irq(f);
}

static void test_load(void **state)
{
	struct fake *f = *state;
	const uint32_t year_ahead = (uint32_t)(T0 / NS) + 365 * 86400;

	wr(f, LR, year_ahead);
	assert_int_equal(rd(f, LR), year_ahead);
	assert_int_equal(rd(f, DR), year_ahead);
	/* The offset goes to the board, in ns, exact. */
	assert_int_equal(f->offset_calls, 1);
	assert_int_equal(f->offset, (int64_t)year_ahead * NS - T0);
	/* It counts on from the loaded value, a second after the load. */
	f->now = T0 + NS - 1;
	assert_int_equal(rd(f, DR), year_ahead);
	f->now = T0 + NS;
	assert_int_equal(rd(f, DR), year_ahead + 1);
	/* Loading the past works too (the counter is unsigned). */
	wr(f, LR, 5);
	assert_int_equal(rd(f, DR), 5);
	f->now += 10 * NS;
	assert_int_equal(rd(f, DR), 15);
	assert_int_equal(f->offset_calls, 2);
	/* DR is read-only. */
	wr(f, DR, 1234);
	assert_int_equal(rd(f, DR), 15);
	assert_int_equal(f->warnings, 1);
}

static void test_offset_survives(void **state)
{
	struct fake *f = *state;
	struct pl031_host host;
	struct pl031 *again;
	uint32_t set = 2000000000u;

	wr(f, LR, set);
	f->now += 100 * NS;
	/* A new device (the next boot) given the kept offset. */
	host = fake_host(f, f->offset);
	assert_int_equal(pl031_create(&host, &again), 0);
	assert_int_equal((uint32_t)mmio_rd(again, DR, 4), set + 100);
	/* Its registers are reset; only the time is kept. */
	assert_int_equal((uint32_t)mmio_rd(again, LR, 4), 0);
	pl031_destroy(again);
}

static void test_match_interrupt(void **state)
{
	struct fake *f = *state;
	uint32_t now_s = (uint32_t)(T0 / NS);

	wr(f, IMSC, 1);
	wr(f, MR, now_s + 10);
	assert_int_equal(rd(f, MR), now_s + 10);
	/* The alarm is at the start of that second: T0 is half-way. */
	assert_int_equal(f->alarm, (int64_t)(now_s + 10) * NS);
	assert_int_equal(rd(f, RIS), 0);
	assert_false(f->level);
	/* Just before: nothing. */
	f->now = f->alarm - 1;
	pl031_tick(f->rtc);
	assert_int_equal(rd(f, RIS), 0);
	assert_false(f->level);
	/* The timer fires: RIS, MIS and the line. */
	f->now = f->alarm;
	pl031_tick(f->rtc);
	assert_true(f->level);
	assert_int_equal(rd(f, RIS), 1);
	assert_int_equal(rd(f, MIS), 1);
	assert_int_equal(f->alarm, PL031_NO_ALARM);
	check_irq(f);
	/* RTCICR clears it; it does not come back by itself. */
	wr(f, ICR, 1);
	assert_int_equal(rd(f, RIS), 0);
	assert_false(f->level);
	f->now += 5 * NS;
	pl031_tick(f->rtc);
	assert_int_equal(rd(f, RIS), 0);
	assert_int_equal(rd(f, ICR), 0); /* write-only */
	check_irq(f);
}

/* A match is seen on a register read without any timer (a board that
 * gives no set_alarm hook, or a tick that has not run yet). */
static void test_match_seen_on_read(void **state)
{
	struct fake *f = *state;
	uint32_t now_s = (uint32_t)(T0 / NS);

	wr(f, MR, now_s + 1);
	f->now += 2 * NS;
	assert_int_equal(rd(f, RIS), 1);
	assert_int_equal(rd(f, MIS), 0);
	assert_false(f->level);
	check_irq(f);
}

static void test_masking(void **state)
{
	struct fake *f = *state;
	uint32_t now_s = (uint32_t)(T0 / NS);

	/* Masked: the raw status latches, the line stays low. */
	wr(f, MR, now_s + 2);
	f->now = f->alarm;
	pl031_tick(f->rtc);
	assert_int_equal(rd(f, RIS), 1);
	assert_int_equal(rd(f, MIS), 0);
	assert_false(f->level);
	/* Unmasking raises the line, masking lowers it. */
	wr(f, IMSC, 1);
	assert_true(f->level);
	assert_int_equal(rd(f, MIS), 1);
	wr(f, IMSC, 0);
	assert_false(f->level);
	/* The metrics count each rise of the line, not each write. */
	{
		struct cellvm_dev_counters c = { 0 };

		wr(f, IMSC, 1);
		wr(f, IMSC, 1);
		pl031_mmio_ops.counters(f->rtc, &c);
		assert_int_equal(c.irqs, 2);
		wr(f, IMSC, 0);
	}
	/* Only bit 0 exists. */
	wr(f, IMSC, 0xfffffffe);
	assert_int_equal(rd(f, IMSC), 0);
	wr(f, ICR, 0xfffffffe);
	assert_int_equal(rd(f, RIS), 1);
	check_irq(f);
	assert_int_equal(f->line_calls, 4);
}

static void test_match_now_and_wrap(void **state)
{
	struct fake *f = *state;
	uint32_t now_s = (uint32_t)(T0 / NS);

	/* A match equal to the count fires at once. */
	wr(f, IMSC, 1);
	wr(f, MR, now_s);
	assert_true(f->level);
	assert_int_equal(f->alarm, PL031_NO_ALARM);
	wr(f, ICR, 1);
	/* A match behind the count is a wrap (2^32 s) away. */
	wr(f, MR, now_s - 1);
	assert_int_equal(f->alarm,
			 ((int64_t)(T0 / NS) - 1 + (1LL << 32)) * NS);
	assert_false(f->level);
	/* Loading the counter moves the alarm with it. */
	wr(f, LR, now_s - 3);
	assert_int_equal(f->alarm, T0 + 2 * NS);
	f->now = T0 + 2 * NS;
	pl031_tick(f->rtc);
	assert_true(f->level);
	check_irq(f);
}

static void test_control(void **state)
{
	struct fake *f = *state;

	wr(f, CR, 1);
	assert_int_equal(rd(f, CR), 1);
	/* Writing 0 does not stop the counter (TRM 3.3.4). */
	wr(f, CR, 0);
	assert_int_equal(rd(f, CR), 1);
	wr(f, CR, 0xfffffffe);
	assert_int_equal(rd(f, CR), 1);
	assert_int_equal(f->warnings, 0);
}

static void test_raz_wi(void **state)
{
	static const uint64_t unknown[] = { 0x020, 0x024, 0x080, 0x084,
					    0x088, 0x100, 0xfdc };
	struct fake *f = *state;
	size_t i;

	for (i = 0; i < sizeof(unknown) / sizeof(unknown[0]); i++) {
		assert_int_equal(rd(f, unknown[i]), 0);
		wr(f, unknown[i], 0xffffffff);
		assert_int_equal(rd(f, unknown[i]), 0);
	}
	/* Narrow and unaligned accesses are ignored. */
	mmio_wr(f->rtc, LR, 1, 0x55);
	mmio_wr(f->rtc, MR + 2, 2, 0x55);
	assert_int_equal(rd(f, LR), 0);
	assert_int_equal(rd(f, MR), 0);
	assert_int_equal(mmio_rd(f->rtc, DR, 1), 0);
	assert_int_equal(mmio_rd(f->rtc, DR + 1, 4), 0);
	assert_int_equal(mmio_rd(f->rtc, DR, 8), 0);
	assert_int_equal(f->offset_calls, 0);
	/* All logged, but rate limited: at most a burst of lines. */
	assert_true(f->warnings > 0 && f->warnings <= CELLVM_RATELIMIT_BURST + 1);
	check_irq(f);
}

static void test_save_restore(void **state)
{
	struct fake *f = *state;
	struct pl031_state st, back, bad;
	uint32_t now_s = (uint32_t)(T0 / NS);

	wr(f, CR, 1);
	wr(f, LR, now_s + 100);
	wr(f, MR, now_s + 105);
	wr(f, IMSC, 1);
	pl031_save(f->rtc, &st);
	assert_int_equal(st.lr, now_s + 100);
	assert_int_equal(st.mr, now_s + 105);
	assert_int_equal(st.cr, 1);
	assert_int_equal(st.imsc, 1);
	assert_int_equal(st.ris, 0);
	assert_int_equal(st.alarm_ns, T0 + 5 * NS);
	/* Scramble, then restore: the same registers and alarm. */
	wr(f, LR, 7);
	wr(f, IMSC, 0);
	assert_int_equal(pl031_restore(f->rtc, &st), 0);
	pl031_save(f->rtc, &back);
	assert_memory_equal(&st, &back, sizeof(st));
	assert_int_equal(rd(f, DR), now_s + 100);
	assert_int_equal(f->alarm, T0 + 5 * NS);
	/* A restored state whose match is due fires on restore. */
	f->now = T0 + 5 * NS;
	assert_int_equal(pl031_restore(f->rtc, &st), 0);
	assert_true(f->level);
	check_irq(f);
	/* Bits no PL031 has are refused. */
	bad = st;
	bad.imsc = 2;
	assert_int_equal(pl031_restore(f->rtc, &bad), -EINVAL);
	bad = st;
	bad.offset_ns = INT64_MIN;
	assert_int_equal(pl031_restore(f->rtc, &bad), -EINVAL);
	bad = st;
	bad.ris = 3;
	assert_int_equal(pl031_restore(f->rtc, &bad), -EINVAL);
	assert_int_equal(pl031_restore(f->rtc, NULL), -EINVAL);
}

/* Absurd clocks and offsets neither overflow nor crash (UBSan). */
static void test_extreme_clocks(void **state)
{
	struct fake *f = *state;

	f->now = INT64_MAX;
	wr(f, LR, 0xffffffff);
	wr(f, MR, 0);
	(void)rd(f, DR);
	f->now = INT64_MIN;
	wr(f, MR, 1);
	(void)rd(f, DR);
	pl031_tick(f->rtc);
	check_irq(f);
}

static void test_create_and_no_hooks(void **state)
{
	struct pl031_host host = { .offset_ns = 0 };
	struct pl031 *rtc = NULL;
	struct cellvm_access_info a = { .offset = DR, .size = 4 };
	uint32_t v;

	assert_int_equal(pl031_create(NULL, &rtc), -EINVAL);
	assert_int_equal(pl031_create(&host, NULL), -EINVAL);
	host.offset_ns = INT64_MAX;
	assert_int_equal(pl031_create(&host, &rtc), -EINVAL);
	pl031_destroy(NULL);
	/* No chip, no hooks, no log, the real clock: a year-2020-or-later
	 * count, and a match fires quietly. */
	host.offset_ns = 0;
	assert_int_equal(pl031_create(&host, &rtc), 0);
	v = (uint32_t)pl031_mmio_ops.read(rtc, &a);
	assert_true(v > 1577836800u);
	mmio_wr(rtc, IMSC, 4, 1);
	mmio_wr(rtc, MR, 4, v);
	assert_int_equal(mmio_rd(rtc, MIS, 4), 1);
	pl031_tick(rtc);
	mmio_wr(rtc, 0x40, 4, 1);
	pl031_destroy(rtc);
}

static int build_fdt(struct fake *f, void *buf, int size,
		     struct fdt_test_ctx *t)
{
	return build_node_fdt(&pl031_mmio_ops, f->rtc, 0x9010000, buf, size, t);
}

static void test_fdt_node(void **state)
{
	static const char compat[] = "arm,pl031\0arm,primecell";
	static const uint32_t reg[] = { 0, 0x9010000, 0, 0x1000 };
	static const uint32_t irq[] = { 0, TEST_LINE - 32, 4 };
	struct fake *f = *state;
	struct fdt_test_ctx t;
	char buf[1024];
	const fdt32_t *cells;
	const char *p;
	int node, len, i;

	assert_int_equal(build_fdt(f, buf, sizeof(buf), &t), 0);
	assert_int_equal(t.line_seen, TEST_LINE);
	node = fdt_path_offset(buf, "/pl031@9010000");
	assert_true(node >= 0);
	p = fdt_getprop(buf, node, "compatible", &len);
	assert_non_null(p);
	assert_int_equal(len, sizeof(compat));
	assert_memory_equal(p, compat, sizeof(compat));
	assert_int_equal(fdt_node_check_compatible(buf, node, "arm,pl031"), 0);
	p = fdt_getprop(buf, node, "clock-names", &len);
	assert_non_null(p);
	assert_string_equal(p, "apb_pclk");
	cells = fdt_getprop(buf, node, "reg", &len);
	assert_int_equal(len, sizeof(reg));
	for (i = 0; i < 4; i++)
		assert_int_equal(fdt32_to_cpu(cells[i]), reg[i]);
	cells = fdt_getprop(buf, node, "interrupts", &len);
	assert_int_equal(len, sizeof(irq));
	for (i = 0; i < 3; i++)
		assert_int_equal(fdt32_to_cpu(cells[i]), irq[i]);
	cells = fdt_getprop(buf, node, "clocks", &len);
	assert_int_equal(len, 4);
	assert_int_equal(fdt32_to_cpu(cells[0]), 2);
}

static void test_fdt_no_space(void **state)
{
	struct fake *f = *state;
	struct fdt_test_ctx t;
	char buf[128];

	assert_int_equal(build_fdt(f, buf, sizeof(buf), &t), -ENOSPC);
}

#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_id_registers),
		T(test_reset_and_host_time),
		T(test_load),
		T(test_offset_survives),
		T(test_match_interrupt),
		T(test_match_seen_on_read),
		T(test_masking),
		T(test_match_now_and_wrap),
		T(test_control),
		T(test_raz_wi),
		T(test_save_restore),
		T(test_extreme_clocks),
		cmocka_unit_test(test_create_and_no_hooks),
		T(test_fdt_node),
		T(test_fdt_no_space),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

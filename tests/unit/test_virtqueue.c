// SPDX-License-Identifier: MIT
/*
 * Split virtqueue walker against hostile rings (virtio 1.2, 2.7): loops,
 * buffers outside RAM, wrap-around lengths, wrong direction, bad indirect
 * tables, a runaway avail idx, and EVENT_IDX interrupt suppression.
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

#include "dev/virtqueue.h"
#include "virtio_drv.h"

#define QSIZE 8

struct vq_fixture {
	struct drv *d;
	struct drv_q *q;
	struct virtq vq;
	struct virtq_chain c;
	uint64_t buf; /* 4 KiB of buffers */
};

static int setup(void **state)
{
	struct vq_fixture *f = calloc(1, sizeof(*f));

	f->d = drv_new();
	f->q = drv_layout(f->d, 0, QSIZE);
	f->buf = drv_alloc(f->d, 4096);
	assert_int_equal(virtq_init(&f->vq, &f->d->mem, QSIZE, f->q->desc,
				    f->q->avail, f->q->used, true, true),
			 0);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct vq_fixture *f = *state;

	drv_free(f->d);
	free(f);
	return 0;
}

static int pop(struct vq_fixture *f)
{
	const char *why;

	return virtq_pop(&f->vq, &f->c, &why);
}

static void test_pop_push(void **state)
{
	struct vq_fixture *f = *state;
	struct drv_buf b[3] = {
		{ f->buf, 16, false },
		{ f->buf + 16, 100, false },
		{ f->buf + 512, 200, true },
	};
	uint16_t head = drv_chain(f->d, 0, b, 3);

	assert_int_equal(pop(f), 1);
	assert_int_equal(f->c.head, head);
	assert_int_equal(f->c.nr, 3);
	assert_int_equal(f->c.nr_out, 2);
	assert_int_equal(f->c.out_len, 116);
	assert_int_equal(f->c.in_len, 200);
	assert_ptr_equal(f->c.seg[2].base, drv_ptr(f->d, f->buf + 512));
	assert_true(f->c.seg[2].writable);
	assert_int_equal(pop(f), 0);
	assert_int_equal(virtq_push(&f->vq, head, 7), 0);
	assert_int_equal(drv_used_idx(f->d, 0), 1);
	assert_int_equal(drv_used_id(f->d, 0, 0), head);
	assert_int_equal(drv_used_len(f->d, 0, 0), 7);
}

static void test_loop(void **state)
{
	struct vq_fixture *f = *state;

	/* 0 -> 1 -> 0 -> ... never ends */
	drv_desc(f->d, f->q->desc, 0, f->buf, 8, VIRTQ_DESC_F_NEXT, 1);
	drv_desc(f->d, f->q->desc, 1, f->buf, 8, VIRTQ_DESC_F_NEXT, 0);
	drv_publish(f->d, 0, 0);
	/* self loop */
	drv_desc(f->d, f->q->desc, 2, f->buf, 8, VIRTQ_DESC_F_NEXT, 2);
	drv_publish(f->d, 0, 2);
	assert_int_equal(pop(f), -EINVAL);
	assert_int_equal(f->c.head, 0);
	assert_int_equal(pop(f), -EINVAL);
	assert_int_equal(f->c.head, 2);
	assert_int_equal(pop(f), 0);
}

static void test_full_length_chain(void **state)
{
	struct vq_fixture *f = *state;
	unsigned i;

	/* Exactly QSIZE descriptors is legal; the walk must not call it a
	 * loop. */
	for (i = 0; i < QSIZE; i++)
		drv_desc(f->d, f->q->desc, i, f->buf + i, 1,
			 i + 1 < QSIZE ? VIRTQ_DESC_F_NEXT : 0, i + 1);
	drv_publish(f->d, 0, 0);
	assert_int_equal(pop(f), 1);
	assert_int_equal(f->c.nr, QSIZE);
}

struct bad_desc {
	const char *name;
	uint64_t addr; /* 0: the fixture's buffer */
	uint32_t len;
	uint16_t flags;
	uint16_t next;
};

static void test_bad_buffers(void **state)
{
	static const struct bad_desc cases[] = {
		{ "below RAM", 0x1000, 16, 0, 0 },
		{ "above RAM", DRV_RAM_GPA + DRV_RAM_SIZE, 1, 0, 0 },
		{ "straddles RAM end", DRV_RAM_GPA + DRV_RAM_SIZE - 8, 16, 0, 0 },
		{ "wraps around", UINT64_MAX - 7, 64, 0, 0 },
		{ "huge length", 0, UINT32_MAX, 0, 0 },
		{ "huge writable", 0, UINT32_MAX, VIRTQ_DESC_F_WRITE, 0 },
		{ "next out of range", 0, 16, VIRTQ_DESC_F_NEXT, QSIZE },
		{ "next far out", 0, 16, VIRTQ_DESC_F_NEXT, 0xffff },
	};
	struct vq_fixture *f = *state;
	unsigned i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const struct bad_desc *c = &cases[i];

		drv_desc(f->d, f->q->desc, 0, c->addr ? c->addr : f->buf,
			 c->len, c->flags, c->next);
		drv_publish(f->d, 0, 0);
		if (pop(f) != -EINVAL)
			fail_msg("case '%s' accepted", c->name);
	}
	assert_int_equal(pop(f), 0);
}

static void test_zero_length(void **state)
{
	struct vq_fixture *f = *state;
	struct drv_buf b[3] = {
		{ f->buf, 0, false },
		{ f->buf + 16, 4, false },
		{ f->buf + 32, 0, true },
	};

	drv_chain(f->d, 0, b, 3);
	assert_int_equal(pop(f), 1);
	assert_int_equal(f->c.nr, 1);
	assert_int_equal(f->c.out_len, 4);
	assert_int_equal(f->c.in_len, 0);
	/* Zero length does not excuse an address outside RAM. */
	b[0].gpa = 0x10;
	drv_chain(f->d, 0, b, 1);
	assert_int_equal(pop(f), -EINVAL);
}

static void test_direction(void **state)
{
	struct vq_fixture *f = *state;
	struct drv_buf b[3] = {
		{ f->buf, 16, false },
		{ f->buf + 16, 16, true },
		{ f->buf + 32, 16, false },
	};

	/* 2.7.4.2: readable after writable */
	drv_chain(f->d, 0, b, 3);
	assert_int_equal(pop(f), -EINVAL);
	/* writable only, then readable only: both fine */
	drv_chain(f->d, 0, &b[1], 1);
	assert_int_equal(pop(f), 1);
	assert_int_equal(f->c.nr_out, 0);
	drv_chain(f->d, 0, &b[2], 1);
	assert_int_equal(pop(f), 1);
	assert_int_equal(f->c.nr_out, 1);
}

static void test_indirect(void **state)
{
	struct vq_fixture *f = *state;
	uint64_t table = drv_alloc(f->d, 16 * 3);

	drv_desc(f->d, table, 0, f->buf, 16, VIRTQ_DESC_F_NEXT, 2);
	drv_desc(f->d, table, 2, f->buf + 16, 32, VIRTQ_DESC_F_NEXT, 1);
	drv_desc(f->d, table, 1, f->buf + 64, 8, VIRTQ_DESC_F_WRITE, 0);
	/* The WRITE flag on the indirect descriptor itself is ignored. */
	drv_desc(f->d, f->q->desc, 3, table, 48,
		 VIRTQ_DESC_F_INDIRECT | VIRTQ_DESC_F_WRITE, 0);
	drv_publish(f->d, 0, 3);
	assert_int_equal(pop(f), 1);
	assert_int_equal(f->c.head, 3);
	assert_int_equal(f->c.nr, 3);
	assert_int_equal(f->c.out_len, 48);
	assert_int_equal(f->c.in_len, 8);
}

static void test_bad_indirect(void **state)
{
	struct vq_fixture *f = *state;
	uint64_t table = drv_alloc(f->d, 16 * 4);
	uint64_t inner = drv_alloc(f->d, 16);
	struct {
		const char *name;
		uint64_t addr;
		uint32_t len;
		uint16_t flags;
	} cases[] = {
		{ "len not multiple of 16", table, 24, 0 },
		{ "len zero", table, 0, 0 },
		{ "more entries than the queue", table, 16 * (QSIZE + 1), 0 },
		{ "table outside RAM", 0x2000, 32, 0 },
		{ "table past RAM end", DRV_RAM_GPA + DRV_RAM_SIZE - 16, 32, 0 },
		{ "INDIRECT with NEXT", table, 32, VIRTQ_DESC_F_NEXT },
		{ "nested indirect", table, 64, 0 },
	};
	unsigned i;

	drv_desc(f->d, inner, 0, f->buf, 8, 0, 0);
	drv_desc(f->d, table, 0, f->buf, 8, VIRTQ_DESC_F_NEXT, 3);
	drv_desc(f->d, table, 1, f->buf, 8, 0, 0);
	drv_desc(f->d, table, 2, f->buf, 8, 0, 0);
	drv_desc(f->d, table, 3, inner, 16, VIRTQ_DESC_F_INDIRECT, 0);
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		drv_desc(f->d, f->q->desc, 0, cases[i].addr, cases[i].len,
			 VIRTQ_DESC_F_INDIRECT | cases[i].flags, 1);
		drv_publish(f->d, 0, 0);
		if (pop(f) != -EINVAL)
			fail_msg("case '%s' accepted", cases[i].name);
	}
	/* Loop inside an indirect table. */
	drv_desc(f->d, table, 1, f->buf, 8, VIRTQ_DESC_F_NEXT, 0);
	drv_desc(f->d, table, 0, f->buf, 8, VIRTQ_DESC_F_NEXT, 1);
	drv_desc(f->d, f->q->desc, 0, table, 32, VIRTQ_DESC_F_INDIRECT, 0);
	drv_publish(f->d, 0, 0);
	assert_int_equal(pop(f), -EINVAL);
	/* Indirect not negotiated. */
	f->vq.indirect = false;
	drv_desc(f->d, table, 0, f->buf, 8, 0, 0);
	drv_publish(f->d, 0, 0);
	assert_int_equal(pop(f), -EINVAL);
}

static void test_avail_runaway(void **state)
{
	struct vq_fixture *f = *state;
	const char *why;

	drv_put16(f->d, f->q->avail + 2, QSIZE + 1);
	assert_int_equal(virtq_pop(&f->vq, &f->c, &why), -EIO);
	assert_non_null(strstr(why, "avail idx"));
	/* A wrapped idx "behind" us is the same thing. */
	drv_put16(f->d, f->q->avail + 2, 0xffff);
	assert_int_equal(pop(f), -EIO);
	/* Exactly QSIZE ahead is fine; a head out of range is not. */
	drv_put16(f->d, f->q->avail + 2, QSIZE);
	drv_put16(f->d, f->q->avail + 4, QSIZE);
	assert_int_equal(pop(f), -EIO);
}

static void test_init_refuses(void **state)
{
	struct vq_fixture *f = *state;
	struct virtq vq;
	static const uint16_t bad_sizes[] = { 0, 3, 6, 100, 512, 32768 };
	unsigned i;

	for (i = 0; i < sizeof(bad_sizes) / sizeof(bad_sizes[0]); i++)
		assert_int_equal(virtq_init(&vq, &f->d->mem, bad_sizes[i],
					    f->q->desc, f->q->avail,
					    f->q->used, false, false),
				 -EINVAL);
	assert_int_equal(virtq_init(&vq, &f->d->mem, 256, f->q->desc,
				    f->q->avail, f->q->used, false, false),
			 0);
	/* misaligned areas */
	assert_int_equal(virtq_init(&vq, &f->d->mem, 8, f->q->desc + 8,
				    f->q->avail, f->q->used, false, false),
			 -EINVAL);
	assert_int_equal(virtq_init(&vq, &f->d->mem, 8, f->q->desc,
				    f->q->avail + 1, f->q->used, false, false),
			 -EINVAL);
	assert_int_equal(virtq_init(&vq, &f->d->mem, 8, f->q->desc,
				    f->q->avail, f->q->used + 2, false, false),
			 -EINVAL);
	/* outside RAM, or running off its end */
	assert_int_equal(virtq_init(&vq, &f->d->mem, 8, 0x1000, f->q->avail,
				    f->q->used, false, false),
			 -EINVAL);
	assert_int_equal(virtq_init(&vq, &f->d->mem, 256,
				    DRV_RAM_GPA + DRV_RAM_SIZE - 16 * 128,
				    f->q->avail, f->q->used, false, false),
			 -EINVAL);
}

static void push_one(struct vq_fixture *f)
{
	struct drv_buf b = { f->buf, 4, true };

	drv_chain(f->d, 0, &b, 1);
	assert_int_equal(pop(f), 1);
	assert_int_equal(virtq_push(&f->vq, f->c.head, 4), 0);
}

static void test_event_idx(void **state)
{
	struct vq_fixture *f = *state;
	uint64_t used_event = f->q->avail + 4 + 2 * QSIZE;
	uint64_t avail_event = f->q->used + 4 + 8 * QSIZE;

	/* 2.7.10: interrupt when the used idx passes used_event. */
	drv_put16(f->d, used_event, 0);
	push_one(f);
	assert_true(virtq_need_interrupt(&f->vq));
	push_one(f);
	assert_false(virtq_need_interrupt(&f->vq));
	push_one(f);
	assert_false(virtq_need_interrupt(&f->vq));
	drv_put16(f->d, used_event, 4);
	push_one(f); /* used idx 3 -> 4: event 4 not yet passed */
	assert_false(virtq_need_interrupt(&f->vq));
	push_one(f); /* 4 -> 5 */
	assert_true(virtq_need_interrupt(&f->vq));
	/* Several pushes between decisions: one interrupt if any crossed. */
	drv_put16(f->d, used_event, 5);
	push_one(f);
	push_one(f);
	assert_true(virtq_need_interrupt(&f->vq));
	/* Nothing pushed since: no interrupt. */
	assert_false(virtq_need_interrupt(&f->vq));

	/* Device side: avail_event = next slot we will look at. */
	assert_false(virtq_enable_notify(&f->vq));
	assert_int_equal(drv_get16(f->d, avail_event), 7);
	drv_publish(f->d, 0, 0);
	assert_true(virtq_enable_notify(&f->vq));
}

static void test_no_interrupt_flag(void **state)
{
	struct vq_fixture *f = *state;

	f->vq.event_idx = false;
	push_one(f);
	assert_true(virtq_need_interrupt(&f->vq));
	drv_put16(f->d, f->q->avail, VIRTQ_AVAIL_F_NO_INTERRUPT);
	push_one(f);
	assert_false(virtq_need_interrupt(&f->vq));
	drv_put16(f->d, f->q->avail, 0);
	assert_false(virtq_need_interrupt(&f->vq)); /* nothing new */
}

static void test_chain_copy(void **state)
{
	struct vq_fixture *f = *state;
	struct drv_buf b[4] = {
		{ f->buf, 3, false },
		{ f->buf + 16, 5, false },
		{ f->buf + 32, 2, true },
		{ f->buf + 48, 6, true },
	};
	uint8_t out[8];

	memcpy(drv_ptr(f->d, f->buf), "abc", 3);
	memcpy(drv_ptr(f->d, f->buf + 16), "defgh", 5);
	drv_chain(f->d, 0, b, 4);
	assert_int_equal(pop(f), 1);
	assert_int_equal(virtq_chain_read(&f->c, 1, out, 6), 0);
	assert_memory_equal(out, "bcdefg", 6);
	assert_int_equal(virtq_chain_read(&f->c, 4, out, 5), -ERANGE);
	assert_int_equal(virtq_chain_read(&f->c, 9, out, 0), -ERANGE);
	assert_int_equal(virtq_chain_write(&f->c, 1, "XYZ", 3), 0);
	assert_memory_equal(drv_ptr(f->d, f->buf + 33), "X", 1);
	assert_memory_equal(drv_ptr(f->d, f->buf + 48), "YZ", 2);
	assert_int_equal(virtq_chain_write(&f->c, 0, "123456789", 9), -ERANGE);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_pop_push, setup, teardown),
		cmocka_unit_test_setup_teardown(test_loop, setup, teardown),
		cmocka_unit_test_setup_teardown(test_full_length_chain, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_bad_buffers, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_zero_length, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_direction, setup, teardown),
		cmocka_unit_test_setup_teardown(test_indirect, setup, teardown),
		cmocka_unit_test_setup_teardown(test_bad_indirect, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_avail_runaway, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_init_refuses, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_event_idx, setup, teardown),
		cmocka_unit_test_setup_teardown(test_no_interrupt_flag, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_chain_copy, setup,
						teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

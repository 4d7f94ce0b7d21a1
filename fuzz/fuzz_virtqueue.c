// SPDX-License-Identifier: MIT
/*
 * Fuzz the split-virtqueue walker (virtio 1.2, 2.7): the input becomes a
 * small guest RAM holding the rings, descriptor tables and buffers, plus
 * a few control bytes (queue size, ring placement, features). Chains are
 * popped and pushed until the ring is empty or broken. Every segment must
 * lie inside the RAM; ASan catches any access outside it.
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/mem.h"
#include "dev/virtqueue.h"

#define RAM_GPA 0x40000000ull
#define RAM_SIZE 0x8000u
#define CTRL_BYTES 8
#define MAX_ROUNDS 300

struct ctrl {
	uint16_t size;
	uint64_t desc, avail, used;
	bool event_idx, indirect;
};

static void parse_ctrl(const uint8_t *c, struct ctrl *k)
{
	/* Mostly powers of two up to 256, sometimes anything. */
	k->size = c[0] & 0x80 ? (uint16_t)(c[0] | c[1] << 8)
			      : (uint16_t)(1u << (c[0] % 10));
	k->desc = RAM_GPA + (uint64_t)(c[2] | (c[3] & 0x7f) << 8) * 16 % RAM_SIZE;
	k->avail = RAM_GPA + (uint64_t)(c[4] | c[5] << 8) * 2 % RAM_SIZE;
	k->used = RAM_GPA + (uint64_t)(c[6] | c[7] << 8) * 4 % RAM_SIZE;
	k->event_idx = c[1] & 1;
	k->indirect = c[1] & 2;
}

static void check_chain(const struct virtq_chain *c, const uint8_t *ram)
{
	unsigned i;

	if (c->nr > VIRTQ_MAX_SEGS || c->nr_out > c->nr)
		abort();
	for (i = 0; i < c->nr; i++) {
		const struct virtq_seg *s = &c->seg[i];

		if (s->base < ram || s->base + s->len > ram + RAM_SIZE ||
		    s->writable != (i >= c->nr_out))
			abort();
		/* Touch every byte: ASan reports anything outside RAM. */
		if (s->writable)
			memset(s->base, 0xa5, s->len);
		else if (s->len && s->base[0] == 0x17 && s->base[s->len - 1])
			__asm__ volatile("" ::: "memory");
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct cellvm_mem mem = { 0 };
	struct virtq_chain *c;
	struct virtq vq;
	struct ctrl k;
	const char *why;
	uint8_t *ram;
	unsigned round;
	int ret;

	if (size < CTRL_BYTES)
		return 0;
	parse_ctrl(data, &k);
	ram = calloc(1, RAM_SIZE);
	c = malloc(sizeof(*c));
	memcpy(ram, data + CTRL_BYTES,
	       size - CTRL_BYTES < RAM_SIZE ? size - CTRL_BYTES : RAM_SIZE);
	if (cellvm_mem_add(&mem, RAM_GPA, RAM_SIZE, ram) ||
	    virtq_init(&vq, &mem, k.size, k.desc, k.avail, k.used, k.event_idx,
		       k.indirect))
		goto out;
	for (round = 0; round < MAX_ROUNDS; round++) {
		ret = virtq_pop(&vq, c, &why);
		if (ret == 1) {
			check_chain(c, ram);
			if (virtq_push(&vq, c->head, c->in_len))
				abort(); /* the used ring was checked at init */
		} else if (ret == -EINVAL) {
			if (c->head >= k.size || virtq_push(&vq, c->head, 0))
				abort();
		} else if (ret == 0) {
			if (!virtq_enable_notify(&vq))
				break;
		} else {
			break;
		}
		virtq_need_interrupt(&vq);
	}
out:
	free(c);
	free(ram);
	return 0;
}

// SPDX-License-Identifier: MIT
/*
 * libFuzzer target for kernel format detection and the vmlinux (ELF)
 * parser (src/arch/arm64/kernel_fmt.c). The input is the start of a kernel
 * file (the file is as long as the input, plus the 32-bit little-endian
 * value of its last 4 bytes when byte 0 of the input is odd, to reach
 * segments the fuzzer cannot grow a file to).
 *
 * Invariants: every format choice returns 0 or a CELLVM_E_IMAGE message;
 * a parsed ELF has 1..16 segments, the first at offset 0 and long enough
 * for an Image header, each inside the file and the span; and when the
 * boot layout accepts a kernel of that span, the placement check accepts
 * the segments (the layout never puts the initrd or DTB over them).
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "arch/arm64/kernel_fmt.h"
#include "arch/arm64/memmap.h"

#define CHECK(cond)                                                       \
	do {                                                              \
		if (!(cond))                                              \
			__builtin_trap();                                 \
	} while (0)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_elf(const struct arm64_elf *e, uint64_t file_size)
{
	unsigned i;

	CHECK(e->nr >= 1 && e->nr <= ARM64_ELF_MAX_SEGMENTS);
	CHECK(e->seg[0].offset == 0);
	CHECK(e->seg[0].file_size >= ARM64_IMAGE_HEADER_SIZE);
	for (i = 0; i < e->nr; i++) {
		const struct arm64_elf_segment *s = &e->seg[i];

		CHECK(s->file_size <= s->mem_size);
		CHECK(s->file_offset + s->file_size <= file_size);
		CHECK(s->file_offset + s->file_size >= s->file_offset);
		CHECK(s->offset + s->mem_size <= e->span);
	}
}

static void layout_and_place(const struct arm64_elf *e, const uint8_t *data,
			     size_t size)
{
	struct cellvm_err err = { 0 };
	struct arm64_layout_req req = {
		.ram_base = CELLVM_RAM_BASE,
		.ram_size = 256ULL << 20,
		.image = { .image_size = e->span, .page_size = 4096 },
		.kernel_file_size = e->span,
		.initrd_size = size > 8 ? data[8] * 4096ULL * 64 : 0,
	};
	struct arm64_layout l;

	if (arm64_layout_plan(&req, &l, &err))
		return;
	CHECK(arm64_elf_check_placement(e, l.kernel_load, &l, req.ram_base,
					req.ram_size, &err) == 0);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const enum cellvm_kernel_format wants[] = {
		CELLVM_KERNEL_AUTO, CELLVM_KERNEL_IMAGE, CELLVM_KERNEL_GZIP,
		CELLVM_KERNEL_ELF, CELLVM_KERNEL_RAW,
	};
	uint64_t file_size = size;
	struct arm64_elf e;
	uint8_t *copy;
	unsigned i;
	int ret;

	if (size >= 8 && (data[0] & 1))
		file_size += (uint64_t)data[size - 4] | data[size - 3] << 8 |
			     data[size - 2] << 16 | (uint64_t)data[size - 1] << 24;
	/* An exact-size heap copy, so any read past the end is caught. */
	copy = malloc(size ? size : 1);
	if (!copy)
		return 0;
	memcpy(copy, data, size);
	for (i = 0; i < sizeof(wants) / sizeof(wants[0]); i++) {
		struct cellvm_err err = { 0 };
		enum cellvm_kernel_format got = CELLVM_KERNEL_AUTO;

		ret = arm64_kernel_detect(copy, size, file_size, wants[i], &got,
					  &err);
		if (ret)
			CHECK(ret < 0 && err.cat == CELLVM_E_IMAGE && err.msg[0]);
		else
			CHECK(got != CELLVM_KERNEL_AUTO &&
			      (wants[i] == CELLVM_KERNEL_AUTO || got == wants[i]));
	}
	{
		struct cellvm_err err = { 0 };

		ret = arm64_elf_parse(copy, size, file_size, &e, &err);
		if (ret) {
			CHECK(ret < 0 && err.cat == CELLVM_E_IMAGE && err.msg[0]);
		} else {
			check_elf(&e, file_size);
			layout_and_place(&e, data, size);
		}
	}
	free(copy);
	return 0;
}

// SPDX-License-Identifier: MIT
/*
 * libFuzzer target for the arm64 Image header parser and the boot layout
 * (src/arch/arm64/image.c, layout.c). The whole input is the kernel file;
 * when the parser accepts it, bytes 64..95 (zero when absent) choose the
 * RAM, initrd and DTB sizes:
 *
 *   64: mode(1)   bit 0: raw 64-bit sizes below, else scaled ones that fit
 *   65..: ram_base(8) ram_size(8) initrd(8) dtb(7)
 *
 * A rejected input must come with a CELLVM_E_IMAGE message. An accepted
 * plan must keep booting.rst's rules: kernel at text_offset above a 2 MiB
 * base, DTB 8-byte aligned and inside one 2 MiB block, initrd between,
 * nothing overlapping, everything in RAM.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "arch/arm64/arm64.h"
#include "arch/arm64/memmap.h"

#define CHECK(cond)                                                       \
	do {                                                              \
		if (!(cond))                                              \
			__builtin_trap();                                 \
	} while (0)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Little-endian field at off, zero-filled past the input's end. */
static uint64_t field(const uint8_t *data, size_t size, size_t off,
		      unsigned n)
{
	uint64_t v = 0;

	while (n--)
		if (off + n < size)
			v = (v << 8) | data[off + n];
		else
			v <<= 8;
	return v;
}

static void make_req(const uint8_t *data, size_t size,
		     struct arm64_layout_req *req)
{
	uint64_t base = field(data, size, 65, 8);
	uint64_t ram = field(data, size, 73, 8);
	uint64_t initrd = field(data, size, 81, 8);
	uint64_t dtb = field(data, size, 89, 7);

	req->kernel_file_size = size;
	if (field(data, size, 64, 1) & 1) {
		req->ram_base = base;
		req->ram_size = ram;
		req->initrd_size = initrd;
		req->dtb_size = dtb;
		return;
	}
	/* Plausible sizes: page-granular RAM up to 64 GiB, initrd up to
	 * 4 GiB, DTB up to 4 MiB (so some are too big). */
	req->ram_base = CELLVM_RAM_BASE + (base & 0xffff) * ARM64_SZ_4K;
	req->ram_size = (ram & 0xffffff) * ARM64_SZ_4K;
	req->initrd_size = initrd & 0xffffffff;
	req->dtb_size = dtb & 0x3fffff;
}

static void check_plan(const struct arm64_layout_req *r,
		       const struct arm64_layout *l)
{
	uint64_t ram_end = r->ram_base + r->ram_size;
	uint64_t ksize = r->image.image_size > r->kernel_file_size
				 ? r->image.image_size
				 : r->kernel_file_size;

	CHECK(l->kernel_load >= r->ram_base);
	CHECK(l->kernel_load % ARM64_SZ_2M == r->image.text_offset);
	CHECK(l->entry == l->kernel_load);
	CHECK(l->kernel_end - l->kernel_load == ksize);
	CHECK(l->dtb_addr % 8 == 0);
	CHECK(l->dtb_max >= r->dtb_size && l->dtb_max <= ARM64_DTB_MAX_SIZE);
	CHECK(l->dtb_addr / ARM64_SZ_2M ==
	      (l->dtb_addr + l->dtb_max - 1) / ARM64_SZ_2M);
	CHECK(l->dtb_addr >= l->kernel_end);
	CHECK(l->dtb_addr + l->dtb_max <= ram_end);
	CHECK(l->initrd_size == r->initrd_size);
	if (!r->initrd_size)
		return;
	CHECK(l->initrd_start % ARM64_SZ_4K == 0);
	CHECK(l->initrd_start >= l->kernel_end);
	CHECK(l->initrd_start + l->initrd_size <= l->dtb_addr);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct arm64_layout_req req = { 0 };
	struct cellvm_err err = { 0 };
	struct arm64_layout l;
	uint8_t *copy;
	int ret;

	/* An exact-size heap copy, so any read past the end is caught. */
	copy = malloc(size ? size : 1);
	if (!copy)
		return 0;
	memcpy(copy, data, size);
	ret = arm64_image_parse(copy, size, &req.image, &err);
	free(copy);
	if (ret) {
		CHECK(ret < 0 && err.cat == CELLVM_E_IMAGE && err.msg[0]);
		return 0;
	}
	CHECK(req.image.text_offset % ARM64_SZ_4K == 0);
	CHECK(req.image.text_offset < ARM64_SZ_2M);
	CHECK(req.image.image_size >= (req.image.legacy ? size : 64));

	make_req(data, size, &req);
	ret = arm64_layout_plan(&req, &l, &err);
	if (ret) {
		CHECK(ret < 0 && err.cat == CELLVM_E_IMAGE && err.msg[0]);
		return 0;
	}
	check_plan(&req, &l);
	return 0;
}

// SPDX-License-Identifier: MIT
/*
 * Where the boot images go in guest RAM (Linux Documentation/arch/arm64/
 * booting.rst, sections 2 and 4):
 *
 *   ram_base  2 MiB base   kernel_load          kernel_end
 *   |.........|...........|=== Image + BSS ===|.... free ....|
 *
 *       .... free ....|== initrd ==|.. gap ..|== DTB ==|    ram end
 *                     initrd_start            dtb_addr
 *
 * - The Image sits text_offset bytes above a 2 MiB aligned base, and
 *   image_size bytes from its start must be free. We take the lowest such
 *   base, which flags bit 3 = 0 ("as close as possible to the base of
 *   DRAM") asks for and bit 3 = 1 allows.
 * - The DTB is 8-byte aligned (we page-align it), at most 2 MiB, and kept
 *   inside one 2 MiB block since the kernel maps it with blocks of up to
 *   2 MiB. It goes at the top of RAM.
 * - The initrd goes right below the DTB, so the memory after the kernel
 *   stays free ("When image_size is zero, a bootloader should attempt to
 *   keep as much memory as possible free ... after the end of the kernel
 *   image"), inside the 1 GB aligned window of up to 32 GB that also
 *   covers the kernel.
 *
 * All arithmetic is overflow-checked: sizes come from files and options.
 */
#include <errno.h>
#include <string.h>

#include "arch/arm64/arm64.h"

#define SZ_512M (512ULL << 20)
#define SZ_1G (1ULL << 30)
#define SZ_32G (32ULL << 30)

static uint64_t align_down(uint64_t v, uint64_t a)
{
	return v & ~(a - 1);
}

/* Round v up to a (a power of two); false if that wraps. */
static bool align_up(uint64_t v, uint64_t a, uint64_t *out)
{
	if (v > UINT64_MAX - (a - 1))
		return false;
	*out = align_down(v + a - 1, a);
	return true;
}

static uint64_t min_u64(uint64_t a, uint64_t b)
{
	return a < b ? a : b;
}

/* a + b, or UINT64_MAX when that wraps. */
static uint64_t add_sat(uint64_t a, uint64_t b)
{
	uint64_t r;

	return __builtin_add_overflow(a, b, &r) ? UINT64_MAX : r;
}

static unsigned long long ull(uint64_t v)
{
	return v;
}

static uint64_t kernel_bytes(const struct arm64_layout_req *req)
{
	if (req->kernel_file_size > req->image.image_size)
		return req->kernel_file_size;
	return req->image.image_size;
}

static int place_kernel(const struct arm64_layout_req *req, uint64_t ram_end,
			struct arm64_layout *out, struct cellvm_err *err)
{
	uint64_t ksize = kernel_bytes(req);
	uint64_t base, load, end;

	if (!align_up(req->ram_base, ARM64_SZ_2M, &base) ||
	    __builtin_add_overflow(base, req->image.text_offset, &load) ||
	    __builtin_add_overflow(load, ksize, &end) || end > ram_end)
		return cellvm_err_set(err, CELLVM_E_IMAGE, -ENOSPC,
				      "kernel (%llu bytes) does not fit in RAM "
				      "(%llu bytes)",
				      ull(ksize), ull(req->ram_size));
	out->kernel_load = load;
	out->entry = load;
	out->kernel_end = end;
	return 0;
}

/* The DTB buffer: the user's blob plus what patching adds, or the room
 * for a generated one; whole pages, never more than 2 MiB. */
static uint64_t dtb_room(const struct arm64_layout_req *req)
{
	uint64_t room = req->dtb_size ? req->dtb_size + ARM64_FDT_PATCH_ROOM
				      : ARM64_FDT_GEN_ROOM;

	room = align_down(room + ARM64_SZ_4K - 1, ARM64_SZ_4K);
	return min_u64(room, ARM64_DTB_MAX_SIZE);
}

static int place_dtb(const struct arm64_layout_req *req, uint64_t ram_end,
		     struct arm64_layout *out, struct cellvm_err *err)
{
	uint64_t room, top, addr, block;

	if (req->dtb_size > ARM64_DTB_MAX_SIZE)
		return cellvm_err_set(err, CELLVM_E_IMAGE, -E2BIG,
				      "DTB (%llu bytes) larger than 2 MiB",
				      ull(req->dtb_size));
	room = dtb_room(req);
	top = align_down(ram_end, ARM64_SZ_4K);
	/* booting.rst 2: "versions prior to v4.2 also require that the DTB
	 * be placed within the 512 MB region starting at text_offset bytes
	 * below the kernel Image"; a legacy header means such a kernel. */
	if (req->image.legacy)
		top = min_u64(top, add_sat(out->kernel_load -
						   req->image.text_offset,
					   SZ_512M));
	if (top < out->kernel_end || top - out->kernel_end < room)
		goto nospace;
	addr = top - room;
	/* Crossing a 2 MiB boundary: move down to end at that boundary. */
	block = align_down(top - 1, ARM64_SZ_2M);
	if (addr < block)
		addr = block - room;
	if (addr < out->kernel_end)
		goto nospace;
	out->dtb_addr = addr;
	out->dtb_max = room;
	return 0;
nospace:
	return cellvm_err_set(err, CELLVM_E_IMAGE, -ENOSPC,
			      "kernel (%llu bytes) and DTB (%llu bytes) do not "
			      "fit in RAM (%llu bytes)",
			      ull(kernel_bytes(req)), ull(room),
			      ull(req->ram_size));
}

static int place_initrd(const struct arm64_layout_req *req,
			struct arm64_layout *out, struct cellvm_err *err)
{
	uint64_t ceiling, start;

	if (!req->initrd_size)
		return 0;
	/* booting.rst 4: "it must reside entirely within a 1 GB aligned
	 * physical memory window of up to 32 GB in size that fully covers
	 * the kernel Image as well". */
	ceiling = min_u64(out->dtb_addr,
			  add_sat(align_down(out->kernel_load, SZ_1G), SZ_32G));
	if (ceiling < out->kernel_end ||
	    ceiling - out->kernel_end < req->initrd_size)
		goto nospace;
	start = align_down(ceiling - req->initrd_size, ARM64_SZ_4K);
	if (start < out->kernel_end)
		goto nospace;
	out->initrd_start = start;
	out->initrd_size = req->initrd_size;
	return 0;
nospace:
	return cellvm_err_set(err, CELLVM_E_IMAGE, -ENOSPC,
			      "initrd (%llu bytes) does not fit in RAM (%llu "
			      "bytes) between the kernel and the DTB",
			      ull(req->initrd_size), ull(req->ram_size));
}

int arm64_layout_plan(const struct arm64_layout_req *req,
		      struct arm64_layout *out, struct cellvm_err *err)
{
	uint64_t ram_end;
	int ret;

	memset(out, 0, sizeof(*out));
	if (req->ram_size == 0 ||
	    __builtin_add_overflow(req->ram_base, req->ram_size, &ram_end))
		return cellvm_err_set(err, CELLVM_E_IMAGE, -EINVAL,
				      "RAM at 0x%llx of %llu bytes is empty or "
				      "wraps",
				      ull(req->ram_base), ull(req->ram_size));
	ret = place_kernel(req, ram_end, out, err);
	if (!ret)
		ret = place_dtb(req, ram_end, out, err);
	if (!ret)
		ret = place_initrd(req, out, err);
	if (ret)
		memset(out, 0, sizeof(*out));
	return ret;
}

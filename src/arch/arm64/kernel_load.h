/* SPDX-License-Identifier: MIT */
/*
 * Loading the kernel in each format (kernel_fmt.h) into guest RAM, in
 * three steps the machine calls in turn:
 *
 *   probe  detect the format, read and check the Image header (inside the
 *          gzip stream, or at the start of the first ELF segment)
 *   plan   the boot layout (layout.c); a gzip'd kernel is inflated here,
 *          straight into RAM at its load address, since only then is its
 *          size known: bounded by the header's image_size, or by the RAM
 *          above the load address for a legacy header
 *   place  Image and raw: mapped copy-on-write or copied (loader.c), as
 *          ever; ELF: each PT_LOAD segment copied, its BSS zeroed
 */
#ifndef CELLVM_ARCH_ARM64_KERNEL_LOAD_H
#define CELLVM_ARCH_ARM64_KERNEL_LOAD_H

#include <stdbool.h>

#include "arch/arm64/arm64.h"
#include "arch/arm64/kernel_fmt.h"
#include "core/mem.h"
#include "core/loader.h"

struct arm64_kernel {
	enum cellvm_kernel_format fmt; /* as detected */
	struct arm64_image_info info; /* from the header (raw: made up) */
	/* Bytes from the load address the kernel's contents take: the file
	 * size (Image, raw), the decompressed size (gzip, after plan), the
	 * segments' span (ELF). */
	uint64_t size;
	struct arm64_elf elf;
};

int arm64_kernel_probe(const struct loader_image *li,
		       enum cellvm_kernel_format want, struct arm64_kernel *k,
		       struct cellvm_err *err) CELLVM_MUST_CHECK;

/* req: RAM, initrd and DTB filled in; the kernel's part is set here. */
int arm64_kernel_plan(const struct loader_image *li, struct arm64_kernel *k,
		      const struct cellvm_mem *mem,
		      struct arm64_layout_req *req, struct arm64_layout *l,
		      struct cellvm_err *err) CELLVM_MUST_CHECK;

int arm64_kernel_place(const struct loader_image *li,
		       const struct arm64_kernel *k,
		       const struct cellvm_mem *mem,
		       const struct arm64_layout_req *req,
		       const struct arm64_layout *l, bool zero_copy,
		       struct cellvm_err *err) CELLVM_MUST_CHECK;

#endif

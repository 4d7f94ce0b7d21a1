/* SPDX-License-Identifier: MIT */
/*
 * Kernel file formats besides the plain arm64 Image (arch-internal, pure
 * functions over bytes already read):
 *
 *   Image    booting.rst 4: the 64-byte header, "ARM\x64" at offset 56
 *   gzip     an Image compressed with gzip (RFC 1952: 1f 8b at offset 0),
 *            what distributions install as vmlinuz on arm64
 *   ELF      a vmlinux (ELF-64 gABI, AArch64 psABI: EM_AARCH64); its
 *            PT_LOAD segments, the first starting with the Image header
 *   raw      a headerless flat binary, loaded at RAM base + 0x80000 as
 *            QEMU does; never detected, only asked for
 *
 * Detection is by content: the gzip and ELF magics at offset 0, then the
 * Image magic at offset 56.
 */
#ifndef CELLVM_ARCH_ARM64_KERNEL_FMT_H
#define CELLVM_ARCH_ARM64_KERNEL_FMT_H

#include <stddef.h>
#include <stdint.h>

#include "arch/arm64/arm64.h"
#include "cellvm/cellvm.h"

/* QEMU's load offset for a kernel without a header (hw/arm/boot.c: its
 * KERNEL_LOAD_ADDR), the same as a legacy Image's text_offset. */
#define ARM64_RAW_LOAD_OFFSET 0x80000ULL

/* How many leading bytes of the file detection and the ELF parser see:
 * the ELF header and program header table must lie within them. */
#define ARM64_KERNEL_PEEK 4096

/* Name of a format, for messages: "Image", "gzip", "ELF", "raw". */
const char *arm64_kernel_format_name(enum cellvm_kernel_format fmt);

/*
 * Which format the file whose first len bytes are in buf has. With want
 * AUTO, by content (gzip, ELF, Image magic; anything else is refused);
 * otherwise want, after checking the content has that format's magic (raw
 * takes anything but an empty file). 0 and *out, or -EINVAL with err set
 * (CELLVM_E_IMAGE, "kernel: ...").
 */
int arm64_kernel_detect(const void *buf, size_t len, uint64_t file_size,
			enum cellvm_kernel_format want,
			enum cellvm_kernel_format *out,
			struct cellvm_err *err) CELLVM_MUST_CHECK;

#define ARM64_ELF_MAX_SEGMENTS 16

struct arm64_elf_segment {
	uint64_t file_offset;
	uint64_t file_size;
	uint64_t mem_size; /* >= file_size; the rest reads as zero */
	/* p_paddr minus the first segment's: where the segment goes,
	 * counted from the kernel's load address. */
	uint64_t offset;
};

struct arm64_elf {
	unsigned nr; /* PT_LOAD segments with a non-zero p_memsz */
	struct arm64_elf_segment seg[ARM64_ELF_MAX_SEGMENTS];
	uint64_t span; /* max(offset + mem_size): bytes from the load address */
	uint64_t first_paddr; /* p_paddr of the first segment, for messages */
};

/*
 * Parse a vmlinux: buf holds the first len bytes of a file of file_size
 * bytes. Little-endian ELF-64 for EM_AARCH64 (ET_EXEC or ET_DYN), program
 * headers within buf, PT_LOAD segments in ascending p_paddr order (gABI:
 * "sorted on the p_vaddr member"; a segment below the first is refused),
 * each with its file bytes inside the file and p_filesz <= p_memsz, the
 * first at least an Image header long. Segments are placed relative to the
 * first, at the address the Image header asks for: a vmlinux is linked at
 * kernel virtual addresses, which say nothing about guest RAM. 0, or
 * -EINVAL with err set (CELLVM_E_IMAGE, "kernel: ELF ..."). out is
 * written only on success.
 */
int arm64_elf_parse(const void *buf, size_t len, uint64_t file_size,
		    struct arm64_elf *out,
		    struct cellvm_err *err) CELLVM_MUST_CHECK;

/*
 * With the kernel at load and the boot layout l in RAM [ram_base,
 * ram_base + ram_size): each segment must lie in RAM and overlap neither
 * the initrd nor the DTB's room. 0, or -ERANGE with err set
 * (CELLVM_E_IMAGE, "kernel: ELF segment N ...").
 */
int arm64_elf_check_placement(const struct arm64_elf *elf, uint64_t load,
			      const struct arm64_layout *l, uint64_t ram_base,
			      uint64_t ram_size,
			      struct cellvm_err *err) CELLVM_MUST_CHECK;

#endif

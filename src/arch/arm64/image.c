// SPDX-License-Identifier: MIT
/*
 * The arm64 kernel Image header (Linux Documentation/arch/arm64/
 * booting.rst, section 4 "Call the kernel image"):
 *
 *   0  u32 code0, u32 code1     executable code (or "MZ" for the EFI stub)
 *   8  u64 text_offset          image load offset, little-endian
 *  16  u64 image_size           effective image size, little-endian
 *  24  u64 flags                kernel flags, little-endian
 *  32  u64 res2, res3, res4     reserved
 *  56  u32 magic                0x644d5241, "ARM\x64"
 *  60  u32 res5                 PE COFF header offset
 *
 * Fields are read byte by byte, so neither the host's byte order nor the
 * buffer's alignment matters.
 */
#include <errno.h>
#include <string.h>

#include "core/bytes.h"
#include "arch/arm64/arm64.h"

#define HDR_TEXT_OFFSET 8
#define HDR_IMAGE_SIZE 16
#define HDR_FLAGS 24
#define HDR_MAGIC 56

/* flags (booting.rst 4, "The flags field (introduced in v3.17)") */
#define FLAG_BE (1ULL << 0)
#define FLAG_PAGE_SIZE_SHIFT 1
#define FLAG_PAGE_SIZE_MASK 0x3ULL
#define FLAG_PHYS_ANYWHERE (1ULL << 3)

/* The first bytes of a gzip stream (RFC 1952 2.3.1): an Image.gz. */
#define GZIP_ID1 0x1f
#define GZIP_ID2 0x8b

static int bad_magic(const uint8_t *h, struct cellvm_err *err)
{
	/* booting.rst 3: decompressing is the boot loader's job; the gzip
	 * format does it (kernel_load.c), this parser takes plain Images. */
	if (h[0] == GZIP_ID1 && h[1] == GZIP_ID2)
		return cellvm_err_set(err, CELLVM_E_IMAGE, -EINVAL,
				      "kernel: gzip-compressed (Image.gz?), "
				      "not a plain Image: use format gzip or auto");
	return cellvm_err_set(err, CELLVM_E_IMAGE, -EINVAL,
			      "kernel: not an arm64 Image (bad magic 0x%08x "
			      "at offset %u, want 0x%08x)",
			      (unsigned)get_le(h + HDR_MAGIC, 4), HDR_MAGIC,
			      ARM64_IMAGE_MAGIC);
}

/* "Prior to v3.17 ... image_size is zero": text_offset may be in either
 * byte order, so assume 0x80000, and treat the file as the whole image. */
static int parse_legacy(size_t len, struct arm64_image_info *out,
			struct cellvm_err *err)
{
	uint64_t size = (uint64_t)len;

	if (size > UINT64_MAX - (ARM64_SZ_4K - 1))
		return cellvm_err_set(err, CELLVM_E_IMAGE, -EINVAL,
				      "kernel: %zu bytes is too large", len);
	memset(out, 0, sizeof(*out));
	out->legacy = true;
	out->text_offset = ARM64_IMAGE_LEGACY_TEXT_OFFSET;
	out->image_size = (size + ARM64_SZ_4K - 1) & ~(ARM64_SZ_4K - 1);
	return 0;
}

int arm64_image_parse(const void *buf, size_t len,
		      struct arm64_image_info *out, struct cellvm_err *err)
{
	static const unsigned page_sizes[] = { 0, 4096, 16384, 65536 };
	const uint8_t *h = buf;
	uint64_t text_offset, image_size, flags;

	if (!buf || len < ARM64_IMAGE_HEADER_SIZE)
		return cellvm_err_set(err, CELLVM_E_IMAGE, -EINVAL,
				      "kernel: truncated (%zu bytes, an arm64 "
				      "Image header needs %u)",
				      buf ? len : 0, ARM64_IMAGE_HEADER_SIZE);
	if (get_le(h + HDR_MAGIC, 4) != ARM64_IMAGE_MAGIC)
		return bad_magic(h, err);

	image_size = get_le(h + HDR_IMAGE_SIZE, 8);
	if (image_size == 0)
		return parse_legacy(len, out, err);

	flags = get_le(h + HDR_FLAGS, 8);
	if (flags & FLAG_BE)
		return cellvm_err_set(err, CELLVM_E_IMAGE, -EINVAL,
				      "kernel: big-endian kernel not supported "
				      "(flags 0x%llx)",
				      (unsigned long long)flags);
	/*
	 * The image goes text_offset bytes above a 2 MiB aligned base, so an
	 * offset of 2 MiB or more, or one that is not page-aligned, is not
	 * something any kernel has produced: refuse rather than guess.
	 */
	text_offset = get_le(h + HDR_TEXT_OFFSET, 8);
	if (text_offset % ARM64_SZ_4K || text_offset >= ARM64_SZ_2M)
		return cellvm_err_set(err, CELLVM_E_IMAGE, -EINVAL,
				      "kernel: odd text_offset 0x%llx (want a "
				      "multiple of 4 KiB below 2 MiB)",
				      (unsigned long long)text_offset);
	if (image_size < ARM64_IMAGE_HEADER_SIZE)
		return cellvm_err_set(err, CELLVM_E_IMAGE, -EINVAL,
				      "kernel: image_size %llu is smaller than "
				      "its own header",
				      (unsigned long long)image_size);

	memset(out, 0, sizeof(*out));
	out->text_offset = text_offset;
	out->image_size = image_size;
	out->flags = flags;
	out->page_size = page_sizes[(flags >> FLAG_PAGE_SIZE_SHIFT) &
				    FLAG_PAGE_SIZE_MASK];
	out->phys_anywhere = flags & FLAG_PHYS_ANYWHERE;
	return 0;
}

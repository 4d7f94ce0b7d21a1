// SPDX-License-Identifier: MIT
/* Loading the kernel in each format: see kernel_load.h. */
#include <errno.h>
#include <inttypes.h>
#include <string.h>

#include "arch/arm64/kernel_load.h"
#include "arch/arm64/pe.h"
#include "core/gunzip.h"

#define HDR_PREFIX "kernel: " /* how the Image parser's messages start */

/*
 * Parse an Image header found inside another format, saying where: a
 * failure reads "kernel: <where>: <the Image parser's reason>".
 */
static int parse_inner(const void *buf, size_t len, const char *where,
		       struct arm64_image_info *info, struct cellvm_err *err)
{
	struct cellvm_err inner = { 0 };
	const char *why = inner.msg;
	int ret = arm64_image_parse(buf, len, info, &inner);

	if (!ret)
		return 0;
	if (strncmp(why, HDR_PREFIX, strlen(HDR_PREFIX)) == 0)
		why += strlen(HDR_PREFIX);
	return cellvm_err_set(err, CELLVM_E_IMAGE, ret, "kernel: %s: %s", where,
			      why);
}

static long src_read(void *opaque, uint64_t off, void *buf, size_t len)
{
	return loader_read(opaque, off, buf, len);
}

static int probe_image(const struct loader_image *li, const uint8_t *hdr,
		       size_t n, struct arm64_kernel *k, struct cellvm_err *err)
{
	int ret = arm64_image_parse(hdr, n, &k->info, err);

	if (ret)
		return ret;
	k->size = li->size;
	return arm64_image_check_pe(hdr, n, li->size, err);
}

/* QEMU's rule for a kernel without a header: at RAM base + 0x80000. */
static int probe_raw(const struct loader_image *li, struct arm64_kernel *k,
		     struct cellvm_err *err)
{
	if (li->size > UINT64_MAX - ARM64_RAW_LOAD_OFFSET - ARM64_SZ_4K)
		return cellvm_err_set(err, CELLVM_E_IMAGE, EFBIG,
				      "kernel: %" PRIu64 " bytes is too large",
				      li->size);
	memset(&k->info, 0, sizeof(k->info));
	k->info.text_offset = ARM64_RAW_LOAD_OFFSET;
	k->info.image_size = (li->size + ARM64_SZ_4K - 1) & ~(ARM64_SZ_4K - 1);
	k->size = li->size;
	return 0;
}

/* The header is in the first decompressed bytes; the size comes later. */
static int probe_gzip(const struct loader_image *li, struct arm64_kernel *k,
		      struct cellvm_err *err)
{
	struct gunzip_src src = { src_read, (void *)li, "kernel", NULL };
	uint8_t hdr[ARM64_KERNEL_PEEK];
	uint64_t n;
	int ret;

	ret = gunzip(&src, hdr, sizeof(hdr), true, &n, err);
	if (ret)
		return ret;
	k->size = 0;
	return parse_inner(hdr, (size_t)n, "gzip'd contents", &k->info, err);
}

static int probe_elf(const struct loader_image *li, const uint8_t *buf,
		     size_t n, struct arm64_kernel *k, struct cellvm_err *err)
{
	uint8_t hdr[ARM64_IMAGE_HEADER_SIZE];
	long got;
	int ret;

	ret = arm64_elf_parse(buf, n, li->size, &k->elf, err);
	if (ret)
		return ret;
	got = loader_read(li, k->elf.seg[0].file_offset, hdr, sizeof(hdr));
	if (got < 0)
		return cellvm_err_set(err, CELLVM_E_IMAGE, (int)got,
				      "kernel %s: %s", li->path,
				      strerror((int)-got));
	k->size = k->elf.span;
	return parse_inner(hdr, (size_t)got, "ELF's first loadable segment",
			   &k->info, err);
}

int arm64_kernel_probe(const struct loader_image *li,
		       enum cellvm_kernel_format want, struct arm64_kernel *k,
		       struct cellvm_err *err)
{
	uint8_t hdr[ARM64_KERNEL_PEEK];
	long n;
	int ret;

	memset(k, 0, sizeof(*k));
	n = loader_peek(li, hdr, sizeof(hdr));
	if (n < 0)
		return cellvm_err_set(err, CELLVM_E_IMAGE, (int)n,
				      "kernel %s: %s", li->path,
				      strerror((int)-n));
	ret = arm64_kernel_detect(hdr, (size_t)n, li->size, want, &k->fmt, err);
	if (ret)
		return ret;
	switch (k->fmt) {
	case CELLVM_KERNEL_GZIP:
		return probe_gzip(li, k, err);
	case CELLVM_KERNEL_ELF:
		return probe_elf(li, hdr, (size_t)n, k, err);
	case CELLVM_KERNEL_RAW:
		return probe_raw(li, k, err);
	default:
		return probe_image(li, hdr, (size_t)n, k, err);
	}
}

/*
 * Inflate the kernel into RAM at load. The bound: the header's image_size
 * (the kernel's whole footprint, BSS included, so its file is never
 * longer), or without one (a legacy header) the RAM above load.
 */
static int inflate_kernel(const struct loader_image *li,
			  struct arm64_kernel *k, const struct cellvm_mem *mem,
			  const struct arm64_layout_req *req, uint64_t load,
			  struct cellvm_err *err)
{
	struct gunzip_src src = { src_read, (void *)li, "kernel", NULL };
	uint64_t ram_end = req->ram_base + req->ram_size, cap;
	uint8_t *host;
	int ret;

	if (k->info.legacy) {
		cap = ram_end - load;
		src.limit = "the RAM above the kernel's load address";
	} else {
		cap = k->info.image_size;
		src.limit = "the Image header's image_size";
	}
	host = cellvm_mem_ptr(mem, load, cap);
	if (!host)
		return cellvm_err_set(err, CELLVM_E_INTERNAL, ERANGE,
				      "kernel load address 0x%" PRIx64
				      " outside RAM",
				      load);
	ret = gunzip(&src, host, cap, false, &k->size, err);
	if (ret)
		return ret;
	/* The Image inside may carry an EFI stub that says how long it is. */
	return arm64_image_check_pe(host, k->size < ARM64_PE_PEEK ? k->size
								  : ARM64_PE_PEEK,
				    k->size, err);
}

/* An ELF that does not fit: say which segment reaches furthest. */
static int plan_elf(const struct arm64_kernel *k,
		    const struct arm64_layout_req *req, struct arm64_layout *l,
		    struct cellvm_err *err)
{
	struct cellvm_err why = { 0 };
	unsigned i, far = 0;
	int ret = arm64_layout_plan(req, l, &why);

	if (!ret)
		return 0;
	for (i = 1; i < k->elf.nr; i++)
		if (k->elf.seg[i].offset + k->elf.seg[i].mem_size >
		    k->elf.seg[far].offset + k->elf.seg[far].mem_size)
			far = i;
	return cellvm_err_set(err, why.cat, ret,
			      "kernel: ELF segment %u (%" PRIu64
			      " bytes at +0x%" PRIx64
			      " from the first) does not fit: %s",
			      far, k->elf.seg[far].mem_size,
			      k->elf.seg[far].offset, why.msg);
}

int arm64_kernel_plan(const struct loader_image *li, struct arm64_kernel *k,
		      const struct cellvm_mem *mem,
		      struct arm64_layout_req *req, struct arm64_layout *l,
		      struct cellvm_err *err)
{
	int ret;

	req->image = k->info;
	req->kernel_file_size = k->size;
	if (k->fmt == CELLVM_KERNEL_ELF)
		return plan_elf(k, req, l, err);
	if (k->fmt != CELLVM_KERNEL_GZIP)
		return arm64_layout_plan(req, l, err);
	/* Where the kernel goes depends on its header only (2 MiB base +
	 * text_offset); a first plan finds it and checks image_size fits. */
	ret = arm64_layout_plan(req, l, err);
	if (ret)
		return ret;
	ret = inflate_kernel(li, k, mem, req, l->kernel_load, err);
	if (ret)
		return ret;
	req->kernel_file_size = k->size;
	return arm64_layout_plan(req, l, err);
}

/* Copy one ELF segment's file bytes to gpa and zero the rest (its BSS). */
static int copy_segment(const struct loader_image *li,
			const struct arm64_elf_segment *s, uint8_t *host,
			struct cellvm_err *err)
{
	uint64_t done = 0;

	while (done < s->file_size) {
		uint64_t want = s->file_size - done;
		long n = loader_read(li, s->file_offset + done, host + done,
				     want > (1U << 30) ? (1U << 30) : want);

		if (n <= 0)
			return cellvm_err_set(err, CELLVM_E_IMAGE,
					      n < 0 ? (int)n : EIO,
					      "kernel %s: read failed: %s",
					      li->path ? li->path : "(embedded)",
					      n < 0 ? strerror((int)-n)
						    : "file shrank");
		done += (uint64_t)n;
	}
	memset(host + s->file_size, 0, s->mem_size - s->file_size);
	return 0;
}

static int place_elf(const struct loader_image *li,
		     const struct arm64_kernel *k, const struct cellvm_mem *mem,
		     const struct arm64_layout_req *req,
		     const struct arm64_layout *l, struct cellvm_err *err)
{
	unsigned i;
	int ret;

	ret = arm64_elf_check_placement(&k->elf, l->kernel_load, l,
					req->ram_base, req->ram_size, err);
	if (ret)
		return ret;
	for (i = 0; i < k->elf.nr; i++) {
		const struct arm64_elf_segment *s = &k->elf.seg[i];
		uint8_t *host = cellvm_mem_ptr(mem, l->kernel_load + s->offset,
					       s->mem_size);

		if (!host)
			return cellvm_err_set(err, CELLVM_E_INTERNAL, ERANGE,
					      "kernel: ELF segment %u outside "
					      "RAM",
					      i);
		ret = copy_segment(li, s, host, err);
		if (ret)
			return ret;
	}
	return 0;
}

int arm64_kernel_place(const struct loader_image *li,
		       const struct arm64_kernel *k,
		       const struct cellvm_mem *mem,
		       const struct arm64_layout_req *req,
		       const struct arm64_layout *l, bool zero_copy,
		       struct cellvm_err *err)
{
	switch (k->fmt) {
	case CELLVM_KERNEL_GZIP:
		return 0; /* inflated into place by arm64_kernel_plan */
	case CELLVM_KERNEL_ELF:
		return place_elf(li, k, mem, req, l, err);
	default: /* Image, raw: the file as it is */
		return loader_place(li, mem, l->kernel_load, zero_copy, NULL,
				    err);
	}
}

// SPDX-License-Identifier: MIT
/*
 * Kernel format detection and the vmlinux (ELF) parser: see kernel_fmt.h.
 *
 * ELF references: the System V gABI ("ELF header", "Program header"), the
 * ELF for the Arm 64-bit Architecture psABI (EM_AARCH64 = 183,
 * little-endian). Field offsets are taken from <elf.h>'s Elf64_Ehdr and
 * Elf64_Phdr with offsetof; fields are read byte by byte, so neither the
 * host's byte order nor the buffer's alignment matters.
 */
#include <elf.h>
#include <errno.h>
#include <inttypes.h>
#include <string.h>

#include "arch/arm64/kernel_fmt.h"
#include "core/bytes.h"

/* RFC 1952 2.3.1: ID1, ID2. */
#define GZIP_ID1 0x1f
#define GZIP_ID2 0x8b
#define IMAGE_MAGIC_OFFSET 56 /* booting.rst 4 */

#define FIELD(base, s, f) \
	get_le((base) + offsetof(s, f), sizeof(((s *)0)->f))

static unsigned long long ull(uint64_t v)
{
	return v;
}

const char *arm64_kernel_format_name(enum cellvm_kernel_format fmt)
{
	switch (fmt) {
	case CELLVM_KERNEL_AUTO: return "auto";
	case CELLVM_KERNEL_IMAGE: return "Image";
	case CELLVM_KERNEL_GZIP: return "gzip";
	case CELLVM_KERNEL_ELF: return "ELF";
	case CELLVM_KERNEL_RAW: return "raw";
	}
	return "unknown";
}

static bool is_gzip(const uint8_t *b, size_t len)
{
	return len >= 2 && b[0] == GZIP_ID1 && b[1] == GZIP_ID2;
}

static bool is_elf(const uint8_t *b, size_t len)
{
	return len >= SELFMAG && memcmp(b, ELFMAG, SELFMAG) == 0;
}

static bool is_image(const uint8_t *b, size_t len)
{
	return len >= ARM64_IMAGE_HEADER_SIZE &&
	       get_le(b + IMAGE_MAGIC_OFFSET, 4) == ARM64_IMAGE_MAGIC;
}

static enum cellvm_kernel_format sniff(const uint8_t *b, size_t len)
{
	if (is_gzip(b, len))
		return CELLVM_KERNEL_GZIP;
	if (is_elf(b, len))
		return CELLVM_KERNEL_ELF;
	if (is_image(b, len))
		return CELLVM_KERNEL_IMAGE;
	return CELLVM_KERNEL_AUTO; /* none of them */
}

int arm64_kernel_detect(const void *buf, size_t len, uint64_t file_size,
			enum cellvm_kernel_format want,
			enum cellvm_kernel_format *out, struct cellvm_err *err)
{
	enum cellvm_kernel_format got = buf ? sniff(buf, len) : CELLVM_KERNEL_AUTO;

	if (!buf)
		len = 0;
	if (file_size == 0)
		return cellvm_err_set(err, CELLVM_E_IMAGE, EINVAL,
				      "kernel: empty file");
	if (want == CELLVM_KERNEL_RAW) {
		*out = want;
		return 0;
	}
	/* An explicit Image goes to the Image parser, which says what is
	 * wrong with its header, as it always has. */
	if (want == CELLVM_KERNEL_IMAGE ||
	    (want == CELLVM_KERNEL_AUTO && got == CELLVM_KERNEL_AUTO &&
	     len < ARM64_IMAGE_HEADER_SIZE)) {
		*out = CELLVM_KERNEL_IMAGE;
		return 0;
	}
	if (want == CELLVM_KERNEL_AUTO && got == CELLVM_KERNEL_AUTO)
		return cellvm_err_set(err, CELLVM_E_IMAGE, EINVAL,
				      "kernel: not an arm64 Image, gzip'd Image "
				      "or ELF vmlinux (no magic at offset 0 or "
				      "56); a headerless binary needs format raw");
	if (want != CELLVM_KERNEL_AUTO && got != want)
		return cellvm_err_set_field(err, "kernel_format", CELLVM_E_IMAGE,
					    EINVAL,
					    "kernel: format %s asked for, but the "
					    "file does not start with its magic (%s)",
					    arm64_kernel_format_name(want),
					    got == CELLVM_KERNEL_AUTO
						    ? "no known magic"
						    : arm64_kernel_format_name(got));
	*out = got;
	return 0;
}

/* ---- ELF ----------------------------------------------------------- */

static int elf_bad(struct cellvm_err *err, const char *why)
{
	return cellvm_err_set(err, CELLVM_E_IMAGE, EINVAL, "kernel: ELF %s",
			      why);
}

/* The ELF header: identity, machine, and where the program headers are. */
static int elf_header(const uint8_t *b, size_t len, uint64_t file_size,
		      uint64_t *phoff, unsigned *phnum, struct cellvm_err *err)
{
	uint64_t machine, type, end;

	if (len < sizeof(Elf64_Ehdr) || file_size < sizeof(Elf64_Ehdr))
		return elf_bad(err, "header truncated");
	if (!is_elf(b, len))
		return elf_bad(err, "magic missing");
	if (b[EI_CLASS] != ELFCLASS64)
		return elf_bad(err, "is not 64-bit (ELFCLASS64)");
	if (b[EI_DATA] != ELFDATA2LSB)
		return elf_bad(err, "is not little-endian (ELFDATA2LSB)");
	machine = FIELD(b, Elf64_Ehdr, e_machine);
	if (machine != EM_AARCH64)
		return cellvm_err_set(err, CELLVM_E_IMAGE, EINVAL,
				      "kernel: ELF for machine %llu, not "
				      "AArch64 (%u)",
				      ull(machine), EM_AARCH64);
	type = FIELD(b, Elf64_Ehdr, e_type);
	if (type != ET_EXEC && type != ET_DYN)
		return elf_bad(err, "is not an executable (ET_EXEC or ET_DYN)");
	if (FIELD(b, Elf64_Ehdr, e_phentsize) != sizeof(Elf64_Phdr))
		return elf_bad(err, "program header size is not 56");
	*phoff = FIELD(b, Elf64_Ehdr, e_phoff);
	*phnum = (unsigned)FIELD(b, Elf64_Ehdr, e_phnum);
	if (!*phnum)
		return elf_bad(err, "has no program headers");
	end = *phoff + (uint64_t)*phnum * sizeof(Elf64_Phdr);
	if (*phoff > len || end > len || end < *phoff)
		return cellvm_err_set(err, CELLVM_E_IMAGE, EINVAL,
				      "kernel: ELF program headers (%u at "
				      "offset %llu) not within the first %zu "
				      "bytes of the file",
				      *phnum, ull(*phoff), len);
	return 0;
}

/* Add one PT_LOAD program header to out. */
static int elf_segment(const uint8_t *ph, unsigned idx, uint64_t file_size,
		       struct arm64_elf *out, struct cellvm_err *err)
{
	uint64_t off = FIELD(ph, Elf64_Phdr, p_offset);
	uint64_t filesz = FIELD(ph, Elf64_Phdr, p_filesz);
	uint64_t memsz = FIELD(ph, Elf64_Phdr, p_memsz);
	uint64_t paddr = FIELD(ph, Elf64_Phdr, p_paddr);
	struct arm64_elf_segment *s;
	uint64_t end;

	if (!memsz)
		return 0; /* occupies nothing */
	if (filesz > memsz)
		return cellvm_err_set(err, CELLVM_E_IMAGE, EINVAL,
				      "kernel: ELF segment %u has more file "
				      "bytes (%llu) than memory bytes (%llu)",
				      idx, ull(filesz), ull(memsz));
	if (__builtin_add_overflow(off, filesz, &end) || end > file_size)
		return cellvm_err_set(err, CELLVM_E_IMAGE, EINVAL,
				      "kernel: ELF truncated: segment %u "
				      "(offset %llu, %llu bytes) ends past the "
				      "end of the file (%llu bytes)",
				      idx, ull(off), ull(filesz),
				      ull(file_size));
	if (out->nr == ARM64_ELF_MAX_SEGMENTS)
		return cellvm_err_set(err, CELLVM_E_IMAGE, EINVAL,
				      "kernel: ELF has more than %u loadable "
				      "segments",
				      ARM64_ELF_MAX_SEGMENTS);
	if (!out->nr)
		out->first_paddr = paddr;
	if (paddr < out->first_paddr)
		return cellvm_err_set(err, CELLVM_E_IMAGE, EINVAL,
				      "kernel: ELF segment %u at 0x%llx lies "
				      "below the first loadable segment at "
				      "0x%llx",
				      idx, ull(paddr), ull(out->first_paddr));
	s = &out->seg[out->nr++];
	s->file_offset = off;
	s->file_size = filesz;
	s->mem_size = memsz;
	s->offset = paddr - out->first_paddr;
	if (__builtin_add_overflow(s->offset, memsz, &end))
		return elf_bad(err, "segment addresses wrap around");
	if (end > out->span)
		out->span = end;
	return 0;
}

int arm64_elf_parse(const void *buf, size_t len, uint64_t file_size,
		    struct arm64_elf *out, struct cellvm_err *err)
{
	const uint8_t *b = buf;
	struct arm64_elf e;
	uint64_t phoff = 0;
	unsigned phnum = 0, i;
	int ret;

	if (!buf)
		len = 0;
	ret = elf_header(b, len, file_size, &phoff, &phnum, err);
	if (ret)
		return ret;
	memset(&e, 0, sizeof(e));
	for (i = 0; i < phnum; i++) {
		const uint8_t *ph = b + phoff + (uint64_t)i * sizeof(Elf64_Phdr);

		if (FIELD(ph, Elf64_Phdr, p_type) != PT_LOAD)
			continue;
		ret = elf_segment(ph, i, file_size, &e, err);
		if (ret)
			return ret;
	}
	if (!e.nr)
		return elf_bad(err, "has no loadable (PT_LOAD) segment");
	if (e.seg[0].file_size < ARM64_IMAGE_HEADER_SIZE)
		return cellvm_err_set(err, CELLVM_E_IMAGE, EINVAL,
				      "kernel: ELF's first loadable segment "
				      "(%llu file bytes) is too short to hold "
				      "the arm64 Image header",
				      ull(e.seg[0].file_size));
	*out = e;
	return 0;
}

/* [a, a + alen) and [b, b + blen) share a byte. */
static bool overlaps(uint64_t a, uint64_t alen, uint64_t b, uint64_t blen)
{
	return alen && blen && a < b + blen && b < a + alen;
}

int arm64_elf_check_placement(const struct arm64_elf *elf, uint64_t load,
			      const struct arm64_layout *l, uint64_t ram_base,
			      uint64_t ram_size, struct cellvm_err *err)
{
	uint64_t ram_end = ram_base + ram_size;
	unsigned i;

	if (ram_end < ram_base)
		ram_end = UINT64_MAX;
	for (i = 0; i < elf->nr; i++) {
		const struct arm64_elf_segment *s = &elf->seg[i];
		uint64_t gpa, end;
		const char *what = NULL;

		if (__builtin_add_overflow(load, s->offset, &gpa) ||
		    __builtin_add_overflow(gpa, s->mem_size, &end) ||
		    gpa < ram_base || end > ram_end)
			return cellvm_err_set(err, CELLVM_E_IMAGE, ERANGE,
					      "kernel: ELF segment %u (%llu bytes "
					      "at +0x%llx from 0x%llx) lies "
					      "outside RAM (0x%llx-0x%llx)",
					      i, ull(s->mem_size), ull(s->offset),
					      ull(load), ull(ram_base),
					      ull(ram_end));
		if (overlaps(gpa, s->mem_size, l->initrd_start, l->initrd_size))
			what = "initrd";
		else if (overlaps(gpa, s->mem_size, l->dtb_addr, l->dtb_max))
			what = "DTB";
		if (what)
			return cellvm_err_set(err, CELLVM_E_IMAGE, ERANGE,
					      "kernel: ELF segment %u "
					      "(0x%llx-0x%llx) overlaps the %s",
					      i, ull(gpa), ull(end), what);
	}
	return 0;
}

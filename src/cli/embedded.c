// SPDX-License-Identifier: MIT
/*
 * Access to the guest images embedded by images.S, and where they lie in
 * our own ELF file: a loadable segment maps file offset p_offset at
 * address p_vaddr, so an embedded image at address A is at file offset
 * p_offset + (A - load base - p_vaddr) of /proc/self/exe. Page-aligned
 * there, it can be mapped into guest RAM instead of copied.
 */
#include <link.h>
#include <stdint.h>

#include "cli/cli.h"

extern const unsigned char cellvm_guest_kernel_start[];
extern const unsigned char cellvm_guest_kernel_end[];
extern const unsigned char cellvm_guest_initrd_start[];
extern const unsigned char cellvm_guest_initrd_end[];

struct find_offset {
	uintptr_t addr;
	long long offset;
};

static int find_segment(struct dl_phdr_info *info, size_t size, void *arg)
{
	struct find_offset *f = arg;
	int i;

	/* The first object is the executable itself. */
	for (i = 0; i < info->dlpi_phnum; i++) {
		const ElfW(Phdr) *ph = &info->dlpi_phdr[i];
		uintptr_t start = info->dlpi_addr + ph->p_vaddr;

		if (ph->p_type != PT_LOAD || f->addr < start ||
		    f->addr - start >= ph->p_filesz)
			continue;
		f->offset = (long long)(ph->p_offset + (f->addr - start));
		return 1;
	}
	return 1;
}

static long long file_offset_of(const void *p)
{
	struct find_offset f = { (uintptr_t)p, -1 };

	dl_iterate_phdr(find_segment, &f);
	return f.offset;
}

static struct embedded_image embedded(const unsigned char *start,
				      const unsigned char *end)
{
	struct embedded_image e = { start, (size_t)(end - start), -1 };

	if (e.size)
		e.file_offset = file_offset_of(start);
	return e;
}

struct embedded_image embedded_kernel(void)
{
	return embedded(cellvm_guest_kernel_start, cellvm_guest_kernel_end);
}

struct embedded_image embedded_initrd(void)
{
	return embedded(cellvm_guest_initrd_start, cellvm_guest_initrd_end);
}

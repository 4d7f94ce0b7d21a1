// SPDX-License-Identifier: MIT
/*
 * A kernel Image built with the EFI stub is also a PE/COFF executable
 * (booting.rst: "code0 ... MZ"; the PE header offset at 0x3c, the
 * Microsoft PE/COFF specification for the headers). Its section table
 * says where each section's raw data ends in the file, which the plain
 * Image header does not: that is how a truncated kernel is caught before
 * the guest executes a half-loaded image.
 */
#include <errno.h>
#include <inttypes.h>
#include <string.h>

#include "core/bytes.h"
#include "arch/arm64/pe.h"

#define PE_MZ_MAGIC 0x5a4d /* "MZ" */
#define PE_LFANEW_OFFSET 0x3c /* offset of the PE header offset */
#define PE_SIGNATURE 0x00004550 /* "PE\0\0" */
#define PE_COFF_HEADER_SIZE 20
#define PE_COFF_NSECTIONS 2 /* offset in the COFF header */
#define PE_COFF_OPTHDR_SIZE 16
#define PE_SECTION_SIZE 40
#define PE_SECTION_RAW_SIZE 16 /* SizeOfRawData */
#define PE_SECTION_RAW_PTR 20 /* PointerToRawData */

int arm64_image_check_pe(const void *buf, size_t len, uint64_t file_size,
			 struct cellvm_err *err)
{
	const uint8_t *b = buf;
	uint64_t pe, sec, nsec, need = 0, i;

	if (len < PE_LFANEW_OFFSET + 4 || (uint32_t)get_le(b, 2) != PE_MZ_MAGIC)
		return 0;
	pe = (uint32_t)get_le(b + PE_LFANEW_OFFSET, 4);
	if (pe > len || len - pe < 4 + PE_COFF_HEADER_SIZE ||
	    (uint32_t)get_le(b + pe, 4) != PE_SIGNATURE)
		return 0;
	nsec = (uint32_t)get_le(b + pe + 4 + PE_COFF_NSECTIONS, 2);
	sec = pe + 4 + PE_COFF_HEADER_SIZE +
	      (uint32_t)get_le(b + pe + 4 + PE_COFF_OPTHDR_SIZE, 2);
	for (i = 0; i < nsec; i++) {
		uint64_t off = sec + i * PE_SECTION_SIZE, end;

		if (off > len || len - off < PE_SECTION_SIZE)
			break; /* table beyond what we read: check what we saw */
		end = (uint64_t)(uint32_t)get_le(b + off + PE_SECTION_RAW_PTR, 4) +
		      (uint32_t)get_le(b + off + PE_SECTION_RAW_SIZE, 4);
		if (end > need)
			need = end;
	}
	if (need > file_size)
		return cellvm_err_set(err, CELLVM_E_IMAGE, EINVAL,
				      "kernel: truncated (%" PRIu64
				      " bytes; its PE header describes %" PRIu64
				      ")",
				      file_size, need);
	return 0;
}

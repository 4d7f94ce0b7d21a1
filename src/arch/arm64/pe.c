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

static uint32_t le16(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8;
}

static uint32_t le32(const uint8_t *p)
{
	return le16(p) | le16(p + 2) << 16;
}

int arm64_image_check_pe(const void *buf, size_t len, uint64_t file_size,
			 struct cellvm_err *err)
{
	const uint8_t *b = buf;
	uint64_t pe, sec, nsec, need = 0, i;

	if (len < PE_LFANEW_OFFSET + 4 || le16(b) != PE_MZ_MAGIC)
		return 0;
	pe = le32(b + PE_LFANEW_OFFSET);
	if (pe > len || len - pe < 4 + PE_COFF_HEADER_SIZE ||
	    le32(b + pe) != PE_SIGNATURE)
		return 0;
	nsec = le16(b + pe + 4 + PE_COFF_NSECTIONS);
	sec = pe + 4 + PE_COFF_HEADER_SIZE +
	      le16(b + pe + 4 + PE_COFF_OPTHDR_SIZE);
	for (i = 0; i < nsec; i++) {
		uint64_t off = sec + i * PE_SECTION_SIZE, end;

		if (off > len || len - off < PE_SECTION_SIZE)
			break; /* table beyond what we read: check what we saw */
		end = (uint64_t)le32(b + off + PE_SECTION_RAW_PTR) +
		      le32(b + off + PE_SECTION_RAW_SIZE);
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

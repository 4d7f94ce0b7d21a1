/* SPDX-License-Identifier: MIT */
/* Truncation check for arm64 Images that carry an EFI stub (pe.c). */
#ifndef CELLVM_ARCH_ARM64_PE_H
#define CELLVM_ARCH_ARM64_PE_H

#include <stddef.h>
#include <stdint.h>
#include "cellvm/err.h"

/* How many leading bytes of the image arm64_image_check_pe() looks at. */
#define ARM64_PE_PEEK 4096

/*
 * If the image starts with a PE/COFF header (an EFI stub), check that the
 * file holds every section's raw data. buf holds the first `len` bytes
 * (up to ARM64_PE_PEEK). Images without a PE header pass: nothing says
 * how long they should be.
 */
int arm64_image_check_pe(const void *buf, size_t len, uint64_t file_size,
			 struct cellvm_err *err) CELLVM_MUST_CHECK;

#endif

// SPDX-License-Identifier: MIT
/* Access to the guest images embedded by images.S. */
#include "cli/cli.h"

extern const unsigned char cellvm_guest_kernel_start[];
extern const unsigned char cellvm_guest_kernel_end[];
extern const unsigned char cellvm_guest_initrd_start[];
extern const unsigned char cellvm_guest_initrd_end[];

struct embedded_image embedded_kernel(void)
{
	return (struct embedded_image){
		cellvm_guest_kernel_start,
		(size_t)(cellvm_guest_kernel_end - cellvm_guest_kernel_start),
	};
}

struct embedded_image embedded_initrd(void)
{
	return (struct embedded_image){
		cellvm_guest_initrd_start,
		(size_t)(cellvm_guest_initrd_end - cellvm_guest_initrd_start),
	};
}

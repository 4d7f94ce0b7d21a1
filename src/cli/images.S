/* SPDX-License-Identifier: MIT */
/*
 * The embedded default guest, as the original design packaged its images
 * (package_guest_images.S): each image in its own section, page-aligned
 * so that it can later be mapped into guest RAM instead of copied, with
 * start and end symbols. CELLVM_GUEST_KERNEL / CELLVM_GUEST_INITRD name
 * the files at build time; without them the sections are empty.
 */
	.section .rodata.cellvm_guest_kernel, "a"
	.balign 4096
	.globl cellvm_guest_kernel_start
cellvm_guest_kernel_start:
#ifdef CELLVM_GUEST_KERNEL
	.incbin CELLVM_GUEST_KERNEL
#endif
	.globl cellvm_guest_kernel_end
cellvm_guest_kernel_end:

	.section .rodata.cellvm_guest_initrd, "a"
	.balign 4096
	.globl cellvm_guest_initrd_start
cellvm_guest_initrd_start:
#ifdef CELLVM_GUEST_INITRD
	.incbin CELLVM_GUEST_INITRD
#endif
	.globl cellvm_guest_initrd_end
cellvm_guest_initrd_end:

	.section .note.GNU-stack, "", %progbits

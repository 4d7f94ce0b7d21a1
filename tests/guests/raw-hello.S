/* SPDX-License-Identifier: MIT */
/*
 * raw-hello: a headerless flat binary, as bare-metal and conformance test
 * suites ship them, for `cellvm --kernel-format raw`. No arm64 Image
 * header: its first word is code. cellvm (like QEMU for a kernel without
 * a header) loads it at RAM base + 0x80000 and enters it at its first
 * byte with x0 = the DTB address. It checks both and prints
 *
 *   raw: loaded at 0x40080000 ok     or  raw: loaded at BAD address
 *   raw: DTB at x0 ok                or  raw: DTB at x0 BAD
 *
 * then "raw: done" and powers off (PSCI SYSTEM_OFF: cellvm exits 0).
 * Without --kernel-format raw, cellvm must refuse it (no magic).
 */
#include "guest.h"

#define RAW_LOAD 0x40080000 /* RAM base + QEMU's KERNEL_LOAD_ADDR */
#define FDT_MAGIC_LE 0xedfe0dd0 /* 0xd00dfeed, big-endian, read as LE */

	.text
	.globl	_head
_head:
	mov	x20, x0			/* the DTB, before anything clobbers x0 */
	UART_ADDR

	/* Where we run: adr gives our own address, position-independently. */
	adr	x1, _head
	mov	x2, #(RAW_LOAD & 0xffff)
	movk	x2, #(RAW_LOAD >> 16), lsl #16
	adr	x0, s_load_ok
	adr	x3, s_load_bad
	cmp	x1, x2
	csel	x0, x0, x3, eq
	bl	puts

	/* x0 pointed at a device tree: its magic, read with the MMU off. */
	ldr	w1, [x20]
	mov	w2, #(FDT_MAGIC_LE & 0xffff)
	movk	w2, #(FDT_MAGIC_LE >> 16), lsl #16
	adr	x0, s_dtb_ok
	adr	x3, s_dtb_bad
	cmp	w1, w2
	csel	x0, x0, x3, eq
	bl	puts

	adr	x0, s_done
	bl	puts
	POWEROFF

	GUEST_LIB

s_load_ok:	.asciz	"raw: loaded at 0x40080000 ok\n"
s_load_bad:	.asciz	"raw: loaded at BAD address\n"
s_dtb_ok:	.asciz	"raw: DTB at x0 ok\n"
s_dtb_bad:	.asciz	"raw: DTB at x0 BAD\n"
s_done:		.asciz	"raw: done\n"
	.balign	4

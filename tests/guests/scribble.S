/* SPDX-License-Identifier: MIT */
/*
 * scribble: writes over guest RAM that holds the boot images, to show
 * that guest writes never reach the files a VMM maps copy-on-write.
 *
 * cellvm puts the kernel at the bottom of RAM, the DTB at the top and the
 * initrd right below the DTB (src/arch/arm64/layout.c). So this guest:
 *  1. checks that its own body (a MiB of 0x5a after the code, part of the
 *     image file) reads as the file holds it, and prints "body ok" or
 *     "body BAD";
 *  2. fills everything from its body up to the DTB (x0 at entry) with
 *     0xdeadbeefcafef00d: its own image and the initrd, and the free RAM
 *     between, then reads the first and last word back ("scribble ok" or
 *     "scribble BAD") and prints how many bytes it wrote;
 *  3. prints "scribble done" and sleeps in WFI for ever (no interrupt is
 *     enabled), so the host can look at the VMM's mappings; kill the VMM
 *     to end it.
 * Run it with a small --mem: under nested emulation each page costs.
 */
#include "guest.h"

#define BODY_SIZE (1 << 20)
#define BODY_BYTE 0x5a

	IMAGE_HEADER start
start:
	mov	x20, x0			/* end of the scribble: the DTB */
	UART_ADDR

	/* 1. The body reads as the file holds it. */
	adr	x21, body
	mov	x1, x21
	add	x2, x21, #BODY_SIZE
	mov	x3, #0x5a5a
	movk	x3, #0x5a5a, lsl #16
	orr	x3, x3, x3, lsl #32
1:	ldr	x4, [x1], #8
	cmp	x4, x3
	b.ne	2f
	cmp	x1, x2
	b.lo	1b
	adr	x0, s_body_ok
	b	3f
2:	adr	x0, s_body_bad
3:	bl	puts

	/* 2. Scribble [body, DTB), 16 bytes a store. */
	mov	x3, #0xf00d
	movk	x3, #0xcafe, lsl #16
	movk	x3, #0xbeef, lsl #32
	movk	x3, #0xdead, lsl #48
	mov	x1, x21
4:	stp	x3, x3, [x1], #16
	cmp	x1, x20
	b.lo	4b
	ldr	x4, [x21]
	ldr	x5, [x20, #-8]
	cmp	x4, x3
	ccmp	x5, x3, #0, eq
	adr	x0, s_scribble_ok
	adr	x1, s_scribble_bad
	csel	x0, x0, x1, eq
	bl	puts
	sub	x0, x20, x21
	bl	putdec
	adr	x0, s_bytes
	bl	puts

	/* 3. Done: stay alive, idle. */
	adr	x0, s_done
	bl	puts
5:	wfi
	b	5b

	GUEST_LIB

s_body_ok:	.asciz	"scribble: body ok\n"
s_body_bad:	.asciz	"scribble: body BAD\n"
s_scribble_ok:	.asciz	"scribble ok: "
s_scribble_bad:	.asciz	"scribble BAD: "
s_bytes:	.asciz	" bytes written\n"
s_done:		.asciz	"scribble done\n"

	.balign	4096
body:
	.fill	BODY_SIZE, 1, BODY_BYTE
	IMAGE_END

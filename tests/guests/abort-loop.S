/* SPDX-License-Identifier: MIT */
/*
 * abort-loop: a guest that handles every external abort. It installs an
 * exception vector table whose every entry skips the faulting instruction
 * (ELR_EL1 += 4; ARM DDI 0487 D1.10 "Exception entry"), then loads from an
 * address no device decodes ABORTS times, so the VMM answers each with an
 * injected external data abort, and reports "aborts survived: N" and
 * powers off. A VMM that counts delivered aborts as "no progress" stops
 * it before the end.
 */
#include "guest.h"

#define ABORTS 1100
#define NOWHERE 0x1000 /* unmapped: below the GIC */

	IMAGE_HEADER start
start:
	adr	x0, vectors
	msr	vbar_el1, x0
	isb
	UART_ADDR
	mov	x5, #NOWHERE
	mov	x6, #ABORTS
	mov	x7, #0
1:	ldr	w8, [x5]		/* aborts; the handler skips it */
	add	x7, x7, #1
	subs	x6, x6, #1
	b.ne	1b
	adr	x0, s_done
	bl	puts
	mov	x0, x7
	bl	putdec
	mov	w4, #'\n'
	PUTC	w4
	POWEROFF

	GUEST_LIB

s_done:	.asciz	"aborts survived: "

/* VBAR_EL1 needs 2 KiB alignment; 16 entries of 0x80 bytes (D1.10.2). */
	.balign	2048
vectors:
	.rept	16
	.balign	0x80
	mrs	x10, elr_el1
	add	x10, x10, #4
	msr	elr_el1, x10
	eret
	.endr
	IMAGE_END

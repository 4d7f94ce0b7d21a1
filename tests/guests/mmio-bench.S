/* SPDX-License-Identifier: MIT */
/*
 * mmio-bench: the cost of one MMIO round trip to the VMM. It reads the
 * PL011 flag register (UARTFR) N times, a read every VMM must answer from
 * user space (KVM_EXIT_MMIO), timed with the virtual counter, and prints
 *
 *   mmio-bench: n=N mmio_ns=T hvc_ns=H
 *
 * T and H are the total nanoseconds for N UARTFR reads and for N PSCI_VERSION
 * calls (HVC answered inside KVM, never reaching the VMM: the floor under
 * any exit), in alternating blocks of 50 so both see the same host load.
 * Then it powers off. -DN=... sets N (default 2000).
 */
#include "guest.h"

#ifndef N
#define N 2000
#endif
#define BLOCK 50 /* N must be a multiple */

	IMAGE_HEADER start
start:
	UART_ADDR
	mrs	x19, cntfrq_el0
	mov	x21, #0			/* counter ticks in UARTFR reads */
	mov	x22, #0			/* counter ticks in HVCs */
	mov	x23, #(N / BLOCK)	/* blocks left */

	/* Alternate blocks of reads and HVCs, so that both see the same
	 * host load (the machine these run on is shared). */
1:	mov	x11, #BLOCK
	isb
	mrs	x20, cntvct_el0
2:	ldr	w10, [x9, #UART_FR]
	subs	x11, x11, #1
	b.ne	2b
	isb
	mrs	x12, cntvct_el0
	sub	x12, x12, x20
	add	x21, x21, x12

	mov	x11, #BLOCK
	isb
	mrs	x20, cntvct_el0
3:	mov	x0, #(PSCI_VERSION & 0xffff0000)
	hvc	#0
	subs	x11, x11, #1
	b.ne	3b
	isb
	mrs	x12, cntvct_el0
	sub	x12, x12, x20
	add	x22, x22, x12
	subs	x23, x23, #1
	b.ne	1b

	adr	x0, s_head
	bl	puts
	mov	x0, #(N & 0xffff)
	movk	x0, #(N >> 16), lsl #16
	bl	putdec
	adr	x0, s_mmio
	bl	puts
	mov	x0, x21
	bl	ticks_to_ns
	bl	putdec
	adr	x0, s_hvc
	bl	puts
	mov	x0, x22
	bl	ticks_to_ns
	bl	putdec
	adr	x0, s_nl
	bl	puts
	POWEROFF

/* x0 = x0 ticks in ns (x19 = counter frequency); clobbers x1. */
ticks_to_ns:
	mov	x1, #(1000000000 & 0xffff)
	movk	x1, #(1000000000 >> 16), lsl #16
	mul	x0, x0, x1
	udiv	x0, x0, x19
	ret

	GUEST_LIB

s_head:	.asciz	"mmio-bench: n="
s_mmio:	.asciz	" mmio_ns="
s_hvc:	.asciz	" hvc_ns="
s_nl:	.asciz	"\n"
	IMAGE_END

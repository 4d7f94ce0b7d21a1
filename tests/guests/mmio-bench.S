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
 * any exit). Then it powers off. -DN=... sets N (default 2000).
 */
#include "guest.h"

#ifndef N
#define N 2000
#endif

	IMAGE_HEADER start
start:
	UART_ADDR
	mrs	x19, cntfrq_el0

	/* N reads of UARTFR. */
	mov	x11, #(N & 0xffff)
	movk	x11, #(N >> 16), lsl #16
	isb
	mrs	x20, cntvct_el0
1:	ldr	w10, [x9, #UART_FR]
	subs	x11, x11, #1
	b.ne	1b
	isb
	mrs	x21, cntvct_el0
	sub	x21, x21, x20

	/* N HVCs that KVM answers itself. */
	mov	x11, #(N & 0xffff)
	movk	x11, #(N >> 16), lsl #16
	isb
	mrs	x20, cntvct_el0
2:	mov	x0, #(PSCI_VERSION & 0xffff0000)
	hvc	#0
	subs	x11, x11, #1
	b.ne	2b
	isb
	mrs	x22, cntvct_el0
	sub	x22, x22, x20

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

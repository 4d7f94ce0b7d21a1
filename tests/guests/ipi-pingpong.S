/* SPDX-License-Identifier: MIT */
/*
 * ipi-pingpong: thousands of IPIs between two vCPUs through a GICv2, with
 * the distributor switched off and on again around every one of them, to
 * show that no interrupt is lost (issue 12: under --irqchip=user a few in
 * a few thousand were, each near a distributor toggle).
 *
 * CPU 0 starts CPU 1 with PSCI CPU_ON. Both program their banked GIC state
 * (IHI 0048B: SGI 1 enabled, GICD_ISENABLER0 4.3.5; priority 0x80,
 * GICD_IPRIORITYR 4.3.11; GICC_PMR 0xf0, 4.4.2; GICC_CTLR enable, 4.4.1),
 * install the vector table below and unmask IRQs. Then, N times, CPU 0
 *   1. sends SGI 1 to CPU 1 (GICD_SGIR 4.3.15, target list),
 *   2. writes GICD_CTLR = 0 and then 1 (4.3.1): with the ping pending, the
 *      VMM lowers and raises CPU 1's IRQ line, from CPU 0's thread,
 *   3. waits, polling, until its own handler has counted the pong.
 * CPU 1 spins; its handler acknowledges the ping (GICC_IAR 4.4.4),
 * counts it, answers with SGI 1 to CPU 0 and ends it (GICC_EOIR 4.4.5).
 * CPU 0's handler acknowledges and counts the pong. Both CPUs wait by
 * reading the PL011's flag register, an access the VMM answers, so that
 * each vCPU keeps leaving and re-entering KVM_RUN while the other thread
 * changes its IRQ line: the window where KVM 6.1 loses a line set from
 * another thread (docs/irqchip.md).
 *
 * A pong that does not come within TIMEOUT_S seconds counts as lost: the
 * guest says so, nudges the GIC (another distributor toggle makes a VMM's
 * model send the level anew) and waits again, at most MAX_NUDGES times.
 * Output, then PSCI SYSTEM_OFF:
 *
 *   ipi-pingpong: 1000 ... (every 1000 round trips)
 *   ipi-pingpong: lost IPI i=I pings=P pongs=Q   (for each timeout)
 *   ipi-pingpong: n=N lost=L ms=T
 *   ipi-pingpong: ok | ipi-pingpong: FAIL
 *
 * Runs under --irqchip=user (cellvm's GICv2 model) or an in-kernel vGICv2,
 * with --cpus 2. -DN=... sets N (default 2000). The IRQ handler uses only
 * x24-x28, which the rest of the code leaves alone, so it needs no stack.
 */
#include "guest.h"

#ifndef N
#define N 2000
#endif
#define TIMEOUT_S 2 /* a pong later than this is lost */
#define MAX_NUDGES 5 /* then give up: the IPI is gone */
#define PROGRESS 1000 /* print a line every this many round trips */

/* IHI 0048B, Table 4-1 and 4.1.3: the registers used here. */
#define GICD_CTLR 0x000
#define GICD_ISENABLER0 0x100
#define GICD_IPRIORITYR0 0x400
#define GICD_SGIR 0xf00
#define GICC_CTLR 0x0000
#define GICC_PMR 0x0004
#define GICC_IAR 0x000c
#define GICC_EOIR 0x0010
#define GICC_INTID_MASK 0x3ff
#define GIC_SPURIOUS 1023

#define SGI_PING 1
#define SGIR_TARGET_SHIFT 16 /* CPUTargetList, filter 0: use the list */
#define SGIR_TO_CPU0 ((1 << (SGIR_TARGET_SHIFT + 0)) | SGI_PING)
#define SGIR_TO_CPU1 ((1 << (SGIR_TARGET_SHIFT + 1)) | SGI_PING)
#define PRIO_SGI0_3 0x80808080
#define PMR_ALLOW 0xf0

#define MPIDR_AFF0_MASK 0xff
#define DAIF_I 2 /* daifclr/daifset immediate: the I bit */

	IMAGE_HEADER start
start:
	UART_ADDR
	bl	cpu_setup
	mov	w0, #1
	str	w0, [x19, #GICD_CTLR]

	/* PSCI CPU_ON (DEN 0022 5.1.4): x1 target MPIDR, x2 entry, x3 ctx. */
	MOV32	x0, PSCI_CPU_ON_64
	mov	x1, #1
	adr	x2, secondary
	mov	x3, #0
	hvc	#0
	adr	x1, s_cpu_on
	cbnz	x0, fail

	mrs	x23, cntfrq_el0
	mov	x0, #TIMEOUT_S
	mul	x23, x23, x0		/* x23 = timeout in counter ticks */
	mrs	x5, cntvct_el0
	add	x5, x5, x23
1:	adr	x0, cpu1_up
	ldr	x0, [x0]
	cbnz	x0, 2f
	mrs	x0, cntvct_el0
	cmp	x0, x5
	b.lo	1b
	adr	x1, s_cpu1_late
	b	fail

2:	msr	daifclr, #DAIF_I
	mov	x21, #0			/* round trips done */
	mov	x22, #0			/* timeouts (lost IPIs) */
	mrs	x7, cntvct_el0		/* start time */
	MOV32	w8, SGIR_TO_CPU1
ping:
	add	x21, x21, #1
	str	w8, [x19, #GICD_SGIR]
	bl	toggle_dist
	mov	x6, #0			/* nudges for this round trip */
	mrs	x5, cntvct_el0
	add	x5, x5, x23
wait:
	ldr	w0, [x9, #UART_FR]	/* an exit: KVM_RUN entered anew */
	adr	x0, pongs
	ldr	x0, [x0]
	cmp	x0, x21
	b.hs	got
	mrs	x0, cntvct_el0
	cmp	x0, x5
	b.lo	wait
	/* Timed out: report, nudge the GIC, wait again. */
	add	x22, x22, #1
	bl	report_lost
	add	x6, x6, #1
	cmp	x6, #MAX_NUDGES
	adr	x1, s_stuck
	b.hs	fail
	bl	toggle_dist
	mrs	x5, cntvct_el0
	add	x5, x5, x23
	b	wait
got:
	mov	x0, #PROGRESS
	udiv	x1, x21, x0
	msub	x1, x1, x0, x21
	cbnz	x1, 3f
	adr	x0, s_head
	bl	puts
	mov	x0, x21
	bl	putdec
	adr	x0, s_nl
	bl	puts
3:	MOV32	x0, N
	cmp	x21, x0
	b.lo	ping

	/* Summary: n, lost, elapsed ms. */
	mrs	x5, cntvct_el0
	sub	x5, x5, x7
	adr	x0, s_n
	bl	puts
	mov	x0, x21
	bl	putdec
	adr	x0, s_lost
	bl	puts
	mov	x0, x22
	bl	putdec
	adr	x0, s_ms
	bl	puts
	mov	x0, #1000
	mul	x0, x5, x0
	mrs	x1, cntfrq_el0
	udiv	x0, x0, x1
	bl	putdec
	adr	x0, s_nl
	bl	puts
	adr	x0, s_ok
	adr	x1, s_fail
	cmp	x22, #0
	csel	x0, x0, x1, eq
	bl	puts
	POWEROFF

/* x1 = why: print "ipi-pingpong: <why>" and "FAIL", power off. */
fail:
	UART_ADDR
	mov	x21, x1
	adr	x0, s_head
	bl	puts
	mov	x0, x21
	bl	puts
	adr	x0, s_nl
	bl	puts
	adr	x0, s_fail
	bl	puts
	POWEROFF

/* "ipi-pingpong: lost IPI i=x21 pings=P pongs=Q"; clobbers x0-x4, w10,
 * x15. */
report_lost:
	mov	x15, x30
	adr	x0, s_lost_ipi
	bl	puts
	mov	x0, x21
	bl	putdec
	adr	x0, s_pings
	bl	puts
	adr	x0, pings
	ldr	x0, [x0]
	bl	putdec
	adr	x0, s_pongs
	bl	puts
	adr	x0, pongs
	ldr	x0, [x0]
	bl	putdec
	adr	x0, s_nl
	bl	puts
	mov	x30, x15
	ret

/* GICD_CTLR = 0, then 1 (x19 = distributor); clobbers w0. */
toggle_dist:
	str	wzr, [x19, #GICD_CTLR]
	mov	w0, #1
	str	w0, [x19, #GICD_CTLR]
	ret

/* Per-CPU set-up, both CPUs: vectors, and the banked GIC state. Sets
 * x19 = distributor, x20 = CPU interface; clobbers x0. */
cpu_setup:
	adr	x0, vectors
	msr	vbar_el1, x0
	isb
	mov	x19, #GICD_BASE
	mov	x20, #GICC_BASE
	mov	w0, #(1 << SGI_PING)
	str	w0, [x19, #GICD_ISENABLER0]
	MOV32	w0, PRIO_SGI0_3
	str	w0, [x19, #GICD_IPRIORITYR0]
	mov	w0, #PMR_ALLOW
	str	w0, [x20, #GICC_PMR]
	mov	w0, #1
	str	w0, [x20, #GICC_CTLR]
	ret

/* CPU 1, from PSCI CPU_ON: set up, say so, and spin on an MMIO read; the
 * handler works. */
secondary:
	bl	cpu_setup
	adr	x0, cpu1_up
	mov	x1, #1
	str	x1, [x0]
	msr	daifclr, #DAIF_I
	UART_ADDR
1:	ldr	w0, [x9, #UART_FR]	/* an exit: KVM_RUN entered anew */
	b	1b

/*
 * IRQ, both CPUs (x24-x28 only). CPU 1: a ping; count it, answer with a
 * pong. CPU 0: a pong; count it. A spurious acknowledge (the distributor
 * was off) needs no end of interrupt (IHI 0048B 3.2.4).
 */
irq:
	mov	x24, #GICC_BASE
	ldr	w25, [x24, #GICC_IAR]
	and	w26, w25, #GICC_INTID_MASK
	cmp	w26, #GIC_SPURIOUS
	b.eq	9f
	mrs	x27, mpidr_el1
	and	x27, x27, #MPIDR_AFF0_MASK
	cbnz	x27, 1f
	adr	x28, pongs
	ldr	x26, [x28]
	add	x26, x26, #1
	str	x26, [x28]
	b	2f
1:	adr	x28, pings
	ldr	x26, [x28]
	add	x26, x26, #1
	str	x26, [x28]
	mov	x26, #GICD_BASE
	MOV32	w27, SGIR_TO_CPU0
	str	w27, [x26, #GICD_SGIR]
2:	str	w25, [x24, #GICC_EOIR]
9:	eret

/* Anything but an IRQ: name the vector offset, ESR and ELR, fail. */
unexpected:
	UART_ADDR
	adr	x0, s_exc
	bl	puts
	mrs	x0, esr_el1
	bl	putdec
	adr	x0, s_elr
	bl	puts
	mrs	x0, elr_el1
	bl	putdec
	adr	x0, s_nl
	bl	puts
	adr	x1, s_exception
	b	fail

	GUEST_LIB

	/* ARM DDI 0487 D1.10.2: 16 entries of 0x80 bytes, 2 KiB aligned.
	 * We run at EL1h, so IRQs come to "current EL with SPx" (0x280). */
	.balign	2048
vectors:
	.rept	5
	b	unexpected
	.balign	0x80
	.endr
	b	irq			/* 0x280 */
	.balign	0x80
	.rept	10
	b	unexpected
	.balign	0x80
	.endr

s_head:		.asciz	"ipi-pingpong: "
s_nl:		.asciz	"\n"
s_n:		.asciz	"ipi-pingpong: n="
s_lost:		.asciz	" lost="
s_ms:		.asciz	" ms="
s_ok:		.asciz	"ipi-pingpong: ok\n"
s_fail:		.asciz	"ipi-pingpong: FAIL\n"
s_lost_ipi:	.asciz	"ipi-pingpong: lost IPI i="
s_pings:	.asciz	" pings="
s_pongs:	.asciz	" pongs="
s_cpu_on:	.asciz	"PSCI CPU_ON failed"
s_cpu1_late:	.asciz	"CPU 1 did not come up"
s_stuck:	.asciz	"an IPI stayed lost through every nudge"
s_exception:	.asciz	"unexpected exception"
s_exc:		.asciz	"ipi-pingpong: exception esr="
s_elr:		.asciz	" elr="

	/* Shared counters, each written by one CPU only (no exclusives:
	 * with the MMU off memory is Device memory, DDI 0487 D5.2.9). */
	.balign	64
pongs:		.quad	0	/* CPU 0's handler */
	.balign	64
pings:		.quad	0	/* CPU 1's handler */
	.balign	64
cpu1_up:	.quad	0	/* CPU 1, once set up */
	IMAGE_END

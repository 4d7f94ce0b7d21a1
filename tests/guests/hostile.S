/* SPDX-License-Identifier: MIT */
/*
 * hostile: a guest that attacks its VMM (issue 11 item 5; run by
 * tests/e2e/hostile.sh). In turn it
 *
 *  1. installs a vector table (VBAR_EL1, ARM DDI 0487 D1.10) whose
 *     synchronous handler counts data aborts (ESR_EL1.EC 0x25) and other
 *     synchronous exceptions, then skips the instruction (ELR_EL1 + 4);
 *  2. reads and writes unmapped addresses with every access size and
 *     checks that each access was answered by exactly one external abort
 *     ("hostile: unmapped ok" or "BAD");
 *  3. sweeps the device windows of the board map
 *     (src/arch/arm64/memmap.h): at every offset, aligned for the size, a
 *     read and a write of the value read XOR 0xa5.. with 1-, 2-, 4- and
 *     8-byte accesses. Windows larger than SWEEP_MAX bytes get their first
 *     and last SWEEP_MAX/2 bytes (the registers live there), as a full
 *     sweep costs some 1.5 million exits, minutes under nested emulation;
 *     build with -DSWEEP_MAX=0x40000 for the full sweep;
 *  4. gives every virtio device it finds garbage virtqueues: random
 *     descriptors (lengths up to 4 GiB, any flags, next indices in and out
 *     of range, so loops and indirect tables), random avail indices, rings
 *     and buffers outside RAM, on MMIO, straddling the end of RAM; buffers
 *     inside RAM lie only in a per-device zone filled with 0xa5, so no
 *     request header the device reads can be a write (virtio 1.2 5.2.6:
 *     type 1 OUT, 4 FLUSH, 11 DISCARD, 13 WRITE_ZEROES need zero bytes the
 *     zone never holds). A read-only virtio-blk disk (VIRTIO_BLK_F_RO)
 *     also gets one well-formed write request, whose status the guest
 *     prints ("hostile: ro write status N", 1 = IOERR);
 *  5. abuses PSCI (ARM DEN 0022D): CPU_ON of itself (already on), of
 *     MPIDRs that do not exist, twice in a row of CPU 1, unknown function
 *     IDs through HVC and SMC;
 *  6. a WFI storm: arms the virtual timer in the past, enables its PPI in
 *     the GIC (v2 or v3, from GICD_PIDR2) with PSTATE.I still masked, so
 *     every WFI returns at once (D1.16.2: a pending interrupt wakes WFI
 *     whatever PSTATE.I), WFI_STORM times;
 *  7. prints "hostile: done" with its counters and powers off.
 *
 * Run it with --mem 64M --cpus 2 (RAM ends at 0x44000000).
 * Registers kept across the program: x9 UART base, x21 PRNG state,
 * x24-x28 counters and handler scratch (see vec_sync).
 */
#include "guest.h"

#ifndef SWEEP_MAX
#define SWEEP_MAX 0x1000
#endif
#define WFI_STORM 2000
#define VQ_ROUNDS 16

#define RAM_END 0x44000000
#define ZONE_BASE 0x42000000	/* 64 KiB of 0xa5 a virtio slot */
#define RING_BASE 0x43000000	/* 16 KiB of rings a slot */
#define ZONE_SIZE 0x10000

#define UART_CR 0x30
#define UART_LCR_H 0x2c
#define UART_IMSC 0x38
#define UART_CR_ON 0x301	/* UARTEN | TXE | RXE */
#define UART_LCR_8N1_FIFO 0x70

/* virtio-mmio (virtio 1.2, 4.2.2) */
#define VIO_BASE 0x0a000000
#define VIO_SLOTS 32
#define VIO_MAGIC 0x000
#define VIO_DEVICE_ID 0x008
#define VIO_DEV_FEAT 0x010
#define VIO_DEV_FEAT_SEL 0x014
#define VIO_DRV_FEAT 0x020
#define VIO_DRV_FEAT_SEL 0x024
#define VIO_QUEUE_SEL 0x030
#define VIO_QUEUE_NUM 0x038
#define VIO_QUEUE_READY 0x044
#define VIO_QUEUE_NOTIFY 0x050
#define VIO_STATUS 0x070
#define VIO_DESC_LO 0x080
#define VIO_DESC_HI 0x084
#define VIO_DRIVER_LO 0x090
#define VIO_DRIVER_HI 0x094
#define VIO_DEVICE_LO 0x0a0
#define VIO_DEVICE_HI 0x0a4
#define VIO_MAGIC_VALUE 0x74726976
#define VIO_ST_UP 0xb		/* ACKNOWLEDGE | DRIVER | FEATURES_OK */
#define VIO_ST_LIVE 0xf		/* ... | DRIVER_OK */
#define VIO_QSIZE 8
#define BLK_ID 2
#define BLK_F_RO_BIT 5

/* PSCI 0.2+ function IDs (ARM DEN 0022D, 5.1) */
#define PSCI_CPU_OFF 0x84000002
#define PSCI_CPU_ON 0xc4000003
#define PSCI_AFFINITY_INFO 0xc4000004

/* GIC (IHI 0048B for v2, IHI 0069 for v3) */
#define GICD_BASE 0x08000000
#define GICC_BASE 0x08010000
#define GICR_SGI_BASE 0x080b0000	/* redistributor 0, SGI_base frame */
#define GICD_CTLR 0x000
#define GICD_IGROUPR0 0x080
#define GICD_ISENABLER0 0x100
#define GICD_IPRIORITYR 0x400
#define GICD_PIDR2 0xffe8	/* GICv3; beyond a GICv2's 4 KiB distributor */
#define GICR_WAKER 0x080b0014	/* RD_base + 0x14 */
#define GICC_CTLR 0x000
#define GICC_PMR 0x004
#define VTIMER_PPI 27
#define PPI_PRIO 0xa0

	.macro MOV64 reg, val
	movz	\reg, #((\val) & 0xffff)
	movk	\reg, #(((\val) >> 16) & 0xffff), lsl #16
	movk	\reg, #(((\val) >> 32) & 0xffff), lsl #32
	movk	\reg, #(((\val) >> 48) & 0xffff), lsl #48
	.endm

	/* x21 = xorshift64 step (Marsaglia 2003); result also in \out. */
	.macro RAND out
	eor	x21, x21, x21, lsl #13
	eor	x21, x21, x21, lsr #7
	eor	x21, x21, x21, lsl #17
	mov	\out, x21
	.endm

	.macro PRINT str
	adr	x0, \str
	bl	puts
	.endm

	/* PSCI call through HVC: x0 = function, x1-x3 arguments. */
	.macro PSCI fn, a1=0, a2=0, a3=0
	MOV64	x0, \fn
	MOV64	x1, \a1
	MOV64	x2, \a2
	MOV64	x3, \a3
	hvc	#0
	.endm

	IMAGE_HEADER start
start:
	msr	daifset, #0xf
	UART_ADDR
	adr	x0, vectors
	msr	vbar_el1, x0
	isb
	mov	x24, #0
	mov	x25, #0
	mov	x28, #0
	MOV64	x21, 0x9e3779b97f4a7c15
	PRINT	s_start

	/* ---- 2. unmapped addresses, every size, read and write ---- */
	adr	x19, unmapped
	mov	x22, #0			/* accesses made */
	mov	x23, x28
1:	ldr	x11, [x19], #8
	cbz	x11, 2f
	ldrb	w12, [x11]
	ldrh	w12, [x11]
	ldr	w12, [x11]
	ldr	x12, [x11]
	strb	w12, [x11]
	strh	w12, [x11]
	str	w12, [x11]
	str	x12, [x11]
	add	x22, x22, #8
	b	1b
2:	sub	x23, x28, x23
	cmp	x23, x22
	adr	x0, s_unmapped_ok
	adr	x1, s_unmapped_bad
	csel	x0, x0, x1, eq
	bl	puts
	mov	x0, x23
	bl	putdec
	PRINT	s_of
	mov	x0, x22
	bl	putdec
	PRINT	s_nl
	/* ISV=0 forms (pairs, writeback) at unmapped and device addresses. */
	mov	x11, #0x1000
	ldp	x12, x13, [x11]
	stp	x12, x13, [x11]
	ldr	x12, [x11, #8]!
	mov	x11, #UART_BASE
	ldp	w12, w13, [x11, #UART_FR]

	/* ---- 3. sweep every device window ---- */
	PRINT	s_sweep
	mov	x23, x28
	MOV64	x15, 0xa5a5a5a5a5a5a5a5
	adr	x19, windows
3:	ldp	x11, x20, [x19], #16
	cbz	x20, 5f
	mov	x22, x11
	cmp	x20, #SWEEP_MAX
	b.hi	4f
	mov	x12, x20
	bl	sweep
	b	3b
4:	mov	x12, #(SWEEP_MAX / 2)
	bl	sweep
	add	x11, x22, x20
	sub	x11, x11, #(SWEEP_MAX / 2)
	mov	x12, #(SWEEP_MAX / 2)
	bl	sweep
	b	3b
5:	/* The sweep wrote garbage into the UART: make it a UART again. */
	mov	w11, #UART_CR_ON
	str	w11, [x9, #UART_CR]
	mov	w11, #UART_LCR_8N1_FIFO
	str	w11, [x9, #UART_LCR_H]
	str	wzr, [x9, #UART_IMSC]
	PRINT	s_swept
	sub	x0, x28, x23
	bl	putdec
	PRINT	s_aborts

	/* ---- 4. garbage virtqueues on every virtio device ---- */
	mov	x20, #0			/* slot */
	mov	x23, #0			/* devices attacked */
6:	MOV64	x19, VIO_BASE
	add	x19, x19, x20, lsl #9
	ldr	w11, [x19, #VIO_MAGIC]
	MOV64	x12, VIO_MAGIC_VALUE
	cmp	x11, x12
	b.ne	7f
	ldr	w11, [x19, #VIO_DEVICE_ID]
	cbz	w11, 7f
	bl	vq_attack
	add	x23, x23, #1
7:	add	x20, x20, #1
	cmp	x20, #VIO_SLOTS
	b.lo	6b
	PRINT	s_vq
	mov	x0, x23
	bl	putdec
	PRINT	s_devices

	/* ---- 5. PSCI abuse ---- */
	PRINT	s_psci
	PSCI	PSCI_CPU_ON, 0, 0x40200000, 0	/* itself: ALREADY_ON */
	bl	putsdec
	PSCI	PSCI_CPU_ON, 0xff00ffffff, 0x40200000, 0	/* no such CPU */
	bl	putsdec
	PSCI	PSCI_CPU_ON, 0x7, 0x40200000, 0	/* no CPU 7 */
	bl	putsdec
	adr	x11, secondary
	MOV64	x0, PSCI_CPU_ON
	mov	x1, #1
	mov	x2, x11
	mov	x3, #0
	hvc	#0
	bl	putsdec
	MOV64	x0, PSCI_CPU_ON		/* again at once: ON_PENDING/ALREADY_ON */
	mov	x1, #1
	mov	x2, x11
	mov	x3, #0
	hvc	#0
	bl	putsdec
	PSCI	PSCI_AFFINITY_INFO, 0xffffffffff, 7, 0
	bl	putsdec
	PSCI	0x84000077		/* unknown standard-service IDs */
	bl	putsdec
	PSCI	0xc400ffff, 0xffffffffffffffff, 0xffffffffffffffff, 0xffffffffffffffff
	bl	putsdec
	PSCI	0xffffffff
	bl	putsdec
	PSCI	0x00000000
	bl	putsdec
	MOV64	x0, 0x84000000		/* PSCI_VERSION through SMC */
	smc	#0
	bl	putsdec
	MOV64	x0, 0xbf00ff01		/* an unknown vendor call through SMC */
	smc	#0x1234
	bl	putsdec
	PRINT	s_nl
	/* Wait (bounded) until CPU 1 has run and switched itself off. */
	MOV64	x12, 100000000
	adr	x11, sec_flag
8:	ldr	w13, [x11]
	cbnz	w13, 9f
	subs	x12, x12, #1
	b.ne	8b
9:	adr	x0, s_sec_ran
	adr	x1, s_sec_not
	cmp	w13, #0
	csel	x0, x0, x1, ne
	bl	puts

	/* ---- 6. WFI storm ---- */
	bl	wfi_storm
	PRINT	s_wfi
	mov	x0, #WFI_STORM
	bl	putdec
	PRINT	s_nl

	/* ---- 7. done ---- */
	PRINT	s_done
	mov	x0, x28
	bl	putdec
	PRINT	s_other
	mov	x0, x25
	bl	putdec
	PRINT	s_nl
	POWEROFF

/*
 * sweep: x11 base, x12 length; every offset, 1/2/4/8-byte read, then a
 * write of what was read XOR x15. Clobbers x13, x14, x16.
 */
sweep:
	mov	x13, #0
1:	ldrb	w14, [x11, x13]
	eor	w14, w14, w15
	strb	w14, [x11, x13]
	add	x13, x13, #1
	cmp	x13, x12
	b.lo	1b
	mov	x13, #0
2:	ldrh	w14, [x11, x13]
	eor	w14, w14, w15
	strh	w14, [x11, x13]
	add	x13, x13, #2
	cmp	x13, x12
	b.lo	2b
	mov	x13, #0
3:	ldr	w14, [x11, x13]
	eor	w14, w14, w15
	str	w14, [x11, x13]
	add	x13, x13, #4
	cmp	x13, x12
	b.lo	3b
	mov	x13, #0
4:	ldr	x14, [x11, x13]
	eor	x14, x14, x15
	str	x14, [x11, x13]
	add	x13, x13, #8
	cmp	x13, x12
	b.lo	4b
	ret

/*
 * vq_attack: x19 = the device's window, x20 = its slot. Keeps x19, x20,
 * x23 and x15.
 * Zone: ZONE_BASE + slot * 64 KiB; rings: RING_BASE + slot * 16 KiB,
 * queue q's descriptors at + q * 4 KiB, avail at + 0x200, used at + 0x400.
 */
vq_attack:
	mov	x18, x30
	MOV64	x16, ZONE_BASE
	add	x16, x16, x20, lsl #16	/* x16 = zone */
	MOV64	x17, RING_BASE
	add	x17, x17, x20, lsl #14	/* x17 = rings */
	/* Fill the zone with 0xa5 and the rings with zeros. */
	mov	x11, x16
	add	x12, x16, #ZONE_SIZE
1:	str	x15, [x11], #8
	cmp	x11, x12
	b.lo	1b
	mov	x11, x17
	add	x12, x17, #0x4000
2:	str	xzr, [x11], #8
	cmp	x11, x12
	b.lo	2b
	bl	vq_setup_rings
	/* Rounds of random chains on each of three queues. */
	mov	x22, #0
3:	mov	x13, #0			/* queue */
4:	add	x11, x17, x13, lsl #12	/* descriptors */
	mov	x12, #0
5:	RAND	x14
	and	x0, x14, #7
	lsr	x1, x14, #8
	cmp	x0, #4
	b.hs	6f
	and	x1, x1, #0x7ff0
	add	x1, x16, x1		/* in the zone */
	lsr	x2, x14, #24
	and	x2, x2, #0x7fff
	b	8f
6:	lsr	x2, x14, #24		/* outside RAM: any 32-bit length */
	and	x2, x2, #0xffffffff
	cmp	x0, #5
	b.hi	7f
	csel	x1, xzr, x9, lo		/* 4: address 0; 5: the UART */
	b	8f
7:	mov	x1, #-4096		/* 6: top of the address space */
	cmp	x0, #7
	b.ne	8f
	MOV64	x1, (RAM_END - 8)	/* 7: straddling the end of RAM */
8:	str	x1, [x11]
	str	w2, [x11, #8]
	RAND	x14
	and	w0, w14, #7		/* NEXT, WRITE, INDIRECT in any mix */
	strh	w0, [x11, #12]
	lsr	x0, x14, #8
	and	w0, w0, #15		/* next: in range or not */
	strh	w0, [x11, #14]
	add	x11, x11, #16
	add	x12, x12, #1
	cmp	x12, #VIO_QSIZE
	b.lo	5b
	/* avail: idx moves by 0..15, entries 0..15. */
	add	x11, x17, x13, lsl #12
	add	x11, x11, #0x200
	mov	x12, #0
9:	RAND	x14
	and	w0, w14, #15
	add	x1, x11, #4
	strh	w0, [x1, x12, lsl #1]
	add	x12, x12, #1
	cmp	x12, #VIO_QSIZE
	b.lo	9b
	ldrh	w0, [x11, #2]
	lsr	x1, x14, #8
	and	w1, w1, #15
	add	w0, w0, w1
	strh	w0, [x11, #2]
	dmb	sy
	str	w13, [x19, #VIO_QUEUE_NOTIFY]
	add	x13, x13, #1
	cmp	x13, #3
	b.lo	4b
	add	x22, x22, #1
	cmp	x22, #VQ_ROUNDS
	b.lo	3b

	/* Rings outside RAM: descriptors at the top of the address space,
	 * avail at 0, used on the UART; a queue size of 0x8000. */
	str	wzr, [x19, #VIO_STATUS]
	mov	w0, #VIO_ST_UP
	str	w0, [x19, #VIO_STATUS]
	str	wzr, [x19, #VIO_QUEUE_SEL]
	mov	w0, #0x8000
	str	w0, [x19, #VIO_QUEUE_NUM]
	mov	w0, #-4096
	str	w0, [x19, #VIO_DESC_LO]
	mov	w0, #-1
	str	w0, [x19, #VIO_DESC_HI]
	str	wzr, [x19, #VIO_DRIVER_LO]
	str	wzr, [x19, #VIO_DRIVER_HI]
	str	w9, [x19, #VIO_DEVICE_LO]
	str	wzr, [x19, #VIO_DEVICE_HI]
	mov	w0, #1
	str	w0, [x19, #VIO_QUEUE_READY]
	mov	w0, #VIO_ST_LIVE
	str	w0, [x19, #VIO_STATUS]
	str	wzr, [x19, #VIO_QUEUE_NOTIFY]
	mov	w0, #0xffff
	str	w0, [x19, #VIO_QUEUE_NOTIFY]

	/* A read-only disk: one well-formed write of sector 0. */
	ldr	w0, [x19, #VIO_DEVICE_ID]
	cmp	w0, #BLK_ID
	b.ne	20f
	str	wzr, [x19, #VIO_DEV_FEAT_SEL]
	ldr	w0, [x19, #VIO_DEV_FEAT]
	tbz	w0, #BLK_F_RO_BIT, 20f
	mov	x11, x17
	add	x12, x17, #0x4000
10:	str	xzr, [x11], #8
	cmp	x11, x12
	b.lo	10b
	bl	vq_setup_rings
	add	x11, x17, #0x3000	/* header: type 1 (OUT), sector 0 */
	mov	w0, #1
	str	w0, [x11]
	mov	w0, #0xff
	strb	w0, [x11, #16]		/* status, to be overwritten */
	mov	x0, x17			/* queue 0's descriptors */
	str	x11, [x0]
	mov	w1, #16
	str	w1, [x0, #8]
	mov	w1, #1			/* NEXT */
	strh	w1, [x0, #12]
	strh	w1, [x0, #14]
	str	x16, [x0, #16]		/* 512 bytes of 0xa5 */
	mov	w1, #512
	str	w1, [x0, #24]
	mov	w1, #1
	strh	w1, [x0, #28]
	mov	w1, #2
	strh	w1, [x0, #30]
	add	x1, x11, #16
	str	x1, [x0, #32]
	mov	w1, #1
	str	w1, [x0, #40]
	mov	w1, #2			/* WRITE */
	strh	w1, [x0, #44]
	strh	wzr, [x0, #46]
	add	x1, x17, #0x200		/* avail: ring[0] = 0, idx = 1 */
	strh	wzr, [x1, #4]
	mov	w0, #1
	strh	w0, [x1, #2]
	dmb	sy
	str	wzr, [x19, #VIO_QUEUE_NOTIFY]
	add	x1, x17, #0x400		/* used idx, polled (bounded) */
	MOV64	x12, 50000000
11:	ldrh	w0, [x1, #2]
	cbnz	w0, 12f
	subs	x12, x12, #1
	b.ne	11b
12:	PRINT	s_ro
	ldrb	w0, [x11, #16]
	bl	putdec
	PRINT	s_nl

20:	str	wzr, [x19, #VIO_STATUS]	/* reset */
	mov	x30, x18
	ret

/* Reset the device at x19 and bring up queues 0-2 on the rings at x17. */
vq_setup_rings:
	str	wzr, [x19, #VIO_STATUS]
	mov	w0, #1
	str	w0, [x19, #VIO_DRV_FEAT_SEL]	/* VIRTIO_F_VERSION_1 (bit 32) */
	str	w0, [x19, #VIO_DRV_FEAT]
	mov	w0, #VIO_ST_UP
	str	w0, [x19, #VIO_STATUS]
	mov	x13, #0
1:	str	w13, [x19, #VIO_QUEUE_SEL]
	mov	w0, #VIO_QSIZE
	str	w0, [x19, #VIO_QUEUE_NUM]
	add	x0, x17, x13, lsl #12
	str	w0, [x19, #VIO_DESC_LO]
	str	wzr, [x19, #VIO_DESC_HI]
	add	x1, x0, #0x200
	str	w1, [x19, #VIO_DRIVER_LO]
	str	wzr, [x19, #VIO_DRIVER_HI]
	add	x1, x0, #0x400
	str	w1, [x19, #VIO_DEVICE_LO]
	str	wzr, [x19, #VIO_DEVICE_HI]
	mov	w0, #1
	str	w0, [x19, #VIO_QUEUE_READY]
	add	x13, x13, #1
	cmp	x13, #3
	b.lo	1b
	mov	w0, #VIO_ST_LIVE
	str	w0, [x19, #VIO_STATUS]
	ret

/*
 * wfi_storm: virtual timer armed in the past (CNTV_CVAL_EL0 = 0,
 * CNTV_CTL_EL0.ENABLE; D11.2.4), its PPI enabled in group 1 of whichever
 * GIC the board has, then WFI_STORM WFIs with PSTATE.I masked.
 */
wfi_storm:
	msr	cntv_cval_el0, xzr
	mov	x0, #1
	msr	cntv_ctl_el0, x0
	MOV64	x11, GICD_BASE
	mov	w12, #(1 << VTIMER_PPI)
	mov	w0, #0			/* if the read aborts: not a v3 */
	MOV64	x13, (GICD_BASE + GICD_PIDR2)
	ldr	w0, [x13]
	ubfx	w0, w0, #4, #4		/* ArchRev */
	cmp	w0, #3
	b.lo	2f
	/* GICv3: system-register CPU interface (ICC_SRE_EL1.SRE), affinity
	 * routing distributor, redistributor awake, PPI in group 1. */
	mrs	x0, S3_0_C12_C12_5	/* ICC_SRE_EL1 */
	orr	x0, x0, #1
	msr	S3_0_C12_C12_5, x0
	isb
	mov	w0, #0x12		/* ARE_NS | EnableGrp1NS */
	str	w0, [x11, #GICD_CTLR]
	MOV64	x13, GICR_WAKER
	str	wzr, [x13]
	MOV64	x13, GICR_SGI_BASE
	str	w12, [x13, #GICD_IGROUPR0]
	mov	w0, #PPI_PRIO
	strb	w0, [x13, #(GICD_IPRIORITYR + VTIMER_PPI)]
	str	w12, [x13, #GICD_ISENABLER0]
	mov	x0, #0xff
	msr	S3_0_C4_C6_0, x0	/* ICC_PMR_EL1 */
	mov	x0, #1
	msr	S3_0_C12_C12_7, x0	/* ICC_IGRPEN1_EL1 */
	isb
	b	3f
2:	/* GICv2: distributor and CPU interface on (both groups), the PPI
	 * in group 0, enabled. */
	mov	w0, #3
	str	w0, [x11, #GICD_CTLR]
	str	wzr, [x11, #GICD_IGROUPR0]
	mov	w0, #PPI_PRIO
	strb	w0, [x11, #(GICD_IPRIORITYR + VTIMER_PPI)]
	str	w12, [x11, #GICD_ISENABLER0]
	MOV64	x13, GICC_BASE
	mov	w0, #0xff
	str	w0, [x13, #GICC_PMR]
	mov	w0, #3
	str	w0, [x13, #GICC_CTLR]
3:	mov	x12, #WFI_STORM
4:	wfi
	subs	x12, x12, #1
	b.ne	4b
	msr	cntv_ctl_el0, xzr
	ret

/* CPU 1's entry for PSCI CPU_ON: note that it ran, switch itself off. */
secondary:
	adr	x1, sec_flag
	mov	w2, #1
	str	w2, [x1]
	MOV64	x0, PSCI_CPU_OFF
	hvc	#0
1:	wfi
	b	1b

/* putsdec: print x0 as a signed decimal and a space. */
putsdec:
	mov	x5, x30
	tbz	x0, #63, 1f
	neg	x6, x0
	mov	w4, #'-'
	PUTC	w4
	mov	x0, x6
1:	bl	putdec
	mov	w4, #' '
	PUTC	w4
	mov	x30, x5
	ret

	GUEST_LIB

/*
 * The exception handlers may only touch x24-x28 (and read x9). Every
 * 256th data abort also reads UARTFR, a successful MMIO access, so a VMM
 * that gives up after 1000 consecutive aborts without one (cellvm before
 * issue 11 item 1) sees progress.
 */
vec_sync:
	mrs	x27, esr_el1
	ubfx	x27, x27, #26, #6	/* EC */
	cmp	x27, #0x25		/* data abort, same EL */
	b.ne	1f
	add	x28, x28, #1
	tst	x28, #0xff
	b.ne	2f
	ldr	w27, [x9, #UART_FR]
	b	2f
1:	add	x25, x25, #1
2:	mrs	x26, elr_el1
	add	x26, x26, #4
	msr	elr_el1, x26
	eret
vec_async:
	add	x24, x24, #1
	eret

	.balign	2048
vectors:
	.rept	4
	b	vec_sync
	.balign	128
	b	vec_async
	.balign	128
	b	vec_async
	.balign	128
	b	vec_async
	.balign	128
	.endr

	.balign	8
/* Addresses with nothing behind them; 0 ends the list. */
unmapped:
	.quad	0x0, 0x1000, 0x07fff000, 0x08020000, 0x0a101000
	.quad	0x3ffffff8, 0x44000000, 0x100000000, 0xfffffff000
	.quad	0
/* Device windows (base, size) of src/arch/arm64/memmap.h; 0, 0 ends. */
windows:
	.quad	0x08000000, 0x10000	/* GIC distributor */
	.quad	0x08010000, 0x10000	/* GICv2 CPU interface */
	.quad	0x08080000, 0x20000	/* GICv3 ITS (unused) */
	.quad	0x080a0000, 0x40000	/* GICv3 redistributors, 2 CPUs */
	.quad	0x09000000, 0x1000	/* PL011 */
	.quad	0x0a000000, 0x1000	/* virtio-mmio slots 0-7 */
	.quad	0x0a001000, 0x1000	/* 8-15 */
	.quad	0x0a002000, 0x1000	/* 16-23 */
	.quad	0x0a003000, 0x1000	/* 24-31 */
	.quad	0x0a100000, 0x1000	/* boot timer */
	.quad	0, 0
sec_flag:
	.long	0

s_start:	.asciz	"hostile: start\n"
s_unmapped_ok:	.asciz	"hostile: unmapped ok: "
s_unmapped_bad:	.asciz	"hostile: unmapped BAD: "
s_of:		.asciz	" aborts for "
s_sweep:	.asciz	"hostile: sweeping the device windows\n"
s_swept:	.asciz	"\nhostile: swept, "
s_aborts:	.asciz	" aborts\n"
s_vq:		.asciz	"hostile: garbage virtqueues on "
s_devices:	.asciz	" devices\n"
s_ro:		.asciz	"hostile: ro write status "
s_psci:		.asciz	"hostile: psci "
s_sec_ran:	.asciz	"hostile: cpu1 ran\n"
s_sec_not:	.asciz	"hostile: cpu1 never ran\n"
s_wfi:		.asciz	"hostile: wfi storm "
s_done:		.asciz	"hostile: done, data aborts "
s_other:	.asciz	", other sync "
s_nl:		.asciz	"\n"
	IMAGE_END

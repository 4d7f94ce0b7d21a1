/* SPDX-License-Identifier: MIT */
/*
 * isv: device accesses that trap without an instruction syndrome
 * (ESR_EL2.ISV = 0), which the VMM must fetch, decode and emulate itself
 * (issue 12 part 3; docs/machine.md). Every form below is ISV = 0 on
 * arm64: pairs, pre/post-index writeback, SIMD&FP registers.
 *
 * Run with a 4 KiB disk in virtio slot 0 and virtio-rng in slot 1:
 *   cellvm --kernel isv --disk 4k.img --rng
 *
 * It reads fixed values: the PL011's ID registers (ARM DDI 0183, 3.3.17:
 * UARTPeriphID0-3 = 0x11 0x10 0x14 0x00, UARTPCellID0-3 = 0x0d 0xf0 0x05
 * 0xb1), virtio-mmio MagicValue/Version/DeviceID (virtio 1.2, 4.2.2) and
 * virtio-blk's capacity (8 sectors); writes characters to UARTDR; checks
 * every loaded and written-back register. Then it does it all again with
 * the MMU on, through an alias of the devices at VA 0x8000_0000, so the
 * VMM walks the guest's page tables for the PC and the data. Last, a
 * structure load (LD1) must still get the external abort.
 *
 * Output: "isv: FAIL <check> got <value>" for each failed check,
 * "isv: dr=OK!" once per pass, and "isv: done pass=P fail=F"; an
 * unexpected exception prints "isv: unexpected exception esr=E" instead.
 * Then it powers off.
 */
#include "guest.h"

#define VIRTIO_BASE 0x0a000000
#define VIRTIO_SLOT 0x200
#define ALIAS 0x80000000 /* MMU on: VA ALIAS + pa -> pa, device memory */

#define MAGIC 0x74726976 /* "virt" */
#define BLK_ID 2
#define RNG_ID 4
#define BLK_CAPACITY 8 /* sectors of the 4 KiB disk */
#define VENDOR 0x4d564c43 /* cellvm's "CLVM" */

#define ESR_EC_SHIFT 26
#define EC_DABT_CUR 0x25 /* data abort taken without a change of EL */

/* x21 = PL011, x22 = virtio slot 0, x23 = slot 1 (physical or alias);
 * x19 = passes, x20 = failures, x24 = check number; x27 = abort probe. */

/* check: x0 = got, x1 = want. Clobbers x0-x4, x10, x29, x30. */
	.macro CHECKI reg, want
	mov	x0, \reg
	ldr	x1, =\want
	bl	check
	.endm

/* The register must equal base + off. */
	.macro CHECKB reg, base, off
	mov	x0, \reg
	add	x1, \base, #\off
	bl	check
	.endm

	.macro BODY
	add	x14, x21, #0xfe0	/* the ID registers */
	/* ldp of two W registers: the upper halves are cleared. */
	mov	x5, #-1
	mov	x6, #-1
	ldp	w5, w6, [x14]
	CHECKI	x5, 0x11
	CHECKI	x6, 0x10
	/* Pre- and post-indexed single loads write back the base. */
	add	x11, x21, #0xfe0
	ldr	w5, [x11, #4]!
	CHECKI	x5, 0x10
	CHECKB	x11, x21, 0xfe4
	ldr	w5, [x11], #8
	CHECKI	x5, 0x10
	CHECKB	x11, x21, 0xfec
	/* Pairs with writeback, backwards and forwards. */
	ldp	w5, w6, [x11, #-8]!
	CHECKI	x5, 0x10
	CHECKI	x6, 0x14
	CHECKB	x11, x21, 0xfe4
	ldp	w5, w6, [x11], #16
	CHECKI	x5, 0x10
	CHECKI	x6, 0x14
	CHECKB	x11, x21, 0xff4
	/* Sign extension: PCellID1 = 0xf0, to X and to W. */
	ldrsb	x5, [x11], #-4
	CHECKI	x5, 0xfffffffffffffff0
	CHECKB	x11, x21, 0xff0
	mov	x6, #-1
	ldrsb	w6, [x11, #4]!
	CHECKI	x6, 0xfffffff0
	CHECKB	x11, x21, 0xff4
	ldpsw	x5, x6, [x11, #4]
	CHECKI	x5, 0x05
	CHECKI	x6, 0xb1
	/* The zero register as a destination discards. */
	mov	x6, #0
	ldp	wzr, w6, [x14]
	CHECKI	x6, 0x10
	/* SP as the base, post-indexed. */
	add	x13, x21, #0xfe0
	mov	sp, x13
	ldp	w5, w6, [sp], #16
	CHECKI	x5, 0x11
	CHECKI	x6, 0x10
	mov	x7, sp
	CHECKB	x7, x21, 0xff0
	/* SIMD&FP: register offset with shift; S clears the rest of V0. */
	movi	v0.2d, #0xffffffffffffffff
	mov	x12, #(0xfe0 / 4)
	ldr	s0, [x21, x12, lsl #2]
	fmov	x5, d0
	CHECKI	x5, 0x11
	mov	x6, v0.d[1]
	CHECKI	x6, 0
	add	x11, x21, #0xfe0
	ldp	s1, s2, [x11]
	fmov	w5, s1
	fmov	w6, s2
	CHECKI	x5, 0x11
	CHECKI	x6, 0x10
	ldr	h3, [x11], #2
	fmov	w5, s3
	CHECKI	x5, 0x11
	CHECKB	x11, x21, 0xfe2
	/* virtio-mmio: magic and version, device and vendor ids, config. */
	ldp	w5, w6, [x22]
	CHECKI	x5, MAGIC
	CHECKI	x6, 2
	ldp	w5, w6, [x22, #8]
	CHECKI	x5, BLK_ID
	CHECKI	x6, VENDOR
	ldp	w5, w6, [x23, #8]
	CHECKI	x5, RNG_ID
	CHECKI	x6, VENDOR
	add	x11, x22, #0x100
	ldp	w5, w6, [x11]
	CHECKI	x5, BLK_CAPACITY
	CHECKI	x6, 0
	/* A pair across two devices: the end of slot 0's config space (past
	 * virtio-blk's config: zero), slot 1's MagicValue. */
	mov	x5, #-1
	add	x11, x22, #(VIRTIO_SLOT - 4)
	ldp	w5, w6, [x11]
	CHECKI	x5, 0
	CHECKI	x6, MAGIC
	/* Stores to UARTDR: "OK!" by stp pre-indexed on SP, strb
	 * post-indexed, and str of an S register. */
	adr	x0, s_dr
	bl	puts
	add	x13, x21, #16
	mov	sp, x13
	mov	w5, #'O'
	mov	w6, #0
	stp	w5, w6, [sp, #-16]!
	mov	x7, sp
	CHECKB	x7, x21, 0
	mov	x11, x21
	mov	w7, #'K'
	strb	w7, [x11], #1
	CHECKB	x11, x21, 1
	mov	w8, #'!'
	fmov	s4, w8
	str	s4, [x21]
	adr	x0, s_nl
	bl	puts
	/* Not emulated (a structure load): the external abort arrives. */
	mov	x27, #1
	ld1	{v0.4s}, [x21]
	CHECKI	x27, 2
	.endm

	IMAGE_HEADER start
start:
	UART_ADDR
	mov	x19, #0
	mov	x20, #0
	mov	x24, #0
	/* FP/SIMD on at EL1 (CPACR_EL1.FPEN = 0b11). */
	mov	x0, #(3 << 20)
	msr	cpacr_el1, x0
	adr	x0, vectors
	msr	vbar_el1, x0
	isb

	/* Pass 1: MMU off, devices at their physical addresses. */
	mov	x21, #UART_BASE
	mov	x22, #VIRTIO_BASE
	add	x23, x22, #VIRTIO_SLOT
	BODY

	/* Pass 2: MMU on, devices through the alias. */
	bl	mmu_on
	mov	x21, #(ALIAS + UART_BASE)
	mov	x22, #(ALIAS + VIRTIO_BASE)
	add	x23, x22, #VIRTIO_SLOT
	BODY

	adr	x0, s_done
	bl	puts
	mov	x0, x19
	bl	putdec
	adr	x0, s_fail
	bl	puts
	mov	x0, x20
	bl	putdec
	adr	x0, s_nl
	bl	puts
	POWEROFF

/* x0 = got, x1 = want: count a pass, or print the failure. */
check:
	mov	x29, x30
	add	x24, x24, #1
	cmp	x0, x1
	b.ne	1f
	add	x19, x19, #1
	ret	x29
1:	add	x20, x20, #1
	mov	x25, x0
	adr	x0, s_failed
	bl	puts
	mov	x0, x24
	bl	putdec
	adr	x0, s_got
	bl	puts
	mov	x0, x25
	bl	putdec
	adr	x0, s_nl
	bl	puts
	ret	x29

/*
 * Identity-map RAM (1 GiB block at 0x4000_0000, normal memory), the
 * devices (1 GiB block at 0, device-nGnRnE) and their alias at ALIAS:
 * 4K granule, 39-bit VAs, so the walk starts at level 1 (D8.2).
 */
#define DESC_BLOCK 0x1
#define DESC_AF (1 << 10)
#define DESC_SH_INNER (3 << 8)
#define DESC_ATTR1 (1 << 2) /* MAIR attr 1: normal */
#define MAIR_VAL 0xff00 /* attr 0 device-nGnRnE, attr 1 normal WB */
/* T0SZ 25, inner/outer WB walks, inner shareable, TG0 4K, EPD1, IPS 40-bit */
#define TCR_VAL (25 | (1 << 8) | (1 << 10) | (3 << 12) | (1 << 23) | (2 << 32))
#define SCTLR_M 1
mmu_on:
	adr	x0, l1_table
	mov	x1, #(DESC_AF | DESC_BLOCK)
	str	x1, [x0]			/* VA 0: devices */
	str	x1, [x0, #16]			/* VA 2 GiB: alias of 0 */
	mov	x1, #0x40000000
	mov	x2, #(DESC_AF | DESC_SH_INNER | DESC_ATTR1 | DESC_BLOCK)
	orr	x1, x1, x2
	str	x1, [x0, #8]			/* VA 1 GiB: RAM */
	dsb	sy
	msr	ttbr0_el1, x0
	mov	x1, #MAIR_VAL
	msr	mair_el1, x1
	ldr	x1, =TCR_VAL
	msr	tcr_el1, x1
	isb
	tlbi	vmalle1
	dsb	nsh
	isb
	mrs	x1, sctlr_el1
	orr	x1, x1, #SCTLR_M
	msr	sctlr_el1, x1
	isb
	ret

/* Any exception: the expected external abort of the LD1 (x27 = 1), or
 * a failure that ends the run. */
except:
	mrs	x28, esr_el1
	ubfx	x28, x28, #ESR_EC_SHIFT, #6	/* EC, ESR_EL1[31:26] */
	cmp	x27, #1
	b.ne	1f
	cmp	x28, #EC_DABT_CUR
	b.ne	1f
	mov	x27, #2
	mrs	x28, elr_el1
	add	x28, x28, #4
	msr	elr_el1, x28
	eret
1:	UART_ADDR
	adr	x0, s_unexpected
	bl	puts
	mrs	x0, esr_el1
	bl	putdec
	adr	x0, s_elr
	bl	puts
	mrs	x0, elr_el1
	bl	putdec
	adr	x0, s_nl
	bl	puts
	POWEROFF

	GUEST_LIB

	.ltorg
s_dr:	.asciz	"isv: dr="
s_done:	.asciz	"isv: done pass="
s_fail:	.asciz	" fail="
s_failed: .asciz "isv: FAIL check "
s_got:	.asciz	" got "
s_unexpected: .asciz "isv: unexpected exception esr="
s_elr:	.asciz	" elr="
s_nl:	.asciz	"\n"

	.balign	2048
vectors:
	.rept	16
	b	except
	.balign	128
	.endr

	.balign	4096
l1_table:
	.fill	4096, 1, 0
	IMAGE_END

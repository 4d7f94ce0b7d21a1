/* SPDX-License-Identifier: MIT */
/*
 * Tiny bare-metal AArch64 test "kernels": just enough of an arm64 Linux
 * Image (Linux Documentation/arch/arm64/booting.rst, section 4) that both
 * cellvm and QEMU's -M virt -kernel boot them, and the machine they talk to:
 * QEMU virt's PL011 and PSCI through HVC, which cellvm has too.
 *
 * Entered as Linux is: MMU and caches off, EL1, x0 = DTB address. The code
 * is position-independent (adr only) since the image may load anywhere
 * (flags bit 3). No stack: the helpers are leaf routines.
 *
 * A guest source includes this, starts with IMAGE_HEADER, and ends with
 * IMAGE_END; everything lies in .text, so objcopy -O binary gives the
 * Image and image_size is its exact file size.
 */
#ifndef CELLVM_TEST_GUEST_H
#define CELLVM_TEST_GUEST_H

#define UART_BASE 0x09000000 /* PL011 on QEMU virt and cellvm */
#define UART_DR 0x00
#define UART_FR 0x18
#define UART_FR_RXFE_BIT 4
#define UART_FR_TXFF_BIT 5

/* PSCI 0.2 function IDs (ARM DEN 0022, table 5.x), SMC32 convention,
 * but CPU_ON in its SMC64 form (64-bit entry point). */
#define PSCI_VERSION 0x84000000
#define PSCI_SYSTEM_OFF 0x84000008
#define PSCI_CPU_ON_64 0xc4000003

/* GICv2 on QEMU virt and cellvm (--irqchip=user, or an in-kernel vGICv2):
 * distributor and CPU interface (ARM IHI 0048B, section 4.1). */
#define GICD_BASE 0x08000000
#define GICC_BASE 0x08010000

/* booting.rst 4: flags = LE (bit 0 = 0), 4K pages (bits 1-2 = 1), may be
 * placed anywhere in RAM (bit 3). */
#define IMAGE_FLAGS 0xa

	.macro IMAGE_HEADER entry
	.text
	.globl _head
_head:
	b	\entry			/* code0 */
	.long	0			/* code1 */
	.quad	0			/* text_offset */
	.quad	_image_end - _head	/* image_size */
	.quad	IMAGE_FLAGS		/* flags */
	.quad	0, 0, 0			/* res2-res4 */
	.ascii	"ARM\x64"		/* magic */
	.long	0			/* res5 */
	.endm

	.macro IMAGE_END
	.balign	4096
_image_end:
	.endm

/* x9 = UART base. */
	.macro UART_ADDR
	mov	x9, #UART_BASE
	.endm

/* Send the byte in wreg once the FIFO has room; x9 = UART base, clobbers
 * w10. */
	.macro PUTC wreg
.Lputc_wait\@:
	ldr	w10, [x9, #UART_FR]
	tbnz	w10, #UART_FR_TXFF_BIT, .Lputc_wait\@
	str	\wreg, [x9, #UART_DR]
	.endm

/* reg = the 32-bit immediate imm (movz + movk: any value). */
	.macro MOV32 reg, imm
	movz	\reg, #((\imm) & 0xffff)
	movk	\reg, #(((\imm) >> 16) & 0xffff), lsl #16
	.endm

/* PSCI SYSTEM_OFF; a VMM that ignores it leaves us parked in WFI. */
	.macro POWEROFF
	mov	x0, #(PSCI_SYSTEM_OFF & 0xffff0000)
	movk	x0, #(PSCI_SYSTEM_OFF & 0xffff)
	hvc	#0
.Lpark\@:
	wfi
	b	.Lpark\@
	.endm

/*
 * Leaf routines, instantiated by GUEST_LIB where a guest wants them:
 *   puts:   x0 = NUL-terminated string.        Clobbers x0, w4, w10.
 *   putdec: x0 = unsigned value, in decimal.   Clobbers x0-x4, w10.
 * Both expect x9 = UART base.
 */
	.macro GUEST_LIB
puts:
	ldrb	w4, [x0], #1
	cbz	w4, .Lputs_done
	PUTC	w4
	b	puts
.Lputs_done:
	ret

putdec:
	mov	x1, #1			/* x1 = largest power of ten <= x0 */
	mov	x2, #10
.Lputdec_scale:
	udiv	x3, x0, x1
	cmp	x3, #10
	b.lo	.Lputdec_digit
	mul	x1, x1, x2
	b	.Lputdec_scale
.Lputdec_digit:
	udiv	x3, x0, x1
	msub	x0, x3, x1, x0
	add	w4, w3, #'0'
	PUTC	w4
	udiv	x1, x1, x2
	cbnz	x1, .Lputdec_digit
	ret
	.endm

#endif

/* SPDX-License-Identifier: MIT */
/*
 * soak: one short boot of a reboot loop (tests/e2e/soak.sh).
 *
 * Each boot prints "soak: boot" and then waits for one console byte:
 *   'r'  reboot: PSCI SYSTEM_RESET (ARM DEN 0022D, 5.1.10), so cellvm
 *        destroys the VM and creates it anew;
 *   'q'  power off: PSCI SYSTEM_OFF (5.1.9), cellvm exits with status 0.
 * Any other byte is ignored. The host sends the byte only after it has seen
 * the banner, so no input is in flight across a reboot, and the boot waits
 * in a stable state where the host can sample cellvm's fds and RSS.
 *
 * The receiver is enabled by UARTCR.UARTEN|TXE|RXE and the receive and
 * receive-timeout interrupts unmasked in UARTIMSC (ARM DDI 0183, 3.3.8,
 * 3.3.10): cellvm offers input only to a PL011 whose reader is ready. No
 * interrupt reaches the CPU (PSTATE.I is set at entry, the GIC is never
 * enabled); the guest polls UARTFR.RXFE.
 */
#include "guest.h"

#define UART_CR 0x30
#define UART_IMSC 0x38
#define UART_CR_ON 0x301	/* UARTEN | TXE | RXE */
#define UART_IMSC_RX 0x50	/* RXIM | RTIM */
#define PSCI_SYSTEM_RESET 0x84000009
#define POLL_DELAY 20000	/* spins between two UARTFR reads */

	IMAGE_HEADER start
start:
	UART_ADDR
	mov	w1, #UART_CR_ON
	str	w1, [x9, #UART_CR]
	mov	w1, #UART_IMSC_RX
	str	w1, [x9, #UART_IMSC]
	adr	x0, s_boot
	bl	puts

wait:	ldr	w10, [x9, #UART_FR]
	tbz	w10, #UART_FR_RXFE_BIT, got
	mov	x1, #POLL_DELAY
1:	subs	x1, x1, #1
	b.ne	1b
	b	wait
got:	ldr	w1, [x9, #UART_DR]
	and	w1, w1, #0xff
	cmp	w1, #'r'
	b.eq	reset
	cmp	w1, #'q'
	b.ne	wait
	POWEROFF

reset:	mov	x0, #(PSCI_SYSTEM_RESET & 0xffff0000)
	movk	x0, #(PSCI_SYSTEM_RESET & 0xffff)
	hvc	#0
	/* A VMM that ignored the reset: say so and stop. */
	adr	x0, s_noreset
	bl	puts
	POWEROFF

	GUEST_LIB

s_boot:		.asciz	"soak: boot\n"
s_noreset:	.asciz	"soak: SYSTEM_RESET returned\n"
	IMAGE_END

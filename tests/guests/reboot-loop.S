/* SPDX-License-Identifier: MIT */
/*
 * reboot-loop: writes "R\n" to the PL011 and asks for a system reset
 * (PSCI SYSTEM_RESET, ARM DEN 0022 5.1.11), so a VMM that restarts guests
 * on reboot runs it in a tight loop of VM teardowns and creations: the
 * guest for "a stop signal between two reboots" tests.
 */
#include "guest.h"

#define PSCI_SYSTEM_RESET 0x84000009

	IMAGE_HEADER start
start:
	UART_ADDR
	mov	w4, #'R'
	PUTC	w4
	mov	w4, #'\n'
	PUTC	w4
	mov	x0, #(PSCI_SYSTEM_RESET & 0xffff0000)
	movk	x0, #(PSCI_SYSTEM_RESET & 0xffff)
	hvc	#0
1:	wfi
	b	1b
	IMAGE_END

/* SPDX-License-Identifier: MIT */
/*
 * chatter: prints lines to the PL011 for ever, as fast as the VMM takes
 * them: the guest for "console output nobody reads" tests.
 */
#include "guest.h"

	IMAGE_HEADER start
start:
	UART_ADDR
1:	adr	x0, s_line
	bl	puts
	b	1b

	GUEST_LIB

s_line:	.asciz	"chatter: the quick brown fox jumps over the lazy dog\n"
	IMAGE_END

/* SPDX-License-Identifier: MIT */
/*
 * first-insn: the VMM start-up probe. Its first instructions after the
 * header's branch write "!\n" to the PL011, then it powers off, so the
 * time from launching a VMM to that byte on the VMM's stdout is the VMM's
 * start-up (to the first guest instruction, plus one console exit) and the
 * VMM's peak RSS is nearly all its own: the guest touches one page.
 *
 * With -DPAD_MIB=N the image is padded to N MiB (image_size and file size),
 * with non-zero bytes, for measuring how start-up grows with image size.
 * With -DHOLD it sleeps in WFI for ever instead (no interrupt is enabled,
 * so nothing wakes it): the VMM stays alive, idle, for inspection.
 */
#include "guest.h"

	IMAGE_HEADER start
start:
	UART_ADDR
	mov	w4, #'!'
	str	w4, [x9, #UART_DR]
	mov	w4, #'\n'
	str	w4, [x9, #UART_DR]
#ifdef HOLD
1:	wfi
	b	1b
#else
	POWEROFF
#endif

#ifdef PAD_MIB
	.balign	4096
	.fill	(PAD_MIB << 20) - (. - _head), 1, 0xa5
#endif
	IMAGE_END

// SPDX-License-Identifier: MIT
/*
 * The user's terminal: raw while the guest runs (every key goes to the
 * guest, Ctrl-C included), and always restored: at exit, and on a crash
 * before the signal takes its course (crash.c). This file is the
 * command's, so its one piece of process state (the saved termios) may
 * live here.
 */
#include <signal.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

#include "cli/cli.h"

static struct termios saved;
static int saved_fd = -1;

void term_restore(void)
{
	if (saved_fd >= 0)
		tcsetattr(saved_fd, TCSAFLUSH, &saved);
}

void term_raw(int fd)
{
	struct termios raw;

	if (!isatty(fd) || tcgetattr(fd, &saved) < 0)
		return;
	saved_fd = fd;
	atexit(term_restore);
	raw = saved;
	cfmakeraw(&raw);
	tcsetattr(fd, TCSAFLUSH, &raw);
}

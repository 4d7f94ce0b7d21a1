// SPDX-License-Identifier: MIT
/*
 * The user's terminal: raw while the guest runs (every key goes to the
 * guest, Ctrl-C included), and always restored: at exit, and on a fatal
 * signal before the signal takes its course. This file is the command's,
 * so its one piece of process state (the saved termios) may live here.
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

static void term_fatal(int sig)
{
	term_restore();
	signal(sig, SIG_DFL);
	raise(sig);
}

void term_raw(int fd)
{
	static const int fatal[] = { SIGSEGV, SIGBUS, SIGFPE, SIGILL, SIGABRT };
	struct termios raw;
	unsigned i;

	if (!isatty(fd) || tcgetattr(fd, &saved) < 0)
		return;
	saved_fd = fd;
	atexit(term_restore);
	for (i = 0; i < sizeof(fatal) / sizeof(fatal[0]); i++)
		signal(fatal[i], term_fatal);
	raw = saved;
	cfmakeraw(&raw);
	tcsetattr(fd, TCSAFLUSH, &raw);
}

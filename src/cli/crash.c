// SPDX-License-Identifier: MIT
/*
 * A crash of cellvm itself (SIGSEGV, SIGBUS, SIGILL, SIGFPE, SIGABRT) is a
 * bug, never the guest's doing. Before the signal takes its default course
 * (the process dies of it: a shell shows status 128 + signal, and a core
 * dump follows where enabled), say so in one line with what a bug report
 * needs: the signal, the thread kind, the fault address and the program
 * counter (which `addr2line -e cellvm` turns into a source line), and give
 * the user's terminal back.
 *
 * Async-signal-safe: one write, tcsetattr. The handler is reset on entry
 * (SA_RESETHAND), so it makes no system call a thread's seccomp filter
 * would refuse: a fault returns to the faulting instruction and meets the
 * default action; a signal sent by someone is raised again (tgkill, which
 * every filter allows for the process itself).
 */
#include <signal.h>
#include <string.h>
#include <ucontext.h>
#include <unistd.h>

#include "cli/cli.h"
#include "cli/seccomp.h"
#include "cli/sigsafe.h"

static const struct {
	int sig;
	const char *name;
} crash_signals[] = {
	{ SIGSEGV, "SIGSEGV" }, { SIGBUS, "SIGBUS" }, { SIGILL, "SIGILL" },
	{ SIGFPE, "SIGFPE" },	{ SIGABRT, "SIGABRT" },
};

static uint64_t crash_pc(const void *uctx)
{
	const ucontext_t *uc = uctx;

	if (!uc)
		return 0;
#if defined(__aarch64__)
	return uc->uc_mcontext.pc;
#elif defined(__x86_64__)
	return (uint64_t)uc->uc_mcontext.gregs[REG_RIP];
#else
	return 0;
#endif
}

static void on_crash(int sig, siginfo_t *si, void *uctx)
{
	const char *name = "a fatal signal";
	char line[256];
	size_t n = 0, max = sizeof(line) - 1;
	unsigned i;

	for (i = 0; i < sizeof(crash_signals) / sizeof(crash_signals[0]); i++)
		if (crash_signals[i].sig == sig)
			name = crash_signals[i].name;
	n = put_str(line, n, max, "cellvm: internal error: ");
	n = put_str(line, n, max, name);
	n = put_str(line, n, max, " in the ");
	n = put_str(line, n, max, sandbox_thread_name());
	n = put_str(line, n, max, " thread");
	if (si->si_code > 0 && sig != SIGABRT) {
		n = put_str(line, n, max, " (address ");
		n = put_hex(line, n, max, (uint64_t)(uintptr_t)si->si_addr);
		n = put_str(line, n, max, ", pc ");
		n = put_hex(line, n, max, crash_pc(uctx));
		n = put_str(line, n, max, ")");
	}
	n = put_str(line, n, max, ": a bug in cellvm, please report it\n");
	line[max] = '\0';
	if (write(STDERR_FILENO, line, n) < 0) {
		/* Nothing more to tell anyone. */
	}
	term_restore();
	/* A fault runs its instruction again and meets the default action;
	 * a signal sent from outside (or by abort) does not repeat itself. */
	if (si->si_code <= 0)
		raise(sig);
}

int crash_report_install(void)
{
	struct sigaction sa;
	unsigned i;

	memset(&sa, 0, sizeof(sa));
	sa.sa_sigaction = on_crash;
	sa.sa_flags = SA_SIGINFO | SA_RESETHAND;
	sigemptyset(&sa.sa_mask);
	for (i = 0; i < sizeof(crash_signals) / sizeof(crash_signals[0]); i++)
		if (sigaction(crash_signals[i].sig, &sa, NULL) < 0)
			return -1;
	return 0;
}

/* SPDX-License-Identifier: MIT */
/*
 * The command's system call filters (seccomp, via libseccomp): one per
 * kind of thread, installed by each thread in itself at the end of its
 * set-up (cellvm_config.thread_enter). See src/cli/seccomp.c.
 */
#ifndef CELLVM_CLI_SECCOMP_H
#define CELLVM_CLI_SECCOMP_H

#include <linux/filter.h>
#include <stdbool.h>

#include "cellvm/cellvm.h"

/* Syscall numbers below this get a name in the SIGSYS line. */
#define SANDBOX_NAMES 512

struct sandbox {
	/* Each kind's filter, compiled once before any thread runs, so a
	 * thread installs it with two system calls and no allocation. */
	struct sock_fprog prog[CELLVM_THREAD_KIND_NR];
	/* The event-loop filter is installed once: a reboot runs the loop
	 * again on the same thread. */
	bool evloop_done;
	/* Syscall names by number, resolved at build time for the
	 * async-signal-safe SIGSYS handler. */
	char *names[SANDBOX_NAMES];
};

/*
 * Compile every kind's filter for the backend's ioctl requests (io may be
 * NULL: no ioctl but the terminal's) and install the SIGSYS handler.
 * 0 or -errno.
 */
int sandbox_init(struct sandbox *sb, const struct cellvm_hv_ioctls *io);
void sandbox_fini(struct sandbox *sb);

/* cellvm_config.thread_enter: install `kind`'s filter in this thread. */
int sandbox_enter(void *sb, enum cellvm_thread_kind kind);

/* "vcpu", "event-loop", ...: the name the SIGSYS line uses. */
const char *sandbox_kind_name(enum cellvm_thread_kind kind);

/* The calling thread's kind, "unfiltered" before it has a filter.
 * Async-signal-safe. */
const char *sandbox_thread_name(void);

#endif

/* SPDX-License-Identifier: MIT */
/*
 * cellvm --jail: confine the cellvm process once everything it needs is
 * open (Firecracker's jailer idea, done inside the VMM). See jail.c.
 */
#ifndef CELLVM_CLI_JAIL_H
#define CELLVM_CLI_JAIL_H

#include <stdbool.h>
#include <stdint.h>

/* The options: --jail, --jail-root DIR, --uid N, --gid N. */
struct jail_cfg {
	bool on;
	const char *root; /* NULL: an empty, read-only tmpfs */
	bool has_uid, has_gid;
	uint32_t uid, gid;
	bool probe; /* hidden --jail-probe: report what the jail refuses */
};

/* Margins of the resource limits (documented in README.md). */
#define JAIL_FD_BASE 34u /* epoll, eventfds, the RTC and power-key timerfds, KVM VM and irqchip fds, dups */
#define JAIL_FD_PER_VCPU 4u /* the vCPU fd and its kick/irq eventfds */
#define JAIL_FD_PER_DEV 8u /* irqfd, ioeventfds, stop eventfd, a dup */
#define JAIL_AS_MARGIN (512ULL << 20) /* heap, malloc arenas, run areas */
#define JAIL_AS_ALIGN (2ULL << 20) /* guest RAM is 2 MiB-aligned */
#define JAIL_STACK_GUARD (64ULL << 10) /* per thread, beside its stack */
#define JAIL_NPROC_MARGIN 8u

/* What the process will need, for the limits. */
struct jail_need {
	unsigned open_fds; /* open once the jail has closed the rest */
	uint64_t vm_bytes; /* address space in use when jailing */
	uint64_t mem_size; /* guest RAM */
	uint64_t thread_stack; /* each thread's stack size */
	unsigned ncpus, ndevs; /* one thread per vCPU and per device */
	unsigned extra_fds; /* devices' host connections (vsock) */
};

struct jail_limits {
	uint64_t nofile, as, nproc, core;
};

/* A uid or gid: decimal, 0 to 4294967294 (-1 is "no change"). */
int jail_parse_id(const char *s, uint32_t *out);

/* NULL if the options go together, else what is wrong (a usage error). */
const char *jail_check(const struct jail_cfg *j, bool dump_dtb);

/* The limits for `n`, saturating (never wrapping) on huge values. */
void jail_limits_compute(const struct jail_need *n, struct jail_limits *out);

/*
 * Enter the jail: new mount, IPC, UTS and network namespaces, pivot into
 * the new root, resource limits, every fd but 0-2 and keep[] closed,
 * supplementary groups cleared, gid/uid set, every capability dropped,
 * no_new_privs. Must run while the process has one thread. Returns 0, or
 * -errno with *step naming what failed.
 */
int jail_enter(const struct jail_cfg *j, const int *keep, unsigned nkeep,
	       struct jail_need *need, const char **step);

/* --jail-probe: try what the jail must refuse, one line each on stderr. */
void jail_probe(void);

#endif

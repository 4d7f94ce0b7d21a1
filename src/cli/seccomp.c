// SPDX-License-Identifier: MIT
/*
 * System call filters, one per kind of thread (seccomp, man 2 seccomp;
 * libseccomp builds the BPF). Each thread installs its own filter in
 * itself once its set-up is done (cellvm_config.thread_enter); no TSYNC.
 * A call outside the allowlist is answered with SECCOMP_RET_TRAP: the
 * SIGSYS handler below writes one line naming the thread's kind and the
 * system call, restores the terminal and exits with status 9.
 *
 * The lifecycle: a guest reboot destroys the VM and creates it anew on
 * the event-loop thread (images opened and loaded again, KVM_CREATE_VM,
 * new vCPU and worker threads). A seccomp filter cannot be lifted, so
 * that thread's filter allows what re-creation needs: files are opened
 * (openat), memory mapped, the backend's setup ioctls issued. Everything
 * that reads what the guest wrote runs on vCPU and worker threads, whose
 * filters allow no open, no socket, no exec and only their own ioctls.
 * Threads created after the event-loop filter inherit it and add their
 * own, so the event-loop allowlist is built as the union of every kind's
 * plus the lifecycle's: a thread behaves the same on the first boot and
 * after a reboot.
 *
 * Arguments are checked where it is cheap and meaningful: ioctl requests
 * (the backend's list per thread, cellvm_hv_ops.ioctls, and the
 * terminal's), no PROT_EXEC mappings, clone only for threads (clone3,
 * whose flags sit in memory, gets ENOSYS and glibc falls back to clone),
 * signals only to this process, sigaction only for the vCPU kick signal
 * (and glibc's own two below it),
 * seccomp only to add a filter to the calling thread.
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/if_tun.h>
#include <linux/seccomp.h>
#include <sched.h>
#include <seccomp.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <termios.h>
#include <unistd.h>

#include "cli/cli.h"
#include "cli/seccomp.h"
#include "cli/sigsafe.h"

/* What a rule checks besides the system call number. */
enum arg_check {
	ANY,
	NO_EXEC, /* mmap, mprotect: arg 2 has no PROT_EXEC */
	THREAD_ONLY, /* clone: arg 0 has CLONE_THREAD */
	/* rt_sigaction: arg 0 is the vCPU kick signal (SIGRTMIN) or one of
	 * the two below it glibc keeps for itself (its first
	 * pthread_create installs the SIGSETXID handler) */
	RT_SIGNALS,
	OWN_PROCESS, /* tgkill: arg 0 is this process */
	NNP_ONLY, /* prctl: PR_SET_NO_NEW_PRIVS */
	FILTER_ONLY, /* seccomp: SET_MODE_FILTER, no flags (no TSYNC) */
	/* fcntl: file status flags, OFD locks, F_DUPFD_CLOEXEC (a VM takes
	 * its own copy of a file --jail opened once) */
	FCNTL_CMDS,
	ENOSYS_ANSWER, /* not allowed, answered with ENOSYS */
	UNIX_ONLY, /* socket: arg 0 is AF_UNIX */
};

struct rule {
	const char *name;
	enum arg_check check;
};

/* What every thread does: libc (locks, thread exit, malloc arenas,
 * clocks), eventfd signalling and draining, log lines, polling, raising
 * an interrupt (and kicking a vCPU for the GICv2 model). */
static const struct rule base_rules[] = {
	{ "futex", ANY }, { "exit", ANY }, { "exit_group", ANY }, { "restart_syscall", ANY },
	{ "rt_sigreturn", ANY }, { "rt_sigprocmask", ANY }, { "madvise", ANY },
	{ "mmap", NO_EXEC }, { "mprotect", NO_EXEC }, { "munmap", ANY },
	{ "brk", ANY }, { "mremap", ANY }, { "clock_gettime", ANY }, { "clock_nanosleep", ANY },
	{ "nanosleep", ANY }, { "sched_yield", ANY }, { "getpid", ANY }, { "gettid", ANY },
	{ "tgkill", OWN_PROCESS }, { "read", ANY }, { "write", ANY }, { "ppoll", ANY },
	{ "poll", ANY }, { NULL, ANY },
};

/* KVM_RUN and the rest come as ioctls (the backend's vcpu list); a
 * guest write to the PL031's match register arms the RTC's timerfd, and
 * the stop-signal handler (main.c), which may run on a vCPU thread, arms
 * the command's stop timer. */
static const struct rule vcpu_rules[] = {
	{ "timerfd_settime", ANY }, { NULL, ANY },
};

/* Requests on the disk image: data, flush, discard/write-zeroes. */
static const struct rule blk_rules[] = {
	{ "pread64", ANY }, { "pwrite64", ANY }, { "fdatasync", ANY }, { "fallocate", ANY },
	{ NULL, ANY },
};

/* Frames are read from and written to the TAP fd: read/write. */
static const struct rule net_rules[] = { { NULL, ANY } };

static const struct rule rng_rules[] = { { "getrandom", ANY }, { NULL, ANY } };

/* Output goes through the console's write(). */
static const struct rule console_rules[] = { { NULL, ANY } };

/* Host connections to the guest are accepted on the listener, guest
 * connections to the host are AF_UNIX sockets connected to PATH_P; all
 * of them watched through one epoll fd. */
static const struct rule vsock_rules[] = {
	{ "socket", UNIX_ONLY }, { "connect", ANY }, { "accept4", ANY },
	{ "sendto", ANY }, /* send(MSG_NOSIGNAL) */
	{ "shutdown", ANY }, { "close", ANY }, { "epoll_pwait", ANY },
	{ "epoll_wait", ANY }, { "epoll_ctl", ANY }, { NULL, ANY },
};

/* The event loop's own, and destroying and creating a VM on a reboot. */
static const struct rule lifecycle_rules[] = {
	{ "epoll_pwait", ANY }, { "epoll_wait", ANY }, { "epoll_ctl", ANY },
	{ "epoll_create1", ANY }, { "eventfd2", ANY },
	{ "timerfd_create", ANY }, /* the RTC's alarm, the power key's release */
	{ "openat", ANY }, { "open", ANY }, { "close", ANY }, { "fstat", ANY },
	{ "newfstatat", ANY }, { "statx", ANY }, { "lseek", ANY }, { "pread64", ANY },
	{ "fcntl", FCNTL_CMDS }, { "clone", THREAD_ONLY },
	{ "clone3", ENOSYS_ANSWER }, { "set_robust_list", ANY }, { "rseq", ANY },
	{ "rt_sigaction", RT_SIGNALS }, { "prctl", NNP_ONLY },
	{ "seccomp", FILTER_ONLY },
	/* --api-sock: the event loop serves the API's clients (src/api):
	 * accepting, reading, answering, half-closing; the socket file is
	 * removed through its directory's fd at exit. */
	{ "accept4", ANY }, { "recvfrom", ANY }, { "sendto", ANY },
	{ "shutdown", ANY }, { "unlinkat", ANY },
	/* A VM the API configured with PUT /vsock binds its listener when
	 * it is created (each boot); the command's own --vsock is bound
	 * once, before any filter. */
	{ "bind", ANY }, { "listen", ANY }, { NULL, ANY },
};

/* Which ioctl requests a kind may issue. */
enum {
	IO_SETUP = 1 << 0, /* the backend's setup list */
	IO_VCPU = 1 << 1, /* the backend's vCPU list */
	IO_IRQ = 1 << 2, /* the backend's interrupt list */
	/* TCGETS, TCSETSF: the terminal restored at exit (glibc's
	 * tcsetattr reads the modes back to check them) */
	IO_TERM = 1 << 3,
	IO_TAP = 1 << 4, /* TUNSETIFF: a TAP opened on VM creation */
};

/* One row per kind of thread; a new kind is one row. */
static const struct kind_policy {
	const char *name;
	const struct rule *rules;
	unsigned ioctls;
} policies[CELLVM_THREAD_KIND_NR] = {
	/* Also gets every other row's rules (see kind_add_rules). */
	[CELLVM_THREAD_EVLOOP] = { "event-loop", lifecycle_rules,
				   IO_SETUP | IO_TAP },
	[CELLVM_THREAD_VCPU] = { "vcpu", vcpu_rules, IO_VCPU | IO_IRQ },
	[CELLVM_THREAD_VIRTIO_BLK] = { "virtio-blk", blk_rules, IO_IRQ },
	[CELLVM_THREAD_VIRTIO_NET] = { "virtio-net", net_rules, IO_IRQ },
	[CELLVM_THREAD_VIRTIO_RNG] = { "virtio-rng", rng_rules, IO_IRQ },
	[CELLVM_THREAD_VIRTIO_CONSOLE] = { "virtio-console", console_rules,
					   IO_IRQ },
	[CELLVM_THREAD_VIRTIO_VSOCK] = { "virtio-vsock", vsock_rules, IO_IRQ },
};

const char *sandbox_kind_name(enum cellvm_thread_kind kind)
{
	if ((unsigned)kind >= CELLVM_THREAD_KIND_NR || !policies[kind].name)
		return "unknown";
	return policies[kind].name;
}

static int rule_add(scmp_filter_ctx ctx, const struct rule *r)
{
	int nr = seccomp_syscall_resolve_name(r->name);
	uint32_t allow = SCMP_ACT_ALLOW;

	if (nr < 0)
		return 0; /* not a system call of this architecture */
	switch (r->check) {
	case NO_EXEC:
		return seccomp_rule_add(ctx, allow, nr, 1,
					SCMP_A2(SCMP_CMP_MASKED_EQ, PROT_EXEC, 0));
	case THREAD_ONLY:
		return seccomp_rule_add(ctx, allow, nr, 1,
					SCMP_A0(SCMP_CMP_MASKED_EQ, CLONE_THREAD,
						CLONE_THREAD));
	case RT_SIGNALS: {
		int sig, ret = 0;

		for (sig = __SIGRTMIN; !ret && sig <= SIGRTMIN; sig++)
			ret = seccomp_rule_add(ctx, allow, nr, 1,
					       SCMP_A0(SCMP_CMP_EQ, (scmp_datum_t)sig));
		return ret;
	}
	case OWN_PROCESS:
		return seccomp_rule_add(ctx, allow, nr, 1,
					SCMP_A0(SCMP_CMP_EQ, (scmp_datum_t)getpid()));
	case NNP_ONLY:
		return seccomp_rule_add(ctx, allow, nr, 1,
					SCMP_A0(SCMP_CMP_EQ, PR_SET_NO_NEW_PRIVS));
	case FILTER_ONLY:
		return seccomp_rule_add(ctx, allow, nr, 2,
					SCMP_A0(SCMP_CMP_EQ, SECCOMP_SET_MODE_FILTER),
					SCMP_A1(SCMP_CMP_EQ, 0));
	case FCNTL_CMDS: {
		static const int cmds[] = { F_GETFL, F_SETFL, F_GETFD, F_SETFD,
					    F_DUPFD_CLOEXEC, F_OFD_GETLK,
					    F_OFD_SETLK, F_OFD_SETLKW };
		unsigned i;
		int ret = 0;

		for (i = 0; !ret && i < sizeof(cmds) / sizeof(cmds[0]); i++)
			ret = seccomp_rule_add(ctx, allow, nr, 1,
					       SCMP_A1(SCMP_CMP_EQ, (scmp_datum_t)cmds[i]));
		return ret;
	}
	case UNIX_ONLY:
		return seccomp_rule_add(ctx, allow, nr, 1,
					SCMP_A0(SCMP_CMP_EQ, AF_UNIX));
	case ENOSYS_ANSWER:
		return seccomp_rule_add(ctx, SCMP_ACT_ERRNO(ENOSYS), nr, 0);
	default:
		return seccomp_rule_add(ctx, allow, nr, 0);
	}
}

static int ioctl_add(scmp_filter_ctx ctx, const unsigned long *req,
		     unsigned n)
{
	unsigned i;
	int ret = 0;

	for (i = 0; !ret && i < n; i++)
		ret = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(ioctl), 1,
				       SCMP_A1(SCMP_CMP_EQ, (scmp_datum_t)req[i]));
	return ret;
}

static int ioctls_add(scmp_filter_ctx ctx, unsigned which,
		      const struct cellvm_hv_ioctls *io)
{
	static const unsigned long term[] = { TCGETS, TCSETSF };
	static const unsigned long tap[] = { TUNSETIFF };
	int ret;

	/* Every thread may restore the terminal: the SIGSYS handler does. */
	ret = ioctl_add(ctx, term, 2);
	if (!ret && (which & IO_TAP))
		ret = ioctl_add(ctx, tap, 1);
	if (!io)
		return ret;
	if (!ret && (which & IO_SETUP))
		ret = ioctl_add(ctx, io->setup.req, io->setup.n);
	if (!ret && (which & IO_VCPU))
		ret = ioctl_add(ctx, io->vcpu.req, io->vcpu.n);
	if (!ret && (which & IO_IRQ))
		ret = ioctl_add(ctx, io->irq.req, io->irq.n);
	return ret;
}

/* A kind's rules: the base, its row; the event loop gets every row. */
static int kind_add_rules(scmp_filter_ctx ctx, enum cellvm_thread_kind kind,
			  const struct cellvm_hv_ioctls *io)
{
	unsigned k, which = 0;
	const struct rule *r;
	int ret = 0;

	for (r = base_rules; !ret && r->name; r++)
		ret = rule_add(ctx, r);
	for (k = 0; !ret && k < CELLVM_THREAD_KIND_NR; k++) {
		if (k != kind && kind != CELLVM_THREAD_EVLOOP)
			continue;
		which |= policies[k].ioctls;
		for (r = policies[k].rules; !ret && r->name; r++)
			ret = rule_add(ctx, r);
	}
	return ret ? ret : ioctls_add(ctx, which, io);
}

/* libseccomp 2.5 exports BPF to an fd only: go through a memfd. */
static int export_prog(scmp_filter_ctx ctx, struct sock_fprog *prog)
{
	int fd = memfd_create("cellvm-seccomp", MFD_CLOEXEC);
	off_t size;
	void *buf = NULL;
	int ret;

	if (fd < 0)
		return -errno;
	ret = seccomp_export_bpf(ctx, fd);
	if (!ret) {
		size = lseek(fd, 0, SEEK_END);
		buf = size > 0 ? malloc((size_t)size) : NULL;
		if (!buf || pread(fd, buf, (size_t)size, 0) != size)
			ret = -EIO;
	}
	close(fd);
	if (ret) {
		free(buf);
		return ret;
	}
	prog->filter = buf;
	prog->len = (unsigned short)((size_t)size / sizeof(struct sock_filter));
	return 0;
}

static int build_kind(struct sandbox *sb, enum cellvm_thread_kind kind,
		      const struct cellvm_hv_ioctls *io)
{
	scmp_filter_ctx ctx = seccomp_init(SCMP_ACT_TRAP);
	int ret;

	if (!ctx)
		return -ENOMEM;
	ret = kind_add_rules(ctx, kind, io);
	if (!ret)
		ret = export_prog(ctx, &sb->prog[kind]);
	seccomp_release(ctx);
	return ret;
}

/*
 * The SIGSYS handler's state: the command's process state, as the saved
 * terminal is (term.c). The kind is per thread, set when the filter goes in.
 */
static const struct sandbox *sigsys_sandbox;
static __thread int thread_kind = -1;

const char *sandbox_thread_name(void)
{
	return thread_kind < 0 ? "unfiltered"
			       : sandbox_kind_name((enum cellvm_thread_kind)thread_kind);
}

/* Async-signal-safe: no stdio, no allocation; write, tcsetattr, exit. */
static void on_sigsys(int sig, siginfo_t *si, void *uctx)
{
	const struct sandbox *sb = sigsys_sandbox;
	unsigned nr = (unsigned)si->si_syscall;
	char line[200];
	size_t n = 0, max = sizeof(line) - 1;

	n = put_str(line, n, max, "cellvm: seccomp: ");
	n = put_str(line, n, max, sandbox_thread_name());
	n = put_str(line, n, max, " thread made a forbidden system call ");
	n = put_uint(line, n, max, nr);
	if (sb && nr < SANDBOX_NAMES && sb->names[nr]) {
		n = put_str(line, n, max, " (");
		n = put_str(line, n, max, sb->names[nr]);
		n = put_str(line, n, max, ")");
	}
	line[n++] = '\n';
	if (write(STDERR_FILENO, line, n) < 0) {
		/* Nothing more to tell anyone. */
	}
	term_restore();
	/* exit_group itself: a sanitizer's _exit wrapper would make more
	 * calls than the filter allows. */
	syscall(SYS_exit_group, CLI_SECCOMP);
}

int sandbox_init(struct sandbox *sb, const struct cellvm_hv_ioctls *io)
{
	struct sigaction sa;
	unsigned k;
	int ret = 0;

	memset(sb, 0, sizeof(*sb));
	for (k = 0; !ret && k < CELLVM_THREAD_KIND_NR; k++)
		ret = build_kind(sb, k, io);
	for (k = 0; !ret && k < SANDBOX_NAMES; k++)
		sb->names[k] = seccomp_syscall_resolve_num_arch(SCMP_ARCH_NATIVE,
								 (int)k);
	if (ret) {
		sandbox_fini(sb);
		return ret;
	}
	sigsys_sandbox = sb;
	memset(&sa, 0, sizeof(sa));
	sa.sa_sigaction = on_sigsys;
	sa.sa_flags = SA_SIGINFO;
	sigemptyset(&sa.sa_mask);
	if (sigaction(SIGSYS, &sa, NULL) < 0) {
		ret = -errno;
		sandbox_fini(sb);
	}
	return ret;
}

void sandbox_fini(struct sandbox *sb)
{
	unsigned k;

	for (k = 0; k < CELLVM_THREAD_KIND_NR; k++)
		free(sb->prog[k].filter);
	for (k = 0; k < SANDBOX_NAMES; k++)
		free(sb->names[k]);
	if (sigsys_sandbox == sb)
		sigsys_sandbox = NULL;
	memset(sb, 0, sizeof(*sb));
}

int sandbox_enter(void *opaque, enum cellvm_thread_kind kind)
{
	struct sandbox *sb = opaque;
	sigset_t sys;

	if ((unsigned)kind >= CELLVM_THREAD_KIND_NR || !sb->prog[kind].filter)
		return -EINVAL;
	/* A reboot runs the loop again: this thread has its filter. */
	if (kind == CELLVM_THREAD_EVLOOP && sb->evloop_done)
		return 0;
	/* A blocked SIGSYS would kill without the line (workers block
	 * every signal): let it through. */
	sigemptyset(&sys);
	sigaddset(&sys, SIGSYS);
	pthread_sigmask(SIG_UNBLOCK, &sys, NULL);
	/* Unprivileged seccomp needs no_new_privs (man 2 seccomp). */
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
		return -errno;
	if (syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0,
		    &sb->prog[kind]) < 0)
		return -errno;
	thread_kind = (int)kind;
	if (kind == CELLVM_THREAD_EVLOOP)
		sb->evloop_done = true;
	return 0;
}

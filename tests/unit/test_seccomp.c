// SPDX-License-Identifier: MIT
/*
 * The command's seccomp filters (src/cli/seccomp.c): for each kind of
 * thread, a forked child installs that kind's filter and makes one call
 * the kind needs (it must succeed, or fail only as the kernel answers
 * it) and one it must not make, which has to end the child the
 * documented way: status 9 and one line on stderr naming the thread's
 * kind and the system call. ioctl requests come from a made-up backend
 * list, so the request filtering is tested without KVM.
 */
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/timerfd.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

#include <cmocka.h>

#include "cli/cli.h"
#include "cli/seccomp.h"

/* Made-up requests: no fd answers them, so an allowed one gets ENOTTY. */
#define REQ_SETUP 0xae01ul
#define REQ_VCPU 0xae80ul
#define REQ_IRQ 0xae61ul
#define REQ_OTHER 0x541bul /* FIONREAD: in no list */

static const unsigned long setup_req[] = { REQ_SETUP };
static const unsigned long vcpu_req[] = { REQ_VCPU };
static const unsigned long irq_req[] = { REQ_IRQ };
static const struct cellvm_hv_ioctls fake_io = {
	.setup = { setup_req, 1 },
	.vcpu = { vcpu_req, 1 },
	.irq = { irq_req, 1 },
};

/* Fds the probes use, opened before the filter goes in. */
struct fds {
	int pipe[2];
	int sock[2];
	int pty; /* a terminal, -1 if the host has none */
	int timer; /* a timerfd, as the RTC's alarm */
};

/* Each returns 0 when the call did what the kind may expect. */
typedef int (*probe_fn)(const struct fds *f);

static int ioctl_is(int fd, unsigned long req, int want_errno)
{
	return ioctl(fd, req, 0) < 0 && errno == want_errno ? 0 : -1;
}

static int p_write(const struct fds *f)
{
	return write(f->pipe[1], "x", 1) == 1 ? 0 : -1;
}

static int p_open(const struct fds *f)
{
	int fd = open("/dev/null", O_RDONLY | O_CLOEXEC);

	return fd >= 0 && close(fd) == 0 ? 0 : -1;
}

static int p_ioctl_setup(const struct fds *f)
{
	return ioctl_is(f->pipe[0], REQ_SETUP, ENOTTY);
}

static int p_ioctl_vcpu(const struct fds *f)
{
	return ioctl_is(f->pipe[0], REQ_VCPU, ENOTTY);
}

static int p_ioctl_irq(const struct fds *f)
{
	return ioctl_is(f->pipe[0], REQ_IRQ, ENOTTY);
}

static int p_ioctl_other(const struct fds *f)
{
	return ioctl_is(f->pipe[0], REQ_OTHER, EINVAL);
}

/* Every kind may restore the terminal (the SIGSYS handler does). */
static int p_term(const struct fds *f)
{
	struct termios t;

	if (f->pty < 0)
		return 0; /* said loudly in run_child */
	return tcgetattr(f->pty, &t) || tcsetattr(f->pty, TCSAFLUSH, &t) ? -1 : 0;
}

/* A VM dups the files --jail keeps open. */
static int p_dup(const struct fds *f)
{
	int fd = fcntl(f->pipe[0], F_DUPFD_CLOEXEC, 0);

	return fd >= 0 && close(fd) == 0 ? 0 : -1;
}

static int p_timer(const struct fds *f)
{
	struct itimerspec its = { .it_value = { .tv_sec = 1000 } };

	return timerfd_settime(f->timer, 0, &its, NULL);
}

static int p_pread(const struct fds *f)
{
	char b;

	/* A pipe cannot be positioned: the kernel's answer, not ours. */
	return pread(f->pipe[0], &b, 1, 0) < 0 && errno == ESPIPE ? 0 : -1;
}

static int p_pwrite(const struct fds *f)
{
	return pwrite(f->pipe[1], "x", 1, 0) < 0 && errno == ESPIPE ? 0 : -1;
}

static int p_getrandom(const struct fds *f)
{
	char b[8];

	return getrandom(b, sizeof(b), 0) == sizeof(b) ? 0 : -1;
}

static int p_send(const struct fds *f)
{
	return send(f->sock[1], "x", 1, MSG_NOSIGNAL) == 1 ? 0 : -1;
}

static int p_socket(const struct fds *f)
{
	int fd = socket(AF_UNIX, SOCK_STREAM, 0);

	return fd >= 0 ? 0 : -1;
}

/* vsock: an AF_UNIX stream socket, shut down and closed. */
static int p_unix_socket(const struct fds *f)
{
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);

	(void)f;
	if (fd < 0)
		return -1;
	shutdown(fd, SHUT_RDWR);
	/* the device writes with send(MSG_NOSIGNAL): EPIPE here */
	if (send(fd, "x", 1, MSG_NOSIGNAL) != -1)
		return -1;
	return close(fd);
}

static int p_inet_socket(const struct fds *f)
{
	(void)f;
	return socket(AF_INET, SOCK_STREAM, 0) >= 0 ? 0 : -1;
}

static int p_getppid(const struct fds *f)
{
	return syscall(SYS_getppid) > 0 ? 0 : -1;
}

static int p_mmap_exec(const struct fds *f)
{
	void *p = mmap(NULL, 4096, PROT_READ | PROT_EXEC,
		       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	return p != MAP_FAILED ? 0 : -1;
}

static int p_mmap_rw(const struct fds *f)
{
	void *p = mmap(NULL, 4096, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	return p != MAP_FAILED && munmap(p, 4096) == 0 ? 0 : -1;
}

static void on_signal(int sig)
{
}

static int sigaction_of(int sig)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	return sigaction(sig, &sa, NULL);
}

/* The vCPU kick signal, and glibc's SIGSETXID set by its first
 * pthread_create, which may come after the filter (glibc's sigaction
 * refuses its own signals: ask the kernel directly, a query). */
static int p_sigaction_rt(const struct fds *f)
{
	uint64_t old[4];

	return sigaction_of(SIGRTMIN) ||
	       syscall(SYS_rt_sigaction, SIGRTMIN - 1, NULL, old, 8) ? -1 : 0;
}

static int p_sigaction_other(const struct fds *f)
{
	return sigaction_of(SIGUSR1);
}

static int p_fork(const struct fds *f)
{
	/* A process, not a thread: no CLONE_THREAD in the flags. */
	return syscall(SYS_clone, SIGCHLD, 0, 0, 0, 0) >= 0 ? 0 : -1;
}

/*
 * exit_group directly: the sanitizer's _exit makes calls no filter allows
 * (and its leak check would need ptrace). Not marked noreturn on purpose:
 * before a noreturn call ASan unpoisons stacks, querying sigaltstack.
 */
static void child_exit(int status)
{
	syscall(SYS_exit_group, status);
}

struct child_result {
	int status; /* waitpid's */
	char err[256]; /* what the child wrote on stderr */
};

/* Run `probes` (NULL-terminated) in a child under `kind`'s filter. */
static void run_child(enum cellvm_thread_kind kind, const probe_fn *probes,
		      struct child_result *res)
{
	int errp[2];
	struct fds f;
	ssize_t n;
	pid_t pid;

	assert_int_equal(pipe(errp), 0);
	assert_int_equal(pipe(f.pipe), 0);
	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, f.sock), 0);
	f.timer = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC);
	assert_true(f.timer >= 0);
	f.pty = posix_openpt(O_RDWR | O_NOCTTY);
	if (f.pty < 0)
		fail_msg("no pseudo-terminal: the terminal probe cannot run");
	fflush(NULL);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		struct sandbox sb;
		unsigned i;

		dup2(errp[1], STDERR_FILENO);
		if (sandbox_init(&sb, &fake_io) || sandbox_enter(&sb, kind))
			child_exit(100);
		for (i = 0; probes[i]; i++)
			if (probes[i](&f))
				child_exit(101 + (int)i);
		/* _exit: no leak check, which would need ptrace. */
		child_exit(0);
	}
	close(errp[1]);
	assert_int_equal(waitpid(pid, &res->status, 0), pid);
	n = read(errp[0], res->err, sizeof(res->err) - 1);
	res->err[n > 0 ? n : 0] = '\0';
	close(errp[0]);
	close(f.pipe[0]);
	close(f.pipe[1]);
	close(f.sock[0]);
	close(f.sock[1]);
	close(f.pty);
	close(f.timer);
}

struct kind_case {
	enum cellvm_thread_kind kind;
	probe_fn allowed[8]; /* NULL-terminated */
	probe_fn forbidden;
	const char *syscall; /* the name the line must give */
};

static const struct kind_case cases[] = {
	{ CELLVM_THREAD_EVLOOP,
	  { p_write, p_open, p_ioctl_setup, p_ioctl_vcpu, p_mmap_rw, p_term,
	    p_dup },
	  p_getppid, "getppid" },
	{ CELLVM_THREAD_EVLOOP, { p_write }, p_fork, "clone" },
	{ CELLVM_THREAD_EVLOOP, { p_sigaction_rt }, p_sigaction_other,
	  "rt_sigaction" },
	{ CELLVM_THREAD_EVLOOP, { p_write }, p_ioctl_other, "ioctl" },
	{ CELLVM_THREAD_VCPU,
	  { p_write, p_ioctl_vcpu, p_ioctl_irq, p_mmap_rw, p_term, p_timer },
	  p_open, "openat" },
	{ CELLVM_THREAD_VCPU, { p_write }, p_mmap_exec, "mmap" },
	{ CELLVM_THREAD_VCPU, { p_write }, p_ioctl_setup, "ioctl" },
	{ CELLVM_THREAD_VIRTIO_BLK, { p_pread, p_pwrite, p_ioctl_irq, p_term },
	  p_getrandom, "getrandom" },
	{ CELLVM_THREAD_VIRTIO_NET, { p_write, p_ioctl_irq, p_term }, p_ioctl_vcpu,
	  "ioctl" },
	{ CELLVM_THREAD_VIRTIO_NET, { p_write }, p_socket, "socket" },
	{ CELLVM_THREAD_VIRTIO_RNG, { p_getrandom, p_term }, p_pwrite, "pwrite64" },
	{ CELLVM_THREAD_VIRTIO_BLK, { p_pread }, p_timer, "timerfd_settime" },
	{ CELLVM_THREAD_VIRTIO_CONSOLE, { p_write, p_term }, p_open, "openat" },
	{ CELLVM_THREAD_VIRTIO_CONSOLE, { p_write }, p_send, "sendto" },
	{ CELLVM_THREAD_VIRTIO_VSOCK, { p_write, p_unix_socket, p_ioctl_irq, p_term },
	  p_inet_socket, "socket" },
	{ CELLVM_THREAD_VIRTIO_VSOCK, { p_write }, p_open, "openat" },
};

static void test_allowed_calls(void **state)
{
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct child_result r;

		run_child(cases[i].kind, cases[i].allowed, &r);
		if (!WIFEXITED(r.status) || WEXITSTATUS(r.status) != 0)
			fail_msg("case %zu (%s): allowed calls ended with status %#x, stderr '%s'",
				 i, sandbox_kind_name(cases[i].kind), r.status,
				 r.err);
	}
}

static void test_forbidden_call(void **state)
{
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const struct kind_case *c = &cases[i];
		probe_fn probes[] = { c->forbidden, NULL };
		struct child_result r;
		char want[128];

		run_child(c->kind, probes, &r);
		if (!WIFEXITED(r.status) || WEXITSTATUS(r.status) != CLI_SECCOMP)
			fail_msg("case %zu (%s, %s): status %#x, stderr '%s'", i,
				 sandbox_kind_name(c->kind), c->syscall,
				 r.status, r.err);
		snprintf(want, sizeof(want),
			 "cellvm: seccomp: %s thread made a forbidden system call ",
			 sandbox_kind_name(c->kind));
		assert_non_null(strstr(r.err, want));
		snprintf(want, sizeof(want), " (%s)\n", c->syscall);
		if (!strstr(r.err, want))
			fail_msg("case %zu: '%s' does not name %s", i, r.err,
				 c->syscall);
		/* One line. */
		assert_ptr_equal(strchr(r.err, '\n'), r.err + strlen(r.err) - 1);
	}
}

/* Every kind has a row and a name. */
static void test_every_kind_has_a_filter(void **state)
{
	struct sandbox sb;
	unsigned k;

	assert_int_equal(sandbox_init(&sb, &fake_io), 0);
	for (k = 0; k < CELLVM_THREAD_KIND_NR; k++) {
		assert_non_null(sb.prog[k].filter);
		assert_true(sb.prog[k].len > 0);
		assert_string_not_equal(sandbox_kind_name(k), "unknown");
	}
	assert_string_equal(sandbox_kind_name(CELLVM_THREAD_KIND_NR), "unknown");
	sandbox_fini(&sb);
}

/* Seccomp_filters in /proc/self/status (Linux 5.9+), -1 if absent. */
static int filters_installed(void)
{
	char buf[4096], *p;
	int fd = open("/proc/self/status", O_RDONLY | O_CLOEXEC);
	ssize_t n;

	if (fd < 0)
		return -1;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	buf[n > 0 ? n : 0] = '\0';
	p = strstr(buf, "Seccomp_filters:");
	return p ? atoi(p + strlen("Seccomp_filters:")) : -1;
}

/* The event loop installs its filter once, however many boots it runs
 * (a stack of copies would grow with every guest reboot). */
static void test_evloop_once(void **state)
{
	pid_t pid;
	int st;

	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		struct sandbox sb;
		int i;

		if (sandbox_init(&sb, &fake_io))
			child_exit(100);
		for (i = 0; i < 3; i++)
			if (sandbox_enter(&sb, CELLVM_THREAD_EVLOOP))
				child_exit(101);
		child_exit(filters_installed() == 1 ? 0 : 102);
	}
	assert_int_equal(waitpid(pid, &st, 0), pid);
	assert_true(WIFEXITED(st));
	assert_int_equal(WEXITSTATUS(st), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_every_kind_has_a_filter),
		cmocka_unit_test(test_allowed_calls),
		cmocka_unit_test(test_forbidden_call),
		cmocka_unit_test(test_evloop_once),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

// SPDX-License-Identifier: MIT
/*
 * cellvm --jail: Firecracker's jailer, done by cellvm itself once every
 * file, device and socket it needs is open (main.c opens /dev/kvm, the
 * images, disks and TAPs first and hands the library their fds, so a guest
 * reboot re-creates the VM from them without opening anything).
 *
 * Order matters: namespaces and pivot_root need CAP_SYS_ADMIN, raising
 * RLIMIT_NOFILE needs CAP_SYS_RESOURCE and dropping the bounding set
 * needs CAP_SETPCAP, so all of them come before the uid change; the
 * capability sets go last. unshare(CLONE_NEWNS) fails in a process with
 * several threads (it implies CLONE_FS), and capabilities are per thread,
 * so this runs before the VM starts any thread.
 *
 * Not done: a PID namespace (it needs a fork and a parent that relays
 * signals, the terminal and the exit status; without /proc in the jail and
 * with a uid of its own the process can see and signal nothing anyway), a
 * user namespace (cellvm is started as root to open /dev/kvm and TAPs).
 */
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <linux/capability.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "cli/jail.h"

#define JAIL_HOSTNAME "cellvm"
/* The empty root: one directory, nothing can be created in it. */
#define JAIL_TMPFS_OPTS "size=4k,nr_inodes=2,mode=0555"
#define JAIL_MNT_FLAGS (MS_NOSUID | MS_NODEV | MS_NOEXEC)

int jail_parse_id(const char *s, uint32_t *out)
{
	unsigned long long v = 0;
	const char *p;

	if (!s || !*s)
		return -EINVAL;
	for (p = s; *p; p++) {
		if (*p < '0' || *p > '9')
			return -EINVAL;
		v = v * 10 + (unsigned)(*p - '0');
		/* (uid_t)-1 means "unchanged" to setresuid(). */
		if (v >= UINT32_MAX)
			return -ERANGE;
	}
	*out = (uint32_t)v;
	return 0;
}

const char *jail_check(const struct jail_cfg *j, bool dump_dtb)
{
	if (!j->on) {
		if (j->root || j->has_uid || j->has_gid || j->probe)
			return "--jail-root, --uid and --gid need --jail";
		return NULL;
	}
	if (!j->has_uid || !j->has_gid)
		return "--jail needs --uid and --gid";
	if (dump_dtb)
		return "--jail and --dump-dtb do not go together";
	if (j->root && j->root[0] != '/')
		return "--jail-root needs an absolute path";
	return NULL;
}

static uint64_t sat_add(uint64_t a, uint64_t b)
{
	return a + b < a ? UINT64_MAX : a + b;
}

static uint64_t sat_mul(uint64_t a, uint64_t b)
{
	return b && a > UINT64_MAX / b ? UINT64_MAX : a * b;
}

void jail_limits_compute(const struct jail_need *n, struct jail_limits *out)
{
	uint64_t threads = 1ULL + n->ncpus + n->ndevs;
	uint64_t as;

	/* Each VM (re-)creation opens its own fds beside the kept ones. */
	out->nofile = n->open_fds + JAIL_FD_BASE +
		      (uint64_t)JAIL_FD_PER_VCPU * n->ncpus +
		      (uint64_t)JAIL_FD_PER_DEV * n->ndevs + n->extra_fds;
	as = sat_add(n->vm_bytes, n->mem_size);
	as = sat_add(as, JAIL_AS_ALIGN);
	as = sat_add(as, sat_mul(threads, sat_add(n->thread_stack,
						  JAIL_STACK_GUARD)));
	out->as = sat_add(as, JAIL_AS_MARGIN);
	/* RLIMIT_NPROC counts the threads of every process of the uid. */
	out->nproc = threads + JAIL_NPROC_MARGIN;
	out->core = 0; /* a core file would hold guest memory */
}

/* Address space in use now (/proc/self/statm, first field in pages). */
static int read_vm_bytes(uint64_t *out)
{
	unsigned long long pages;
	FILE *f = fopen("/proc/self/statm", "re");
	int ok;

	if (!f)
		return -errno;
	ok = fscanf(f, "%llu", &pages) == 1;
	fclose(f);
	if (!ok)
		return -EINVAL;
	*out = (uint64_t)pages * (uint64_t)sysconf(_SC_PAGESIZE);
	return 0;
}

/* A failed step: its name for the message, -errno. */
static int step_failed(const char **step, const char *name)
{
	*step = name;
	return -errno;
}

/* New namespaces; the new root (an empty tmpfs or --jail-root) becomes /
 * and the host's tree is detached (pivot_root(2), "pivot_root(".", ".")"). */
static int enter_root(const char *root, const char **step)
{
	/* Any directory serves as the tmpfs's mount point (the namespace is
	 * private); /proc exists wherever cellvm runs. */
	const char *dir = root ? root : "/proc";

	if (unshare(CLONE_NEWNS | CLONE_NEWIPC | CLONE_NEWUTS |
		    CLONE_NEWNET) < 0)
		return step_failed(step, "unshare");
	if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0)
		return step_failed(step, "make mounts private");
	if (root) {
		if (mount(root, root, NULL, MS_BIND | MS_REC, NULL) < 0)
			return step_failed(step, "bind --jail-root");
	} else if (mount("cellvm-jail", dir, "tmpfs", JAIL_MNT_FLAGS,
			 JAIL_TMPFS_OPTS) < 0) {
		return step_failed(step, "mount tmpfs");
	}
	if (chdir(dir) < 0)
		return step_failed(step, "chdir to the new root");
	if (syscall(SYS_pivot_root, ".", ".") == 0) {
		if (umount2(".", MNT_DETACH) < 0)
			return step_failed(step, "detach the old root");
	} else if (errno == EINVAL) {
		/* The host's root is the initramfs, which cannot be pivoted
		 * away (pivot_root(2)): move the new root over it and chroot,
		 * as switch_root does. The old tree stays mounted beneath,
		 * out of reach without CAP_SYS_CHROOT, which goes below. */
		if (mount(".", "/", NULL, MS_MOVE, NULL) < 0)
			return step_failed(step, "move the new root to /");
		if (chroot(".") < 0)
			return step_failed(step, "chroot");
	} else {
		return step_failed(step, "pivot_root");
	}
	if (chdir("/") < 0)
		return step_failed(step, "chdir /");
	if (mount(NULL, "/", NULL, MS_REMOUNT | MS_BIND | MS_RDONLY |
		  JAIL_MNT_FLAGS, NULL) < 0)
		return step_failed(step, "remount / read-only");
	if (sethostname(JAIL_HOSTNAME, strlen(JAIL_HOSTNAME)) < 0)
		return step_failed(step, "sethostname");
	return 0;
}

/* Close every fd from 3 up that keep[] does not list. */
static int close_others(const int *keep, unsigned nkeep)
{
	unsigned lo = 3, i;
	long next;

	for (;;) {
		next = -1;
		for (i = 0; i < nkeep; i++)
			if (keep[i] >= (int)lo && (next < 0 || keep[i] < next))
				next = keep[i];
		if (next < 0)
			return close_range(lo, ~0U, 0) ? -errno : 0;
		if ((unsigned)next > lo && close_range(lo, (unsigned)next - 1, 0))
			return -errno;
		lo = (unsigned)next + 1;
	}
}

static unsigned count_kept(const int *keep, unsigned nkeep)
{
	unsigned n = 3, i, k;

	for (i = 0; i < nkeep; i++) {
		for (k = 0; k < i && keep[k] != keep[i]; k++)
			;
		n += keep[i] >= 3 && k == i;
	}
	return n;
}

static int set_limits(const struct jail_limits *l, const char **step)
{
	struct rlimit r;

	r.rlim_cur = r.rlim_max = l->nofile;
	if (setrlimit(RLIMIT_NOFILE, &r) < 0)
		return step_failed(step, "setrlimit RLIMIT_NOFILE");
	r.rlim_cur = r.rlim_max = l->as == UINT64_MAX ? RLIM_INFINITY : l->as;
	if (setrlimit(RLIMIT_AS, &r) < 0)
		return step_failed(step, "setrlimit RLIMIT_AS");
	r.rlim_cur = r.rlim_max = l->nproc;
	if (setrlimit(RLIMIT_NPROC, &r) < 0)
		return step_failed(step, "setrlimit RLIMIT_NPROC");
	r.rlim_cur = r.rlim_max = l->core;
	if (setrlimit(RLIMIT_CORE, &r) < 0)
		return step_failed(step, "setrlimit RLIMIT_CORE");
	return 0;
}

/* Groups, gid, uid, then every capability set (capabilities(7)). */
static int drop_privileges(const struct jail_cfg *j, const char **step)
{
	struct __user_cap_header_struct hdr = {
		.version = _LINUX_CAPABILITY_VERSION_3,
	};
	struct __user_cap_data_struct data[_LINUX_CAPABILITY_U32S_3];
	int cap;

	/* The bounding set needs CAP_SETPCAP: before the uid change. */
	for (cap = 0; prctl(PR_CAPBSET_READ, cap, 0, 0, 0) >= 0; cap++)
		if (prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) < 0)
			return step_failed(step, "drop the capability bounding set");
	if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) < 0)
		return step_failed(step, "clear ambient capabilities");
	if (setgroups(0, NULL) < 0)
		return step_failed(step, "setgroups");
	if (setresgid(j->gid, j->gid, j->gid) < 0)
		return step_failed(step, "setresgid");
	if (setresuid(j->uid, j->uid, j->uid) < 0)
		return step_failed(step, "setresuid");
	/* A uid of 0 keeps its capabilities: clear all three sets. */
	memset(data, 0, sizeof(data));
	if (syscall(SYS_capset, &hdr, data) < 0)
		return step_failed(step, "capset");
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
		return step_failed(step, "set no_new_privs");
	return 0;
}

int jail_enter(const struct jail_cfg *j, const int *keep, unsigned nkeep,
	       struct jail_need *need, const char **step)
{
	struct jail_limits lim;
	int ret;

	*step = "read /proc/self/statm";
	ret = read_vm_bytes(&need->vm_bytes);
	if (ret)
		return ret;
	ret = enter_root(j->root, step);
	if (ret)
		return ret;
	*step = "close other fds";
	ret = close_others(keep, nkeep);
	if (ret)
		return ret;
	need->open_fds = count_kept(keep, nkeep);
	jail_limits_compute(need, &lim);
	ret = set_limits(&lim, step);
	if (ret)
		return ret;
	return drop_privileges(j, step);
}

void jail_probe(void)
{
	int fd = open("/etc/passwd", O_RDONLY | O_CLOEXEC);

	fprintf(stderr, "cellvm: jail-probe: open /etc/passwd: %s\n",
		fd < 0 ? strerror(errno) : "opened");
	if (fd >= 0)
		close(fd);
	fprintf(stderr, "cellvm: jail-probe: kill 1: %s\n",
		kill(1, 0) ? strerror(errno) : "allowed");
	fprintf(stderr, "cellvm: jail-probe: uid %u gid %u\n",
		(unsigned)getuid(), (unsigned)getgid());
}

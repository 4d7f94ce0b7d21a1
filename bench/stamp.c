// SPDX-License-Identifier: MIT
/*
 * stamp: launch a VMM and time it from the outside, the same way for any
 * VMM (runs inside the arm64 host; busybox has no clock with sub-second
 * resolution and its `time -v` misreports memory).
 *
 *   stamp [-p PATTERN] [-k] [-m MEM] [-t SECONDS] [-o OUT] [-e ERR]
 *         -- COMMAND [ARG...]
 *
 * The clock (CLOCK_MONOTONIC) starts right before fork(). COMMAND's stdin
 * is a pipe held open and never written (a console with no input, and no
 * EOF); its stdout is read here and copied to OUT (default: discarded);
 * its stderr goes to ERR (default: ours).
 *
 *   -p PATTERN  note when PATTERN (a plain string) first appears on stdout
 *   -m MEM      at that moment, read COMMAND's peak RSS (VmHWM) and how
 *               much of its guest RAM is resident: MEM is the guest RAM
 *               size (e.g. 256M), found in /proc/PID/smaps as the 2 MiB
 *               aligned window of exactly MEM bytes of contiguous
 *               mappings (both cellvm and QEMU place RAM so)
 *   -k          after the pattern (and -m), end COMMAND with SIGTERM,
 *               SIGKILL 10 s later
 *   -t SECONDS  SIGKILL after this long (default 300)
 *
 * Prints one line on stdout:
 *   match_us=T exit_us=T status=S hwm_kb=N guest_kb=N maxrss_kb=N
 * with -1 for what was not seen; status is the exit status, or 128+signal.
 * maxrss_kb is wait4()'s peak RSS over the whole run. Exit status: 0 if
 * the pattern was seen (or none given), 1 if not, 2 on usage errors.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define MIB (1ULL << 20)
#define HUGE_2M (2 * MIB)
#define MAX_VMAS 4096
#define KILL_GRACE_MS 10000

struct opts {
	const char *pattern;
	const char *out;
	const char *err;
	uint64_t mem;
	bool kill_after;
	long timeout_s;
	char **argv;
};

struct result {
	long long match_us, exit_us, hwm_kb, guest_kb, maxrss_kb;
	int status;
};

struct vma {
	uint64_t start, end, rss_kb;
};

static uint64_t now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000ULL + (uint64_t)ts.tv_nsec / 1000;
}

static void usage(void)
{
	fputs("usage: stamp [-p PATTERN] [-k] [-m MEM] [-t SECONDS] [-o OUT] [-e ERR] -- COMMAND [ARG...]\n",
	      stderr);
	exit(2);
}

static uint64_t parse_size(const char *s)
{
	char *end;
	uint64_t v = strtoull(s, &end, 10);

	switch (*end) {
	case 'G': case 'g': return v << 30;
	case 'M': case 'm': return v << 20;
	case 'K': case 'k': return v << 10;
	case '\0': return v;
	default: usage();
	}
	return 0;
}

static void parse_args(int argc, char **argv, struct opts *o)
{
	int c;

	memset(o, 0, sizeof(*o));
	o->timeout_s = 300;
	while ((c = getopt(argc, argv, "p:km:t:o:e:")) != -1) {
		switch (c) {
		case 'p': o->pattern = optarg; break;
		case 'k': o->kill_after = true; break;
		case 'm': o->mem = parse_size(optarg); break;
		case 't': o->timeout_s = atol(optarg); break;
		case 'o': o->out = optarg; break;
		case 'e': o->err = optarg; break;
		default: usage();
		}
	}
	if (optind >= argc)
		usage();
	o->argv = argv + optind;
}

/* VmHWM of pid in kB, or -1. */
static long long read_hwm(pid_t pid)
{
	char path[64], line[256];
	long long kb = -1;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/status", (int)pid);
	f = fopen(path, "r");
	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "VmHWM: %lld kB", &kb) == 1)
			break;
	fclose(f);
	return kb;
}

static int read_vmas(pid_t pid, struct vma *v, int max)
{
	char path[64], line[512];
	unsigned long long s, e, kb;
	int n = 0;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/smaps", (int)pid);
	f = fopen(path, "r");
	if (!f)
		return 0;
	while (fgets(line, sizeof(line), f)) {
		if (sscanf(line, "%llx-%llx ", &s, &e) == 2 && n < max &&
		    strchr(line, '-') < strchr(line, ' ')) {
			v[n++] = (struct vma){ s, e, 0 };
		} else if (n > 0 && sscanf(line, "Rss: %llu kB", &kb) == 1) {
			v[n - 1].rss_kb = kb;
		}
	}
	fclose(f);
	return n;
}

/*
 * Resident kB of the guest RAM: a window of exactly `mem` bytes that
 * starts 2 MiB aligned at a mapping's start and ends at a mapping's end,
 * covered by contiguous mappings (guest RAM is one allocation, perhaps
 * split by madvise() or by images mapped over it). -1 if none is found.
 */
static long long guest_rss(pid_t pid, uint64_t mem)
{
	static struct vma v[MAX_VMAS];
	int n = read_vmas(pid, v, MAX_VMAS), i, j;

	for (i = 0; i < n; i++) {
		uint64_t end = v[i].start + mem, kb = 0;

		if (v[i].start % HUGE_2M)
			continue;
		for (j = i; j < n && v[j].end <= end; j++) {
			if (j > i && v[j].start != v[j - 1].end)
				break;
			kb += v[j].rss_kb;
			if (v[j].end == end)
				return (long long)kb;
		}
	}
	return -1;
}

static int spawn(const struct opts *o, int *out_fd, int *in_fd)
{
	int out[2], in[2];
	pid_t pid;

	if (pipe(out) || pipe(in)) {
		perror("stamp: pipe");
		exit(2);
	}
	pid = fork();
	if (pid < 0) {
		perror("stamp: fork");
		exit(2);
	}
	if (pid == 0) {
		dup2(in[0], 0);
		dup2(out[1], 1);
		if (o->err) {
			int fd = open(o->err, O_WRONLY | O_CREAT | O_TRUNC, 0644);

			if (fd >= 0)
				dup2(fd, 2);
		}
		closefrom(3);
		execvp(o->argv[0], o->argv);
		fprintf(stderr, "stamp: %s: %s\n", o->argv[0], strerror(errno));
		_exit(127);
	}
	close(out[1]);
	close(in[0]);
	*out_fd = out[0];
	*in_fd = in[1];
	return pid;
}

/* Search the stream for the pattern, across read boundaries. */
static bool scan(const char *pat, char *tail, size_t *tail_len,
		 const char *buf, size_t n)
{
	size_t plen = strlen(pat), keep;
	char joined[8192];
	size_t len;

	if (n > sizeof(joined) - *tail_len - 1)
		n = sizeof(joined) - *tail_len - 1;
	memcpy(joined, tail, *tail_len);
	memcpy(joined + *tail_len, buf, n);
	len = *tail_len + n;
	joined[len] = '\0';
	if (memmem(joined, len, pat, plen))
		return true;
	keep = plen > 1 ? plen - 1 : 0;
	if (keep > len)
		keep = len;
	memcpy(tail, joined + len - keep, keep);
	*tail_len = keep;
	return false;
}

static void run(const struct opts *o, struct result *r)
{
	uint64_t t0 = now_us(), kill_at = 0, deadline;
	int fd, in_fd, status;
	FILE *out = o->out ? fopen(o->out, "w") : NULL;
	char buf[4096], tail[1024];
	size_t tail_len = 0;
	bool eof = false, seen = !o->pattern;
	struct rusage ru;
	pid_t pid = spawn(o, &fd, &in_fd);

	deadline = t0 + (uint64_t)o->timeout_s * 1000000ULL;
	if (o->pattern && strlen(o->pattern) >= sizeof(tail))
		usage();
	while (!eof) {
		struct pollfd p = { fd, POLLIN, 0 };
		uint64_t t = now_us();
		ssize_t n;

		if (t >= deadline) {
			kill(pid, SIGKILL);
			break;
		}
		if (kill_at && t >= kill_at) {
			kill(pid, SIGKILL);
			kill_at = 0;
		}
		if (poll(&p, 1, 100) <= 0)
			continue;
		n = read(fd, buf, sizeof(buf));
		if (n <= 0) {
			eof = n == 0 || errno != EINTR;
			continue;
		}
		if (out)
			fwrite(buf, 1, (size_t)n, out);
		if (seen || !scan(o->pattern, tail, &tail_len, buf, (size_t)n))
			continue;
		seen = true;
		r->match_us = (long long)(now_us() - t0);
		if (o->mem) {
			r->hwm_kb = read_hwm(pid);
			r->guest_kb = guest_rss(pid, o->mem);
		}
		if (o->kill_after) {
			kill(pid, SIGTERM);
			kill_at = now_us() + KILL_GRACE_MS * 1000ULL;
		}
	}
	if (wait4(pid, &status, 0, &ru) == pid) {
		r->exit_us = (long long)(now_us() - t0);
		r->maxrss_kb = ru.ru_maxrss;
		r->status = WIFEXITED(status) ? WEXITSTATUS(status)
					      : 128 + WTERMSIG(status);
	}
	close(fd);
	close(in_fd);
	if (out)
		fclose(out);
}

int main(int argc, char **argv)
{
	struct opts o;
	struct result r = { -1, -1, -1, -1, -1, -1 };

	parse_args(argc, argv, &o);
	signal(SIGPIPE, SIG_IGN);
	run(&o, &r);
	printf("match_us=%lld exit_us=%lld status=%d hwm_kb=%lld guest_kb=%lld maxrss_kb=%lld\n",
	       r.match_us, r.exit_us, r.status, r.hwm_kb, r.guest_kb,
	       r.maxrss_kb);
	return o.pattern && r.match_us < 0 ? 1 : 0;
}

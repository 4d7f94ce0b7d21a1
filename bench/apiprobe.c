// SPDX-License-Identifier: MIT
/*
 * apiprobe: time cellvm's control API from the outside, inside the arm64
 * host (make bench-api, bench/api.sh). A benchmark client, not a test:
 * it writes fixed requests and only looks for the status line.
 *
 *   apiprobe SOCK KERNEL REPS -- COMMAND [ARG...]
 *
 * Launches COMMAND (cellvm --api-sock SOCK, waiting for configuration)
 * with its stdout on a pipe, the clock (CLOCK_MONOTONIC) started right
 * before fork(), and prints one line per measurement:
 *
 *   ready_us N          launch -> the socket accepts a connection
 *   start_rtt_us N      PUT /actions InstanceStart sent -> its 204
 *   start_first_us N    InstanceStart sent -> the guest's first console
 *                       byte (KERNEL: a guest that writes one at once)
 *   start_cpu_us N      CPU time of all of COMMAND's threads over that
 *                       span (schedstat)
 *   get_us N            GET / round trip (REPS times)
 *   pause_us N          PATCH /vm Paused round trip (REPS times)
 *   resume_us N         PATCH /vm Resumed round trip (REPS times)
 *   rss_kb N            COMMAND's VmRSS once the guest runs
 *
 * With SOCK "-", COMMAND runs its guest without the API: only rss_kb, once
 * the guest's first console byte came (the baseline).
 *
 * then ends COMMAND with SIGTERM. Exit status 0, or 1 with a message.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static uint64_t now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000 + (uint64_t)ts.tv_nsec / 1000;
}

static int die(const char *what)
{
	fprintf(stderr, "apiprobe: %s: %s\n", what, strerror(errno));
	return 1;
}

static int sock_connect(const char *path)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);

	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", path);
	if (fd >= 0 && connect(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0)
		return fd;
	if (fd >= 0)
		close(fd);
	return -1;
}

/* One request on a new connection; the status code, or -1. */
static int request(const char *sock, const char *method, const char *path,
		   const char *body)
{
	char req[1024], ans[4096];
	size_t n = 0;
	int fd = sock_connect(sock), len;
	ssize_t r;

	if (fd < 0)
		return -1;
	len = snprintf(req, sizeof(req),
		       "%s %s HTTP/1.1\r\nHost: x\r\nConnection: close\r\n"
		       "Content-Length: %zu\r\n\r\n%s",
		       method, path, body ? strlen(body) : 0, body ? body : "");
	if (write(fd, req, (size_t)len) != len) {
		close(fd);
		return -1;
	}
	while (n < sizeof(ans) - 1 && (r = read(fd, ans + n, sizeof(ans) - 1 - n)) > 0)
		n += (size_t)r;
	close(fd);
	ans[n] = '\0';
	return n > 12 ? atoi(ans + 9) : -1;
}

/* Sum of every thread's time on a CPU (ns), from schedstat. */
static uint64_t cpu_ns(pid_t pid)
{
	char path[64];
	struct dirent *e;
	uint64_t sum = 0;
	DIR *d;

	snprintf(path, sizeof(path), "/proc/%d/task", (int)pid);
	d = opendir(path);
	if (!d)
		return 0;
	while ((e = readdir(d))) {
		char p[384];
		unsigned long long ns;
		FILE *f;

		if (e->d_name[0] == '.')
			continue;
		snprintf(p, sizeof(p), "%s/%s/schedstat", path, e->d_name);
		f = fopen(p, "r");
		if (f && fscanf(f, "%llu", &ns) == 1)
			sum += ns;
		if (f)
			fclose(f);
	}
	closedir(d);
	return sum;
}

static long rss_kb(pid_t pid)
{
	char path[64], line[256];
	long kb = -1;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/status", (int)pid);
	f = fopen(path, "r");
	while (f && fgets(line, sizeof(line), f))
		if (sscanf(line, "VmRSS: %ld", &kb) == 1)
			break;
	if (f)
		fclose(f);
	return kb;
}

/* Time REPS round trips of one request. */
static int timed(const char *sock, const char *name, const char *method,
		 const char *path, const char *body, int want)
{
	uint64_t t = now_us();
	int st = request(sock, method, path, body);

	if (st != want) {
		fprintf(stderr, "apiprobe: %s: status %d, want %d\n", name, st, want);
		return 1;
	}
	printf("%s %llu\n", name, (unsigned long long)(now_us() - t));
	return 0;
}

static int configure(const char *sock, const char *kernel)
{
	char body[512];

	snprintf(body, sizeof(body), "{\"kernel_image_path\": \"%s\"}", kernel);
	if (request(sock, "PUT", "/boot-source", body) != 204 ||
	    request(sock, "PUT", "/machine-config",
		    "{\"vcpu_count\": 1, \"mem_size_mib\": 256}") != 204) {
		fprintf(stderr, "apiprobe: configuration refused\n");
		return 1;
	}
	return 0;
}

/* InstanceStart: its round trip, then the guest's first byte. */
static int start(const char *sock, pid_t pid, int out)
{
	struct pollfd p = { .fd = out, .events = POLLIN };
	uint64_t t0 = now_us(), c0 = cpu_ns(pid), t1;
	char b;

	if (request(sock, "PUT", "/actions", "{\"action_type\": \"InstanceStart\"}") != 204) {
		fprintf(stderr, "apiprobe: InstanceStart refused\n");
		return 1;
	}
	t1 = now_us();
	if (poll(&p, 1, 60000) != 1 || read(out, &b, 1) != 1) {
		fprintf(stderr, "apiprobe: no console byte from the guest\n");
		return 1;
	}
	printf("start_rtt_us %llu\nstart_first_us %llu\nstart_cpu_us %llu\n",
	       (unsigned long long)(t1 - t0), (unsigned long long)(now_us() - t0),
	       (unsigned long long)((cpu_ns(pid) - c0) / 1000));
	return 0;
}

int main(int argc, char **argv)
{
	const char *sock, *kernel;
	int pipefd[2], reps, i, fd, ret = 1;
	uint64_t t0;
	pid_t pid;

	if (argc < 6 || strcmp(argv[4], "--") != 0) {
		fprintf(stderr, "usage: apiprobe SOCK KERNEL REPS -- COMMAND [ARG...]\n");
		return 2;
	}
	sock = argv[1];
	kernel = argv[2];
	reps = atoi(argv[3]);
	if (pipe(pipefd) < 0)
		return die("pipe");
	t0 = now_us();
	pid = fork();
	if (pid < 0)
		return die("fork");
	if (pid == 0) {
		dup2(pipefd[1], STDOUT_FILENO);
		close(pipefd[0]);
		close(pipefd[1]);
		execvp(argv[5], argv + 5);
		_exit(127);
	}
	close(pipefd[1]);
	if (strcmp(sock, "-") == 0) {
		struct pollfd p = { .fd = pipefd[0], .events = POLLIN };
		char b;

		if (poll(&p, 1, 60000) != 1 || read(pipefd[0], &b, 1) != 1) {
			fprintf(stderr, "apiprobe: no console byte from the guest\n");
			goto out;
		}
		printf("rss_kb %ld\n", rss_kb(pid));
		ret = 0;
		goto out;
	}
	while ((fd = sock_connect(sock)) < 0) {
		struct timespec ts = { 0, 100000 };

		if (now_us() - t0 > 30000000) {
			fprintf(stderr, "apiprobe: the socket never accepted\n");
			goto out;
		}
		nanosleep(&ts, NULL);
	}
	printf("ready_us %llu\n", (unsigned long long)(now_us() - t0));
	close(fd);
	if (configure(sock, kernel) || start(sock, pid, pipefd[0]))
		goto out;
	for (i = 0; i < reps; i++)
		if (timed(sock, "get_us", "GET", "/", NULL, 200) ||
		    timed(sock, "pause_us", "PATCH", "/vm", "{\"state\": \"Paused\"}", 204) ||
		    timed(sock, "resume_us", "PATCH", "/vm", "{\"state\": \"Resumed\"}", 204))
			goto out;
	printf("rss_kb %ld\n", rss_kb(pid));
	ret = 0;
out:
	kill(pid, SIGTERM);
	waitpid(pid, NULL, 0);
	return ret;
}

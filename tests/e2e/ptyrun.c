// SPDX-License-Identifier: MIT
/*
 * ptyrun: run a command on a new pseudo-terminal and report what it did to
 * the terminal, for the console tests (busybox has no `script`).
 *
 *   ptyrun PATTERN ACTION -- COMMAND [ARG...]
 *
 * The terminal starts cooked (ICANON, ECHO, ISIG). Once COMMAND printed
 * PATTERN ("-": at once) ptyrun records whether the terminal is raw, then
 * performs ACTION: "-" nothing, "SIGTERM" signals COMMAND, anything else
 * is typed (with "\a" standing for Ctrl-A and "\n" for Enter). When
 * COMMAND exits it prints "raw-during=0|1 restored=0|1 status=N" and exits
 * 0; 2 on its own failures; 124 if COMMAND ran longer than 180 s.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/wait.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#define LIMIT_S 180

static int cooked(const struct termios *t)
{
	return (t->c_lflag & (ICANON | ECHO | ISIG)) == (ICANON | ECHO | ISIG);
}

static void type_action(int master, const char *a)
{
	char buf[256];
	size_t n = 0;

	for (; *a && n < sizeof(buf); a++) {
		if (a[0] == '\\' && a[1] == 'a') {
			buf[n++] = 0x01;
			a++;
		} else if (a[0] == '\\' && a[1] == 'n') {
			buf[n++] = '\n';
			a++;
		} else {
			buf[n++] = *a;
		}
	}
	if (write(master, buf, n) < 0)
		perror("ptyrun: write");
}

static pid_t spawn(const char *slave, char **argv)
{
	pid_t pid = fork();

	if (pid == 0) {
		int fd;

		setsid();
		fd = open(slave, O_RDWR);
		if (fd < 0)
			_exit(126);
		ioctl(fd, TIOCSCTTY, 0);
		dup2(fd, 0);
		dup2(fd, 1);
		dup2(fd, 2);
		execvp(argv[0], argv);
		_exit(127);
	}
	return pid;
}

int main(int argc, char **argv)
{
	char out[1 << 16];
	size_t len = 0;
	int master, sfd, status = 0, raw = 0, acted = 0;
	struct termios t;
	time_t start = time(NULL);
	const char *slave;
	pid_t pid;

	if (argc < 5 || strcmp(argv[3], "--")) {
		fprintf(stderr, "usage: ptyrun PATTERN ACTION -- COMMAND...\n");
		return 2;
	}
	master = posix_openpt(O_RDWR | O_NOCTTY);
	if (master < 0 || grantpt(master) || unlockpt(master) ||
	    !(slave = ptsname(master)) || (sfd = open(slave, O_RDWR | O_NOCTTY)) < 0) {
		perror("ptyrun: pty");
		return 2;
	}
	tcgetattr(sfd, &t);
	t.c_lflag |= ICANON | ECHO | ISIG;
	tcsetattr(sfd, TCSANOW, &t);
	pid = spawn(slave, argv + 4);
	for (;;) {
		struct pollfd p = { master, POLLIN, 0 };
		pid_t w = waitpid(pid, &status, WNOHANG);

		if (w == pid)
			break;
		if (time(NULL) - start > LIMIT_S) {
			kill(pid, SIGKILL);
			waitpid(pid, &status, 0);
			return 124;
		}
		if (poll(&p, 1, 100) > 0) {
			ssize_t n = read(master, out + len, sizeof(out) - 1 - len);

			if (n > 0) {
				len += (size_t)n;
				out[len] = '\0';
				if (len > sizeof(out) / 2) { /* keep the tail */
					memmove(out, out + len / 2, len - len / 2 + 1);
					len -= len / 2;
				}
			}
		}
		if (!acted && (strcmp(argv[1], "-") == 0 || strstr(out, argv[1]))) {
			acted = 1;
			usleep(300000); /* let a freshly printed prompt settle */
			tcgetattr(sfd, &t);
			raw = !(t.c_lflag & (ICANON | ECHO));
			if (strcmp(argv[2], "SIGTERM") == 0)
				kill(pid, SIGTERM);
			else if (strcmp(argv[2], "-"))
				type_action(master, argv[2]);
		}
	}
	tcgetattr(sfd, &t);
	printf("raw-during=%d restored=%d status=%d\n", raw, cooked(&t),
	       WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status));
	return 0;
}

/* SPDX-License-Identifier: MIT */
/* The cellvm command: internal interfaces between its files. */
#ifndef CELLVM_CLI_H
#define CELLVM_CLI_H

#include <stddef.h>

/* Exit statuses (documented in README.md and `cellvm --help`). */
enum cli_status {
	CLI_OK = 0, /* guest powered off */
	CLI_RUNTIME = 1, /* failure while running */
	CLI_USAGE = 2, /* bad option or value */
	CLI_IMAGE = 3, /* kernel, initrd or DTB unusable */
	CLI_HOST = 4, /* host cannot run the VM (no KVM, too many CPUs), --jail */
	CLI_IO = 5, /* a disk, TAP device or console cannot be used */
	CLI_RESET = 6, /* guest rebooted and --no-reboot was given */
	CLI_CRASH = 7, /* guest reported a crash */
	CLI_QUIT = 8, /* stopped by Ctrl-A x or a signal (also when the guest
		       * powered off after SIGTERM/SIGHUP asked it to) */
	CLI_SECCOMP = 9, /* a thread made a system call its filter forbids */
};

/* --shutdown-timeout: seconds a guest gets to power off after SIGTERM or
 * SIGHUP pressed its power button (README, "Stopping a guest"). */
#define CLI_SHUTDOWN_TIMEOUT_DEFAULT 10u
#define CLI_SHUTDOWN_TIMEOUT_MAX 86400u

/* Terminal raw mode, restored at exit and on fatal signals. */
void term_raw(int fd);
void term_restore(void);

/* Report a crash of cellvm itself in one line on stderr (crash.c).
 * 0, or -1 with errno. */
int crash_report_install(void);

/* The embedded default guest, or NULL/0 when the build has none. */
struct embedded_image {
	const unsigned char *data;
	size_t size;
	long long file_offset; /* in /proc/self/exe; -1: unknown */
};
struct embedded_image embedded_kernel(void);
struct embedded_image embedded_initrd(void);

#endif

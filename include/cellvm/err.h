/* SPDX-License-Identifier: MIT */
/*
 * Errors. Library functions return 0 or a negative errno and, where a
 * message helps the user, fill a struct cellvm_err: a category (which the
 * command maps to its exit status) and a one-line text naming what failed.
 */
#ifndef CELLVM_ERR_H
#define CELLVM_ERR_H

#include <stddef.h>

#define CELLVM_MUST_CHECK __attribute__((warn_unused_result))
#define CELLVM_PRINTF(a, b) __attribute__((format(printf, a, b)))

/* Error categories. The command's exit statuses derive from these. */
enum cellvm_errcat {
	CELLVM_E_NONE = 0,
	CELLVM_E_INTERNAL, /* the host or hypervisor failed at run time */
	CELLVM_E_USAGE, /* malformed option or value */
	CELLVM_E_IMAGE, /* kernel, initrd or DTB unusable or does not fit */
	CELLVM_E_HOST, /* the host cannot provide it (no KVM, too many vCPUs) */
	CELLVM_E_IO, /* a host file or device cannot be opened or used */
	CELLVM_E_STOPPED, /* the caller's stop request (config stop_fd) */
};

#define CELLVM_ERR_MSG_MAX 256

/*
 * msg names the thing and the value ("9 vCPUs: the hypervisor allows at
 * most 8"), never a command-line flag; field names the struct
 * cellvm_config member at fault ("ncpus"), so a front end can point at
 * its own option for it.
 */
struct cellvm_err {
	enum cellvm_errcat cat;
	const char *field; /* NULL: no single config field */
	char msg[CELLVM_ERR_MSG_MAX];
};

/*
 * Record an error (the first one wins, so the root cause is kept).
 * Returns -errnum so callers can write "return cellvm_err_set(...)".
 * err may be NULL.
 */
int cellvm_err_set(struct cellvm_err *err, enum cellvm_errcat cat, int errnum,
		   const char *fmt, ...) CELLVM_PRINTF(4, 5);

/* The same, for a value of the struct cellvm_config member `field`. */
int cellvm_err_set_field(struct cellvm_err *err, const char *field,
			 enum cellvm_errcat cat, int errnum, const char *fmt,
			 ...) CELLVM_PRINTF(5, 6);

/* Reset to "no error". */
void cellvm_err_clear(struct cellvm_err *err);

#endif

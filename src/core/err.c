// SPDX-License-Identifier: MIT
/* Error records: see include/cellvm/err.h. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>

#include "cellvm/err.h"

int cellvm_err_set(struct cellvm_err *err, enum cellvm_errcat cat, int errnum,
		   const char *fmt, ...)
{
	va_list ap;

	if (errnum > 0)
		errnum = -errnum;
	if (errnum == 0)
		errnum = -EINVAL;
	/* Keep the first error: it is the root cause, later ones follow. */
	if (!err || err->cat != CELLVM_E_NONE)
		return errnum;
	err->cat = cat;
	va_start(ap, fmt);
	vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
	va_end(ap);
	return errnum;
}

void cellvm_err_clear(struct cellvm_err *err)
{
	err->cat = CELLVM_E_NONE;
	err->msg[0] = '\0';
}

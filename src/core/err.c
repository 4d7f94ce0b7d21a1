// SPDX-License-Identifier: MIT
/* Error records: see include/cellvm/err.h. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>

#include "cellvm/err.h"

static int err_vset(struct cellvm_err *err, const char *field,
		    enum cellvm_errcat cat, int errnum, const char *fmt,
		    va_list ap)
{
	if (errnum > 0)
		errnum = -errnum;
	if (errnum == 0)
		errnum = -EINVAL;
	/* Keep the first error: it is the root cause, later ones follow. */
	if (!err || err->cat != CELLVM_E_NONE)
		return errnum;
	err->cat = cat;
	err->field = field;
	vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
	return errnum;
}

int cellvm_err_set(struct cellvm_err *err, enum cellvm_errcat cat, int errnum,
		   const char *fmt, ...)
{
	va_list ap;
	int ret;

	va_start(ap, fmt);
	ret = err_vset(err, NULL, cat, errnum, fmt, ap);
	va_end(ap);
	return ret;
}

int cellvm_err_set_field(struct cellvm_err *err, const char *field,
			 enum cellvm_errcat cat, int errnum, const char *fmt,
			 ...)
{
	va_list ap;
	int ret;

	va_start(ap, fmt);
	ret = err_vset(err, field, cat, errnum, fmt, ap);
	va_end(ap);
	return ret;
}

void cellvm_err_clear(struct cellvm_err *err)
{
	err->cat = CELLVM_E_NONE;
	err->field = NULL;
	err->msg[0] = '\0';
}

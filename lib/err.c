#include "err.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>

static int ret_of(int errnum)
{
	return errnum > 0 ? -errnum : -EINVAL;
}

int nd_err_set(struct nd_err **err, int code, int errnum, const char *fmt, ...)
{
	va_list ap;
	struct nd_err *e;

	if (!err || *err)
		return ret_of(errnum);
	e = calloc(1, sizeof(*e));
	if (!e)
		return -ENOMEM;
	e->code = code;
	e->errnum = errnum;
	va_start(ap, fmt);
	if (vasprintf(&e->msg, fmt, ap) < 0)
		e->msg = NULL;
	va_end(ap);
	*err = e;
	return ret_of(errnum);
}

int nd_err_wrap(struct nd_err **err, const char *fmt, ...)
{
	va_list ap;
	char *prefix = NULL, *joined = NULL;
	int r;

	if (!err || !*err)
		return -EIO;
	va_start(ap, fmt);
	r = vasprintf(&prefix, fmt, ap);
	va_end(ap);
	if (r >= 0 && asprintf(&joined, "%s: %s", prefix, (*err)->msg ? (*err)->msg : "") >= 0) {
		free((*err)->msg);
		(*err)->msg = joined;
	}
	if (r >= 0)
		free(prefix);
	return (*err)->errnum > 0 ? -(*err)->errnum : -EIO;
}

void nd_err_free(struct nd_err *err)
{
	if (!err)
		return;
	free(err->msg);
	free(err);
}

void nd_err_freep(struct nd_err **err)
{
	nd_err_free(*err);
	*err = NULL;
}

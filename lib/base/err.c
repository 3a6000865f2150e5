#include "base/err.h"

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

int nd_oom(struct nd_err **err)
{
	return nd_err_set(err, ND_ERR_INTERNAL, ENOMEM, "out of memory");
}

int nd_err_move(struct nd_err **to, struct nd_err **from, int r)
{
	if (to && !*to) {
		*to = *from;
		*from = NULL;
	}
	return r;
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

/*
 * The one mapping of codes to edges. HTTP statuses follow what each code means to a client
 * (400 bad input, 403 refused, 404 absent, 409 conflict, 503 out of something, 500 ours;
 * 405 and 413 as HTTP names them); exit codes are docs/daemon.md's, and a shell's 126/127
 * for a command that cannot run.
 */
static const struct nd_code_info codes[] = {
	{ ND_CNI_INCOMPATIBLE_VERSION, "incompatible-version", 1, 400, ND_EXIT_USAGE },
	{ ND_CNI_UNSUPPORTED_FIELD, "unsupported-field", 2, 400, ND_EXIT_USAGE },
	{ ND_CNI_UNKNOWN_CONTAINER, "unknown-container", 3, 404, ND_EXIT_NOTFOUND },
	{ ND_CNI_INVALID_ENV, "invalid-environment", 4, 400, ND_EXIT_USAGE },
	{ ND_CNI_IO, "io-error", 5, 500, ND_EXIT_FAIL },
	{ ND_CNI_DECODE, "decode-error", 6, 400, ND_EXIT_USAGE },
	{ ND_CNI_INVALID_CONFIG, "invalid-config", 7, 400, ND_EXIT_USAGE },
	{ ND_CNI_TRY_AGAIN, "try-again", 11, 503, ND_EXIT_FAIL },
	{ ND_CNI_UNAVAILABLE, "unavailable", 50, 503, ND_EXIT_FAIL },
	{ ND_CNI_UNAVAILABLE_NOADDR, "no-address-available", 51, 503, ND_EXIT_EXHAUSTED },
	{ ND_ERR_INTERNAL, "internal", 100, 500, ND_EXIT_FAIL },
	{ ND_ERR_POOL_EXHAUSTED, "pool-exhausted", 101, 503, ND_EXIT_EXHAUSTED },
	{ ND_ERR_ADDR_IN_USE, "address-in-use", 102, 409, ND_EXIT_CONFLICT },
	{ ND_ERR_EXISTS, "exists", 103, 409, ND_EXIT_CONFLICT },
	{ ND_ERR_BRIDGE_FULL, "bridge-full", 104, 503, ND_EXIT_EXHAUSTED },
	{ ND_ERR_CHECK_FAILED, "check-failed", 105, 500, ND_EXIT_FAIL },
	{ ND_ERR_PLUGIN, "plugin-failed", 106, 500, ND_EXIT_FAIL },
	{ ND_ERR_NOT_FOUND, "not-found", 107, 404, ND_EXIT_NOTFOUND },
	{ ND_ERR_BUSY, "busy", 108, 409, ND_EXIT_CONFLICT },
	{ ND_ERR_REFUSED, "refused", 109, 403, ND_EXIT_FAIL },
	{ ND_ERR_TOO_LARGE, "too-large", 110, 413, ND_EXIT_FAIL },
	{ ND_ERR_METHOD, "method-not-allowed", 111, 405, ND_EXIT_FAIL },
	{ ND_ERR_PORT_IN_USE, "port-in-use", 112, 409, ND_EXIT_CONFLICT },
	{ ND_ERR_NO_CONTAINER, "no-such-container", 100, 404, ND_EXIT_NOTFOUND },
	{ ND_ERR_NOT_RUNNING, "not-running", 100, 409, ND_EXIT_CONFLICT },
	{ ND_ERR_RUNNING, "running", 100, 409, ND_EXIT_CONFLICT },
	{ ND_ERR_NO_COMMAND, "command-not-found", 100, 400, ND_EXIT_NO_COMMAND },
	{ ND_ERR_CANNOT_EXEC, "cannot-exec", 100, 400, ND_EXIT_CANNOT_EXEC },
	{ ND_ERR_NO_IMAGE, "no-such-image", 100, 404, ND_EXIT_NOTFOUND },
	{ ND_ERR_BAD_IMAGE, "bad-image", 100, 400, ND_EXIT_FAIL },
	{ ND_ERR_BAD_SPEC, "invalid-option", 100, 400, ND_EXIT_USAGE },
	{ ND_ERR_SETUP, "setup-failed", 100, 500, ND_EXIT_FAIL },
};

static const struct nd_code_info *row_of(int code)
{
	for (size_t i = 0; i < sizeof(codes) / sizeof(codes[0]); i++)
		if (codes[i].code == code)
			return &codes[i];
	return NULL;
}

const struct nd_code_info *nd_code_info(int code)
{
	return row_of(code) ?: row_of(ND_ERR_INTERNAL);
}

bool nd_code_known(int code)
{
	return row_of(code) != NULL;
}

int nd_code_of_http(unsigned int http)
{
	for (size_t i = 0; i < sizeof(codes) / sizeof(codes[0]); i++)
		if (codes[i].code >= ND_ERR_INTERNAL && codes[i].code < ND_ERR_NO_CONTAINER && codes[i].http == http)
			return codes[i].code;
	return ND_ERR_INTERNAL;
}

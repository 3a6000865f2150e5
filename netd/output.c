/*
 * What every netd executable prints at its edge: JSON for scripts, and each failure once,
 * as a message on stderr and (with --json) an object on stdout, with the exit status
 * lib/base/err.c's table gives its code. netd and netd-daemon both link it.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

#include "base/cleanup.h"
#include "cli.h"
#include "networks/apiclient.h"

struct nd_cli nd_cli;

void nd_cli_print_json(json_t *j)
{
	_cleanup_free_ char *s = json_dumps(j, JSON_INDENT(2) | JSON_ENCODE_ANY);

	if (s)
		puts(s);
}

int nd_cli_fail(const char *what, const struct nd_err *e)
{
	const char *msg = e && e->msg ? e->msg : "failed";
	const struct nd_code_info *info = nd_code_info(e ? e->code : ND_ERR_INTERNAL);

	if (nd_cli.json) {
		json_t *j = json_pack("{s:s, s:i, s:s}", "message", msg, "code", e ? e->code : ND_ERR_INTERNAL,
				      "name", info->name);

		if (j)
			nd_cli_print_json(j);
		else /* out of memory: still one JSON object */
			printf("{\"message\": \"out of memory\", \"code\": %d, \"name\": \"internal\"}\n", ND_ERR_INTERNAL);
		json_decref(j);
	}
	fprintf(stderr, "netd%s%s: %s\n", what ? " " : "", what ? what : "", msg);
	return info->exit;
}

static int fail_v(const char *what, int code, const char *fmt, va_list ap)
{
	_cleanup_free_ char *msg = NULL;
	struct nd_err e = { .code = code };

	if (vasprintf(&msg, fmt, ap) < 0)
		msg = NULL;
	e.msg = msg ? msg : (char *)"out of memory";
	return nd_cli_fail(what, &e);
}

int nd_cli_failf(const char *what, int code, const char *fmt, ...)
{
	va_list ap;
	int r;

	va_start(ap, fmt);
	r = fail_v(what, code, fmt, ap);
	va_end(ap);
	return r;
}

int nd_cli_usage_error(const char *usage, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	fail_v(NULL, ND_ERR_BAD_SPEC, fmt, ap);
	va_end(ap);
	if (usage)
		fputs(usage, stderr);
	return ND_EXIT_USAGE;
}

int nd_cli_fail_answer(const char *what, int status, json_t *body)
{
	_cleanup_err_ struct nd_err *e = NULL;

	nd_api_error(status, body, &e);
	return nd_cli_fail(what, e);
}

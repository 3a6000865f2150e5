#include "base/log.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static enum nd_log_level threshold(void)
{
	const char *v = getenv("NETD_LOG");

	if (!v)
		return ND_LOG_WARN;
	if (!strcmp(v, "debug"))
		return ND_LOG_DEBUG;
	if (!strcmp(v, "info"))
		return ND_LOG_INFO;
	if (!strcmp(v, "err"))
		return ND_LOG_ERR;
	return ND_LOG_WARN;
}

void nd_log(enum nd_log_level lvl, const char *fmt, ...)
{
	static const char *const names[] = { "error", "warning", "info", "debug" };
	va_list ap;

	if (lvl > threshold())
		return;
	fprintf(stderr, "netd: %s: ", names[lvl]);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

#include "base/fault.h"

/* Test builds only (fault.h); a release build compiles the inline stub instead. */
#ifdef ND_TEST_HOOKS

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static void trace(const char *point)
{
	const char *file = getenv("NETD_FAULT_TRACE");
	int fd;

	if (!file)
		return;
	fd = open(file, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
	if (fd >= 0) {
		dprintf(fd, "%s\n", point);
		close(fd);
	}
}

/* Hits per point in this process, for "<point>@<n>": steps repeated per address or route. */
static struct {
	const char *point;
	unsigned int hits;
} counts[32];

static unsigned int hit(const char *point)
{
	for (size_t i = 0; i < sizeof(counts) / sizeof(counts[0]); i++) {
		if (!counts[i].point)
			counts[i].point = point;
		if (!strcmp(counts[i].point, point))
			return ++counts[i].hits;
	}
	return 0;
}

int nd_fault(const char *point, struct nd_err **err)
{
	const char *spec = getenv("NETD_FAULT"), *mode;
	size_t n = strlen(point);
	unsigned int nth = 1, count;

	trace(point);
	if (!spec || strncmp(spec, point, n) || (spec[n] != ':' && spec[n] != '@'))
		return 0;
	/* Counted only while the test names this point, so what ran before cannot shift n. */
	count = hit(point);
	mode = spec + n;
	if (*mode == '@') {
		char *end;

		nth = (unsigned int)strtoul(mode + 1, &end, 10);
		mode = end;
	}
	if (*mode != ':' || count != nth)
		return 0;
	if (!strcmp(mode + 1, "kill"))
		kill(getpid(), SIGKILL);
	return nd_err_set(err, ND_ERR_INTERNAL, EIO, "fault injected at '%s'", point);
}
#endif /* ND_TEST_HOOKS */

#include "fault.h"

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

int nd_fault(const char *point, struct nd_err **err)
{
	const char *spec = getenv("NETD_FAULT");
	size_t n = strlen(point);

	trace(point);
	if (!spec || strncmp(spec, point, n) || spec[n] != ':')
		return 0;
	if (!strcmp(spec + n + 1, "kill"))
		kill(getpid(), SIGKILL);
	return nd_err_set(err, ND_ERR_INTERNAL, EIO, "fault injected at '%s'", point);
}

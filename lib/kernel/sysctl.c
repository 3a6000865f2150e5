#include "kernel/sysctl.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "base/cleanup.h"

int nd_sysctl_ensure(const char *key, const char *value, struct nd_err **err)
{
	_cleanup_close_ int fd = -1;
	char path[PATH_MAX], cur[64];
	size_t vlen = strlen(value);
	ssize_t n;

	if (snprintf(path, sizeof(path), "/proc/sys/%s", key) >= (int)sizeof(path) || strstr(key, ".."))
		return nd_err_set(err, ND_ERR_INTERNAL, EINVAL, "sysctl '%s': bad key", key);
	fd = open(path, O_RDWR | O_CLOEXEC);
	if (fd < 0)
		return nd_err_set(err, ND_ERR_INTERNAL, errno, "sysctl '%s'", key);
	/* Reading first avoids a write (and its side effects, e.g. forwarding resets) when set. */
	n = read(fd, cur, sizeof(cur) - 1);
	if (n > 0 && (size_t)n >= vlen && !strncmp(cur, value, vlen) && (cur[vlen] == '\n' || (size_t)n == vlen))
		return 0;
	if (pwrite(fd, value, vlen, 0) != (ssize_t)vlen)
		return nd_err_set(err, ND_ERR_INTERNAL, errno ? errno : EIO, "sysctl '%s' = %s", key, value);
	return 0;
}

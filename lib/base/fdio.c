#include "base/fdio.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "base/cleanup.h"

static int put_all(int fd, const char *p, size_t len, bool sock)
{
	while (len) {
		ssize_t n = sock ? send(fd, p, len, MSG_NOSIGNAL) : write(fd, p, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

int nd_write_all(int fd, const void *buf, size_t len)
{
	return put_all(fd, buf, len, false);
}

int nd_send_all(int fd, const void *buf, size_t len)
{
	return put_all(fd, buf, len, true);
}

long nd_read_upto(int fd, void *buf, size_t max)
{
	char *p = buf;
	size_t len = 0;

	while (len < max) {
		ssize_t n = read(fd, p + len, max - len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		if (n == 0)
			break;
		len += (size_t)n;
	}
	return (long)len;
}

int nd_read_all(int fd, size_t max, char **ret, size_t *ret_len)
{
	_cleanup_free_ char *buf = NULL;
	size_t len = 0, cap = 0;

	/* Until a read leaves room: EOF. Room for one byte past max tells max bytes from more. */
	do {
		size_t ncap = cap ? cap * 2 : 4096;
		char *nb;
		long n;

		if (cap > max)
			return -EFBIG;
		if (ncap > max + 1)
			ncap = max + 1;
		if (!(nb = realloc(buf, ncap + 1)))
			return -ENOMEM;
		buf = nb;
		cap = ncap;
		n = nd_read_upto(fd, buf + len, cap - len);
		if (n < 0)
			return (int)n;
		len += (size_t)n;
	} while (len == cap);
	buf[len] = '\0';
	if (ret_len)
		*ret_len = len;
	*ret = TAKE_PTR(buf);
	return 0;
}

int nd_write_at(const char *dir, const char *file, const char *val)
{
	char path[PATH_MAX];
	_cleanup_close_ int fd = -1;
	size_t n = strlen(val);

	if ((size_t)snprintf(path, sizeof(path), "%s/%s", dir, file) >= sizeof(path))
		return -ENAMETOOLONG;
	fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (write(fd, val, n) != (ssize_t)n)
		return errno ? -errno : -EIO;
	return 0;
}

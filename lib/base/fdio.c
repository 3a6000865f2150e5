#include "base/fdio.h"

#include <errno.h>
#include <unistd.h>

int nd_write_all(int fd, const void *buf, size_t len)
{
	const char *p = buf;

	while (len) {
		ssize_t n = write(fd, p, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		p += n;
		len -= (size_t)n;
	}
	return 0;
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

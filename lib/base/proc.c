#include "base/proc.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "base/cleanup.h"

unsigned long long nd_proc_start_time(pid_t pid)
{
	char path[64], buf[1024], *p;
	unsigned long long t = 0;
	_cleanup_close_ int fd = -1;
	ssize_t n;

	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0 || (n = read(fd, buf, sizeof(buf) - 1)) <= 0)
		return 0;
	buf[n] = 0;
	/* comm may hold spaces and ')': count fields from the last ')'. */
	p = strrchr(buf, ')');
	if (!p)
		return 0;
	if (sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %*u %*u %*d %*d %*d %*d %*d %*d %llu", &t) != 1)
		return 0;
	return t;
}

int nd_proc_pidfd(pid_t pid, unsigned long long start_time, int *ret_fd)
{
	/* pidfd_open's fds are always close-on-exec (pidfd_open(2)). */
	_cleanup_close_ int fd = pid > 0 ? (int)syscall(SYS_pidfd_open, pid, 0) : -1;

	if (pid <= 0 || (fd < 0 && errno == ESRCH))
		return -ESRCH;
	if (fd < 0)
		return -errno;
	/* After the open: the pidfd pins the process, so the check cannot go stale. */
	if (start_time == 0 || nd_proc_start_time(pid) != start_time)
		return -ESRCH;
	*ret_fd = TAKE_FD(fd);
	return 0;
}

#include "kernel/netns.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/magic.h>
#include <linux/nsfs.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/vfs.h>

#include "base/cleanup.h"

/*
 * 0 when fd is a network namespace. fstatfs comes first: NS_GET_NSTYPE is an ioctl number
 * that some device driver could mean differently, so it is only asked of nsfs inodes.
 */
static int check_netns(int fd)
{
	struct statfs sfs;
	int type;

	if (fstatfs(fd, &sfs) < 0)
		return -errno;
	if (sfs.f_type != NSFS_MAGIC)
		return -EINVAL;
	type = ioctl(fd, NS_GET_NSTYPE);
	if (type < 0)
		/* Before Linux 4.11 there is no NS_GET_NSTYPE: an nsfs inode is all we can know. */
		return errno == ENOTTY ? 0 : -errno;
	return type == CLONE_NEWNET ? 0 : -EINVAL;
}

int nd_netns_open(const char *path, int *ret_fd, struct nd_err **err)
{
	_cleanup_close_ int fd = -1;
	int r;

	if (!path || !*path)
		return nd_err_set(err, ND_CNI_INVALID_ENV, EINVAL, "netns path is empty");
	/* O_NONBLOCK: a FIFO named by mistake must fail the check, not hang the plugin. */
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY);
	if (fd < 0) {
		r = errno;
		return nd_err_set(err, ND_CNI_INVALID_ENV, r, "netns '%s': %s", path, strerror(r));
	}
	if ((r = nd_netns_verify(fd, path, err)) < 0)
		return r;
	*ret_fd = TAKE_FD(fd);
	return 0;
}

int nd_netns_verify(int fd, const char *path, struct nd_err **err)
{
	int r = check_netns(fd);

	if (r == -EINVAL)
		return nd_err_set(err, ND_CNI_INVALID_ENV, EINVAL, "netns '%s': not a network namespace", path);
	if (r < 0)
		return nd_err_set(err, ND_CNI_INVALID_ENV, -r, "netns '%s': %s", path, strerror(-r));
	return 0;
}

int nd_netns_run(int netns_fd, int (*fn)(void *ud), void *ud, struct nd_err **err)
{
	/* thread-self, not self: setns moves only the calling thread. */
	_cleanup_close_ int home = open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC);
	int r, e;

	if (home < 0) {
		e = errno;
		return nd_err_set(err, ND_ERR_INTERNAL, e, "netns: open own namespace: %s", strerror(e));
	}
	if (setns(netns_fd, CLONE_NEWNET) < 0) {
		e = errno;
		return nd_err_set(err, ND_ERR_INTERNAL, e, "netns: enter: %s", strerror(e));
	}
	r = fn(ud);
	/* Everything after a failed return would act on the wrong namespace's links. */
	if (setns(home, CLONE_NEWNET) < 0)
		abort();
	return r;
}

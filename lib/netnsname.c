#include "netnsname.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cleanup.h"
#include "network.h"
#include "state.h"
#include "netns.h"

bool nd_netns_valid_name(const char *s)
{
	size_t n = s ? strlen(s) : 0;

	if (n == 0 || n > 64 || !strcmp(s, ".") || !strcmp(s, ".."))
		return false;
	for (; *s; s++)
		if (*s <= ' ' || *s >= 0x7f || *s == '/')
			return false;
	return true;
}

bool nd_netns_runtime_name(const char *s)
{
	return s && strlen(s) == 17 && !strncmp(s, "netd-", 5) && strspn(s + 5, "0123456789abcdef") == 12;
}

int nd_netns_resolve(const char *s, char ret[PATH_MAX], struct nd_err **err)
{
	if (s && strchr(s, '/')) {
		if (strlen(s) >= PATH_MAX)
			return nd_err_set(err, ND_CNI_INVALID_CONFIG, ENAMETOOLONG, "netns path is too long");
		strcpy(ret, s);
		return 0;
	}
	if (!nd_netns_valid_name(s))
		return nd_err_set(err, ND_CNI_INVALID_CONFIG, EINVAL, "netns name '%s' is invalid", s ? s : "");
	snprintf(ret, PATH_MAX, "%s/%s", ND_NETNS_RUN_DIR, s);
	return 0;
}

/*
 * iproute2's order: make the run dir a shared mount (binding it on itself first when it is
 * not a mount point), so a netns mounted later shows in every mount namespace.
 */
static int share_run_dir(void)
{
	if (mkdir(ND_NETNS_RUN_DIR, 0755) < 0 && errno != EEXIST)
		return -errno;
	if (mount("", ND_NETNS_RUN_DIR, "none", MS_SHARED | MS_REC, NULL) == 0)
		return 0;
	if (errno != EINVAL)
		return -errno;
	if (mount(ND_NETNS_RUN_DIR, ND_NETNS_RUN_DIR, "none", MS_BIND | MS_REC, NULL) < 0 ||
	    mount("", ND_NETNS_RUN_DIR, "none", MS_SHARED | MS_REC, NULL) < 0)
		return -errno;
	return 0;
}

/*
 * A child makes the namespace, so no thread of the caller (the daemon has several) ever
 * leaves its own. Only system calls between fork and _exit: safe in a threaded parent.
 */
static int mount_new_netns(const char *path)
{
	int status = 0;
	pid_t pid = fork();

	if (pid < 0)
		return -errno;
	if (pid == 0) {
		if (unshare(CLONE_NEWNET) < 0 || mount("/proc/self/ns/net", path, "none", MS_BIND, NULL) < 0)
			_exit(errno & 0x7f);
		_exit(0);
	}
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR)
			return -errno;
	if (!WIFEXITED(status))
		return -EIO;
	return -WEXITSTATUS(status);
}

int nd_netns_create(const char *name, struct nd_err **err)
{
	char path[PATH_MAX];
	_cleanup_close_ int fd = -1;
	int r;

	if (!nd_netns_valid_name(name))
		return nd_err_set(err, ND_CNI_INVALID_CONFIG, EINVAL, "netns name '%s' is invalid", name ? name : "");
	if ((r = share_run_dir()) < 0)
		return nd_err_set(err, ND_ERR_INTERNAL, -r, "%s: %s", ND_NETNS_RUN_DIR, strerror(-r));
	snprintf(path, sizeof(path), "%s/%s", ND_NETNS_RUN_DIR, name);
	fd = open(path, O_RDONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0);
	if (fd < 0 && errno == EEXIST)
		return nd_err_set(err, ND_ERR_BUSY, EEXIST, "netns '%s' exists already", name);
	if (fd < 0)
		return nd_err_set(err, ND_ERR_INTERNAL, errno, "netns '%s': %s", name, strerror(errno));
	nd_closep(&fd);
	r = mount_new_netns(path);
	if (r < 0) {
		(void)unlink(path);
		return nd_err_set(err, ND_ERR_INTERNAL, -r, "netns '%s': %s", name, strerror(-r));
	}
	return 0;
}

int nd_netns_delete(const char *name, struct nd_err **err)
{
	char path[PATH_MAX];

	if (!nd_netns_valid_name(name))
		return nd_err_set(err, ND_CNI_INVALID_CONFIG, EINVAL, "netns name '%s' is invalid", name ? name : "");
	snprintf(path, sizeof(path), "%s/%s", ND_NETNS_RUN_DIR, name);
	if (access(path, F_OK) < 0)
		return nd_err_set(err, ND_ERR_NOT_FOUND, ENOENT, "netns '%s' not found", name);
	/* MNT_DETACH: a process inside keeps the namespace; only the name goes. */
	(void)umount2(path, MNT_DETACH);
	if (unlink(path) < 0 && errno != ENOENT)
		return nd_err_set(err, ND_ERR_INTERNAL, errno, "netns '%s': %s", name, strerror(errno));
	return 0;
}

int nd_netns_list(char ***ret, size_t *ret_n, struct nd_err **err)
{
	return nd_state_list(ND_NETNS_RUN_DIR, "", nd_netns_valid_name, ret, ret_n, err);
}

int nd_netns_enter(const char *name, struct nd_err **err)
{
	char path[PATH_MAX];
	_cleanup_close_ int fd = -1;
	int r;

	if ((r = nd_netns_resolve(name, path, err)) < 0 || (r = nd_netns_open(path, &fd, err)) < 0)
		return r;
	if (setns(fd, CLONE_NEWNET) < 0)
		return nd_err_set(err, ND_ERR_INTERNAL, errno, "netns '%s': enter: %s", name, strerror(errno));
	/* As ip netns exec: /sys of our own mount namespace lists the netns's devices. */
	if (unshare(CLONE_NEWNS) < 0 || mount("", "/", "none", MS_SLAVE | MS_REC, NULL) < 0)
		return nd_err_set(err, ND_ERR_INTERNAL, errno, "netns '%s': mount namespace: %s", name,
				  strerror(errno));
	if (umount2("/sys", MNT_DETACH) == 0)
		(void)mount(name, "/sys", "sysfs", 0, NULL);
	return 0;
}

#include "kernel/netnsname.h"

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

#include "base/cleanup.h"
#include "base/state.h"
#include "kernel/netns.h"

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

bool nd_path_is_clean(const char *p)
{
	if (!p || p[0] != '/')
		return false;
	for (const char *s = p + 1;;) {
		const char *e = strchrnul(s, '/');
		size_t n = (size_t)(e - s);

		if (n == 0 || (n == 1 && s[0] == '.') || (n == 2 && s[0] == '.' && s[1] == '.'))
			return false;
		if (!*e)
			return true;
		s = e + 1;
	}
}

/* "<run dir>/<name>": a name `ip netns` or netd keeps (/var/run is /run on Debian). */
static bool named_netns(const char *path)
{
	static const char *const dirs[] = { ND_NETNS_RUN_DIR "/", "/run/netns/" };

	for (size_t i = 0; i < sizeof(dirs) / sizeof(dirs[0]); i++) {
		size_t n = strlen(dirs[i]);

		if (!strncmp(path, dirs[i], n) && nd_netns_valid_name(path + n))
			return true;
	}
	return false;
}

static bool allowed_netns(const char *path, const char *const *allow)
{
	if (!allow || !nd_path_is_clean(path))
		return false;
	for (; *allow; allow++) {
		size_t n = strlen(*allow);

		while (n > 1 && (*allow)[n - 1] == '/')
			n--;
		if (n > 1 && !strncmp(path, *allow, n) && (path[n] == '/' || path[n] == '\0'))
			return true;
	}
	return false;
}

/*
 * Whether st is the network namespace that ns_link ("/proc/self/ns/net") names. A link we
 * may not read (pid 1's, for a daemon without CAP_SYS_PTRACE over it) cannot be matched:
 * optional then, since a client could not have named that namespace through it either.
 */
static int same_ns(const struct stat *st, const char *ns_link, bool optional, bool *ret, struct nd_err **err)
{
	struct stat o;

	*ret = false;
	if (stat(ns_link, &o) < 0 && optional && (errno == EACCES || errno == EPERM))
		return 0;
	if (stat(ns_link, &o) < 0)
		return nd_err_set(err, ND_ERR_INTERNAL, errno, "%s: %s", ns_link, strerror(errno));
	*ret = o.st_dev == st->st_dev && o.st_ino == st->st_ino;
	return 0;
}

int nd_netns_check_attachable(const char *path, const char *const *allow, struct nd_err **err)
{
	_cleanup_close_ int fd = -1;
	bool named = path && named_netns(path), own = false, init = false;
	struct stat st;
	int r;

	/* Refused before it is opened: a client must not make us probe arbitrary paths. */
	if (!named && !allowed_netns(path, allow))
		return nd_err_set(err, ND_ERR_REFUSED, EPERM,
				  "netns '%s' is not allowed: give a name under " ND_NETNS_RUN_DIR
				  " (netd netns add) or a path under a prefix of allowNetnsPaths", path ? path : "");
	/* O_NOFOLLOW: a name must be the netns mount itself, not a link to, say, /proc/1/ns/net. */
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY | (named ? O_NOFOLLOW : 0));
	if (fd < 0 && errno == ENOENT)
		return nd_err_set(err, ND_ERR_NOT_FOUND, ENOENT, "netns '%s' not found", path);
	if (fd < 0 && errno == ELOOP)
		return nd_err_set(err, ND_CNI_INVALID_ENV, ELOOP, "netns '%s' is a symbolic link, not a netns mount", path);
	if (fd < 0)
		return nd_err_set(err, ND_CNI_INVALID_ENV, errno, "netns '%s': %s", path, strerror(errno));
	if ((r = nd_netns_verify(fd, path, err)) < 0)
		return r;
	if (fstat(fd, &st) < 0)
		return nd_err_set(err, ND_ERR_INTERNAL, errno, "netns '%s': %s", path, strerror(errno));
	if ((r = same_ns(&st, "/proc/self/ns/net", false, &own, err)) < 0 ||
	    (r = same_ns(&st, "/proc/1/ns/net", true, &init, err)) < 0)
		return r;
	if (own || init)
		return nd_err_set(err, ND_ERR_REFUSED, EPERM, "netns '%s' is the host's %s network namespace", path,
				  own ? "own (the daemon's)" : "initial");
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

#include "base/state.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/cleanup.h"
#include "base/fdio.h"

#define STATE_FILE_MAX (4u << 20)

const char *nd_state_dir(void)
{
	const char *d = getenv("NETD_STATE_DIR");

	return d && *d ? d : ND_STATE_DIR;
}

int nd_state_mkdirs(const char *path, mode_t mode, struct nd_err **err)
{
	char buf[PATH_MAX];

	if (snprintf(buf, sizeof(buf), "%s", path) >= (int)sizeof(buf))
		return nd_err_set(err, ND_ERR_INTERNAL, ENAMETOOLONG, "path '%s' is too long", path);
	for (char *p = buf + 1;; p++) {
		char c = *p;

		if (c != '/' && c != '\0')
			continue;
		*p = '\0';
		if (mkdir(buf, mode) < 0 && errno != EEXIST)
			return nd_err_set(err, ND_ERR_INTERNAL, errno, "mkdir '%s': %s", buf, strerror(errno));
		*p = c;
		if (!c)
			return 0;
	}
}

static int dir_fsync(const char *path)
{
	char dir[PATH_MAX];
	_cleanup_close_ int fd = -1;
	char *slash;

	snprintf(dir, sizeof(dir), "%s", path);
	slash = strrchr(dir, '/');
	if (!slash)
		return 0;
	*slash = '\0';
	fd = open(dir[0] ? dir : "/", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	return fd < 0 || fsync(fd) < 0 ? -errno : 0;
}

static int write_file(const char *path, const char *data, size_t len, bool durable, struct nd_err **err)
{
	char tmp[PATH_MAX];
	_cleanup_close_ int fd = -1;
	int r;

	/* The pid keeps a daemon and a direct CLI from sharing a temporary name. */
	if (snprintf(tmp, sizeof(tmp), "%s.tmp.%d", path, (int)getpid()) >= (int)sizeof(tmp))
		return nd_err_set(err, ND_ERR_INTERNAL, ENAMETOOLONG, "state file '%s': name too long", path);
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0)
		return nd_err_set(err, ND_ERR_INTERNAL, errno, "state file '%s': %s", tmp, strerror(errno));
	r = nd_write_all(fd, data, len);
	if (r >= 0 && durable && fsync(fd) < 0)
		r = -errno;
	/* A file that did not reach the disk whole (full disk, a late error) never replaces the old one. */
	if (close(TAKE_FD(fd)) < 0 && r >= 0)
		r = -errno;
	if (r >= 0 && rename(tmp, path) < 0)
		r = -errno;
	if (r < 0) {
		(void)unlink(tmp);
		return nd_err_set(err, ND_ERR_INTERNAL, -r, "state file '%s': %s", path, strerror(-r));
	}
	if (!durable)
		return 0;
	/* Without it a power cut could undo the rename after the caller has answered. */
	r = dir_fsync(path);
	return r < 0 ? nd_err_set(err, ND_ERR_INTERNAL, -r, "state dir of '%s': %s", path, strerror(-r)) : 0;
}

int nd_state_write(const char *path, const char *data, size_t len, struct nd_err **err)
{
	return write_file(path, data, len, true, err);
}

int nd_state_write_volatile(const char *path, const char *data, size_t len, struct nd_err **err)
{
	return write_file(path, data, len, false, err);
}

int nd_state_read(const char *path, char **ret, size_t *ret_len, struct nd_err **err)
{
	_cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC);
	int r;

	if (fd < 0 && errno == ENOENT)
		return -ENOENT;
	if (fd < 0)
		return nd_err_set(err, ND_ERR_INTERNAL, errno, "state file '%s': %s", path, strerror(errno));
	r = nd_read_all(fd, STATE_FILE_MAX, ret, ret_len);
	if (r == -EFBIG)
		return nd_err_set(err, ND_ERR_INTERNAL, EFBIG, "state file '%s' is too large", path);
	if (r == -ENOMEM)
		return nd_oom(err);
	return r < 0 ? nd_err_set(err, ND_ERR_INTERNAL, -r, "state file '%s': %s", path, strerror(-r)) : 0;
}

int nd_state_remove(const char *path, struct nd_err **err)
{
	if (unlink(path) < 0 && errno != ENOENT)
		return nd_err_set(err, ND_ERR_INTERNAL, errno, "remove '%s': %s", path, strerror(errno));
	(void)dir_fsync(path);
	return 0;
}

int nd_state_lock(const char *dir, int *ret_fd, struct nd_err **err)
{
	char path[PATH_MAX];
	_cleanup_close_ int fd = -1;
	int r;

	if ((r = nd_state_mkdirs(dir, 0700, err)) < 0)
		return r;
	snprintf(path, sizeof(path), "%s/lock", dir);
	fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	if (fd < 0)
		return nd_err_set(err, ND_ERR_INTERNAL, errno, "lock '%s': %s", path, strerror(errno));
	while (flock(fd, LOCK_EX) < 0)
		if (errno != EINTR)
			return nd_err_set(err, ND_ERR_INTERNAL, errno, "lock '%s': %s", path, strerror(errno));
	*ret_fd = TAKE_FD(fd);
	return 0;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

int nd_state_list(const char *dir, const char *suffix, bool (*valid)(const char *name), char ***ret,
		  size_t *ret_n, struct nd_err **err)
{
	struct nd_strv v = { 0 };
	size_t slen = strlen(suffix);
	DIR *d = opendir(dir);
	struct dirent *e;
	int r = 0;

	if (!d && errno != ENOENT)
		r = -errno;
	while (r == 0 && d && (e = readdir(d))) {
		size_t len = strlen(e->d_name);

		/* Only "<name><suffix>": a crashed write's temporary file is not an entry. */
		if (len <= slen || strcmp(e->d_name + len - slen, suffix))
			continue;
		e->d_name[len - slen] = '\0';
		if (valid(e->d_name))
			r = nd_strv_push(&v, e->d_name);
	}
	if (d)
		closedir(d);
	if (r < 0) {
		nd_strv_clear(&v);
		return nd_err_set(err, ND_ERR_INTERNAL, -r, "listing '%s'", dir);
	}
	if (ret_n)
		*ret_n = v.n;
	if (v.n)
		qsort(v.v, v.n, sizeof(*v.v), cmp_str);
	if (!(*ret = nd_strv_take(&v)))
		return nd_oom(err);
	return 0;
}

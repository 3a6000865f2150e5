#include "runtime/ctrmount.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "base/cleanup.h"
#include "runtime/volume.h"

void nd_ctr_mounts_free(struct nd_ctr_mount *v, size_t n)
{
	for (size_t i = 0; v && i < n; i++) {
		nd_mnt_clear(&v[i].m);
		free(v[i].host);
	}
	free(v);
}

/* One record entry: parsed, its host side found (a bind's source must exist), a volume made. */
static int plan_one(const char *state, const char *spec, struct nd_ctr_mount *out, struct nd_err **err)
{
	struct stat st;
	int r;

	if ((r = nd_mnt_parse(spec, &out->m, err)) < 0)
		return r;
	if (out->m.type == ND_MNT_BIND) {
		if (stat(out->m.src, &st) < 0)
			return nd_err_set(err, ND_ERR_BAD_SPEC, errno, "bind source path does not exist: '%s' (%s)", out->m.src,
					  strerror(errno));
		if (!S_ISDIR(st.st_mode) && !S_ISREG(st.st_mode))
			return nd_err_set(err, ND_ERR_BAD_SPEC, EINVAL, "bind source '%s' is neither a directory nor a file",
					  out->m.src);
		out->host = strdup(out->m.src);
	} else if (out->m.type == ND_MNT_VOLUME) {
		if ((r = nd_vol_create(state, out->m.src, NULL, err)) < 0)
			return r;
		out->host = nd_vol_data(state, out->m.src);
		out->seed = !out->m.nocopy;
	} else {
		return 0;
	}
	return out->host ? 0 : nd_oom(err);
}

int nd_ctr_mounts_plan(const char *state, char *const *mounts, struct nd_ctr_mount **ret, size_t *ret_n,
		       struct nd_err **err)
{
	size_t n = 0;
	struct nd_ctr_mount *v;
	int r = 0;

	while (mounts && mounts[n])
		n++;
	*ret = NULL;
	*ret_n = 0;
	if (n == 0)
		return 0;
	if (!(v = calloc(n, sizeof(*v))))
		return nd_oom(err);
	for (size_t i = 0; i < n && r >= 0; i++)
		r = plan_one(state, mounts[i], &v[i], err);
	if (r < 0) {
		nd_ctr_mounts_free(v, n);
		return r;
	}
	*ret = v;
	*ret_n = n;
	return 0;
}

/* ---- in the container's mount namespace ---- */

static int fail(char *msg, size_t size, int e, const char *fmt, ...) __attribute__((format(printf, 4, 5)));
static int fail(char *msg, size_t size, int e, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, size, fmt, ap);
	va_end(ap);
	return -e;
}

/*
 * path (absolute) under rootfd, every symlink and ".." kept inside the root as if it were
 * "/"; magic links (/proc/self/...) refused. An O_PATH descriptor or -errno.
 */
static int open_in_root(int rootfd, const char *path, int flags)
{
	struct open_how how = { .flags = (unsigned long long)(O_PATH | O_CLOEXEC | flags),
				.resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS };
	long fd = syscall(SYS_openat2, rootfd, path, &how, sizeof(how));

	return fd < 0 ? -errno : (int)fd;
}

/* Make the missing entry path (its parent resolved in root): a directory, or an empty file. */
static int make_entry(int rootfd, char *path, bool file)
{
	char *slash = strrchr(path, '/'), saved = slash[1];
	_cleanup_close_ int parent = -1, fd = -1;
	const char *name = slash + 1;

	slash[1] = '\0';
	parent = open_in_root(rootfd, path, O_DIRECTORY);
	slash[1] = saved;
	if (parent < 0)
		return parent;
	/*
	 * The entry is created in the parent the root-bound walk found. EEXIST here means a
	 * symlink whose target cannot be made inside the root: refused, never followed.
	 */
	if (file)
		fd = openat(parent, name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644);
	if ((file && fd < 0) || (!file && mkdirat(parent, name, 0755) < 0))
		return -errno;
	return 0;
}

/* The target's O_PATH descriptor, it and its missing parents made inside the root. */
static int target_fd(int rootfd, const char *dst, bool file, char *msg, size_t size)
{
	_cleanup_free_ char *p = strdup(dst);
	int fd, r;

	if (!p)
		return fail(msg, size, ENOMEM, "out of memory");
	for (char *c = p + 1;; c++) {
		bool last = !*c;

		if (*c != '/' && !last)
			continue;
		*c = '\0';
		fd = open_in_root(rootfd, p, 0);
		if (fd == -ENOENT && (r = make_entry(rootfd, p, last && file)) < 0)
			return fail(msg, size, -r, "mount target '%s': cannot create '%s' inside the container: %s", dst, p,
				    r == -EEXIST ? "a symlink to a path missing in the container" : strerror(-r));
		if (fd == -ENOENT)
			fd = open_in_root(rootfd, p, 0);
		if (fd < 0)
			return fail(msg, size, -fd, "mount target '%s': %s", dst, strerror(-fd));
		if (last)
			return fd;
		close(fd);
		*c = '/';
	}
}

static bool dir_empty(int dirfd)
{
	DIR *d = fdopendir(dirfd);
	struct dirent *e;
	bool empty = true;

	if (!d) {
		close(dirfd);
		return false;
	}
	while (empty && (e = readdir(d)))
		empty = !strcmp(e->d_name, ".") || !strcmp(e->d_name, "..");
	closedir(d);
	return empty;
}

static int copy_tree(int from, int to, int depth);

static int copy_file(int from, int to, const char *name, const struct stat *st)
{
	_cleanup_close_ int in = openat(from, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC), out = -1;
	char buf[65536];
	ssize_t n;

	if (in < 0 || (out = openat(to, name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600)) < 0)
		return -errno;
	while ((n = read(in, buf, sizeof(buf))) > 0)
		if (write(out, buf, (size_t)n) != n)
			return -EIO;
	if (n < 0 || fchown(out, st->st_uid, st->st_gid) < 0 || fchmod(out, st->st_mode & 07777) < 0)
		return -errno;
	return 0;
}

/* One entry of a seeding copy: directories, files and symlinks with owner and mode; nothing else. */
static int copy_entry(int from, int to, const char *name, int depth)
{
	struct stat st;
	char link[4096];
	ssize_t n;

	if (fstatat(from, name, &st, AT_SYMLINK_NOFOLLOW) < 0)
		return -errno;
	if (S_ISREG(st.st_mode))
		return copy_file(from, to, name, &st);
	if (S_ISLNK(st.st_mode)) {
		if ((n = readlinkat(from, name, link, sizeof(link) - 1)) < 0)
			return -errno;
		link[n] = '\0';
		if (symlinkat(link, to, name) < 0 || fchownat(to, name, st.st_uid, st.st_gid, AT_SYMLINK_NOFOLLOW) < 0)
			return -errno;
		return 0;
	}
	if (S_ISDIR(st.st_mode)) {
		_cleanup_close_ int a = -1, b = -1;

		if (mkdirat(to, name, 0700) < 0 ||
		    (a = openat(from, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)) < 0 ||
		    (b = openat(to, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)) < 0)
			return -errno;
		return copy_tree(a, b, depth + 1);
	}
	return 0; /* device nodes, fifos, sockets: not data */
}

/* Docker's copy of the image's content into a new volume: from's entries, owner and mode into to. */
static int copy_tree(int from, int to, int depth)
{
	struct stat st;
	struct dirent *e;
	DIR *d;
	int fd, r = 0;

	if (depth > 256)
		return -ELOOP;
	if ((fd = openat(from, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0 || !(d = fdopendir(fd))) {
		r = -errno;
		if (fd >= 0)
			close(fd);
		return r;
	}
	while (r >= 0 && (e = readdir(d)))
		if (strcmp(e->d_name, ".") && strcmp(e->d_name, ".."))
			r = copy_entry(from, to, e->d_name, depth);
	closedir(d);
	if (r >= 0 && (fstat(from, &st) < 0 || fchown(to, st.st_uid, st.st_gid) < 0 || fchmod(to, st.st_mode & 07777) < 0))
		r = -errno;
	return r;
}

/* A volume still empty gets the image's content at its target (a directory). */
static int seed(int target, const struct nd_ctr_mount *cm, char *msg, size_t size)
{
	_cleanup_close_ int from = -1, to = -1;
	struct stat st;
	int r = 0;

	if (fstat(target, &st) < 0 || !S_ISDIR(st.st_mode))
		return 0;
	to = open(cm->host, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (to < 0)
		return fail(msg, size, errno, "volume '%s': %s", cm->m.src, strerror(errno));
	if (!dir_empty(fcntl(to, F_DUPFD_CLOEXEC, 0)))
		return 0;
	if ((from = openat(target, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0)
		r = -errno;
	else
		r = copy_tree(from, to, 0);
	if (r < 0)
		return fail(msg, size, -r, "volume '%s': copying the image's '%s': %s", cm->m.src, cm->m.dst, strerror(-r));
	return 0;
}

/* A detached mount of what cm asks for: a clone of the host tree, or a new tmpfs. */
static int make_mount(const struct nd_ctr_mount *cm)
{
	unsigned int attrs = MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV | (cm->m.ro ? MOUNT_ATTR_RDONLY : 0);
	_cleanup_close_ int fs = -1;
	char val[32];
	int mnt;

	if (cm->m.type != ND_MNT_TMPFS) {
		struct mount_attr a = { .attr_set = cm->m.ro ? MOUNT_ATTR_RDONLY : 0 };
		int tree = open_tree(AT_FDCWD, cm->host, OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | AT_RECURSIVE);

		if (tree >= 0 && a.attr_set && mount_setattr(tree, "", AT_EMPTY_PATH | AT_RECURSIVE, &a, sizeof(a)) < 0) {
			int e = errno;

			close(tree);
			return -e;
		}
		return tree < 0 ? -errno : tree;
	}
	if (!cm->m.exec)
		attrs |= MOUNT_ATTR_NOEXEC;
	snprintf(val, sizeof(val), "%o", cm->m.mode ? cm->m.mode : 01777);
	if ((fs = fsopen("tmpfs", FSOPEN_CLOEXEC)) < 0 || fsconfig(fs, FSCONFIG_SET_STRING, "mode", val, 0) < 0)
		return -errno;
	snprintf(val, sizeof(val), "%llu", (unsigned long long)cm->m.size);
	if ((cm->m.size && fsconfig(fs, FSCONFIG_SET_STRING, "size", val, 0) < 0) ||
	    fsconfig(fs, FSCONFIG_CMD_CREATE, NULL, NULL, 0) < 0)
		return -errno;
	mnt = fsmount(fs, FSMOUNT_CLOEXEC, attrs);
	return mnt < 0 ? -errno : mnt;
}

static int apply_one(int rootfd, const struct nd_ctr_mount *cm, char *msg, size_t size)
{
	_cleanup_close_ int target = -1, mnt = -1;
	struct stat st;
	bool file = cm->host && stat(cm->host, &st) == 0 && !S_ISDIR(st.st_mode);
	int r;

	if ((target = target_fd(rootfd, cm->m.dst, file, msg, size)) < 0)
		return target;
	if (fstat(target, &st) < 0)
		return fail(msg, size, errno, "mount target '%s': %s", cm->m.dst, strerror(errno));
	if (file != !S_ISDIR(st.st_mode))
		return fail(msg, size, file ? EISDIR : ENOTDIR, "mount '%s' on '%s': %s in the container", cm->host,
			    cm->m.dst, file ? "a file cannot be mounted on a directory" : "a directory cannot be mounted on a file");
	if (cm->seed && (r = seed(target, cm, msg, size)) < 0)
		return r;
	if ((mnt = make_mount(cm)) < 0)
		return fail(msg, size, -mnt, "mount '%s' on '%s': %s", cm->host ? cm->host : "tmpfs", cm->m.dst,
			    strerror(-mnt));
	if (move_mount(mnt, "", target, "", MOVE_MOUNT_F_EMPTY_PATH | MOVE_MOUNT_T_EMPTY_PATH) < 0)
		return fail(msg, size, errno, "mount on '%s': %s", cm->m.dst, strerror(errno));
	return 0;
}

int nd_ctr_mounts_apply(const char *root, const struct nd_ctr_mount *v, size_t n, char *msg, size_t msg_size)
{
	_cleanup_close_ int rootfd = open(root, O_PATH | O_DIRECTORY | O_CLOEXEC);
	int r = 0;

	if (rootfd < 0)
		return fail(msg, msg_size, errno, "'%s': %s", root, strerror(errno));
	for (size_t i = 0; i < n && r >= 0; i++)
		r = apply_one(rootfd, &v[i], msg, msg_size);
	return r;
}

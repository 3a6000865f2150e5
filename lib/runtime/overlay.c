#include "runtime/overlay.h"

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <unistd.h>

#include "base/cleanup.h"

static bool opt_safe(const char *p)
{
	return p && *p == '/' && !strpbrk(p, ",:\\");
}

int nd_ovl_opts(const char *const *lower, size_t n_lower, const char *upper, const char *work, char **ret,
		struct nd_err **err)
{
	size_t len = 64, i;
	char *buf, *w;

	if (n_lower == 0)
		return nd_err_set(err, ND_ERR_BAD_SPEC, EINVAL, "overlay: no lower layer");
	for (i = 0; i < n_lower; i++) {
		if (!opt_safe(lower[i]))
			return nd_err_set(err, ND_ERR_BAD_SPEC, EINVAL,
					  "overlay: layer path '%s' must be absolute, without ',' ':' or '\\'",
					  lower[i] ? lower[i] : "");
		len += strlen(lower[i]) + 1;
	}
	if (!opt_safe(upper) || !opt_safe(work))
		return nd_err_set(err, ND_ERR_BAD_SPEC, EINVAL, "overlay: upper or work path is not usable");
	len += strlen(upper) + strlen(work);
	buf = malloc(len);
	if (!buf)
		return nd_oom(err);
	w = buf + sprintf(buf, "lowerdir=");
	for (i = 0; i < n_lower; i++)
		w += sprintf(w, "%s%s", i ? ":" : "", lower[i]);
	sprintf(w, ",upperdir=%s,workdir=%s", upper, work);
	/* mount(2) copies at most one page of data. */
	if (strlen(buf) >= 4096) {
		free(buf);
		return nd_err_set(err, ND_ERR_BAD_SPEC, E2BIG, "overlay: %zu layers make too long a mount option",
				  n_lower);
	}
	*ret = buf;
	return 0;
}

int nd_ovl_mount(const char *target, const char *opts, unsigned long flags, struct nd_err **err)
{
	if (mount("overlay", target, "overlay", flags, opts) < 0)
		return nd_err_set(err, ND_ERR_SETUP, errno, "overlay mount on '%s': %s", target, strerror(errno));
	return 0;
}

bool nd_ovl_is_whiteout(const struct stat *st)
{
	return S_ISCHR(st->st_mode) && st->st_rdev == makedev(0, 0);
}

int nd_ovl_make_whiteout(int dirfd, const char *name)
{
	if (mknodat(dirfd, name, S_IFCHR | 0, makedev(0, 0)) < 0 && errno != EEXIST)
		return -errno;
	return 0;
}

int nd_ovl_make_opaque(int dirfd)
{
	return fsetxattr(dirfd, ND_OVL_OPAQUE_XATTR, "y", 1, 0) < 0 ? -errno : 0;
}

bool nd_ovl_is_opaque(int dirfd)
{
	char v[2];

	return fgetxattr(dirfd, ND_OVL_OPAQUE_XATTR, v, sizeof(v)) == 1 && v[0] == 'y';
}

static int rm_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)ftw;
	if ((flag == FTW_DP ? rmdir(path) : unlink(path)) < 0 && errno != ENOENT)
		return errno;
	return 0;
}

int nd_rmtree(const char *path, struct nd_err **err)
{
	struct stat st;
	int r;

	if (lstat(path, &st) < 0)
		return errno == ENOENT ? 0 : nd_err_set(err, ND_ERR_INTERNAL, errno, "'%s': %s", path, strerror(errno));
	r = nftw(path, rm_one, 32, FTW_DEPTH | FTW_PHYS | FTW_MOUNT);
	if (r != 0) {
		r = r > 0 ? r : errno;
		return nd_err_set(err, ND_ERR_INTERNAL, r, "remove '%s': %s", path, strerror(r));
	}
	return 0;
}

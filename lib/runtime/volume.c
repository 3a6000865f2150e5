#include "runtime/volume.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "base/cleanup.h"
#include "base/json.h"
#include "base/state.h"
#include "base/strv.h"
#include "runtime/ctrstate.h"
#include "runtime/mounts.h"
#include "runtime/overlay.h"

static char *vol_path(const char *state, const char *name, const char *sub)
{
	char *p = NULL;

	return asprintf(&p, "%s/volumes%s%s%s", state, name ? "/" : "", name ? name : "", sub ? sub : "") < 0 ? NULL : p;
}

char *nd_vol_data(const char *state, const char *name)
{
	return vol_path(state, name, "/_data");
}

/* <state>/volumes/.lock, exclusive: creations, removals and prunes one at a time. */
static int vol_lock(const char *state, int *ret_fd, struct nd_err **err)
{
	_cleanup_free_ char *dir = vol_path(state, NULL, NULL), *lock = vol_path(state, ".lock", NULL);
	int fd, r;

	if (!dir || !lock)
		return nd_oom(err);
	if ((r = nd_state_mkdirs(dir, 0700, err)) < 0)
		return r;
	fd = open(lock, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	if (fd < 0 || flock(fd, LOCK_EX) < 0) {
		r = nd_err_set(err, ND_ERR_INTERNAL, errno, "volume lock '%s': %s", lock, strerror(errno));
		if (fd >= 0)
			close(fd);
		return r;
	}
	*ret_fd = fd;
	return 0;
}

static bool exists(const char *state, const char *name)
{
	_cleanup_free_ char *p = nd_vol_data(state, name);
	struct stat st;

	return p && stat(p, &st) == 0 && S_ISDIR(st.st_mode);
}

/* A new volume: <state>/volumes/.new-<random>/_data, renamed to <name> whole. */
static int vol_make(const char *state, const char *name, bool *ret_created, struct nd_err **err)
{
	_cleanup_free_ char *tmp = NULL, *data = NULL, *path = vol_path(state, name, NULL);
	unsigned int rnd = 0;

	(void)!getrandom(&rnd, sizeof(rnd), 0);
	if (!path || asprintf(&tmp, "%s/volumes/.new-%08x", state, rnd) < 0 || asprintf(&data, "%s/_data", tmp) < 0)
		return nd_oom(err);
	if (mkdir(tmp, 0700) < 0 || mkdir(data, 0755) < 0) {
		int e = errno;

		(void)nd_rmtree(tmp, NULL);
		return nd_err_set(err, ND_ERR_INTERNAL, e, "volume '%s': %s", name, strerror(e));
	}
	if (rename(tmp, path) < 0) {
		int e = errno;

		(void)nd_rmtree(tmp, NULL);
		if (e == EEXIST || e == ENOTEMPTY)
			return 0;
		return nd_err_set(err, ND_ERR_INTERNAL, e, "volume '%s': %s", name, strerror(e));
	}
	if (ret_created)
		*ret_created = true;
	return 0;
}

int nd_vol_create(const char *state, const char *name, bool *ret_created, struct nd_err **err)
{
	_cleanup_close_ int lock = -1;
	int r;

	if (ret_created)
		*ret_created = false;
	if (!nd_mnt_valid_volume_name(name))
		return nd_err_set(err, ND_ERR_BAD_SPEC, EINVAL, "'%s' is not a valid volume name ([a-zA-Z0-9][a-zA-Z0-9_.-]+)",
				  name);
	if ((r = vol_lock(state, &lock, err)) < 0)
		return r;
	if (exists(state, name))
		return 0;
	return vol_make(state, name, ret_created, err);
}

int nd_vol_list(const char *state, char ***ret, struct nd_err **err)
{
	_cleanup_free_ char *dir = vol_path(state, NULL, NULL);

	if (!dir)
		return nd_oom(err);
	return nd_state_list(dir, "", nd_mnt_valid_volume_name, ret, NULL, err);
}

/* Does the container's record mount the volume? */
static bool ctr_uses(const struct nd_ctr *c, const char *name)
{
	for (char **m = c->mounts; m && *m; m++) {
		struct nd_mnt mnt;
		bool same;

		if (nd_mnt_parse(*m, &mnt, NULL) < 0)
			continue;
		same = mnt.type == ND_MNT_VOLUME && !strcmp(mnt.src, name);
		nd_mnt_clear(&mnt);
		if (same)
			return true;
	}
	return false;
}

/* The ids of the containers (any state) whose record names the volume. */
static int users(const char *state, const char *name, char ***ret, struct nd_err **err)
{
	_cleanup_strv_ char **ids = NULL;
	struct nd_strv v = { 0 };
	int r;

	if ((r = nd_ctr_list(state, &ids, err)) < 0)
		return r;
	for (char **id = ids; *id; id++) {
		_cleanup_(nd_ctr_clear) struct nd_ctr c = { 0 };

		if (nd_ctr_load(state, *id, &c, NULL) >= 0 && ctr_uses(&c, name) && nd_strv_push(&v, *id) < 0) {
			nd_strv_clear(&v);
			return nd_oom(err);
		}
	}
	if (!(*ret = nd_strv_take(&v)))
		return nd_oom(err);
	return 0;
}

int nd_vol_inspect(const char *state, const char *name, json_t **ret, struct nd_err **err)
{
	_cleanup_free_ char *data = nd_vol_data(state, name), *dir = vol_path(state, name, NULL);
	_cleanup_strv_ char **ids = NULL;
	char created[64];
	struct stat st;
	struct tm tm;
	int r;

	if (!data || !dir)
		return nd_oom(err);
	if (!nd_mnt_valid_volume_name(name) || stat(dir, &st) < 0 || !exists(state, name))
		return nd_err_set(err, ND_ERR_NOT_FOUND, ENOENT, "no such volume: '%s'", name);
	if ((r = users(state, name, &ids, err)) < 0)
		return r;
	gmtime_r(&st.st_mtime, &tm);
	strftime(created, sizeof(created), "%Y-%m-%dT%H:%M:%SZ", &tm);
	*ret = json_pack("{s:s, s:s, s:s, s:s, s:s, s:{}, s:{}, s:o}", "Name", name, "Driver", "local", "Mountpoint", data,
			 "CreatedAt", created, "Scope", "local", "Labels", "Options", "UsedBy", nd_json_from_strv(ids));
	return *ret ? 0 : nd_oom(err);
}

/* With the lock held: refuse a volume in use, else take it away in one rename, then its files. */
static int remove_locked(const char *state, const char *name, struct nd_err **err)
{
	_cleanup_free_ char *path = vol_path(state, name, NULL), *gone = NULL;
	_cleanup_strv_ char **ids = NULL;
	int r;

	if (!path || asprintf(&gone, "%s/volumes/.%s.removing", state, name) < 0)
		return nd_oom(err);
	if (!nd_mnt_valid_volume_name(name) || !exists(state, name))
		return nd_err_set(err, ND_ERR_NOT_FOUND, ENOENT, "no such volume: '%s'", name);
	if ((r = users(state, name, &ids, err)) < 0)
		return r;
	if (ids[0])
		return nd_err_set(err, ND_ERR_BUSY, EBUSY, "volume '%s' is in use by container %.12s", name, ids[0]);
	if (rename(path, gone) < 0)
		return nd_err_set(err, ND_ERR_INTERNAL, errno, "volume '%s': %s", name, strerror(errno));
	return nd_rmtree(gone, err);
}

int nd_vol_remove(const char *state, const char *name, struct nd_err **err)
{
	_cleanup_close_ int lock = -1;
	int r;

	if ((r = vol_lock(state, &lock, err)) < 0)
		return r;
	return remove_locked(state, name, err);
}

int nd_vol_prune(const char *state, char ***ret, struct nd_err **err)
{
	_cleanup_strv_ char **names = NULL;
	_cleanup_close_ int lock = -1;
	struct nd_strv done = { 0 };
	int r;

	if ((r = vol_lock(state, &lock, err)) < 0 || (r = nd_vol_list(state, &names, err)) < 0)
		return r;
	for (char **n = names; n && *n; n++) {
		_cleanup_err_ struct nd_err *e = NULL;

		if (remove_locked(state, *n, &e) < 0)
			continue; /* in use (or going): left */
		if (nd_strv_push(&done, *n) < 0) {
			nd_strv_clear(&done);
			return nd_oom(err);
		}
	}
	if (!(*ret = nd_strv_take(&done)))
		return nd_oom(err);
	return 0;
}

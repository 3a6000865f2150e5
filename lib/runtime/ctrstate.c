#include "runtime/ctrstate.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/cleanup.h"
#include "base/json.h"
#include "base/proc.h"
#include "base/state.h"
#include "base/strv.h"


void nd_ctr_clear(struct nd_ctr *c)
{
	free(c->name);
	free(c->hostname);
	nd_strv_free(c->argv);
	nd_strv_free(c->env);
	free(c->cwd);
	free(c->user);
	free(c->net);
	free(c->network);
	free(c->netns);
	free(c->ip);
	nd_strv_free(c->ips);
	free(c->image);
	free(c->rootfs);
	nd_strv_free(c->lower);
	free(c->cg_parent);
	free(c->seccomp);
	free(c->status);
	memset(c, 0, sizeof(*c));
}

int nd_ctr_set_status(struct nd_ctr *c, const char *status, struct nd_err **err)
{
	char *s = strdup(status);

	if (!s)
		return nd_oom(err);
	free(c->status);
	c->status = s;
	return 0;
}

char *nd_ctr_dir(const char *state, const char *id)
{
	char *p = NULL;

	if (asprintf(&p, "%s/containers/%s", state, id) < 0)
		return NULL;
	return p;
}

bool nd_ctr_exists(const char *state, const char *id)
{
	_cleanup_free_ char *dir = nd_ctr_dir(state, id);

	return dir && access(dir, F_OK) == 0;
}

int nd_ctr_new_id(char ret[ND_CTR_ID_LEN + 1], struct nd_err **err)
{
	unsigned char b[ND_CTR_ID_LEN / 2];

	if (getrandom(b, sizeof(b), 0) != (ssize_t)sizeof(b))
		return nd_err_set(err, ND_ERR_INTERNAL, errno, "getrandom: %s", strerror(errno));
	for (size_t i = 0; i < sizeof(b); i++)
		sprintf(ret + 2 * i, "%02x", b[i]);
	/* Docker avoids all-digit short ids (they read as numbers); so do we. */
	if (strspn(ret, "0123456789") >= ND_CTR_SHORT)
		ret[0] = 'a';
	return 0;
}

bool nd_ctr_valid_name(const char *s)
{
	size_t n = s ? strlen(s) : 0;

	if (n == 0 || n > 64)
		return false;
	for (size_t i = 0; i < n; i++) {
		char c = s[i];
		bool alnum = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');

		if (!alnum && (i == 0 || (c != '_' && c != '.' && c != '-')))
			return false;
	}
	return true;
}

static json_t *jstr(const char *s)
{
	return s ? json_string(s) : json_null();
}

static char *gstr(json_t *o, const char *k)
{
	const char *s = json_string_value(json_object_get(o, k));

	return s ? strdup(s) : NULL;
}

static char **gstrv(json_t *o, const char *k)
{
	char **v = NULL;

	return nd_json_to_strv(json_object_get(o, k), &v) < 0 ? NULL : v;
}

int nd_ctr_save(const char *state, const struct nd_ctr *c, struct nd_err **err)
{
	_cleanup_(json_decrefp) json_t *j = json_object();
	json_t *lim = json_pack("{s:I, s:I, s:I}", "memory", (json_int_t)c->limits.memory, "cpuQuota",
				(json_int_t)c->limits.cpu_quota, "pids", (json_int_t)c->limits.pids);
	_cleanup_free_ char *dir = nd_ctr_dir(state, c->id), *data = NULL, *path = NULL;

	if (!j || !dir || !lim) {
		json_decref(lim);
		return nd_oom(err);
	}
	json_object_set_new(j, "id", json_string(c->id));
	json_object_set_new(j, "name", jstr(c->name));
	json_object_set_new(j, "hostname", jstr(c->hostname));
	json_object_set_new(j, "argv", nd_json_from_strv(c->argv));
	json_object_set_new(j, "env", nd_json_from_strv(c->env));
	json_object_set_new(j, "cwd", jstr(c->cwd));
	json_object_set_new(j, "user", jstr(c->user));
	json_object_set_new(j, "net", jstr(c->net));
	json_object_set_new(j, "network", jstr(c->network));
	json_object_set_new(j, "netns", jstr(c->netns));
	json_object_set_new(j, "ip", jstr(c->ip));
	json_object_set_new(j, "ips", nd_json_from_strv(c->ips));
	json_object_set_new(j, "image", jstr(c->image));
	json_object_set_new(j, "rootfs", jstr(c->rootfs));
	json_object_set_new(j, "lower", nd_json_from_strv(c->lower));
	json_object_set_new(j, "cgroupParent", jstr(c->cg_parent));
	json_object_set_new(j, "seccomp", jstr(c->seccomp));
	json_object_set_new(j, "status", jstr(c->status));
	json_object_set_new(j, "limits", lim);
	json_object_set_new(j, "userns", json_boolean(c->userns));
	json_object_set_new(j, "autoRemove", json_boolean(c->auto_rm));
	json_object_set_new(j, "detach", json_boolean(c->detach));
	json_object_set_new(j, "pid", json_integer(c->pid));
	json_object_set_new(j, "pidStart", json_integer((json_int_t)c->pid_start));
	json_object_set_new(j, "exitCode", c->status && !strcmp(c->status, "exited") ? json_integer(c->exit_code)
										     : json_null());
	json_object_set_new(j, "oom", json_boolean(c->oom));
	json_object_set_new(j, "created", json_integer(c->created));
	json_object_set_new(j, "finished", json_integer(c->finished));
	data = json_dumps(j, JSON_INDENT(1) | JSON_SORT_KEYS);
	if (!data || asprintf(&path, "%s/config.json", dir) < 0)
		return nd_oom(err);
	/*
	 * Whole or absent against a killed writer; no fsync: a container does not outlive a
	 * reboot, and an fsync would cost more than the rest of a container's start.
	 */
	return nd_state_write_volatile(path, data, strlen(data), err) < 0 ? nd_err_wrap(err, "container record") : 0;
}

int nd_ctr_load(const char *state, const char *id, struct nd_ctr *ret, struct nd_err **err)
{
	_cleanup_free_ char *dir = nd_ctr_dir(state, id), *path = NULL;
	_cleanup_(json_decrefp) json_t *j = NULL;
	json_t *lim;
	json_error_t je;
	struct nd_ctr c = { 0 };

	if (!dir || asprintf(&path, "%s/config.json", dir) < 0)
		return nd_oom(err);
	j = json_load_file(path, 0, &je);
	if (!j) {
		if (access(path, F_OK) < 0 && errno == ENOENT)
			return nd_err_set(err, ND_ERR_NO_CONTAINER, ENOENT, "no such container: '%s'", id);
		return nd_err_set(err, ND_ERR_INTERNAL, EBADMSG, "container record '%s': %s", path, je.text);
	}
	snprintf(c.id, sizeof(c.id), "%s", id);
	c.name = gstr(j, "name");
	c.hostname = gstr(j, "hostname");
	c.argv = gstrv(j, "argv");
	c.env = gstrv(j, "env");
	c.cwd = gstr(j, "cwd");
	c.user = gstr(j, "user");
	c.net = gstr(j, "net");
	c.network = gstr(j, "network");
	c.netns = gstr(j, "netns");
	c.ip = gstr(j, "ip");
	c.ips = gstrv(j, "ips");
	c.image = gstr(j, "image");
	c.rootfs = gstr(j, "rootfs");
	c.lower = gstrv(j, "lower");
	c.cg_parent = gstr(j, "cgroupParent");
	c.seccomp = gstr(j, "seccomp");
	c.status = gstr(j, "status");
	lim = json_object_get(j, "limits");
	c.limits.memory = (uint64_t)json_integer_value(json_object_get(lim, "memory"));
	c.limits.cpu_quota = (uint64_t)json_integer_value(json_object_get(lim, "cpuQuota"));
	c.limits.pids = (int64_t)json_integer_value(json_object_get(lim, "pids"));
	c.userns = json_is_true(json_object_get(j, "userns"));
	c.auto_rm = json_is_true(json_object_get(j, "autoRemove"));
	c.detach = json_is_true(json_object_get(j, "detach"));
	c.pid = (pid_t)json_integer_value(json_object_get(j, "pid"));
	c.pid_start = (unsigned long long)json_integer_value(json_object_get(j, "pidStart"));
	c.exit_code = (int)json_integer_value(json_object_get(j, "exitCode"));
	c.oom = json_is_true(json_object_get(j, "oom"));
	c.created = (long long)json_integer_value(json_object_get(j, "created"));
	c.finished = (long long)json_integer_value(json_object_get(j, "finished"));
	if (!c.argv || !c.status) {
		nd_ctr_clear(&c);
		return nd_err_set(err, ND_ERR_INTERNAL, EBADMSG, "container record '%s' is incomplete", path);
	}
	*ret = c;
	return 0;
}

static bool is_hex(const char *s)
{
	return *s && strspn(s, "0123456789abcdef") == strlen(s);
}

int nd_ctr_resolve(const char *state, const char *ref, char ret[ND_CTR_ID_LEN + 1], struct nd_err **err)
{
	_cleanup_free_ char *path = NULL, *cdir = NULL;
	char target[ND_CTR_ID_LEN + 2], found[ND_CTR_ID_LEN + 1] = "";
	struct dirent *e;
	ssize_t n;
	size_t len = ref ? strlen(ref) : 0;
	int matches = 0;
	DIR *d;

	if (!ref || !*ref)
		return nd_err_set(err, ND_ERR_NO_CONTAINER, EINVAL, "container id or name is empty");
	if (nd_ctr_valid_name(ref)) {
		if (asprintf(&path, "%s/names/%s", state, ref) < 0)
			return nd_oom(err);
		n = readlink(path, target, sizeof(target) - 1);
		if (n == ND_CTR_ID_LEN) {
			target[n] = 0;
			memcpy(ret, target, ND_CTR_ID_LEN + 1);
			return 0;
		}
	}
	if (!is_hex(ref) || len > ND_CTR_ID_LEN)
		return nd_err_set(err, ND_ERR_NO_CONTAINER, ENOENT, "no such container: '%s'", ref);
	if (asprintf(&cdir, "%s/containers", state) < 0)
		return nd_oom(err);
	d = opendir(cdir);
	while (d && (e = readdir(d)))
		if (strlen(e->d_name) == ND_CTR_ID_LEN && !strncmp(e->d_name, ref, len)) {
			matches++;
			memcpy(found, e->d_name, ND_CTR_ID_LEN + 1); /* length checked above */
		}
	if (d)
		closedir(d);
	if (matches == 0)
		return nd_err_set(err, ND_ERR_NO_CONTAINER, ENOENT, "no such container: '%s'", ref);
	if (matches > 1)
		return nd_err_set(err, ND_ERR_NO_CONTAINER, EINVAL, "container id prefix '%s' is ambiguous", ref);
	memcpy(ret, found, ND_CTR_ID_LEN + 1);
	return 0;
}

int nd_ctr_find(const char *state, const char *ref, struct nd_ctr *ret, struct nd_err **err)
{
	char id[ND_CTR_ID_LEN + 1];
	int r = nd_ctr_resolve(state, ref, id, err);

	return r < 0 ? r : nd_ctr_load(state, id, ret, err);
}

int nd_ctr_name_take(const char *state, const char *name, const char *id, struct nd_err **err)
{
	_cleanup_free_ char *dir = NULL, *path = NULL;

	if (!nd_ctr_valid_name(name))
		return nd_err_set(err, ND_ERR_BAD_SPEC, EINVAL, "container name '%s' is invalid", name ? name : "");
	if (asprintf(&dir, "%s/names", state) < 0 || asprintf(&path, "%s/%s", dir, name) < 0)
		return nd_oom(err);
	if (mkdir(dir, 0700) < 0 && errno != EEXIST)
		return nd_err_set(err, ND_ERR_INTERNAL, errno, "'%s': %s", dir, strerror(errno));
	if (symlink(id, path) < 0) {
		if (errno == EEXIST)
			return nd_err_set(err, ND_ERR_EXISTS, EEXIST, "container name '%s' is already in use", name);
		return nd_err_set(err, ND_ERR_INTERNAL, errno, "'%s': %s", path, strerror(errno));
	}
	return 0;
}

void nd_ctr_name_drop(const char *state, const char *name, const char *id)
{
	_cleanup_free_ char *path = NULL;
	char target[ND_CTR_ID_LEN + 2];
	ssize_t n;

	if (!name || !nd_ctr_valid_name(name) || asprintf(&path, "%s/names/%s", state, name) < 0)
		return;
	n = readlink(path, target, sizeof(target) - 1);
	if (n == ND_CTR_ID_LEN && !memcmp(target, id, ND_CTR_ID_LEN))
		(void)unlink(path);
}

struct ent {
	char *id;
	struct timespec t;
};

static int cmp_ent(const void *a, const void *b)
{
	const struct ent *x = a, *y = b;

	if (x->t.tv_sec != y->t.tv_sec)
		return x->t.tv_sec < y->t.tv_sec ? -1 : 1;
	if (x->t.tv_nsec != y->t.tv_nsec)
		return x->t.tv_nsec < y->t.tv_nsec ? -1 : 1;
	return strcmp(x->id, y->id);
}

int nd_ctr_list(const char *state, char ***ret, struct nd_err **err)
{
	_cleanup_free_ char *cdir = NULL;
	_cleanup_free_ struct ent *v = NULL;
	size_t n = 0;
	struct dirent *e;
	char **out;
	DIR *d;

	if (asprintf(&cdir, "%s/containers", state) < 0)
		return nd_oom(err);
	d = opendir(cdir);
	while (d && (e = readdir(d))) {
		struct stat st;
		struct ent *nv;

		if (strlen(e->d_name) != ND_CTR_ID_LEN || !is_hex(e->d_name) ||
		    fstatat(dirfd(d), e->d_name, &st, 0) < 0)
			continue;
		if (!(nv = realloc(v, (n + 1) * sizeof(*v))))
			break;
		v = nv;
		v[n].id = strdup(e->d_name);
		v[n++].t = st.st_ctim;
	}
	if (d)
		closedir(d);
	/* v is NULL when there is no container, and qsort must not be given NULL. */
	if (n)
		qsort(v, n, sizeof(*v), cmp_ent);
	out = calloc(n + 1, sizeof(*out));
	if (!out) {
		for (size_t i = 0; i < n; i++)
			free(v[i].id);
		return nd_oom(err);
	}
	for (size_t i = 0; i < n; i++)
		out[i] = v[i].id;
	*ret = out;
	return 0;
}

static int lock_path(const char *state, const char *id, char **ret)
{
	return asprintf(ret, "%s/containers/%s/lock", state, id) < 0 ? -ENOMEM : 0;
}

int nd_ctr_lock(const char *state, const char *id, bool wait, int *ret_fd, struct nd_err **err)
{
	_cleanup_free_ char *path = NULL;
	_cleanup_close_ int fd = -1;

	if (lock_path(state, id, &path) < 0)
		return nd_oom(err);
	fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	if (fd < 0)
		return nd_err_set(err, ND_ERR_INTERNAL, errno, "lock '%s': %s", path, strerror(errno));
	while (flock(fd, LOCK_EX | (wait ? 0 : LOCK_NB)) < 0) {
		if (errno == EINTR)
			continue;
		if (errno == EWOULDBLOCK)
			return nd_err_set(err, ND_ERR_RUNNING, EBUSY, "container %.12s is running", id);
		return nd_err_set(err, ND_ERR_INTERNAL, errno, "lock '%s': %s", path, strerror(errno));
	}
	*ret_fd = TAKE_FD(fd);
	return 0;
}

bool nd_ctr_monitored(const char *state, const char *id)
{
	_cleanup_free_ char *path = NULL;
	_cleanup_close_ int fd = -1;

	if (lock_path(state, id, &path) < 0)
		return false;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return false;
	if (flock(fd, LOCK_SH | LOCK_NB) < 0)
		return errno == EWOULDBLOCK;
	return false;
}

int nd_ctr_pidfd(const char *state, const struct nd_ctr *c, int *ret_fd, struct nd_err **err)
{
	if (!nd_ctr_monitored(state, c->id) || nd_proc_pidfd(c->pid, c->pid_start, ret_fd) < 0)
		return nd_err_set(err, ND_ERR_NOT_RUNNING, ESRCH, "container %.12s is not running", c->id);
	return 0;
}

const char *nd_ctr_status(const char *state, const struct nd_ctr *c, char *buf, size_t size)
{
	if (nd_ctr_monitored(state, c->id))
		return !strcmp(c->status, "running") ? "running" : "created";
	if (!strcmp(c->status, "exited")) {
		snprintf(buf, size, "exited (%d)%s", c->exit_code, c->oom ? " oom" : "");
		return buf;
	}
	return "dead";
}

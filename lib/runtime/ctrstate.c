#include "runtime/ctrstate.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <limits.h>
#include <stddef.h>
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


/* The record's string and string-vector fields by JSON key: clear, save and load read this one list. */
struct field {
	const char *key;
	size_t off;
};
#define FIELD(key, member) { key, offsetof(struct nd_ctr, member) }
static const struct field strs[] = {
	FIELD("name", name),	     FIELD("hostname", hostname), FIELD("cwd", cwd),	     FIELD("user", user),
	FIELD("net", net),	     FIELD("network", network),	  FIELD("netns", netns),     FIELD("ip", ip),
	FIELD("image", image),	     FIELD("rootfs", rootfs),	  FIELD("cgroupParent", cg_parent),
	FIELD("seccomp", seccomp), FIELD("status", status),
	FIELD("seccompProfile", seccomp_profile), FIELD("stopSignal", stop_signal), FIELD("entrypoint", entrypoint),
	FIELD("restartPolicy", restart),
};
static const struct field strvs[] = { FIELD("argv", argv), FIELD("env", env), FIELD("ips", ips), FIELD("lower", lower),
				      FIELD("ports", ports), FIELD("aliases", aliases), FIELD("dns", dns),
				      FIELD("capAdd", cap_add), FIELD("capDrop", cap_drop), FIELD("labels", labels),
				      FIELD("ulimits", ulimits), FIELD("sysctls", sysctls), FIELD("groupAdd", group_add),
				      FIELD("devices", devices), FIELD("mounts", mounts) };

static char **str_at(const struct nd_ctr *c, const struct field *f)
{
	return (char **)((const char *)c + f->off);
}

static char ***strv_at(const struct nd_ctr *c, const struct field *f)
{
	return (char ***)((const char *)c + f->off);
}

void nd_ctr_clear(struct nd_ctr *c)
{
	for (size_t i = 0; i < ND_ARRAY_SIZE(strs); i++)
		free(*str_at(c, &strs[i]));
	for (size_t i = 0; i < ND_ARRAY_SIZE(strvs); i++)
		nd_strv_free(*strv_at(c, &strvs[i]));
	free((void *)c->limits.devices);
	*c = (struct nd_ctr){ 0 };
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

/* The record as JSON, or NULL when out of memory. */
static json_t *record_json(const struct nd_ctr *c)
{
	bool exited = c->status && !strcmp(c->status, "exited");
	json_t *j = json_pack("{s:s, s:{s:I, s:I, s:I}, s:b, s:b, s:b, s:i, s:I, s:o, s:b, s:I, s:I}", "id", c->id,
			      "limits", "memory", (json_int_t)c->limits.memory, "cpuQuota", (json_int_t)c->limits.cpu_quota,
			      "pids", (json_int_t)c->limits.pids, "userns", c->userns, "autoRemove", c->auto_rm, "detach",
			      c->detach, "pid", (int)c->pid, "pidStart", (json_int_t)c->pid_start, "exitCode",
			      exited ? json_integer(c->exit_code) : json_null(), "oom", c->oom, "created",
			      (json_int_t)c->created, "finished", (json_int_t)c->finished);
	bool bad = !j;

	if (!bad)
		bad = json_object_set_new(j, "init", json_boolean(c->init)) < 0 ||
		      json_object_set_new(j, "privileged", json_boolean(c->privileged)) < 0 ||
		      json_object_set_new(j, "stopTimeout", c->stop_timeout >= 0 ? json_integer(c->stop_timeout) : json_null()) < 0 ||
		      json_object_set_new(j, "shmSize", json_integer((json_int_t)c->shm_size)) < 0 ||
		      json_object_set_new(json_object_get(j, "limits"), "memorySwap", json_integer((json_int_t)c->limits.memory_swap)) < 0 ||
		      json_object_set_new(json_object_get(j, "limits"), "cpuShares", json_integer((json_int_t)c->limits.cpu_shares)) < 0;
	/* A string JSON cannot hold (not UTF-8: json_string refuses it) is recorded as null. */
	for (size_t i = 0; !bad && i < ND_ARRAY_SIZE(strs); i++) {
		const char *s = *str_at(c, &strs[i]);
		json_t *v = s ? json_string(s) : NULL;

		bad = json_object_set_new(j, strs[i].key, v ? v : json_null()) < 0;
	}
	for (size_t i = 0; !bad && i < ND_ARRAY_SIZE(strvs); i++)
		bad = json_object_set_new(j, strvs[i].key, nd_json_from_strv(*strv_at(c, &strvs[i]))) < 0;
	if (!bad)
		bad = json_object_set_new(j, "readOnly", json_boolean(c->read_only)) < 0;
	if (!bad)
		bad = json_object_set_new(j, "restartCount", json_integer(c->restart_count)) < 0;
	if (!bad)
		bad = json_object_set_new(j, "tty", json_boolean(c->tty)) < 0;
	if (!bad)
		bad = json_object_set_new(j, "logOpts", json_pack("{s:I, s:i}", "maxSize", (json_int_t)c->log_max_size,
								   "maxFile", (int)c->log_max_file)) < 0;
	if (bad) {
		json_decref(j);
		return NULL;
	}
	return j;
}

json_t *nd_ctr_json(const struct nd_ctr *c)
{
	return record_json(c);
}

int nd_ctr_save(const char *state, const struct nd_ctr *c, struct nd_err **err)
{
	_cleanup_json_ json_t *j = record_json(c);
	_cleanup_free_ char *data = j ? json_dumps(j, JSON_INDENT(1) | JSON_SORT_KEYS) : NULL, *path = NULL;

	if (!data || asprintf(&path, "%s/containers/%s/config.json", state, c->id) < 0)
		return nd_oom(err);
	/*
	 * Whole or absent against a killed writer; no fsync: a container does not outlive a
	 * reboot, and an fsync would cost more than the rest of a container's start.
	 */
	return nd_state_write_volatile(path, data, strlen(data), err) < 0 ? nd_err_wrap(err, "container record") : 0;
}

static long long jint(json_t *o, const char *key)
{
	return (long long)json_integer_value(json_object_get(o, key));
}

static bool jbool(json_t *o, const char *key)
{
	return json_is_true(json_object_get(o, key));
}

/* A parsed record's fields into c (id aside); -ENOMEM when a copy could not be made. */
static int record_of(json_t *j, struct nd_ctr *c)
{
	json_t *lim = json_object_get(j, "limits");
	int r = 0;

	for (size_t i = 0; i < ND_ARRAY_SIZE(strs); i++) {
		const char *s = json_string_value(json_object_get(j, strs[i].key));

		if (s && !(*str_at(c, &strs[i]) = strdup(s)))
			r = -ENOMEM;
	}
	for (size_t i = 0; i < ND_ARRAY_SIZE(strvs); i++)
		if (nd_json_to_strv(json_object_get(j, strvs[i].key), strv_at(c, &strvs[i])) == -ENOMEM)
			r = -ENOMEM;
	c->limits.memory = (uint64_t)jint(lim, "memory");
	c->limits.cpu_quota = (uint64_t)jint(lim, "cpuQuota");
	c->limits.pids = (int64_t)jint(lim, "pids");
	c->userns = jbool(j, "userns");
	c->auto_rm = jbool(j, "autoRemove");
	c->detach = jbool(j, "detach");
	c->pid = (pid_t)jint(j, "pid");
	c->pid_start = (unsigned long long)jint(j, "pidStart");
	c->exit_code = (int)jint(j, "exitCode");
	c->oom = jbool(j, "oom");
	c->created = jint(j, "created");
	c->finished = jint(j, "finished");
	c->init = jbool(j, "init");
	c->privileged = c->limits.all_devices = jbool(j, "privileged");
	c->stop_timeout = json_is_integer(json_object_get(j, "stopTimeout")) ? (int)jint(j, "stopTimeout") : -1;
	c->shm_size = (unsigned long long)jint(j, "shmSize");
	c->limits.memory_swap = (uint64_t)jint(lim, "memorySwap");
	c->limits.cpu_shares = (uint64_t)jint(lim, "cpuShares");
	c->read_only = jbool(j, "readOnly");
	c->restart_count = (int)jint(j, "restartCount");
	c->tty = jbool(j, "tty");
	c->log_max_size = (uint64_t)jint(json_object_get(j, "logOpts"), "maxSize");
	c->log_max_file = (unsigned)jint(json_object_get(j, "logOpts"), "maxFile");
	return r;
}

int nd_ctr_load(const char *state, const char *id, struct nd_ctr *ret, struct nd_err **err)
{
	_cleanup_(nd_ctr_clear) struct nd_ctr c = { 0 };
	_cleanup_free_ char *path = NULL;
	_cleanup_json_ json_t *j = NULL;
	json_error_t je;

	if (asprintf(&path, "%s/containers/%s/config.json", state, id) < 0)
		return nd_oom(err);
	if (!(j = json_load_file(path, 0, &je))) {
		if (access(path, F_OK) < 0 && errno == ENOENT)
			return nd_err_set(err, ND_ERR_NO_CONTAINER, ENOENT, "no such container: '%s'", id);
		return nd_err_set(err, ND_ERR_INTERNAL, EBADMSG, "container record '%s': %s", path, je.text);
	}
	snprintf(c.id, sizeof(c.id), "%s", id);
	if (record_of(j, &c) < 0)
		return nd_oom(err);
	if (!c.argv || !c.status)
		return nd_err_set(err, ND_ERR_INTERNAL, EBADMSG, "container record '%s' is incomplete", path);
	*ret = c;
	c = (struct nd_ctr){ 0 };
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

	/* The user's word in the message, not the 64-hex id it resolved to. */
	if (r >= 0 && (r = nd_ctr_load(state, id, ret, NULL)) == -ENOENT)
		return nd_err_set(err, ND_ERR_NO_CONTAINER, ENOENT, "no such container: '%s'", ref);
	return r < 0 ? nd_ctr_load(state, id, ret, err) : r;
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
	char id[ND_CTR_ID_LEN + 1];
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

/* The records' directories with the time each was made. */
static int list_ents(const char *state, struct ent **ret, size_t *ret_n)
{
	_cleanup_free_ char *cdir = NULL;
	struct ent *v = NULL, *nv;
	struct dirent *e;
	size_t n = 0;
	DIR *d;

	if (asprintf(&cdir, "%s/containers", state) < 0)
		return -ENOMEM;
	d = opendir(cdir);
	while (d && (e = readdir(d))) {
		struct stat st;

		if (strlen(e->d_name) != ND_CTR_ID_LEN || !is_hex(e->d_name) || fstatat(dirfd(d), e->d_name, &st, 0) < 0)
			continue;
		if (!(nv = realloc(v, (n + 1) * sizeof(*v)))) {
			closedir(d);
			free(v);
			return -ENOMEM;
		}
		v = nv;
		memcpy(v[n].id, e->d_name, sizeof(v[n].id));
		v[n++].t = st.st_ctim;
	}
	if (d)
		closedir(d);
	*ret = v;
	*ret_n = n;
	return 0;
}

int nd_ctr_list(const char *state, char ***ret, struct nd_err **err)
{
	_cleanup_free_ struct ent *v = NULL;
	struct nd_strv out = { 0 };
	size_t n = 0;
	int r = list_ents(state, &v, &n);

	/* v is NULL when there is no container, and qsort must not be given NULL. */
	if (r >= 0 && n)
		qsort(v, n, sizeof(*v), cmp_ent);
	for (size_t i = 0; r >= 0 && i < n; i++)
		r = nd_strv_push(&out, v[i].id);
	if (r < 0 || !(*ret = nd_strv_take(&out))) {
		nd_strv_clear(&out);
		return nd_oom(err);
	}
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
		return c->name ? nd_err_set(err, ND_ERR_NOT_RUNNING, ESRCH, "container '%s' is not running", c->name)
			       : nd_err_set(err, ND_ERR_NOT_RUNNING, ESRCH, "container %.12s is not running", c->id);
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

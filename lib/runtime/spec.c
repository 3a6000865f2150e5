#include "runtime/spec.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "base/cleanup.h"
#include "base/state.h"
#include "base/strv.h"
#include "runtime/cgroup.h"
#include "runtime/ctrlog.h"
#include "runtime/mounts.h"

#define DEFAULT_PATH "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

bool nd_spec_needs_images(const struct nd_run_spec *s)
{
	return s->image || (s->layers && s->layers[0]);
}

int nd_spec_check(const struct nd_run_spec *s, struct nd_err **err)
{
	const char *net = s->net;

	if (!s->rootfs == !s->image)
		return nd_err_set(err, ND_ERR_BAD_SPEC, EINVAL, "give exactly one of --rootfs and --image");
	if (s->rootfs && s->n_args == 0)
		return nd_err_set(err, ND_ERR_BAD_SPEC, EINVAL, "no command given");
	if (s->ip && net && (!strcmp(net, "host") || !strcmp(net, "none") || !strncmp(net, "container:", 10)))
		return nd_err_set(err, ND_ERR_BAD_SPEC, EINVAL, "--ip needs a network (bridge or a named one)");
	return 0;
}

static int dup_or_null(const char *s, char **ret)
{
	return s && !(*ret = strdup(s)) ? -ENOMEM : 0;
}

/* The record's own fields: names, network choice, cgroup parent, flags. */
static int fields_of(const struct nd_run_spec *s, struct nd_ctr *c, struct nd_err **err)
{
	const char *env_parent = getenv("NETD_CGROUP_PARENT");
	const char *parent = s->cgroup_parent ? s->cgroup_parent : env_parent && *env_parent ? env_parent : "netd";

	c->hostname = s->hostname ? strdup(s->hostname) : strndup(c->id, ND_CTR_SHORT);
	if (!c->hostname || dup_or_null(s->net ? s->net : "bridge", &c->net) < 0 || dup_or_null(s->ip, &c->ip) < 0 ||
	    dup_or_null(s->name, &c->name) < 0 || dup_or_null(parent, &c->cg_parent) < 0 ||
	    dup_or_null(s->seccomp_unconfined ? "unconfined" : "default", &c->seccomp) < 0 ||
	    dup_or_null("created", &c->status) < 0)
		return nd_oom(err);
	c->userns = s->userns;
	c->auto_rm = s->rm;
	c->detach = s->detach;
	c->created = (long long)time(NULL);
	return 0;
}

static int limits_of(const struct nd_run_spec *s, struct nd_cg_limits *l, struct nd_err **err)
{
	if (s->memory && nd_cg_parse_size(s->memory, &l->memory, err) < 0)
		return nd_err_wrap(err, "--memory");
	if (s->cpus && nd_cg_parse_cpus(s->cpus, &l->cpu_quota, err) < 0)
		return nd_err_wrap(err, "--cpus");
	if (s->pids) {
		char *end;
		long long v = strtoll(s->pids, &end, 10);

		if (*end || v < 1 || v > (1LL << 30))
			return nd_err_set(err, ND_ERR_BAD_SPEC, EINVAL, "--pids-limit '%s' is invalid", s->pids);
		l->pids = v;
	}
	return 0;
}

/* --rootfs: one read-only layer, the directory itself, and the command as given. */
static int rootfs_image(const struct nd_run_spec *s, struct nd_ctr *c, struct nd_image *img, struct nd_err **err)
{
	struct nd_strv lower = { 0 }, argv = { 0 };
	char buf[PATH_MAX];
	struct stat st;
	int e = 0;

	if (!realpath(s->rootfs, buf) || stat(buf, &st) < 0)
		e = errno;
	else if (!S_ISDIR(st.st_mode))
		e = ENOTDIR;
	if (e) {
		nd_image_file_err(err, e, s->rootfs);
		return nd_err_wrap(err, "--rootfs");
	}
	if (!(c->rootfs = strdup(buf)) || nd_strv_push(&lower, buf) < 0)
		goto oom;
	for (size_t i = 0; i < s->n_args; i++)
		if (nd_strv_push(&argv, s->args[i]) < 0)
			goto oom;
	img->lower = nd_strv_take(&lower);
	img->argv = nd_strv_take(&argv);
	if (img->lower && img->argv)
		return 0;
oom:
	nd_strv_clear(&lower);
	nd_strv_clear(&argv);
	return nd_oom(err);
}

/* The layers, bottom first: the rootfs or the image's, then each --layer tar. */
static int layers_of(const struct nd_run_spec *s, struct nd_ctr *c, struct nd_image *img, struct nd_err **err)
{
	_cleanup_free_ char *store = NULL;
	struct nd_strv lower;
	int r;

	if (nd_spec_needs_images(s) && !s->images)
		return nd_err_set(err, ND_ERR_INTERNAL, ENOTSUP, "images and layer tars need bin/netd-oci");
	if (asprintf(&store, "%s/layers", s->state) < 0)
		return nd_oom(err);
	if ((r = nd_state_mkdirs(s->state, 0700, err)) < 0)
		return r;
	if (s->rootfs)
		r = rootfs_image(s, c, img, err);
	else if ((r = s->images->open(s->image, store, s->args, s->n_args, img, err)) >= 0 &&
		 !(c->image = strdup(s->image)))
		r = nd_oom(err);
	lower = (struct nd_strv){ .v = img->lower, .n = nd_strv_len(img->lower) };
	for (char *const *t = s->layers; r >= 0 && t && *t; t++) {
		_cleanup_free_ char *dir = NULL;

		if ((r = s->images->layer(*t, store, &dir, err)) < 0)
			r = nd_err_wrap(err, "--layer '%s'", *t);
		else if ((r = nd_strv_push(&lower, dir)) < 0)
			r = nd_oom(err);
	}
	img->lower = lower.v;
	return r;
}

/* The layers top first, as overlayfs wants them. */
static int lower_of(char **bottom_first, char ***ret, struct nd_err **err)
{
	size_t n = nd_strv_len(bottom_first);
	char **v = calloc(n + 1, sizeof(*v));

	if (!v)
		return nd_oom(err);
	for (size_t i = 0; i < n; i++)
		if (!(v[i] = strdup(bottom_first[n - 1 - i]))) {
			nd_strv_free(v);
			return nd_oom(err);
		}
	*ret = v;
	return 0;
}

/* The image's environment, then the defaults, then -e; HOME last, if still unset. */
static int env_of(const struct nd_run_spec *s, const struct nd_image *img, struct nd_ctr *c, struct nd_err **err)
{
	struct nd_strv env = { 0 };
	_cleanup_free_ char *host = NULL;
	int r = asprintf(&host, "HOSTNAME=%s", c->hostname) < 0 ? -ENOMEM : 0;

	for (char **e = img->env; r >= 0 && e && *e; e++)
		r = nd_env_set(&env, *e);
	if (r >= 0 && !nd_env_has(&env, "PATH"))
		r = nd_env_set(&env, DEFAULT_PATH);
	if (r >= 0)
		r = nd_env_set(&env, host);
	for (char *const *e = s->env; r >= 0 && e && *e; e++) {
		if (!strchr(*e, '=') || **e == '=') {
			nd_strv_clear(&env);
			return nd_err_set(err, ND_ERR_BAD_SPEC, EINVAL, "-e '%s': expected K=V", *e);
		}
		r = nd_env_set(&env, *e);
	}
	if (r >= 0 && !nd_env_has(&env, "HOME"))
		r = nd_env_set(&env, "HOME=/root");
	if (r < 0 || !(c->env = nd_strv_take(&env))) {
		nd_strv_clear(&env);
		return nd_oom(err);
	}
	return 0;
}

/* A --mount value in its normal form (the record's). */
static int mount_norm(const char *v, char **ret, struct nd_err **err)
{
	struct nd_mnt m;
	int r = nd_mnt_parse(v, &m, err);

	if (r < 0)
		return r;
	if (!(*ret = nd_mnt_format(&m)))
		r = nd_oom(err);
	nd_mnt_clear(&m);
	return r;
}

/* One flag's value in the --mount form, checked: a bind's source must exist now; one mount per target. */
static int mount_of(int flag, const char *v, struct nd_strv *out, struct nd_strv *dsts, struct nd_err **err)
{
	_cleanup_free_ char *norm = NULL;
	struct nd_mnt m;
	struct stat st;
	int r = flag == 'v' ? nd_mnt_from_volume_flag(v, &norm, err)
		: flag == 't' ? nd_mnt_from_tmpfs_flag(v, &norm, err)
			      : mount_norm(v, &norm, err);

	if (r < 0 || (r = nd_mnt_parse(norm, &m, err)) < 0)
		return r;
	if (m.type == ND_MNT_BIND && stat(m.src, &st) < 0)
		r = nd_err_set(err, ND_ERR_BAD_SPEC, errno, "bind source path does not exist: '%s'", m.src);
	for (size_t i = 0; r >= 0 && i < dsts->n; i++)
		if (!strcmp(dsts->v[i], m.dst))
			r = nd_err_set(err, ND_ERR_BAD_SPEC, EINVAL, "duplicate mount point: '%s'", m.dst);
	if (r >= 0 && (nd_strv_push(out, norm) < 0 || nd_strv_push(dsts, m.dst) < 0))
		r = nd_oom(err);
	nd_mnt_clear(&m);
	return r;
}

/* -v, --mount and --tmpfs, in that order, into the record's mounts (none: NULL, nothing to do at start). */
static int mounts_of(const struct nd_run_spec *s, struct nd_ctr *c, struct nd_err **err)
{
	static const int flags[] = { 'v', 'm', 't' };
	char *const *lists[] = { s->volumes, s->mounts, s->tmpfs };
	_cleanup_(nd_strv_clear) struct nd_strv dsts = { 0 };
	struct nd_strv out = { 0 };
	int r = 0;

	c->read_only = s->read_only;
	c->tty = s->tty;
	for (size_t l = 0; l < ND_ARRAY_SIZE(lists); l++)
		for (char *const *v = lists[l]; r >= 0 && v && *v; v++)
			r = mount_of(flags[l], *v, &out, &dsts, err);
	if (r < 0) {
		nd_strv_clear(&out);
		return r;
	}
	if (out.n && !(c->mounts = nd_strv_take(&out)))
		return nd_oom(err);
	return 0;
}

int nd_spec_restart_policy(const char *v, int *ret_max, struct nd_err **err)
{
	char *end;
	long n = 0;

	if (!strcmp(v, "no") || !strcmp(v, "always") || !strcmp(v, "unless-stopped") || !strcmp(v, "on-failure")) {
		*ret_max = 0;
		return 0;
	}
	if (!strncmp(v, "on-failure:", 11) && (n = strtol(v + 11, &end, 10)) >= 0 && v[11] && !*end && n <= 1000000) {
		*ret_max = (int)n;
		return 0;
	}
	return nd_err_set(err, ND_ERR_BAD_SPEC, EINVAL, "--restart '%s': no, on-failure[:N], always or unless-stopped", v);
}

static int restart_of(const struct nd_run_spec *s, struct nd_ctr *c, struct nd_err **err)
{
	int max;

	if (!s->restart || !strcmp(s->restart, "no"))
		return 0;
	if (nd_spec_restart_policy(s->restart, &max, err) < 0)
		return -EINVAL;
	if (s->rm)
		return nd_err_set(err, ND_ERR_BAD_SPEC, EINVAL, "--restart and --rm conflict (as with Docker)");
	return (c->restart = strdup(s->restart)) ? 0 : nd_oom(err);
}

static int log_opts_of(const struct nd_run_spec *s, struct nd_ctr *c, struct nd_err **err)
{
	for (char *const *o = s->log_opts; o && *o; o++)
		if (nd_log_parse_opt(*o, &c->log_max_size, &c->log_max_file, err) < 0)
			return -EINVAL;
	return 0;
}

int nd_spec_to_ctr(const struct nd_run_spec *s, struct nd_ctr *c, struct nd_err **err)
{
	_cleanup_(nd_image_clear) struct nd_image img = { 0 };
	const char *cwd, *user;
	int r;

	if ((r = nd_spec_check(s, err)) < 0 || (r = fields_of(s, c, err)) < 0 || (r = limits_of(s, &c->limits, err)) < 0 ||
	    (r = layers_of(s, c, &img, err)) < 0 || (r = lower_of(img.lower, &c->lower, err)) < 0 ||
	    (r = env_of(s, &img, c, err)) < 0 || (r = mounts_of(s, c, err)) < 0 ||
	    (r = log_opts_of(s, c, err)) < 0 || (r = restart_of(s, c, err)) < 0)
		return r;
	c->argv = TAKE_PTR(img.argv);
	cwd = s->cwd ? s->cwd : img.workdir ? img.workdir : "/";
	user = s->user ? s->user : img.user;
	if (!(c->cwd = strdup(cwd)) || dup_or_null(user, &c->user) < 0)
		return nd_oom(err);
	if (c->cwd[0] != '/')
		return nd_err_set(err, ND_ERR_BAD_SPEC, EINVAL, "working directory '%s' is not absolute", c->cwd);
	return 0;
}

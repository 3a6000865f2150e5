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
#include "portmap/pmspec.h"
#include "runtime/cgroup.h"

#define DEFAULT_PATH "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

bool nd_spec_needs_images(const struct nd_run_spec *s)
{
	return s->image || (s->layers && s->layers[0]);
}

static int publish_of(const struct nd_run_spec *s, struct nd_ctr *c, struct nd_err **err);

int nd_spec_check(const struct nd_run_spec *s, struct nd_err **err)
{
	const char *net = s->net;

	if (!s->rootfs == !s->image)
		return nd_err_set(err, ND_ERR_BAD_SPEC, EINVAL, "give exactly one of --rootfs and --image");
	if (s->rootfs && s->n_args == 0)
		return nd_err_set(err, ND_ERR_BAD_SPEC, EINVAL, "no command given");
	if (s->ip && net && (!strcmp(net, "host") || !strcmp(net, "none") || !strncmp(net, "container:", 10)))
		return nd_err_set(err, ND_ERR_BAD_SPEC, EINVAL, "--ip needs a network (bridge or a named one)");
	if (((s->publish && s->publish[0]) || s->publish_all) && net &&
	    (!strcmp(net, "host") || !strcmp(net, "none") || !strncmp(net, "container:", 10)))
		return nd_err_set(err, ND_ERR_BAD_SPEC, EINVAL, "-p needs a network (bridge or a named one)");
	struct nd_etc_opts etc = nd_spec_etc(s);

	if (nd_etc_check(&etc, err) < 0)
		return -EINVAL;
	return publish_of(s, NULL, err);
}

/*
 * The -p arguments as mappings, checked (syntax, duplicates); with c, ephemeral host ports
 * chosen and the canonical forms recorded in c->ports.
 */
static int publish_of(const struct nd_run_spec *s, struct nd_ctr *c, struct nd_err **err)
{
	_cleanup_free_ struct nd_pm *v = NULL;
	char buf[ND_PM_PUBLISH_STRLEN];
	size_t n = 0;
	int r = 0;

	for (size_t i = 0; r >= 0 && s->publish && s->publish[i]; i++)
		r = nd_pm_parse_publish(s->publish[i], &v, &n, err);
	if (r >= 0 && n > ND_PM_MAX)
		r = nd_err_set(err, ND_ERR_BAD_SPEC, E2BIG, "-p: %zu ports, at most %d", n, ND_PM_MAX);
	if (r >= 0 && nd_pm_check_dups(v, n, err) < 0) {
		(*err)->code = ND_ERR_BAD_SPEC;
		r = -EINVAL;
	}
	if (r < 0 || !c || n == 0)
		return r;
	if ((r = nd_pm_ephemeral(v, n, err)) < 0)
		return r;
	if (!(c->ports = calloc(n + 1, sizeof(char *))))
		return nd_oom(err);
	for (size_t i = 0; i < n; i++)
		if (!(c->ports[i] = strdup(nd_pm_publish_fmt(&v[i], buf))))
			return nd_oom(err);
	return 0;
}

/* The recorded mappings of c back as structs (to add -P's to them). */
static int recorded(char **ports, struct nd_pm **v, size_t *n, struct nd_err **err)
{
	int r = 0;

	for (size_t i = 0; r >= 0 && ports && ports[i]; i++)
		r = nd_pm_parse_publish(ports[i], v, n, err);
	return r;
}

/*
 * -P: each port the image exposes ("80/tcp", "53/udp"), unless -p published it already,
 * on a free host port of every address, as Docker does.
 */
static int publish_all_of(char **exposed, struct nd_ctr *c, struct nd_err **err)
{
	_cleanup_free_ struct nd_pm *v = NULL;
	char buf[ND_PM_PUBLISH_STRLEN];
	size_t n = 0, n0, k;
	int r = recorded(c->ports, &v, &n, err);

	n0 = n;
	for (size_t i = 0; r >= 0 && exposed && exposed[i]; i++) {
		size_t before = n;
		bool dup = false;

		if ((r = nd_pm_parse_publish(exposed[i], &v, &n, err)) < 0)
			return nd_err_wrap(err, "image ExposedPorts");
		for (size_t j = 0; j < n0 && n > before; j++)
			dup |= v[j].ctr_port == v[before].ctr_port && v[j].proto == v[before].proto;
		if (dup || n != before + 1)
			n = before; /* published by -p already, or a range: not Docker's ExposedPorts */
	}
	if (r < 0 || n == n0 || (r = nd_pm_ephemeral(v, n, err)) < 0)
		return r;
	nd_strv_free(c->ports);
	if (!(c->ports = calloc(n + 1, sizeof(char *))))
		return nd_oom(err);
	for (k = 0; k < n; k++)
		if (!(c->ports[k] = strdup(nd_pm_publish_fmt(&v[k], buf))))
			return nd_oom(err);
	return 0;
}

struct nd_etc_opts nd_spec_etc(const struct nd_run_spec *s)
{
	return (struct nd_etc_opts){ .hostname = s->hostname, .dns = s->dns, .dns_search = s->dns_search,
				     .dns_opt = s->dns_opt, .add_hosts = s->add_hosts, .aliases = s->aliases };
}

static int dup_or_null(const char *s, char **ret)
{
	return s && !(*ret = strdup(s)) ? -ENOMEM : 0;
}

static int copy_strv(char *const *v, char ***ret)
{
	struct nd_strv out = { 0 };

	for (; v && *v; v++)
		if (nd_strv_push(&out, *v) < 0) {
			nd_strv_clear(&out);
			return -ENOMEM;
		}
	*ret = nd_strv_take(&out);
	return 0;
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
	if (copy_strv(s->aliases, &c->aliases) < 0 || copy_strv(s->dns, &c->dns) < 0)
		return nd_oom(err);
	c->userns = s->userns;
	c->auto_rm = s->rm;
	c->detach = s->detach;
	c->created = (long long)time(NULL);
	return publish_of(s, c, err);
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

int nd_spec_to_ctr(const struct nd_run_spec *s, struct nd_ctr *c, struct nd_err **err)
{
	_cleanup_(nd_image_clear) struct nd_image img = { 0 };
	const char *cwd, *user;
	int r;

	if ((r = nd_spec_check(s, err)) < 0 || (r = fields_of(s, c, err)) < 0 || (r = limits_of(s, &c->limits, err)) < 0 ||
	    (r = layers_of(s, c, &img, err)) < 0 || (r = lower_of(img.lower, &c->lower, err)) < 0 ||
	    (r = env_of(s, &img, c, err)) < 0)
		return r;
	if (s->publish_all && (r = publish_all_of(img.exposed, c, err)) < 0)
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

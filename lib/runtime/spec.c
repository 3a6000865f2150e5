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
#include "runtime/caps.h"
#include "runtime/cgroup.h"
#include "runtime/runopts.h"
#include "runtime/seccompjson.h"
#include "runtime/ctrlog.h"
#include "runtime/mounts.h"

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
	if (s->rootfs && s->n_args == 0 && !s->entrypoint)
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

static int strv_copy(char *const *v, char ***ret)
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

/* -l K=V, or K alone (an empty value, as Docker). */
static int labels_of(const struct nd_run_spec *s, struct nd_ctr *c)
{
	struct nd_strv out = { 0 };
	int r = 0;

	for (char *const *l = s->labels; r >= 0 && l && *l; l++) {
		_cleanup_free_ char *kv = NULL;

		r = asprintf(&kv, "%s%s", *l, strchr(*l, '=') ? "" : "=") < 0 ? -ENOMEM : nd_env_set(&out, kv);
	}
	if (r < 0) {
		nd_strv_clear(&out);
		return r;
	}
	c->labels = nd_strv_take(&out);
	return 0;
}

/* --device: each a device node of the host; their cgroup rules go with the record's limits. */
static int devices_of(const struct nd_run_spec *s, struct nd_ctr *c, struct nd_err **err)
{
	size_t n = nd_strv_len(s->devices);
	struct nd_dev_rule *rules;
	char path[4096];
	struct stat st;
	int r;

	if (!n)
		return 0;
	if (n > ND_DEV_EXTRA_MAX)
		return nd_err_set(err, ND_ERR_BAD_SPEC, E2BIG, "--device: at most %d devices", ND_DEV_EXTRA_MAX);
	if (!(rules = calloc(n, sizeof(*rules))))
		return nd_oom(err);
	for (size_t i = 0; i < n; i++)
		if ((r = nd_device_parse(s->devices[i], &rules[i], path, sizeof(path), &st, err)) < 0) {
			free(rules);
			return r;
		}
	c->limits.devices = rules;
	c->limits.n_devices = n;
	return strv_copy(s->devices, &c->devices) < 0 ? nd_oom(err) : 0;
}

/* --ulimit, --sysctl, --stop-signal, --stop-timeout, --shm-size: each checked, then recorded. */
static int runflags_of(const struct nd_run_spec *s, struct nd_ctr *c, struct nd_err **err)
{
	const char *net = s->net ? s->net : "bridge", *val;
	bool own_netns = strcmp(net, "host") && strncmp(net, "container:", 10);
	struct rlimit rl;
	char path[256];
	int res, r;

	for (char *const *u = s->ulimits; u && *u; u++)
		if ((r = nd_ulimit_parse(*u, &res, &rl, err)) < 0)
			return r;
	for (char *const *k = s->sysctls; k && *k; k++)
		if ((r = nd_sysctl_check(*k, own_netns, path, sizeof(path), &val, err)) < 0)
			return r;
	if (s->stop_signal && nd_signal_number(s->stop_signal) < 0)
		return nd_err_set(err, ND_ERR_BAD_SPEC, EINVAL, "--stop-signal '%s' is not a signal", s->stop_signal);
	c->stop_timeout = -1;
	if (s->stop_timeout) {
		char *end;
		long v = strtol(s->stop_timeout, &end, 10);

		if (!*s->stop_timeout || *end || v < 0 || v > 86400)
			return nd_err_set(err, ND_ERR_BAD_SPEC, EINVAL, "--stop-timeout '%s': seconds from 0 to 86400", s->stop_timeout);
		c->stop_timeout = (int)v;
	}
	if (s->shm_size) {
		uint64_t v = 0;

		if (nd_cg_parse_size(s->shm_size, &v, err) < 0)
			return nd_err_wrap(err, "--shm-size");
		if (!v)
			return nd_err_set(err, ND_ERR_BAD_SPEC, EINVAL, "--shm-size '%s' must be above 0", s->shm_size);
		c->shm_size = v;
	}
	if ((r = devices_of(s, c, err)) < 0)
		return r;
	if (strv_copy(s->ulimits, &c->ulimits) < 0 || strv_copy(s->sysctls, &c->sysctls) < 0 ||
	    strv_copy(s->group_add, &c->group_add) < 0 || dup_or_null(s->stop_signal, &c->stop_signal) < 0 ||
	    dup_or_null(s->entrypoint, &c->entrypoint) < 0)
		return nd_oom(err);
	return 0;
}

/* --entrypoint: the command is it, then the given args (the image's Cmd goes too, as with Docker). */
static int entrypoint_argv(const struct nd_run_spec *s, struct nd_ctr *c, struct nd_err **err)
{
	struct nd_strv argv = { 0 };
	int r = nd_strv_push(&argv, s->entrypoint);

	for (size_t i = 0; r >= 0 && i < s->n_args; i++)
		r = nd_strv_push(&argv, s->args[i]);
	if (r < 0) {
		nd_strv_clear(&argv);
		return nd_oom(err);
	}
	nd_strv_free(c->argv);
	c->argv = nd_strv_take(&argv);
	return 0;
}

static const char *seccomp_mode(const struct nd_run_spec *s)
{
	return s->seccomp_unconfined || s->privileged ? "unconfined" : s->seccomp_profile ? "custom" : "default";
}

/* --init, --privileged, the capabilities and the seccomp profile, each checked. */
static int security_of(const struct nd_run_spec *s, struct nd_ctr *c, struct nd_err **err)
{
	unsigned long long caps;
	int r;

	if ((r = nd_caps_resolve(s->cap_add, s->cap_drop, s->privileged, &caps, err)) < 0)
		return r;
	if (s->seccomp_profile && !s->seccomp_unconfined && !s->privileged &&
	    (r = nd_seccomp_json_check(s->seccomp_profile, strlen(s->seccomp_profile), err)) < 0)
		return r;
	c->init = s->init;
	c->privileged = c->limits.all_devices = s->privileged;
	if (strv_copy(s->cap_add, &c->cap_add) < 0 || strv_copy(s->cap_drop, &c->cap_drop) < 0 || labels_of(s, c) < 0 ||
	    dup_or_null(!strcmp(seccomp_mode(s), "custom") ? s->seccomp_profile : NULL, &c->seccomp_profile) < 0)
		return nd_oom(err);
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
	    dup_or_null(seccomp_mode(s), &c->seccomp) < 0 ||
	    dup_or_null("created", &c->status) < 0)
		return nd_oom(err);
	if (strv_copy(s->aliases, &c->aliases) < 0 || strv_copy(s->dns, &c->dns) < 0)
		return nd_oom(err);
	c->userns = s->userns;
	c->auto_rm = s->rm;
	c->detach = s->detach;
	c->created = (long long)time(NULL);
	return publish_of(s, c, err);
}

#define MEMORY_MIN (6ULL << 20)

/* --memory-swap: memory plus swap, at least --memory; -1: unlimited swap. */
static int swap_of(const struct nd_run_spec *s, struct nd_cg_limits *l, struct nd_err **err)
{
	if (!s->memory)
		return nd_err_set(err, ND_ERR_BAD_SPEC, EINVAL, "--memory-swap needs --memory (it counts memory plus swap)");
	if (!strcmp(s->memory_swap, "-1")) {
		l->memory_swap = UINT64_MAX;
		return 0;
	}
	if (nd_cg_parse_size(s->memory_swap, &l->memory_swap, err) < 0)
		return nd_err_wrap(err, "--memory-swap");
	if (l->memory_swap < l->memory)
		return nd_err_set(err, ND_ERR_BAD_SPEC, EINVAL, "--memory-swap %s is below --memory %s (it counts memory plus swap)",
				  s->memory_swap, s->memory);
	return 0;
}

static int limits_of(const struct nd_run_spec *s, struct nd_cg_limits *l, struct nd_err **err)
{
	int r;

	if (s->memory && nd_cg_parse_size(s->memory, &l->memory, err) < 0)
		return nd_err_wrap(err, "--memory");
	/* Docker's floor: below it the kernel OOM-kills the container's first process at once. */
	if (s->memory && l->memory < MEMORY_MIN)
		return nd_err_set(err, ND_ERR_BAD_SPEC, EINVAL, "--memory %s is below the minimum memory limit of 6MiB", s->memory);
	if (s->memory_swap && (r = swap_of(s, l, err)) < 0)
		return r;
	if (s->cpu_shares) {
		char *end;
		long long v = strtoll(s->cpu_shares, &end, 10);

		/* Docker's (and the v1 kernel's) range. */
		if (!*s->cpu_shares || *end || v < 2 || v > 262144)
			return nd_err_set(err, ND_ERR_BAD_SPEC, EINVAL, "--cpu-shares '%s': from 2 to 262144 (1024 is one CPU's share)",
					  s->cpu_shares);
		l->cpu_shares = (uint64_t)v;
	}
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
	    (r = security_of(s, c, err)) < 0 || (r = runflags_of(s, c, err)) < 0 ||
	    (r = layers_of(s, c, &img, err)) < 0 || (r = lower_of(img.lower, &c->lower, err)) < 0 ||
	    (r = env_of(s, &img, c, err)) < 0 || (r = mounts_of(s, c, err)) < 0 ||
	    (r = log_opts_of(s, c, err)) < 0 || (r = restart_of(s, c, err)) < 0)
		return r;
	if (s->publish_all && (r = publish_all_of(img.exposed, c, err)) < 0)
		return r;
	c->argv = TAKE_PTR(img.argv);
	if (s->entrypoint && (r = entrypoint_argv(s, c, err)) < 0)
		return r;
	cwd = s->cwd ? s->cwd : img.workdir ? img.workdir : "/";
	user = s->user ? s->user : img.user;
	if (!(c->cwd = strdup(cwd)) || dup_or_null(user, &c->user) < 0)
		return nd_oom(err);
	if (c->cwd[0] != '/')
		return nd_err_set(err, ND_ERR_BAD_SPEC, EINVAL, "working directory '%s' is not absolute", c->cwd);
	return 0;
}

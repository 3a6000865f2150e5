#include "runtime/runopts.h"

#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/sysmacros.h>

#include "base/cleanup.h"

static const struct {
	const char *name;
	int res;
} ulimits[] = {
	{ "as", RLIMIT_AS },	       { "core", RLIMIT_CORE },		{ "cpu", RLIMIT_CPU },
	{ "data", RLIMIT_DATA },       { "fsize", RLIMIT_FSIZE },	{ "locks", RLIMIT_LOCKS },
	{ "memlock", RLIMIT_MEMLOCK }, { "msgqueue", RLIMIT_MSGQUEUE }, { "nice", RLIMIT_NICE },
	{ "nofile", RLIMIT_NOFILE },   { "nproc", RLIMIT_NPROC },	{ "rss", RLIMIT_RSS },
	{ "rtprio", RLIMIT_RTPRIO },   { "rttime", RLIMIT_RTTIME },	{ "sigpending", RLIMIT_SIGPENDING },
	{ "stack", RLIMIT_STACK },
};

static int limit_value(const char *s, rlim_t *ret)
{
	char *end;
	unsigned long long v;

	if (!strcmp(s, "unlimited") || !strcmp(s, "-1")) {
		*ret = RLIM_INFINITY;
		return 0;
	}
	errno = 0;
	v = strtoull(s, &end, 10);
	if (!*s || *end || *s == '-' || errno)
		return -EINVAL;
	*ret = (rlim_t)v;
	return 0;
}

int nd_ulimit_parse(const char *s, int *ret_resource, struct rlimit *ret, struct nd_err **err)
{
	char name[32], soft[32], hard[32] = "";
	const char *eq = strchr(s, '='), *colon;
	struct rlimit rl;
	size_t i;

	if (!eq || eq == s || (size_t)(eq - s) >= sizeof(name))
		return nd_err_set(err, ND_ERR_BAD_SPEC, EINVAL, "--ulimit '%s': expected NAME=SOFT[:HARD]", s);
	snprintf(name, sizeof(name), "%.*s", (int)(eq - s), s);
	colon = strchr(eq + 1, ':');
	snprintf(soft, sizeof(soft), "%.*s", colon ? (int)(colon - eq - 1) : (int)strlen(eq + 1), eq + 1);
	if (colon)
		snprintf(hard, sizeof(hard), "%s", colon + 1);
	for (i = 0; i < ND_ARRAY_SIZE(ulimits) && strcmp(ulimits[i].name, name); i++)
		;
	if (i == ND_ARRAY_SIZE(ulimits))
		return nd_err_set(err, ND_ERR_BAD_SPEC, EINVAL,
				  "--ulimit '%s': unknown limit '%s' (as, core, cpu, data, fsize, locks, memlock, msgqueue, "
				  "nice, nofile, nproc, rss, rtprio, rttime, sigpending, stack)", s, name);
	if (limit_value(soft, &rl.rlim_cur) < 0 || limit_value(colon ? hard : soft, &rl.rlim_max) < 0)
		return nd_err_set(err, ND_ERR_BAD_SPEC, EINVAL, "--ulimit '%s': a limit is a number or unlimited", s);
	if (rl.rlim_cur > rl.rlim_max)
		return nd_err_set(err, ND_ERR_BAD_SPEC, EINVAL, "--ulimit '%s': the soft limit is above the hard one", s);
	*ret_resource = ulimits[i].res;
	*ret = rl;
	return 0;
}

/* The namespaced ones, as Docker's validator lists them. */
static bool namespaced(const char *key, bool own_netns)
{
	static const char *const ipc[] = { "kernel.msgmax", "kernel.msgmnb", "kernel.msgmni", "kernel.sem",
					   "kernel.shmall", "kernel.shmmax", "kernel.shmmni", "kernel.shm_rmid_forced" };

	for (size_t i = 0; i < ND_ARRAY_SIZE(ipc); i++)
		if (!strcmp(key, ipc[i]))
			return true;
	return !strncmp(key, "fs.mqueue.", 10) || (own_netns && !strncmp(key, "net.", 4));
}

int nd_sysctl_check(const char *kv, bool own_netns, char *ret_path, size_t size, const char **ret_value,
		    struct nd_err **err)
{
	const char *eq = strchr(kv, '=');
	char key[256];
	size_t n = eq ? (size_t)(eq - kv) : 0;

	if (!eq || n == 0 || n >= sizeof(key) || n >= size)
		return nd_err_set(err, ND_ERR_BAD_SPEC, EINVAL, "--sysctl '%s': expected KEY=VALUE", kv);
	memcpy(key, kv, n);
	key[n] = 0;
	/* A key is a path under /proc/sys: nothing that could climb out of it. */
	if (strspn(key, "abcdefghijklmnopqrstuvwxyz0123456789_.-") != n || strstr(key, "..") || key[0] == '.')
		return nd_err_set(err, ND_ERR_BAD_SPEC, EINVAL, "--sysctl '%s': not a sysctl name", kv);
	if (!namespaced(key, own_netns))
		return nd_err_set(err, ND_ERR_BAD_SPEC, EPERM,
				  "--sysctl '%s': not namespaced%s (allowed: net.* with a network namespace of the "
				  "container's own, kernel.msg*, kernel.sem, kernel.shm*, fs.mqueue.*)", kv,
				  !strncmp(key, "net.", 4) ? " with this --net" : "");
	for (size_t i = 0; i < n; i++)
		ret_path[i] = key[i] == '.' ? '/' : key[i];
	ret_path[n] = 0;
	*ret_value = eq + 1;
	return 0;
}

int nd_signal_number(const char *s)
{
	char *end;
	long v;

	if (!s || !*s)
		return -1;
	v = strtol(s, &end, 10);
	if (!*end)
		return v > 0 && v < NSIG ? (int)v : -1;
	if (!strncasecmp(s, "SIG", 3))
		s += 3;
	for (int sig = 1; sig < NSIG; sig++) {
		const char *abbrev = sigabbrev_np(sig);

		if (abbrev && !strcasecmp(s, abbrev))
			return sig;
	}
	return -1;
}

int nd_device_parse(const char *spec, struct nd_dev_rule *ret_rule, char *ret_path, size_t size, struct stat *ret_st,
		    struct nd_err **err)
{
	char host[4096], ctr[4096] = "", perms[8] = "rwm";
	const char *c1 = strchr(spec, ':'), *c2 = c1 ? strchr(c1 + 1, ':') : NULL;
	unsigned acc = 0;

	snprintf(host, sizeof(host), "%.*s", c1 ? (int)(c1 - spec) : (int)strlen(spec), spec);
	if (c1)
		snprintf(ctr, sizeof(ctr), "%.*s", c2 ? (int)(c2 - c1 - 1) : (int)strlen(c1 + 1), c1 + 1);
	if (c2 && snprintf(perms, sizeof(perms), "%s", c2 + 1) >= (int)sizeof(perms))
		return nd_err_set(err, ND_ERR_BAD_SPEC, EINVAL, "--device '%s': permissions are of r, w and m", spec);
	if (!*ctr)
		snprintf(ctr, sizeof(ctr), "%s", host);
	for (const char *p = perms; *p; p++) {
		unsigned bit = *p == 'r' ? ND_DEV_READ : *p == 'w' ? ND_DEV_WRITE : *p == 'm' ? ND_DEV_MKNOD : 0;

		if (!bit)
			return nd_err_set(err, ND_ERR_BAD_SPEC, EINVAL, "--device '%s': permissions are of r, w and m", spec);
		acc |= bit;
	}
	if (stat(host, ret_st) < 0)
		return nd_err_set(err, ND_ERR_BAD_SPEC, errno, "--device '%s': %s", host, strerror(errno));
	if (!S_ISCHR(ret_st->st_mode) && !S_ISBLK(ret_st->st_mode))
		return nd_err_set(err, ND_ERR_BAD_SPEC, EINVAL, "--device '%s': not a device node", host);
	if (strncmp(ctr, "/dev/", 5) || strstr(ctr, "/..") || strlen(ctr) >= size)
		return nd_err_set(err, ND_ERR_BAD_SPEC, EINVAL, "--device '%s': the container path must be under /dev/", spec);
	*ret_rule = (struct nd_dev_rule){ .type = S_ISCHR(ret_st->st_mode) ? 'c' : 'b',
					  .major = (int32_t)major(ret_st->st_rdev), .minor = (int32_t)minor(ret_st->st_rdev),
					  .access = acc };
	snprintf(ret_path, size, "%s", ctr);
	return 0;
}

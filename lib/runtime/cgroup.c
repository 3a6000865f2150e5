#include "runtime/cgroup.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "base/cleanup.h"
#include "base/fdio.h"
#include "runtime/devices.h"

static const char *const ctrl_names[ND_CG_NCTRL] = { "memory", "cpu", "pids", "devices" };

/* mountinfo escapes space, tab, newline and backslash as \ooo. */
static void unescape(char *s)
{
	char *w = s;

	for (; *s; s++) {
		if (s[0] == '\\' && s[1] >= '0' && s[1] <= '3' && s[2] >= '0' && s[2] <= '7' && s[3] >= '0' &&
		    s[3] <= '7') {
			*w++ = (char)((s[1] - '0') * 64 + (s[2] - '0') * 8 + (s[3] - '0'));
			s += 3;
		} else {
			*w++ = *s;
		}
	}
	*w = 0;
}

static bool has_token(const char *list, const char *tok)
{
	size_t n = strlen(tok);

	for (const char *p = list; p && *p;) {
		const char *end = strchr(p, ',');
		size_t len = end ? (size_t)(end - p) : strlen(p);

		if (len == n && !strncmp(p, tok, n))
			return true;
		p = end ? end + 1 : NULL;
	}
	return false;
}

/* One mountinfo line: a cgroup2 mount into *v2, a v1 one into each controller it holds. */
static int mount_line(char *line, char **v2, char *v1[ND_CG_NCTRL])
{
	char *f[6] = { 0 }, *sep = strstr(line, " - "), *s2 = NULL, *fs, *src, *opts;
	int n = 0;

	if (!sep)
		return 0;
	*sep = 0;
	for (char *p = strtok_r(line, " ", &s2); p && n < 5; p = strtok_r(NULL, " ", &s2))
		f[n++] = p;
	/* After " - ": fstype source superopts. */
	fs = strtok_r(sep + 3, " ", &s2);
	src = fs ? strtok_r(NULL, " ", &s2) : NULL;
	opts = src ? strtok_r(NULL, " ", &s2) : NULL;
	if (n < 5 || !fs)
		return 0;
	unescape(f[4]);
	if (!strcmp(fs, "cgroup2")) {
		/* The first one wins; /sys/fs/cgroup itself is the unified layout. */
		if (!*v2 || !strcmp(f[4], "/sys/fs/cgroup")) {
			free(*v2);
			if (!(*v2 = strdup(f[4])))
				return -ENOMEM;
		}
	} else if (!strcmp(fs, "cgroup") && opts) {
		for (int i = 0; i < ND_CG_NCTRL; i++)
			if (!v1[i] && has_token(opts, ctrl_names[i]) && !(v1[i] = strdup(f[4])))
				return -ENOMEM;
	}
	return 0;
}

int nd_cg_parse_mountinfo(const char *text, bool *ret_v2, char *ret_mounts[ND_CG_NCTRL], struct nd_err **err)
{
	_cleanup_free_ char *copy = strdup(text ? text : "");
	char *v1[ND_CG_NCTRL] = { 0 }, *v2 = NULL, *save = NULL;
	bool any_v1 = false, unified;
	int r = copy ? 0 : -ENOMEM;

	for (char *line = copy ? strtok_r(copy, "\n", &save) : NULL; r == 0 && line; line = strtok_r(NULL, "\n", &save))
		r = mount_line(line, &v2, v1);
	for (int i = 0; i < ND_CG_NCTRL; i++)
		any_v1 = any_v1 || v1[i];
	if (r == 0 && !any_v1 && !v2)
		r = nd_err_set(err, ND_ERR_SETUP, ENOENT, "no cgroup hierarchy is mounted");
	/* v1 controllers win: a hybrid host's cgroup2 mount is empty. */
	if ((unified = r == 0 && !any_v1))
		v1[0] = TAKE_PTR(v2);
	free(v2);
	for (int i = 0; r == 0 && i < ND_CG_NCTRL; i++)
		if (!v1[i] && !(v1[i] = strdup("")))
			r = -ENOMEM;
	if (r < 0) {
		for (int i = 0; i < ND_CG_NCTRL; i++)
			free(v1[i]);
		return r == -ENOMEM ? nd_oom(err) : r;
	}
	*ret_v2 = unified;
	memcpy(ret_mounts, v1, sizeof(v1));
	return 0;
}

int nd_cg_parse_size(const char *s, uint64_t *ret, struct nd_err **err)
{
	char *end;
	unsigned long long v;
	uint64_t mult = 1;

	if (!s || !isdigit((unsigned char)*s))
		goto bad;
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno)
		goto bad;
	switch (tolower((unsigned char)*end)) {
	case 0:
		break;
	case 'b':
		break;
	case 'k':
		mult = 1ULL << 10;
		break;
	case 'm':
		mult = 1ULL << 20;
		break;
	case 'g':
		mult = 1ULL << 30;
		break;
	default:
		goto bad;
	}
	if (*end && end[1] && !(tolower((unsigned char)end[1]) == 'b' && !end[2]))
		goto bad;
	if (v == 0 || v > UINT64_MAX / mult)
		goto bad;
	*ret = v * mult;
	return 0;
bad:
	return nd_err_set(err, ND_ERR_BAD_SPEC, EINVAL, "size '%s' is invalid (e.g. 64m, 1g, 4096)", s ? s : "");
}

int nd_cg_parse_cpus(const char *s, uint64_t *ret, struct nd_err **err)
{
	uint64_t whole = 0, frac = 0, scale = ND_CG_CPU_PERIOD;
	const char *p = s;

	if (!s || !*s)
		goto bad;
	for (; isdigit((unsigned char)*p); p++) {
		whole = whole * 10 + (uint64_t)(*p - '0');
		if (whole > 1024)
			goto bad;
	}
	if (*p == '.') {
		for (p++; isdigit((unsigned char)*p); p++) {
			if (scale >= 10) {
				scale /= 10;
				frac += (uint64_t)(*p - '0') * scale;
			}
		}
	}
	if (*p || p == s || !strcmp(s, "."))
		goto bad;
	*ret = whole * ND_CG_CPU_PERIOD + frac;
	/* The kernel's minimum quota is 1 ms. */
	if (*ret < 1000)
		goto bad;
	return 0;
bad:
	return nd_err_set(err, ND_ERR_BAD_SPEC, EINVAL, "cpus '%s' is invalid (e.g. 0.5, 2; at least 0.01)",
			  s ? s : "");
}

static int read_file(const char *dir, const char *file, char *buf, size_t size)
{
	char path[PATH_MAX];
	_cleanup_close_ int fd = -1;
	ssize_t n;

	if ((size_t)snprintf(path, sizeof(path), "%s/%s", dir, file) >= sizeof(path))
		return -ENAMETOOLONG;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	n = read(fd, buf, size - 1);
	if (n < 0)
		return -errno;
	buf[n] = 0;
	return 0;
}

static int mounts(bool *v2, char *m[ND_CG_NCTRL], struct nd_err **err)
{
	_cleanup_free_ char *text = NULL;
	size_t len = 0;
	FILE *f = fopen("/proc/self/mountinfo", "re");
	int r;

	if (!f)
		return nd_err_set(err, ND_ERR_INTERNAL, errno, "cgroup: /proc/self/mountinfo: %s", strerror(errno));
	r = getdelim(&text, &len, 0, f) < 0 ? -EIO : 0;
	fclose(f);
	if (r < 0)
		return nd_err_set(err, ND_ERR_INTERNAL, EIO, "cgroup: cannot read /proc/self/mountinfo");
	return nd_cg_parse_mountinfo(text, v2, m, err);
}

static bool valid_rel(const char *s)
{
	if (!s || !*s || *s == '/' || strstr(s, ".."))
		return false;
	for (; *s; s++)
		if (*s <= ' ' || *s >= 0x7f)
			return false;
	return true;
}

static int build(const char *parent, const char *name, struct nd_cgroup *cg, char *m[ND_CG_NCTRL],
		 struct nd_err **err)
{
	int i, n = cg->v2 ? 1 : ND_CG_NCTRL;

	if (!valid_rel(parent) || !valid_rel(name) || strchr(name, '/'))
		return nd_err_set(err, ND_ERR_BAD_SPEC, EINVAL, "cgroup '%s/%s' is invalid", parent ? parent : "",
				  name ? name : "");
	for (i = 0; i < ND_CG_NCTRL; i++) {
		if (i >= n || !*m[i])
			cg->dirs[i] = strdup("");
		else if (asprintf(&cg->dirs[i], "%s/%s/%s", m[i], parent, name) < 0)
			cg->dirs[i] = NULL;
		if (!cg->dirs[i])
			return nd_oom(err);
	}
	return 0;
}

void nd_cg_free(struct nd_cgroup *cg)
{
	for (int i = 0; i < ND_CG_NCTRL; i++) {
		free(cg->dirs[i]);
		cg->dirs[i] = NULL;
	}
}

static void free_mounts(char *m[ND_CG_NCTRL])
{
	for (int i = 0; i < ND_CG_NCTRL; i++)
		free(m[i]);
}

int nd_cg_open(const char *parent, const char *name, struct nd_cgroup *ret, struct nd_err **err)
{
	char *m[ND_CG_NCTRL] = { 0 };
	struct nd_cgroup cg = { 0 };
	int r = mounts(&cg.v2, m, err);

	if (r >= 0)
		r = build(parent, name, &cg, m, err);
	free_mounts(m);
	if (r < 0) {
		nd_cg_free(&cg);
		return r;
	}
	/* Hierarchies nd_cg_create did not use (v1 cpu without a quota) count as absent. */
	for (int i = 0; i < ND_CG_NCTRL; i++)
		if (*cg.dirs[i] && access(cg.dirs[i], F_OK) < 0 && errno == ENOENT)
			cg.dirs[i][0] = 0;
	*ret = cg;
	return 0;
}

/* mkdir -p below the hierarchy's mount (which exists); v2 enables the controllers on the way. */
static int mkdirs(const char *mnt, const char *rel, bool v2)
{
	char path[PATH_MAX];
	size_t base = strlen(mnt);

	if ((size_t)snprintf(path, sizeof(path), "%s/%s", mnt, rel) >= sizeof(path))
		return -ENAMETOOLONG;
	for (char *p = path + base + 1;; p++) {
		if (*p != '/' && *p != 0)
			continue;
		char c = *p;

		*p = 0;
		if (v2) {
			/* Enable the controllers in the parent of each level; absent ones are not fatal. */
			char *slash = strrchr(path, '/');

			*slash = 0;
			(void)nd_write_at(path, "cgroup.subtree_control", "+memory +cpu +pids");
			*slash = '/';
		}
		if (mkdir(path, 0755) < 0 && errno != EEXIST)
			return -errno;
		if (!c)
			return 0;
		*p = c;
	}
}

static int set_limits(const struct nd_cgroup *cg, const struct nd_cg_limits *lim, struct nd_err **err)
{
	char val[64];
	int r;

	if (lim->memory) {
		const char *dir = cg->dirs[ND_CG_MEMORY];

		snprintf(val, sizeof(val), "%" PRIu64, lim->memory);
		r = nd_write_at(dir, cg->v2 ? "memory.max" : "memory.limit_in_bytes", val);
		if (r < 0)
			return nd_err_set(err, ND_ERR_SETUP, -r, "cgroup: memory limit %s: %s", val, strerror(-r));
		/* No swap beyond the limit unless --memory-swap (the file exists only with swap accounting). */
		if (lim->memory_swap == UINT64_MAX)
			snprintf(val, sizeof(val), cg->v2 ? "max" : "-1");
		else if (lim->memory_swap)
			snprintf(val, sizeof(val), "%" PRIu64, cg->v2 ? lim->memory_swap - lim->memory : lim->memory_swap);
		else if (cg->v2)
			snprintf(val, sizeof(val), "0");
		r = nd_write_at(dir, cg->v2 ? "memory.swap.max" : "memory.memsw.limit_in_bytes", val);
		if (r < 0 && lim->memory_swap && r != -ENOENT)
			return nd_err_set(err, ND_ERR_SETUP, -r, "cgroup: --memory-swap %s: %s", val, strerror(-r));
	}
	if (lim->cpu_quota) {
		if (cg->v2) {
			snprintf(val, sizeof(val), "%" PRIu64 " %d", lim->cpu_quota, ND_CG_CPU_PERIOD);
			r = nd_write_at(cg->dirs[0], "cpu.max", val);
		} else {
			snprintf(val, sizeof(val), "%d", ND_CG_CPU_PERIOD);
			r = nd_write_at(cg->dirs[ND_CG_CPU], "cpu.cfs_period_us", val);
			snprintf(val, sizeof(val), "%" PRIu64, lim->cpu_quota);
			if (r >= 0)
				r = nd_write_at(cg->dirs[ND_CG_CPU], "cpu.cfs_quota_us", val);
		}
		if (r < 0)
			return nd_err_set(err, ND_ERR_SETUP, -r, "cgroup: cpu quota: %s", strerror(-r));
	}
	if (lim->cpu_shares) {
		/* v2's weight from v1's shares: runc's mapping of [2, 262144] onto [1, 10000]. */
		snprintf(val, sizeof(val), "%" PRIu64, cg->v2 ? 1 + ((lim->cpu_shares - 2) * 9999) / 262142 : lim->cpu_shares);
		r = nd_write_at(cg->dirs[cg->v2 ? 0 : ND_CG_CPU], cg->v2 ? "cpu.weight" : "cpu.shares", val);
		if (r < 0)
			return nd_err_set(err, ND_ERR_SETUP, -r, "cgroup: --cpu-shares %s: %s", val, strerror(-r));
	}
	if (lim->pids) {
		snprintf(val, sizeof(val), "%" PRId64, lim->pids);
		r = nd_write_at(cg->dirs[cg->v2 ? 0 : ND_CG_PIDS], "pids.max", val);
		if (r < 0)
			return nd_err_set(err, ND_ERR_SETUP, -r, "cgroup: pids limit: %s", strerror(-r));
	}
	return 0;
}

int nd_cg_create(const char *parent, const char *name, const struct nd_cg_limits *lim, struct nd_cgroup *ret,
		 struct nd_err **err)
{
	char *m[ND_CG_NCTRL] = { 0 };
	struct nd_cgroup cg = { 0 };
	char rel[PATH_MAX];
	int r = mounts(&cg.v2, m, err), i;

	if (r >= 0)
		r = build(parent, name, &cg, m, err);
	if (r < 0)
		goto out;
	snprintf(rel, sizeof(rel), "%s/%s", parent, name);
	if (!cg.v2) {
		for (i = 0; i < ND_CG_NCTRL; i++)
			/* Without the devices controller a container could open any host device. */
			if (!*m[i] && ((i == ND_CG_MEMORY && lim->memory) || (i == ND_CG_CPU && (lim->cpu_quota || lim->cpu_shares)) ||
				       (i == ND_CG_PIDS && lim->pids) || i == ND_CG_DEVICES)) {
				r = nd_err_set(err, ND_ERR_SETUP, ENOENT,
					       "cgroup: the %s controller is not mounted on this host", ctrl_names[i]);
				goto out;
			}
	}
	/*
	 * v1: no cpu cgroup without a quota. Each costs a mkdir, a join and an rmdir on the
	 * start-to-exit path, and the cpu one measurably more than the others (~1 ms here).
	 */
	if (!cg.v2 && !lim->cpu_quota && !lim->cpu_shares)
		cg.dirs[ND_CG_CPU][0] = 0;
	for (i = 0; i < ND_CG_NCTRL; i++) {
		if (!*cg.dirs[i])
			continue;
		r = mkdirs(m[i], rel, cg.v2);
		if (r == 0 && mkdir(cg.dirs[i], 0755) < 0 && errno != EEXIST)
			r = -errno;
		if (r < 0) {
			nd_err_set(err, ND_ERR_SETUP, -r, "cgroup '%s': %s", cg.dirs[i], strerror(-r));
			goto undo;
		}
	}
	r = set_limits(&cg, lim, err);
	if (r >= 0 && !lim->all_devices)
		r = cg.v2 ? nd_dev_v2_apply_extra(cg.dirs[0], lim->devices, lim->n_devices, err)
			  : nd_dev_v1_apply_extra(cg.dirs[ND_CG_DEVICES], lim->devices, lim->n_devices, err);
	if (r < 0)
		goto undo;
	*ret = cg;
	memset(&cg, 0, sizeof(cg));
	goto out;
undo:
	(void)nd_cg_destroy(&cg, NULL);
out:
	nd_cg_free(&cg);
	free_mounts(m);
	return r;
}

int nd_cg_join_self(const struct nd_cgroup *cg, struct nd_err **err)
{
	for (int i = 0; i < ND_CG_NCTRL; i++) {
		int r;

		if (!cg->dirs[i] || !*cg->dirs[i])
			continue;
		/*
		 * v1: "0" to tasks moves just the calling thread (we are single-threaded), which
		 * the kernel does without write-locking cgroup_threadgroup_rwsem, that is without
		 * waiting for an RCU grace period (~15 ms here) as a cgroup.procs write does.
		 */
		r = nd_write_at(cg->dirs[i], cg->v2 ? "cgroup.procs" : "tasks", "0");
		if (r < 0)
			return nd_err_set(err, ND_ERR_SETUP, -r, "cgroup '%s': join: %s", cg->dirs[i], strerror(-r));
	}
	return 0;
}

bool nd_cg_oom_killed(const struct nd_cgroup *cg)
{
	char buf[1024];
	const char *dir = cg->dirs[cg->v2 ? 0 : ND_CG_MEMORY], *p;

	if (!dir || !*dir || read_file(dir, cg->v2 ? "memory.events" : "memory.oom_control", buf, sizeof(buf)) < 0)
		return false;
	p = strstr(buf, "oom_kill ");
	return p && strtoull(p + 9, NULL, 10) > 0;
}

static void kill_all(const char *dir)
{
	char path[PATH_MAX];
	FILE *f;
	long pid;

	if (nd_write_at(dir, "cgroup.kill", "1") == 0)
		return;
	snprintf(path, sizeof(path), "%s/cgroup.procs", dir);
	f = fopen(path, "re");
	if (!f)
		return;
	while (fscanf(f, "%ld", &pid) == 1)
		if (pid > 0)
			(void)kill((pid_t)pid, SIGKILL);
	fclose(f);
}

int nd_cg_destroy(const struct nd_cgroup *cg, struct nd_err **err)
{
	int first = 0;

	for (int i = 0; i < ND_CG_NCTRL; i++) {
		const char *dir = cg->dirs[i];

		if (!dir || !*dir)
			continue;
		/* Tasks leave a cgroup a little after they die: retry EBUSY for up to a second. */
		for (int tries = 0;; tries++) {
			if (rmdir(dir) == 0 || errno == ENOENT)
				break;
			if (errno != EBUSY || tries == 100) {
				if (!first)
					first = errno;
				nd_err_set(err, ND_ERR_INTERNAL, errno, "cgroup '%s': remove: %s", dir, strerror(errno));
				break;
			}
			kill_all(dir);
			nanosleep(&(struct timespec){ .tv_nsec = 10 * 1000 * 1000 }, NULL);
		}
	}
	return first ? -first : 0;
}

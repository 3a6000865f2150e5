#include "runtime/ctrctl.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "base/cleanup.h"
#include "base/fdio.h"
#include "base/state.h"
#include "runtime/cgroup.h"

int nd_signal_parse(const char *s, int *ret)
{
	char *end;
	long n = strtol(s, &end, 10);

	if (*s && !*end) {
		if (n < 1 || n >= NSIG)
			return -EINVAL;
		*ret = (int)n;
		return 0;
	}
	if (!strncasecmp(s, "SIG", 3))
		s += 3;
	for (int sig = 1; sig < NSIG; sig++) {
		const char *name = sigabbrev_np(sig);

		if (name && !strcasecmp(name, s)) {
			*ret = sig;
			return 0;
		}
	}
	return -EINVAL;
}

int nd_run_kill(const char *state, const char *ref, int sig, struct nd_err **err)
{
	_cleanup_(nd_ctr_clear) struct nd_ctr c = { 0 };
	_cleanup_close_ int pidfd = -1;
	int r = nd_ctr_find(state, ref, &c, err);

	if (r < 0 || (r = nd_ctr_pidfd(state, &c, &pidfd, err)) < 0)
		return r;
	if (syscall(SYS_pidfd_send_signal, pidfd, sig, NULL, 0) < 0)
		return nd_err_set(err, ND_ERR_INTERNAL, errno, "signal %d to container '%s': %s", sig, ref, strerror(errno));
	return 0;
}

/* The mount point of the v1 hierarchy that has the freezer, into buf; -ENOENT when none. */
static int freezer_root(char *buf, size_t size)
{
	_cleanup_free_ char *text = NULL;
	char *save = NULL;

	if (nd_state_read("/proc/self/mountinfo", &text, NULL, NULL) < 0)
		return -ENOENT;
	for (char *line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		char mnt[1024], fstype[64], opts[1024];
		const char *sep = strstr(line, " - ");

		if (!sep || sscanf(sep + 3, "%63s %*s %1023s", fstype, opts) != 2 || strcmp(fstype, "cgroup") ||
		    !strstr(opts, "freezer") || sscanf(line, "%*s %*s %*s %*s %1023s", mnt) != 1)
			continue;
		snprintf(buf, size, "%s", mnt);
		return 0;
	}
	return -ENOENT;
}

static int write_file(const char *dir, const char *file, const char *val)
{
	char path[4096];
	_cleanup_close_ int fd = -1;

	snprintf(path, sizeof(path), "%s/%s", dir, file);
	if ((fd = open(path, O_WRONLY | O_CLOEXEC)) < 0 || nd_write_all(fd, val, strlen(val)) < 0)
		return -errno;
	return 0;
}

static bool file_has(const char *dir, const char *file, const char *what)
{
	_cleanup_free_ char *text = NULL, *path = NULL;

	if (asprintf(&path, "%s/%s", dir, file) < 0 || nd_state_read(path, &text, NULL, NULL) < 0)
		return false;
	return strstr(text, what) != NULL;
}

/* The freezer's directory for c: v2 the container's cgroup, v1 <freezer>/<parent>/<id>. */
static int freezer_dir(const struct nd_ctr *c, char *buf, size_t size, bool *v2, struct nd_cgroup *cg)
{
	char root[1024];
	int r = nd_cg_open(c->cg_parent ? c->cg_parent : "netd", c->id, cg, NULL);

	if (r < 0)
		return r;
	*v2 = cg->v2;
	if (cg->v2) {
		snprintf(buf, size, "%s", cg->dirs[0] ? cg->dirs[0] : "");
		return *buf ? 0 : -ENOENT;
	}
	if ((r = freezer_root(root, sizeof(root))) < 0)
		return r;
	snprintf(buf, size, "%s/%s/%s", root, c->cg_parent ? c->cg_parent : "netd", c->id);
	return 0;
}

/*
 * v1: every task of the pids cgroup into the freezer cgroup, until none is left out (a
 * task forked meanwhile shows up in the next round). How many were moved, or -errno.
 */
static int move_tasks(const char *pids_dir, const char *dir)
{
	_cleanup_free_ char *text = NULL, *path = NULL;
	char *save = NULL;
	int moved = 0;

	if (asprintf(&path, "%s/cgroup.procs", pids_dir) < 0)
		return -ENOMEM;
	if (nd_state_read(path, &text, NULL, NULL) < 0)
		return -ENOENT;
	for (char *pid = strtok_r(text, "\n", &save); pid; pid = strtok_r(NULL, "\n", &save)) {
		char in[64];

		snprintf(in, sizeof(in), "%s\n", pid);
		if (!file_has(dir, "cgroup.procs", in) && write_file(dir, "cgroup.procs", pid) == 0)
			moved++;
	}
	return moved;
}

/* Write the state, then wait (up to ~2 s) until the kernel reports it. */
static int set_state(const char *dir, bool v2, bool freeze)
{
	const struct timespec nap = { 0, 10 * 1000 * 1000 };
	const char *file = v2 ? "cgroup.freeze" : "freezer.state", *val = v2 ? (freeze ? "1" : "0") : freeze ? "FROZEN" : "THAWED";
	int r = write_file(dir, file, val);

	for (int i = 0; r >= 0 && i < 200; i++) {
		if (v2 ? file_has(dir, "cgroup.events", freeze ? "frozen 1" : "frozen 0") : file_has(dir, file, val))
			return 0;
		nanosleep(&nap, NULL);
	}
	return r < 0 ? r : -ETIMEDOUT;
}

bool nd_ctr_paused(const struct nd_ctr *c)
{
	_cleanup_(nd_cg_free) struct nd_cgroup cg = { 0 };
	char dir[4096];
	bool v2;

	if (freezer_dir(c, dir, sizeof(dir), &v2, &cg) < 0)
		return false;
	return v2 ? file_has(dir, "cgroup.freeze", "1") : file_has(dir, "freezer.state", "FROZEN");
}

/* v1: the freezer cgroup made and every task in it, frozen; repeated until nothing escapes. */
static int freeze_v1(const struct nd_cgroup *cg, const char *dir)
{
	const char *pids = cg->dirs[ND_CG_PIDS];
	int r = 0, moved = 1;

	if (!pids || !*pids)
		return -ENOENT;
	if (mkdir(dir, 0755) < 0 && errno != EEXIST) {
		/* The parent (shared by the containers) first. */
		_cleanup_free_ char *parent = strndup(dir, (size_t)(strrchr(dir, '/') - dir));

		if (!parent || (mkdir(parent, 0755) < 0 && errno != EEXIST) || (mkdir(dir, 0755) < 0 && errno != EEXIST))
			return -errno;
	}
	for (int round = 0; moved > 0 && r >= 0 && round < 10; round++) {
		if ((moved = move_tasks(pids, dir)) < 0)
			return moved;
		r = set_state(dir, false, true);
	}
	return r;
}

int nd_run_pause(const char *state, const char *ref, bool pause, struct nd_err **err)
{
	_cleanup_(nd_ctr_clear) struct nd_ctr c = { 0 };
	_cleanup_(nd_cg_free) struct nd_cgroup cg = { 0 };
	_cleanup_close_ int pidfd = -1;
	char dir[4096];
	bool v2 = false;
	int r = nd_ctr_find(state, ref, &c, err);

	if (r < 0 || (r = nd_ctr_pidfd(state, &c, &pidfd, err)) < 0)
		return r;
	if (nd_ctr_paused(&c) == pause)
		return nd_err_set(err, ND_ERR_BUSY, EBUSY, "container '%s' is %s", ref, pause ? "already paused" : "not paused");
	if ((r = freezer_dir(&c, dir, sizeof(dir), &v2, &cg)) < 0)
		return nd_err_set(err, ND_ERR_SETUP, -r, "container '%s': no cgroup freezer: %s", ref, strerror(-r));
	r = pause && !v2 ? freeze_v1(&cg, dir) : set_state(dir, v2, pause);
	if (r < 0)
		return nd_err_set(err, ND_ERR_SETUP, -r, "%s container '%s': %s", pause ? "pause" : "unpause", ref, strerror(-r));
	return 0;
}

void nd_ctr_thaw(const struct nd_ctr *c)
{
	_cleanup_(nd_cg_free) struct nd_cgroup cg = { 0 };
	char dir[4096];
	bool v2;

	if (freezer_dir(c, dir, sizeof(dir), &v2, &cg) >= 0)
		(void)set_state(dir, v2, false);
}

void nd_ctr_freezer_release(const struct nd_ctr *c)
{
	char dir[1024], *slash;

	/*
	 * Every container's end comes here, so no mountinfo is read: a v1 freezer cgroup was
	 * made only by a pause, at the freezer's usual mount. On v2 the container's own cgroup
	 * is the freezer, and its removal kills frozen tasks too (fatal signals thaw them).
	 */
	snprintf(dir, sizeof(dir), "/sys/fs/cgroup/freezer/%s/%s", c->cg_parent ? c->cg_parent : "netd", c->id);
	if (access(dir, F_OK) < 0)
		return;
	(void)set_state(dir, false, false);
	(void)rmdir(dir);
	/* The shared parent goes once no container uses it; while another does, rmdir fails, which is right. */
	if ((slash = strrchr(dir, '/'))) {
		*slash = '\0';
		(void)rmdir(dir);
	}
}

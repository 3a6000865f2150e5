#include "runtime/ctrops.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "base/cleanup.h"
#include "base/fault.h"
#include "base/proc.h"
#include "base/state.h"
#include "base/strv.h"
#include "runtime/caps.h"
#include "runtime/cgroup.h"
#include "runtime/ctrctl.h"
#include "runtime/netsetup.h"
#include "runtime/overlay.h"
#include "runtime/runopts.h"

#define REMOVING ".removing"

int nd_ctr_release(const struct nd_ctr *c, struct nd_err **err)
{
	_cleanup_(nd_cg_free) struct nd_cgroup cg = { 0 };
	int r, r2;

	/* A paused container is thawed first: frozen tasks do not die. */
	nd_ctr_freezer_release(c);
	r = nd_ctr_net_release(c, err);
	/* Every step runs; the first error is the one reported. */
	r2 = nd_cg_open(c->cg_parent ? c->cg_parent : "netd", c->id, &cg, r < 0 ? NULL : err);
	if (r2 >= 0)
		r2 = nd_cg_destroy(&cg, r < 0 ? NULL : err);
	return r < 0 ? r : r2;
}

bool nd_ctr_removing(const char *name)
{
	size_t n = strlen(name);

	return n == 1 + ND_CTR_ID_LEN + strlen(REMOVING) && name[0] == '.' && !strcmp(name + n - strlen(REMOVING), REMOVING);
}

void nd_ctr_remove(const char *state, const struct nd_ctr *c)
{
	_cleanup_free_ char *dir = nd_ctr_dir(state, c->id), *gone = NULL;

	nd_ctr_name_drop(state, c->name, c->id);
	if (dir && asprintf(&gone, "%s/containers/.%s" REMOVING, state, c->id) >= 0 && rename(dir, gone) == 0) {
		(void)nd_fault("run-remove", NULL);
		(void)nd_rmtree(gone, NULL);
	} else if (dir) {
		(void)nd_rmtree(dir, NULL);
	}
}

/* Until the container's monitor has ended: its lock is free, or gone. */
static void wait_monitor(const char *state, const char *id)
{
	_cleanup_free_ char *dir = nd_ctr_dir(state, id), *path = NULL;
	_cleanup_close_ int fd = -1;

	if (dir && asprintf(&path, "%s/lock", dir) >= 0)
		fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd >= 0)
		while (flock(fd, LOCK_SH) < 0 && errno == EINTR)
			;
}

/* sig (the container's stop signal), then SIGKILL unless the process ends within timeout_s. */
static void terminate(int pidfd, int sig, int timeout_s)
{
	struct pollfd pfd = { .fd = pidfd, .events = POLLIN };
	int r;

	(void)syscall(SYS_pidfd_send_signal, pidfd, sig, NULL, 0);
	while ((r = poll(&pfd, 1, timeout_s * 1000)) < 0 && errno == EINTR)
		;
	if (r == 0)
		(void)syscall(SYS_pidfd_send_signal, pidfd, SIGKILL, NULL, 0);
}

int nd_run_stop(const char *state, const char *ref, int timeout_s, struct nd_err **err)
{
	_cleanup_(nd_ctr_clear) struct nd_ctr c = { 0 };
	_cleanup_close_ int pidfd = -1;
	int r = nd_ctr_find(state, ref, &c, err);

	/* Not started yet (no pid) or not monitored: nothing runs that a signal could stop. */
	if (r < 0 || !nd_ctr_monitored(state, c.id))
		return r;
	/* Before the signal: the monitor must know the end was asked for (--restart). */
	nd_ctr_stop_mark(state, c.id, true);
	if (c.pid <= 0)
		return 0;
	/* A reused pid is never signalled. A paused container is thawed, or SIGTERM waits forever (Docker's order). */
	if (nd_proc_pidfd(c.pid, c.pid_start, &pidfd) == 0) {
		int sig = c.stop_signal ? nd_signal_number(c.stop_signal) : SIGTERM;

		if (nd_ctr_paused(&c))
			nd_ctr_thaw(&c);
		/* timeout_s < 0: the container's --stop-timeout, else Docker's 10 s. */
		terminate(pidfd, sig > 0 ? sig : SIGTERM, timeout_s >= 0 ? timeout_s : c.stop_timeout >= 0 ? c.stop_timeout : 10);
	}
	wait_monitor(state, c.id);
	return 0;
}

/*
 * With the container's lock held: release all its record names, then the record. A
 * directory without a record (a monitor killed before its first save) owns nothing more.
 */
static int remove_locked(const char *state, const char *id, struct nd_err **err)
{
	_cleanup_(nd_ctr_clear) struct nd_ctr c = { 0 };
	_cleanup_err_ struct nd_err *e = NULL;
	int r = nd_ctr_load(state, id, &c, &e);

	if (r == -ENOENT) {
		snprintf(c.id, sizeof(c.id), "%s", id);
		nd_ctr_remove(state, &c);
		return 0;
	}
	if (r < 0)
		return nd_err_move(err, &e, r);
	if ((r = nd_ctr_release(&c, err)) >= 0)
		nd_ctr_remove(state, &c);
	return r;
}

int nd_run_remove(const char *state, const char *ref, bool force, struct nd_err **err)
{
	char id[ND_CTR_ID_LEN + 1];
	_cleanup_close_ int lock = -1;
	int r;

	if ((r = nd_ctr_resolve(state, ref, id, err)) < 0)
		return r;
	if (!nd_ctr_exists(state, id)) {
		/* A name left pointing at nothing: free it. */
		nd_ctr_name_drop(state, ref, id);
		return nd_err_set(err, ND_ERR_NO_CONTAINER, ENOENT, "no such container: '%s'", ref);
	}
	if (nd_ctr_lock(state, id, false, &lock, NULL) < 0) {
		if (!force)
			return nd_err_set(err, ND_ERR_RUNNING, EBUSY, "container '%s' is running: stop it first, or rm -f", ref);
		if ((r = nd_run_stop(state, id, 0, err)) < 0 || (r = nd_ctr_lock(state, id, true, &lock, err)) < 0)
			return r;
	}
	return remove_locked(state, id, err);
}

int nd_run_exec(const char *state, const char *ref, const struct nd_exec_spec *s, int *ret_code, struct nd_err **err)
{
	_cleanup_(nd_ctr_clear) struct nd_ctr c = { 0 };
	_cleanup_(nd_cg_free) struct nd_cgroup cg = { 0 };
	_cleanup_(nd_strv_clear) struct nd_strv env = { 0 };
	_cleanup_close_ int pidfd = -1;
	struct nd_exec_spec x = *s;
	_cleanup_free_ char *cache = NULL;
	int r;

	if ((r = nd_ctr_find(state, ref, &c, err)) < 0 || (r = nd_ctr_pidfd(state, &c, &pidfd, err)) < 0)
		return r;
	for (char **e = c.env; r >= 0 && e && *e; e++)
		r = nd_env_set(&env, *e);
	for (char *const *e = s->env; r >= 0 && e && *e; e++)
		r = nd_env_set(&env, *e);
	if (r < 0)
		return nd_oom(err);
	if ((r = nd_cg_open(c.cg_parent ? c.cg_parent : "netd", c.id, &cg, err)) < 0)
		return r;
	x.env = env.v;
	x.cwd = s->cwd ? s->cwd : c.cwd;
	x.user = s->user ? s->user : c.user;
	x.cg = &cg;
	x.seccomp_unconfined = c.seccomp && !strcmp(c.seccomp, "unconfined");
	x.caps = nd_ctr_caps(&c);
	x.seccomp_profile = c.seccomp_profile;
	x.group_add = c.group_add;
	if (asprintf(&cache, "%s/seccomp", state) < 0)
		return nd_oom(err);
	x.seccomp_cache = cache;
	return nd_ctr_exec(c.pid, pidfd, &x, ret_code, err);
}

int nd_run_commit(const char *state, const char *ref, const struct nd_image_ops *images, const char *dir,
		  char ret_diff_id[ND_DIGEST_LEN + 1], struct nd_err **err)
{
	_cleanup_(nd_ctr_clear) struct nd_ctr c = { 0 };
	_cleanup_free_ char *upper = NULL, *out = NULL;
	int r = nd_ctr_find(state, ref, &c, err);

	if (r < 0)
		return r;
	if (asprintf(&upper, "%s/containers/%s/upper", state, c.id) < 0 || asprintf(&out, "%s/layer.tar", dir) < 0)
		return nd_oom(err);
	if ((r = nd_state_mkdirs(dir, 0755, err)) < 0)
		return r;
	return images->commit(upper, out, c.userns ? ND_USERNS_BASE : 0, ret_diff_id, err);
}

struct log_watch {
	const char *state;
	const char *id;
};

static bool log_writer_alive(void *arg)
{
	const struct log_watch *w = arg;

	return nd_ctr_monitored(w->state, w->id);
}

int nd_run_logs(const char *state, const char *ref, const struct nd_log_read *o, struct nd_err **err)
{
	_cleanup_(nd_ctr_clear) struct nd_ctr c = { 0 };
	_cleanup_free_ char *path = NULL;
	struct log_watch w = { .state = state };
	struct nd_log_read mine = *o;
	int r = nd_ctr_find(state, ref, &c, err);

	if (r < 0)
		return r;
	if (asprintf(&path, "%s/containers/%s/log", state, c.id) < 0)
		return nd_oom(err);
	w.id = c.id;
	mine.path = path;
	mine.alive = log_writer_alive;
	mine.alive_arg = &w;
	return nd_log_read(&mine, err);
}

static char *stop_mark_path(const char *state, const char *id)
{
	char *p = NULL;

	return asprintf(&p, "%s/containers/%s/stop-requested", state, id) < 0 ? NULL : p;
}

void nd_ctr_stop_mark(const char *state, const char *id, bool set)
{
	_cleanup_free_ char *path = stop_mark_path(state, id);
	int fd;

	if (!path)
		return;
	if (!set) {
		(void)unlink(path);
		return;
	}
	if ((fd = open(path, O_WRONLY | O_CREAT | O_CLOEXEC, 0600)) >= 0)
		close(fd);
}

bool nd_ctr_stop_marked(const char *state, const char *id)
{
	_cleanup_free_ char *path = stop_mark_path(state, id);

	return path && access(path, F_OK) == 0;
}

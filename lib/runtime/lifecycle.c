#include "runtime/lifecycle.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "base/cleanup.h"
#include "base/fault.h"
#include "base/fdio.h"
#include "base/proc.h"
#include "base/state.h"
#include "base/strv.h"
#include "kernel/netnsname.h"
#include "runtime/caps.h"
#include "runtime/ctrops.h"
#include "runtime/etcfiles.h"
#include "runtime/names.h"
#include "runtime/netsetup.h"
#include "runtime/ttyrelay.h"
#include "runtime/overlay.h"

/* The init a foreground monitor forwards signals to; 0 when none. */
static volatile pid_t fwd_pid;

static void forward(int sig)
{
	if (fwd_pid > 0)
		(void)kill(fwd_pid, sig);
}

/* The terminal's signals go to the container, whose init passes them to the command. */
static void forward_signals(pid_t init)
{
	static const int sigs[] = { SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2, SIGWINCH };
	struct sigaction sa = { .sa_handler = forward, .sa_flags = SA_RESTART };

	fwd_pid = init;
	for (size_t i = 0; i < ND_ARRAY_SIZE(sigs); i++)
		sigaction(sigs[i], &sa, NULL);
}

static void phase(const struct nd_run *run, const char *what)
{
	if (run->spec->phase)
		run->spec->phase(what);
}

void nd_run_clear(struct nd_run *run)
{
	nd_ctr_proc_close(&run->proc);
	nd_cg_free(&run->cg);
	nd_closep(&run->lock);
	nd_closep(&run->netns_fd);
	nd_closep(&run->logfd);
	free(run->dir);
	free(run->upper);
	free(run->work);
	free(run->merged);
	free(run->seccomp_cache);
	nd_ctr_mounts_free(run->mounts, run->n_mounts);
	for (int i = 0; i < 2; i++) {
		nd_closep(&run->out[i]);
		nd_closep(&run->errp[i]);
	}
	if (run->log.path)
		nd_log_close(&run->log);
	nd_closep(&run->ptm);
	nd_closep(&run->attach_fd);
	nd_ctr_clear(&run->c);
	*run = (struct nd_run)ND_RUN_INIT;
}

/*
 * A fresh ID whose short form names nothing yet (no container of that prefix, no netns
 * "netd-<short>"): the record can name its netns before it exists, and nothing of another
 * container is ever released as this one's.
 */
static int new_id(const char *state, char ret[ND_CTR_ID_LEN + 1], struct nd_err **err)
{
	for (int tries = 0; tries < 16; tries++) {
		char ns[PATH_MAX], short_id[ND_CTR_SHORT + 1], other[ND_CTR_ID_LEN + 1];
		int r = nd_ctr_new_id(ret, err);

		if (r < 0)
			return r;
		snprintf(short_id, sizeof(short_id), "%.*s", ND_CTR_SHORT, ret);
		snprintf(ns, sizeof(ns), "%s/netd-%s", ND_NETNS_RUN_DIR, short_id);
		if (access(ns, F_OK) < 0 && errno == ENOENT && nd_ctr_resolve(state, short_id, other, NULL) == -ENOENT)
			return 0;
	}
	return nd_err_set(err, ND_ERR_INTERNAL, EEXIST, "no free container ID");
}

/*
 * netd start: the stopped container's own record, as it was asked for (command, mounts,
 * network, name, limits), without what its last run left (pid, addresses, exit status).
 */
static int again(struct nd_run *run, struct nd_err **err)
{
	struct nd_ctr *c = &run->c;
	int r = nd_ctr_load(run->spec->state, run->spec->existing, c, err);

	if (r < 0)
		return r;
	if (c->auto_rm)
		return nd_err_set(err, ND_ERR_REFUSED, EINVAL, "container %.12s was run with --rm", c->id);
	nd_strv_free(c->ips);
	free(c->network);
	free(c->netns);
	c->ips = NULL;
	c->network = c->netns = NULL;
	c->pid = 0;
	c->pid_start = 0;
	c->exit_code = 0;
	c->oom = false;
	c->finished = 0;
	c->detach = run->spec->detach;
	nd_ctr_stop_mark(run->spec->state, c->id, false);
	return nd_ctr_set_status(c, "created", err);
}

/* The record in memory: a fresh ID, what the spec asks for, the names its network will own. */
static int plan(struct nd_run *run, struct nd_err **err)
{
	const char *state = run->spec->state;
	int r;

	if (run->spec->existing)
		r = again(run, err);
	else if ((r = new_id(state, run->c.id, err)) >= 0)
		r = nd_spec_to_ctr(run->spec, &run->c, err);
	if (r < 0)
		return r;
	return nd_ctr_net_plan(state, &run->c, &run->netns_fd, err);
}

/*
 * An unnamed container gets a free "adjective_surname" as with Docker: recorded first,
 * like a given name, then taken; if another run took it meanwhile, another is drawn.
 */
static int generated_name(struct nd_run *run, struct nd_err **err)
{
	const char *state = run->spec->state;
	struct nd_ctr *c = &run->c;
	char name[64];
	int r = -EEXIST;

	for (int tries = 0; r == -EEXIST && tries < 32; tries++) {
		char other[ND_CTR_ID_LEN + 1];

		nd_ctr_gen_name(name, sizeof(name));
		/* After a few clashes, a number as Docker adds one. */
		if (tries >= 8)
			snprintf(name + strlen(name), sizeof(name) - strlen(name), "%d", tries);
		if (nd_ctr_resolve(state, name, other, NULL) != -ENOENT)
			continue;
		free(c->name);
		if (!(c->name = strdup(name)))
			return nd_oom(err);
		if ((r = nd_ctr_save(state, c, err)) < 0)
			return r;
		r = nd_ctr_name_take(state, name, c->id, NULL);
	}
	if (r < 0)
		return nd_err_set(err, ND_ERR_INTERNAL, -r, "no free generated name");
	return nd_fault("run-name", err);
}

/*
 * The record, locked, before anything the container owns exists, and naming all of it
 * (netns, network, cgroup, name): whenever the monitor dies, rm and gc find every piece.
 */
static int record(struct nd_run *run, struct nd_err **err)
{
	const char *state = run->spec->state;
	struct nd_ctr *c = &run->c;
	int r;

	if (!(run->dir = nd_ctr_dir(state, c->id)))
		return nd_oom(err);
	if ((r = nd_state_mkdirs(run->dir, 0700, err)) < 0 || (r = nd_ctr_lock(state, c->id, false, &run->lock, err)) < 0 ||
	    (r = nd_ctr_save(state, c, err)) < 0)
		return r;
	run->recorded = true;
	if ((r = nd_fault("run-record", err)) < 0)
		return r;
	/* A container started again still has its name. */
	if (run->spec->existing)
		return 0;
	if (!c->name)
		return generated_name(run, err);
	if ((r = nd_ctr_name_take(state, c->name, c->id, err)) < 0 || (r = nd_fault("run-name", err)) < 0)
		return r;
	return 0;
}

static char *sub(const char *dir, const char *name)
{
	char *p = NULL;

	return asprintf(&p, "%s/%s", dir, name) < 0 ? NULL : p;
}

/* The writable layer's directories and, detached, the log the command writes to. */
static int dirs(struct nd_run *run, struct nd_err **err)
{
	_cleanup_free_ char *log = NULL;

	if (!(run->seccomp_cache = sub(run->spec->state, "seccomp")) || !(run->upper = sub(run->dir, "upper")) || !(run->work = sub(run->dir, "work")) ||
	    !(run->merged = sub(run->dir, "merged")) || !(log = sub(run->dir, "log")))
		return nd_oom(err);
	/* netd start: the writable layer is the one the container had. */
	if (run->spec->existing && access(run->upper, F_OK) == 0 && access(run->work, F_OK) == 0 &&
	    access(run->merged, F_OK) == 0)
		;
	else if (mkdir(run->upper, 0755) < 0 || mkdir(run->work, 0700) < 0 || mkdir(run->merged, 0755) < 0 ||
		 (run->c.userns && chown(run->upper, ND_USERNS_BASE, ND_USERNS_BASE) < 0))
		return nd_err_set(err, ND_ERR_INTERNAL, errno, "'%s': %s", run->dir, strerror(errno));
	/* Every container's output goes through the monitor into its json-file log (Docker's). */
	if (pipe2(run->out, O_CLOEXEC) < 0 || pipe2(run->errp, O_CLOEXEC) < 0)
		return nd_err_set(err, ND_ERR_INTERNAL, errno, "pipe: %s", strerror(errno));
	if (nd_log_open(log, run->c.log_max_size, run->c.log_max_file, &run->log, err) < 0)
		return -EIO;
	if (run->c.tty && run->c.detach && nd_tty_listen(run->dir, &run->attach_fd, err) < 0)
		return -EIO;
	if (nd_etc_create(run->dir, err) < 0)
		return -EIO;
	return nd_fault("run-dirs", err);
}

/* What the init is cloned with: the record's command and layers, our netns, cgroup, log. */
static void ctr_spec(struct nd_run *run)
{
	const struct nd_ctr *c = &run->c;

	run->cspec = (struct nd_ctr_spec){
		.hostname = c->hostname,
		.lower = (const char *const *)c->lower,
		.n_lower = nd_strv_len(c->lower),
		.upper = run->upper,
		.work = run->work,
		.merged = run->merged,
		.argv = c->argv,
		.env = c->env,
		.cwd = c->cwd,
		.user = c->user,
		.netns_fd = run->netns_fd,
		.cg = &run->cg,
		.userns = c->userns,
		.stdio = { -1, run->out[1], run->errp[1] },
		.new_session = c->detach,
		.seccomp_unconfined = c->seccomp && !strcmp(c->seccomp, "unconfined"),
		.etc_dir = run->dir,
		.init = c->init,
		.caps = nd_ctr_caps(c),
		.seccomp_profile = c->seccomp_profile,
		.privileged = c->privileged,
		.ulimits = c->ulimits,
		.sysctls = c->sysctls,
		.group_add = c->group_add,
		.shm_size = c->shm_size,
		.mkcwd = true,
		.seccomp_cache = run->seccomp_cache,
		.devices = c->devices,
		.mounts = run->mounts,
		.n_mounts = run->n_mounts,
		.read_only = c->read_only,
		.tty = c->tty,
	};
}

/* The command runs, and the record says so (with the init's pid and start time). */
static int start_command(struct nd_run *run, struct nd_err **err)
{
	struct nd_ctr *c = &run->c;
	int r;

	if (!c->detach)
		forward_signals(run->proc.pid);
	if ((r = nd_ctr_start(&run->proc, &run->cspec, err)) < 0)
		return r;
	run->started = true;
	run->ptm = TAKE_FD(run->proc.pty);
	if ((r = nd_fault("run-start", err)) < 0)
		return r;
	phase(run, "command started");
	/* The container holds the write ends now: their end of file is its end. */
	nd_closep(&run->out[1]);
	nd_closep(&run->errp[1]);
	c->pid = run->proc.pid;
	c->pid_start = nd_proc_start_time(run->proc.pid);
	if ((r = nd_ctr_set_status(c, "running", err)) < 0 || (r = nd_ctr_save(run->spec->state, c, err)) < 0)
		return r;
	return nd_fault("run-running", err);
}

/* Every step of a start, in order; each leaves what it made in run, for abandon(). */
static int start_steps(struct nd_run *run, struct nd_err **err)
{
	struct nd_etc_opts etc;
	struct nd_ctr *c = &run->c;
	int r;

	if ((r = plan(run, err)) < 0)
		return r;
	phase(run, "options and layers");
	if ((r = record(run, err)) < 0 || (r = dirs(run, err)) < 0)
		return r;
	/* After the record: a volume it names is never pruned away under it. */
	if (c->mounts && (r = nd_ctr_mounts_plan(run->spec->state, c->mounts, &run->mounts, &run->n_mounts, err)) < 0)
		return r;
	phase(run, "dirs, lock, record");
	if ((r = nd_ctr_net_create(c, &run->netns_fd, err)) < 0 || (r = nd_fault("run-netns", err)) < 0)
		return r;
	phase(run, "netns");
	if ((r = nd_cg_create(c->cg_parent, c->id, &c->limits, &run->cg, err)) < 0 || (r = nd_fault("run-cgroup", err)) < 0)
		return r;
	phase(run, "cgroup");
	ctr_spec(run);
	if ((r = nd_ctr_spawn(&run->cspec, &run->proc, err)) < 0 || (r = nd_fault("run-spawn", err)) < 0)
		return r;
	phase(run, "clone");
	/* The container prepares its root meanwhile: the two cores work in parallel. */
	if ((r = nd_ctr_net_attach(c, run->netns_fd, err)) < 0 || (r = nd_fault("run-attach", err)) < 0)
		return r;
	phase(run, "network attached");
	etc = nd_spec_etc(run->spec);
	if ((r = nd_etc_write(&etc, run->spec->state, c, run->dir, NULL, err)) < 0)
		return r;
	nd_closep(&run->netns_fd);
	return start_command(run, err);
}

/*
 * Undo a failed start: the container goes first; then everything the record names, each
 * release idempotent; then the record, unless the command ran and the container is kept.
 */
static void abandon(struct nd_run *run)
{
	const char *state = run->spec->state;

	fwd_pid = 0;
	nd_ctr_proc_close(&run->proc);
	if (run->recorded)
		(void)nd_ctr_release(&run->c, NULL);
	/* netd start: the container is kept whatever failed; one that is running (locked) is not touched. */
	if (run->spec->existing && !run->recorded)
		return;
	if ((run->started || run->spec->existing) && !run->c.auto_rm) {
		if (nd_ctr_set_status(&run->c, "exited", NULL) >= 0)
			(void)nd_ctr_save(state, &run->c, NULL);
	} else if (run->recorded) {
		nd_ctr_remove(state, &run->c);
	} else if (run->dir) {
		(void)nd_rmtree(run->dir, NULL);
	}
}

int nd_run_start(const struct nd_run_spec *spec, struct nd_run *run, struct nd_err **err)
{
	int r;

	run->spec = spec;
	phase(run, "monitor");
	if ((r = start_steps(run, err)) < 0)
		abandon(run);
	return r;
}

/* netd rename may have renamed the container while it ran: its record has the name. */
static void keep_renamed(struct nd_run *run)
{
	_cleanup_(nd_ctr_clear) struct nd_ctr disk = { 0 };

	if (nd_ctr_load(run->spec->state, run->c.id, &disk, NULL) < 0 || !disk.name ||
	    (run->c.name && !strcmp(disk.name, run->c.name)))
		return;
	free(run->c.name);
	run->c.name = TAKE_PTR(disk.name);
}

/*
 * The command's output into the log (and, in the foreground, to our own stdout and
 * stderr) until both pipes end: when the init exits, the kernel kills the rest of the
 * container, so every writer is gone.
 */
static void pump(struct nd_run *run)
{
	struct pollfd p[2] = { { .fd = run->out[0], .events = POLLIN }, { .fd = run->errp[0], .events = POLLIN } };
	struct sigaction ign = { .sa_handler = SIG_IGN };
	bool echo = !run->c.detach;
	char buf[65536];

	/* A caller that closed its end of our stdout must not kill the monitor (and the container). */
	sigaction(SIGPIPE, &ign, NULL);
	while (p[0].fd >= 0 || p[1].fd >= 0) {
		if (poll(p, 2, -1) < 0) {
			if (errno == EINTR)
				continue;
			break;
		}
		for (int i = 0; i < 2; i++) {
			ssize_t n;

			if (p[i].fd < 0 || !p[i].revents)
				continue;
			n = read(p[i].fd, buf, sizeof(buf));
			if (n < 0 && errno == EINTR)
				continue;
			if (n <= 0) {
				p[i].fd = -1;
				continue;
			}
			nd_log_feed(&run->log, i + 1, buf, (size_t)n);
			if (echo)
				(void)nd_write_all(i + 1, buf, (size_t)n);
		}
	}
	nd_closep(&run->out[0]);
	nd_closep(&run->errp[0]);
	nd_log_close(&run->log);
}

int nd_run_wait(struct nd_run *run, int *ret_code, struct nd_err **ret_release, struct nd_err **err)
{
	const char *state = run->spec->state;
	struct nd_ctr *c = &run->c;
	int code = 0, r;

	if (run->ptm >= 0)
		nd_tty_relay(run->ptm, &run->log, !run->c.detach, run->spec->interactive && !run->c.detach, run->attach_fd);
	pump(run);
	r = nd_ctr_wait(&run->proc, &code, err);

	phase(run, "container exited");
	fwd_pid = 0;
	if (r < 0) {
		abandon(run);
		return r;
	}
	c->oom = nd_cg_oom_killed(&run->cg);
	keep_renamed(run);
	if ((r = nd_ctr_release(c, ret_release)) < 0)
		nd_err_wrap(ret_release, "releasing container %.12s", c->id);
	(void)nd_fault("run-release", NULL);
	phase(run, "released");
	/* After a failed release the record stays "running" without a monitor: rm and gc retry it. */
	if (r >= 0 && c->auto_rm) {
		nd_ctr_remove(state, c);
	} else if (r >= 0 && nd_ctr_set_status(c, "exited", NULL) >= 0) {
		c->exit_code = code;
		c->finished = (long long)time(NULL);
		(void)nd_ctr_save(state, c, NULL);
	}
	*ret_code = code;
	return 0;
}

/* Does the restart policy start the container again after it ended with code? */
static bool restart_wanted(const char *state, const struct nd_ctr *c, int code)
{
	int max = 0;

	if (!c->restart || !strcmp(c->restart, "no") || nd_ctr_stop_marked(state, c->id) ||
	    !nd_ctr_exists(state, c->id) || nd_spec_restart_policy(c->restart, &max, NULL) < 0)
		return false;
	if (strncmp(c->restart, "on-failure", 10))
		return true; /* always, unless-stopped */
	return code != 0 && (max == 0 || c->restart_count < max);
}

/* Docker's back-off before a restart, in slices, so that netd stop (its mark) ends the wait. */
static bool backoff(const char *state, const char *id, long ms)
{
	const struct timespec slice = { 0, 50 * 1000 * 1000 };

	for (long waited = 0; waited < ms; waited += 50) {
		if (nd_ctr_stop_marked(state, id))
			return false;
		nanosleep(&slice, NULL);
	}
	return !nd_ctr_stop_marked(state, id);
}

/*
 * The restart policy, kept by the monitor: the container is started again (its own
 * record: netd start's path) after 100 ms, doubling up to a minute, and back to 100 ms
 * once a run lasted 10 s, as Docker does; never after netd stop.
 */
static int keep_restarting(const struct nd_run_spec *spec, struct nd_run *run, int code)
{
	char id[ND_CTR_ID_LEN + 1];
	long delay = 100;

	memcpy(id, run->c.id, sizeof(id));
	for (;;) {
		struct nd_run_spec again_spec = { .state = spec->state, .existing = id, .detach = true };
		_cleanup_err_ struct nd_err *release = NULL;
		time_t t0;
		int count = run->c.restart_count + 1;

		_cleanup_close_ int lock = -1;

		if (!restart_wanted(spec->state, &run->c, code))
			return code;
		/* The lock stays held while we wait: the container is ours ("created"), netd stop finds us. */
		lock = TAKE_FD(run->lock);
		nd_run_clear(run);
		if (!backoff(spec->state, id, delay))
			return code;
		delay = delay * 2 > 60000 ? 60000 : delay * 2;
		t0 = time(NULL);
		nd_closep(&lock);
		if (nd_run_start(&again_spec, run, NULL) < 0)
			return code;
		run->c.restart_count = count;
		(void)nd_ctr_save(spec->state, &run->c, NULL);
		(void)nd_run_wait(run, &code, &release, NULL);
		if (time(NULL) - t0 >= 10)
			delay = 100;
	}
}

/* -d's monitor: "OK <id>" or "ERR <code> <errno> <message>" on notify, then the container's life. */
static int monitor_detached(const struct nd_run_spec *spec, int notify)
{
	_cleanup_(nd_run_clear) struct nd_run run = ND_RUN_INIT;
	_cleanup_err_ struct nd_err *err = NULL, *release = NULL;
	int code = 0;

	if (nd_run_start(spec, &run, &err) < 0) {
		dprintf(notify, "ERR %d %d %s\n", err ? err->code : ND_ERR_INTERNAL, err ? err->errnum : EIO,
			err && err->msg ? err->msg : "failed");
		return 1;
	}
	dprintf(notify, "OK %s\n", run.c.id);
	close(notify);
	(void)nd_run_wait(&run, &code, &release, NULL);
	return keep_restarting(spec, &run, code);
}

/* In the first child: a session of its own, nothing of the caller's; returns in the grandchild. */
static void detach_self(void)
{
	int null = open("/dev/null", O_RDWR | O_CLOEXEC);
	pid_t pid;

	(void)setsid();
	/* The monitor outlives us: it must not hold our caller's terminal or pipes. */
	if (null >= 0) {
		dup2(null, 0);
		dup2(null, 1);
		dup2(null, 2);
		close(null);
	}
	/* A second fork: the monitor is not our child, so nobody has to reap it. */
	pid = fork();
	if (pid != 0)
		_exit(pid < 0 ? 1 : 0);
}

/* What the monitor said on fd: the container's ID, or why it could not start. */
static int read_notice(int fd, pid_t child, char ret_id[ND_CTR_ID_LEN + 1], struct nd_err **err)
{
	char buf[1024], id[ND_CTR_ID_LEN + 1];
	long n = nd_read_upto(fd, buf, sizeof(buf) - 1);
	int st, code, errnum, off = 0;

	close(fd);
	while (waitpid(child, &st, 0) < 0 && errno == EINTR)
		;
	buf[n > 0 ? n : 0] = '\0';
	buf[strcspn(buf, "\n")] = '\0';
	if (sscanf(buf, "OK %64[0-9a-f]", id) == 1 && strlen(id) == ND_CTR_ID_LEN) {
		memcpy(ret_id, id, sizeof(id));
		return 0;
	}
	if (sscanf(buf, "ERR %d %d %n", &code, &errnum, &off) == 2 && off > 0)
		return nd_err_set(err, code, errnum, "%s", buf + off);
	return nd_err_set(err, ND_ERR_INTERNAL, EPIPE, "the monitor exited before the container started");
}

int nd_run_detached(const struct nd_run_spec *spec, char ret_id[ND_CTR_ID_LEN + 1], struct nd_err **err)
{
	int p[2];
	pid_t pid;

	if (pipe2(p, O_CLOEXEC) < 0)
		return nd_err_set(err, ND_ERR_INTERNAL, errno, "pipe: %s", strerror(errno));
	/* Whatever stdio holds would otherwise be written twice, by us and by the monitor. */
	fflush(NULL);
	pid = fork();
	if (pid < 0) {
		int r = nd_err_set(err, ND_ERR_INTERNAL, errno, "fork: %s", strerror(errno));

		close(p[0]);
		close(p[1]);
		return r;
	}
	if (pid == 0) {
		close(p[0]);
		detach_self();
		_exit(monitor_detached(spec, p[1]) & 0xff);
	}
	close(p[1]);
	return read_notice(p[0], pid, ret_id, err);
}

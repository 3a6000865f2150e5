/*
 * A container's life as its monitor lives it: nd_run_start makes everything the spec
 * asks for and starts the command, nd_run_wait waits for its end and releases everything.
 * The monitor is the process that calls them: `netd run` itself, or with -d the
 * background process nd_run_detached forks. It holds the container's lock for the
 * container's whole life ("running" is "the lock is held").
 *
 * Order (docs/runtime.md "State"): the record first, locked and naming everything the
 * container will own (netns, network, cgroup, name), then the name, the directories, the
 * netns, the cgroup, the init, the network, the command. A failure at any step releases
 * every piece the record names (each release idempotent); so do netd rm and netd gc after
 * a killed monitor. Fault points run-* (base/fault.h) sit between the steps.
 */
#pragma once

#include <stdbool.h>

#include "base/err.h"
#include "runtime/cgroup.h"
#include "runtime/container.h"
#include "runtime/ctrlog.h"
#include "runtime/ctrstate.h"
#include "runtime/spec.h"

/* The monitor's hold on one container. */
struct nd_run {
	const struct nd_run_spec *spec;
	struct nd_ctr c;                /* the record */
	char *dir, *upper, *work, *merged;
	int lock, netns_fd, logfd;
	struct nd_cgroup cg;
	struct nd_ctr_spec cspec;       /* what the init was cloned with (nd_ctr_start needs it again) */
	struct nd_ctr_proc proc;
	bool recorded;                  /* the record exists: it names what a failure must release */
	bool started;                   /* the command ran */
	char *seccomp_cache;            /* <state>/seccomp: compiled filters (runtime/seccache.h) */
	struct nd_ctr_mount *mounts;    /* the record's mounts, planned (runtime/ctrmount.h) */
	size_t n_mounts;
	int out[2], errp[2];            /* the command's stdout and stderr, which the monitor logs */
	struct nd_log log;              /* <dir>/log, json-file (runtime/ctrlog.h) */
	int ptm;                        /* -t: the pty's master, relayed by the monitor */
	int attach_fd;                  /* -d -t: <dir>/attach.sock, listening for netd attach */
};
#define ND_RUN_INIT { .lock = -1, .netns_fd = -1, .logfd = -1, .proc = { .pidfd = -1, .sync = -1 }, \
		      .out = { -1, -1 }, .errp = { -1, -1 }, .log = { .fd = -1 }, .ptm = -1, \
		      .attach_fd = -1 }
/* Memory and descriptors; kills an init still there. Releases nothing the record names. */
void nd_run_clear(struct nd_run *run);

/*
 * Everything up to the command running and the record saying so. Without spec->detach,
 * the monitor's SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2 and SIGWINCH are
 * forwarded to the container from then on. On failure everything is released again:
 * nothing is left but, when the command had run and spec->rm is off, its record
 * ("exited"). A command that cannot run fails with its own code (not found, cannot exec).
 */
int nd_run_start(const struct nd_run_spec *spec, struct nd_run *run, struct nd_err **err);
/*
 * Until the command has ended: *ret_code is its status (128+N for signal N); then the
 * release, and the record removed (--rm) or kept "exited". A failed release is told in
 * *ret_release (the status still counts): the record stays for rm and gc to finish.
 * run->c.oom tells an OOM kill.
 */
int nd_run_wait(struct nd_run *run, int *ret_code, struct nd_err **ret_release, struct nd_err **err);
/*
 * -d: a monitor in a session of its own, not our child, with stdio on /dev/null, starts
 * the container and lives with it; we return once it says the container runs (its ID)
 * or why it could not start.
 */
int nd_run_detached(const struct nd_run_spec *spec, char ret_id[ND_CTR_ID_LEN + 1], struct nd_err **err);

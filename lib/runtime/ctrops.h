/*
 * What is done to a container that exists, by ID, name or ID prefix: stop, remove, exec,
 * its log, commit; and the two halves of its end that its monitor, netd rm and netd gc
 * share: the release of everything its record names, and the removal of the record.
 */
#pragma once

#include <stdbool.h>

#include "base/err.h"
#include "runtime/container.h"
#include "runtime/ctrlog.h"
#include "runtime/ctrstate.h"
#include "runtime/image.h"

/*
 * Everything the container had outside its own processes: its network, its netns, its
 * cgroup (what is left in it is killed). Idempotent: what was never made or is gone is fine.
 */
int nd_ctr_release(const struct nd_ctr *c, struct nd_err **err);
/*
 * The record and its files: the name first (no name outlives its record), then one rename
 * takes the record away whole ("containers/.<id>.removing"), then the files go. A kill on
 * the way leaves that hidden directory, which netd gc removes (nd_ctr_removing).
 */
void nd_ctr_remove(const char *state, const struct nd_ctr *c);
/* Is this entry of <state>/containers a removal cut short? */
bool nd_ctr_removing(const char *name);

/*
 * The container's stop signal (--stop-signal, else SIGTERM), SIGKILL after timeout_s (< 0:
 * its --stop-timeout, else 10); returns once its monitor has ended.
 */
int nd_run_stop(const char *state, const char *ref, int timeout_s, struct nd_err **err);
/*
 * Release everything a container's record names and remove it. A running container is
 * refused (code ND_ERR_RUNNING) unless force, which stops it first. A name pointing at no
 * container is dropped (and reported unknown).
 */
int nd_run_remove(const char *state, const char *ref, bool force, struct nd_err **err);
/*
 * s->argv in the running container (nd_ctr_exec): s->env over the container's
 * environment, s->cwd and s->user or the container's; cgroup and seccomp are its own.
 */
int nd_run_exec(const char *state, const char *ref, const struct nd_exec_spec *s, int *ret_code,
		struct nd_err **err);
/* The container's writable layer as <dir>/layer.tar (images->commit); its diff_id. */
int nd_run_commit(const char *state, const char *ref, const struct nd_image_ops *images, const char *dir,
		  char ret_diff_id[ND_DIGEST_LEN + 1], struct nd_err **err);
/*
 * The container's json-file log (runtime/ctrlog.h) read with o's tail, since and follow;
 * its path and alive (its monitor still holds the container) are set here, on a copy of o.
 */
int nd_run_logs(const char *state, const char *ref, const struct nd_log_read *o, struct nd_err **err);
/*
 * netd stop's word to the container's monitor (<dir>/stop-requested): a container stopped
 * by a user is not started again by its restart policy. set false: take it back.
 */
void nd_ctr_stop_mark(const char *state, const char *id, bool set);
bool nd_ctr_stop_marked(const char *state, const char *id);

/*
 * Control of a running container from outside its monitor: signals (netd kill) and the
 * cgroup freezer (netd pause, unpause). On a v2 host the container's own cgroup has
 * cgroup.freeze; on a v1 host a freezer cgroup <freezer>/<parent>/<id> is made at the
 * first pause and the container's tasks (its pids cgroup's) are moved in; the release
 * of the container removes it.
 */
#pragma once

#include <stdbool.h>

#include "base/err.h"
#include "runtime/ctrstate.h"

/* "KILL", "SIGKILL", "kill" or "9" -> 9; -EINVAL when it names no signal. */
int nd_signal_parse(const char *s, int *ret);
/* sig to the running container's init (which the command gets); code ND_ERR_NOT_RUNNING otherwise. */
int nd_run_kill(const char *state, const char *ref, int sig, struct nd_err **err);
/*
 * Freeze (pause) or thaw (unpause) every task of the running container, and wait until the
 * kernel says so. Pausing a paused one, or unpausing a running one, is code ND_ERR_BUSY.
 */
int nd_run_pause(const char *state, const char *ref, bool pause, struct nd_err **err);
/* Is the container frozen? false when unknown. */
bool nd_ctr_paused(const struct nd_ctr *c);
/* Thaw the container (netd stop of a paused one: frozen tasks take no SIGTERM). */
void nd_ctr_thaw(const struct nd_ctr *c);
/* At the container's release: thaw and remove a v1 freezer cgroup (its parent too when empty); absent is success. */
void nd_ctr_freezer_release(const struct nd_ctr *c);

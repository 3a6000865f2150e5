/*
 * What is done to container records rather than to running containers: rename (as
 * `docker rename`, running or not) and prune (`docker container prune`: every container
 * that no monitor holds is removed).
 */
#pragma once

#include "base/err.h"
#include "runtime/ctrstate.h"

/*
 * The container ref names gets name instead (taken atomically; code ND_ERR_EXISTS when
 * another has it, ND_ERR_BAD_SPEC when invalid or its current name); the old name is freed.
 * A running container's monitor keeps the new name when it records the end.
 */
int nd_run_rename(const char *state, const char *ref, const char *name, struct nd_err **err);
/* Remove every container that is not running; *ret_ids (NULL-terminated) the removed ones. */
int nd_run_prune(const char *state, char ***ret_ids, struct nd_err **err);

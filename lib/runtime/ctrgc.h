/*
 * netd gc's runtime part: what killed monitors and cut-short removals leave. Containers
 * whose monitor is gone while they were created or running are released (removed with
 * --rm, else marked dead); netns named like the runtime's ("netd-<12 hex>") that no
 * container owns are deleted; so are removals cut short and names pointing at nothing.
 */
#pragma once

#include <stddef.h>

#include "base/err.h"

/* *ret_ctrs: containers released or removed; *ret_netns: netns deleted. */
int nd_ctr_gc(const char *state, size_t *ret_ctrs, size_t *ret_netns, struct nd_err **err);

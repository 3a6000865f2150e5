/*
 * The network side of a container: its netns, lo, and the attachment to a netd network.
 * Every name a container's network owns is decided by nd_ctr_net_plan before anything
 * exists, so that the record names it first (the runtime's rule, docs/runtime.md "State").
 */
#pragma once

#include "base/err.h"
#include "runtime/ctrstate.h"

/*
 * Before anything is made: for bridge, none and a named network, c->netns
 * ("netd-<short id>") and c->network; for container:ID, that container's netns opened into
 * *ret_fd (code ND_ERR_NOT_RUNNING when it is not running); for host, nothing (*ret_fd -1).
 * Changes nothing outside c.
 */
int nd_ctr_net_plan(const char *state, struct nd_ctr *c, int *ret_fd, struct nd_err **err);
/*
 * The planned netns, bind-mounted under /var/run/netns, opened into *ret_fd. On failure
 * nothing is left; when the name is taken (-EEXIST) it is dropped from c, since it is not ours.
 */
int nd_ctr_net_create(struct nd_ctr *c, int *ret_fd, struct nd_err **err);
/* With the container's netns in place: lo up, and the attachment (c->ips filled). */
int nd_ctr_net_attach(struct nd_ctr *c, int netns_fd, struct nd_err **err);
/* Idempotent: detach, unmount and remove the netns. All steps run; the first error is kept. */
int nd_ctr_net_release(const struct nd_ctr *c, struct nd_err **err);

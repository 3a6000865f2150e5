/* The network side of a container: its netns, lo, and the attachment to a netd network. */
#pragma once

#include "ctrstate.h"
#include "err.h"

/*
 * Before the container starts: for bridge, none and a named network, a new netns named
 * c->netns (bind-mounted under /var/run/netns); for container:ID, that container's netns
 * (code 3 when it is not running); for host, none. *ret_fd is -1 for host.
 * Fills c->netns and c->network. On failure nothing is left.
 */
int nd_run_net_prepare(const char *state, struct nd_ctr *c, int *ret_fd, struct nd_err **err);
/* With the container's netns in place: lo up, and the attachment (c->ips filled). */
int nd_run_net_attach(struct nd_ctr *c, int netns_fd, struct nd_err **err);
/* Idempotent: detach, unmount and remove the netns. Errors are collected, all steps run. */
int nd_run_net_release(const struct nd_ctr *c, struct nd_err **err);

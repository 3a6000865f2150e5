/*
 * Attaching a network namespace to a named netd network, for the CLI and the runtime:
 * through the daemon's API when it runs, else directly through lib/ (the same code the
 * daemon runs in-process), with the network definitions and state in state_dir.
 */
#pragma once

#include <stdbool.h>

#include "err.h"
#include "result.h"

struct nd_attach_req {
	const char *network;   /* "bridge" is the default network */
	const char *netns;     /* a path, or a name under /var/run/netns */
	const char *id;        /* container ID; NULL: derived from the netns */
	const char *ifname;    /* NULL: "eth0" */
	const char *ip;        /* requested address, or NULL */
	const char *mac;       /* or NULL */
	bool netns_dying;      /* detach: the caller destroys the netns next (bridge.h) */
};

int nd_attach(const struct nd_attach_req *req, struct nd_result *ret, struct nd_err **err);
/* Idempotent: detaching what is not attached succeeds. */
int nd_detach(const struct nd_attach_req *req, struct nd_err **err);

/*
 * Attaching a network namespace to a named netd network, for the CLI and the runtime:
 * through the daemon's API when it runs, else directly through lib/ (the same code the
 * daemon runs in-process), with the network definitions and state in state_dir.
 */
#pragma once

#include <stdbool.h>

#include "base/err.h"
#include "cni/result.h"
#include "networks/netops.h" /* struct nd_attach_req */


int nd_attach(const struct nd_attach_req *req, struct nd_result *ret, struct nd_err **err);
/* Idempotent: detaching what is not attached succeeds. */
int nd_detach(const struct nd_attach_req *req, struct nd_err **err);

/*
 * The loopback attachment: the work of the netd-loopback plugin (lo up in the container's
 * netns, the reference plugin's result). It sits beside the bridge attachment, the layer
 * that sees both the CNI protocol and the kernel; the kernel work is nd_link_lo_up, which
 * the runtime's netns setup shares.
 */
#pragma once

#include "cni/cni.h"
#include "cni/result.h"

/* lo up; the result is prevResult in a chain (spec: chained plugins), else lo's own. */
int nd_loopback_add(const struct nd_cni_req *req, struct nd_result *ret, struct nd_err **err);
/* lo is there. */
int nd_loopback_check(const struct nd_cni_req *req, struct nd_err **err);

/*
 * The netd-portmap plugin's operations: a drop-in for the reference "portmap" chained after
 * netd-bridge (capability "portMappings", option "snat", default true). The maps and chains
 * are lib/portmap/pmnft.h's; DEL and GC need neither the netns nor the mappings, because
 * every element names its owner.
 */
#pragma once

#include "cni/cni.h"
#include "cni/result.h"

int nd_portmap_add(const struct nd_cni_req *req, struct nd_result *ret, struct nd_err **err);
int nd_portmap_del(const struct nd_cni_req *req, struct nd_err **err);
int nd_portmap_check(const struct nd_cni_req *req, struct nd_err **err);
int nd_portmap_gc(const struct nd_cni_req *req, struct nd_err **err);
int nd_portmap_status(const struct nd_cni_req *req, struct nd_err **err);

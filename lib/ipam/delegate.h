/*
 * Running the IPAM a config names: in-process when it is netd-ipam (same code, same
 * result, no exec), otherwise by executing the plugin from CNI_PATH.
 */
#pragma once

#include "cni/cni.h"
#include "cni/result.h"

int nd_delegate_add(const struct nd_cni_req *req, const char *type, struct nd_result *ret, struct nd_err **err);
/* DEL, CHECK, GC, STATUS: no output expected. */
int nd_delegate_run(const struct nd_cni_req *req, const char *type, enum nd_cni_cmd cmd, struct nd_err **err);

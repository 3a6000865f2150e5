/*
 * The netd-ipam plugin's operations over lib/ipam. The bridge calls the very same
 * functions in-process when its config names "netd-ipam", so both paths give one result.
 */
#pragma once

#include "cni/cni.h"
#include "cni/result.h"
#include "ipam/ipam.h"

#define ND_IPAM_TYPE "netd-ipam"

int nd_ipamcni_add(const struct nd_cni_req *req, struct nd_result *ret, struct nd_err **err);
int nd_ipamcni_del(const struct nd_cni_req *req, struct nd_err **err);
int nd_ipamcni_check(const struct nd_cni_req *req, struct nd_err **err);
int nd_ipamcni_gc(const struct nd_cni_req *req, struct nd_err **err);
/* GC, telling cb of each lease it releases (the bridge then removes what went with it). */
int nd_ipamcni_gc_released(const struct nd_cni_req *req, nd_ipam_released_fn cb, void *ud, struct nd_err **err);
int nd_ipamcni_status(const struct nd_cni_req *req, struct nd_err **err);
/* The addresses (id, ifname) holds; for DEL/GC paths that have no result to go by. */
int nd_ipamcni_lookup(const struct nd_cni_req *req, struct nd_ip *ret_ips, size_t max, size_t *ret_n,
		      struct nd_err **err);

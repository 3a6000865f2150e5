/* host-local compatible address management over the lease store (lib/ipam/store.h). */
#pragma once

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#include "base/err.h"
#include "base/ip.h"
#include "cni/cni.h"
#include "cni/result.h"

#define ND_MAX_RANGESETS 8
#define ND_MAX_RANGES 16 /* per range set */
#define ND_DEFAULT_DATADIR "/var/lib/cni/networks"

struct nd_range {
	struct nd_cidr subnet; /* network address, host bits clear */
	struct nd_ip start;    /* defaulted to the first usable address */
	struct nd_ip end;      /* defaulted to the last usable address */
	struct nd_ip gw;       /* defaulted to network + 1 */
};

struct nd_rangeset {
	struct nd_range r[ND_MAX_RANGES];
	size_t n;
};

struct nd_ipam_conf {
	char *network;        /* the network config's "name" */
	char *data_dir;       /* ipam.dataDir, default ND_DEFAULT_DATADIR */
	struct nd_rangeset sets[ND_MAX_RANGESETS];
	size_t n_sets;
	struct nd_route routes[ND_MAX_ROUTES];
	size_t n_routes;
	char *resolv_conf; /* ipam.resolvConf, may be NULL */
	/* Requested addresses: CNI_ARGS IP=, args.cni.ips, runtimeConfig.ips. */
	struct nd_ip requested[ND_MAX_RANGESETS];
	size_t n_requested;
};

/*
 * Parse the "ipam" object of a network config (conf is the whole network config, so
 * "name", "args" and "runtimeConfig" are reachable) and the CNI_ARGS string (may be NULL).
 * Range sets come in host-local's order: runtimeConfig.ipRanges, then the legacy flat
 * ipam.subnet form, then ipam.ranges; a set's index names its last_reserved_ip file.
 * Validation is complete here: ranges inside their subnet, start <= end, gateway inside
 * the subnet, IPv4 network/broadcast never in a range, subnets of at least 4 addresses,
 * one family per set, no overlapping ranges, each requested IP inside exactly one set
 * (not its gateway) and at most one per set. Errors carry code 7.
 */
int nd_ipam_conf_parse(json_t *conf, const char *cni_args, struct nd_ipam_conf *ret, struct nd_err **err);
void nd_ipam_conf_clear(struct nd_ipam_conf *c);
/* A conf on the stack, zeroed at its declaration, cleared at the end of its scope. */
#define _cleanup_ipam_conf_ __attribute__((cleanup(nd_ipam_conf_clear)))

/*
 * Allocate one address per range set for (id, ifname) and add to ret, which the caller
 * has initialised (nd_result_init): ips are appended (gateway set, iface -1), routes
 * appended, dns replaced when resolvConf is set. -EEXIST with code ND_ERR_EXISTS when the
 * pair already holds addresses; ND_ERR_POOL_EXHAUSTED / ND_ERR_ADDR_IN_USE as named.
 * All-or-nothing: on failure no lease remains and ret is untouched.
 */
int nd_ipam_add(const struct nd_ipam_conf *c, const char *id, const char *ifname, struct nd_result *ret,
		struct nd_err **err);
/* Release (id, ifname). Succeeds when nothing is held. */
int nd_ipam_del(const struct nd_ipam_conf *c, const char *id, const char *ifname, struct nd_err **err);
/* The addresses (id, ifname) holds now (lease files that still name it); *ret_n = 0 when none. */
int nd_ipam_lookup(const struct nd_ipam_conf *c, const char *id, const char *ifname, struct nd_ip *ret_ips,
		   size_t max, size_t *ret_n, struct nd_err **err);
/* Fails (code ND_ERR_CHECK_FAILED) unless (id, ifname) holds an address in every set. */
int nd_ipam_check(const struct nd_ipam_conf *c, const char *id, const char *ifname, struct nd_err **err);

/*
 * Release every lease whose (id, ifname) is not in valid[] (a legacy ID-only lease is
 * valid when its ID is), reporting each released IP via cb (may be NULL); remove index
 * files of invalid pairs or whose leases are all gone, and crash-leftover temp files.
 */
typedef void (*nd_ipam_released_fn)(const struct nd_ip *ip, const char *id, const char *ifname, void *ud);
int nd_ipam_gc(const struct nd_ipam_conf *c, const struct nd_attachment *valid, size_t n_valid,
	       nd_ipam_released_fn cb, void *ud, struct nd_err **err);
/* 0 when every range set has a free address; else code ND_CNI_UNAVAILABLE_NOADDR. */
int nd_ipam_status(const struct nd_ipam_conf *c, struct nd_err **err);

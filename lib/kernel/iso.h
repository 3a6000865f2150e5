/*
 * Isolation between bridges, Docker's rules, in our two tables. Per packet a fixed number of
 * hash lookups, whatever the number of bridges; per bridge a few elements, no rule:
 *
 *   table inet netd {
 *     set iso_bridges { type ifname }                       # isolated netd bridges
 *     map iso_pair { type ifname . ifname : verdict }       # "br" . "br": accept (drop: icc off)
 *     map iso_to   { type ifname : verdict }                # internal bridge: drop
 *     map iso_from { type ifname : verdict }                # internal: drop, else jump iso-from
 *     chain isolation { type filter hook forward priority filter;
 *       iifname . oifname vmap @iso_pair; oifname vmap @iso_to; iifname vmap @iso_from }
 *     chain iso-from { ct status dnat accept; oifname @iso_bridges drop }
 *   }
 *   table bridge netd {                                     # only once a bridge has icc off
 *     set iso_noicc { type ifname }                         # container ports of such bridges
 *     chain iso-forward { type filter hook forward priority 0; iifname @iso_noicc drop }
 *   }
 *
 * Why two tables: two containers on one bridge talk at layer 2, which the inet forward hook
 * never sees (unless br_netfilter is loaded: then iso_pair decides). Between bridges the
 * traffic is routed: inet forward. `ct status dnat accept` lets published ports (DNAT on a
 * host address, as Docker allows) through; an internal network is dropped before that.
 * Traffic between a netd bridge and anything else (an uplink, a bridge that opted out) is
 * left alone unless the bridge is internal.
 */
#pragma once

#include <stdbool.h>

#include "base/err.h"
#include "kernel/nftbatch.h"

struct nd_iso {
	const char *bridge;
	bool isolate;  /* from other isolated bridges (netd-bridge "isolate", default true) */
	bool internal; /* nothing routed in or out (implies isolation) */
	bool icc;      /* containers of the bridge reach each other (default true) */
	const char *host_if; /* the container's port (icc off), or NULL (netd reload) */
};

/*
 * Append the bridge's elements to a transaction, as a struct nd_nft_extra (ud: struct
 * nd_iso); full also (re)asserts the tables, maps and chains. Elements are added without
 * NLM_F_EXCL, so every ADD onto a bridge may repeat them: the kernel accepts an existing
 * element with the same verdict and fails with EBUSY on a different one (another config
 * gives that bridge other rules).
 */
int nd_iso_put(struct nd_nftb *b, bool full, void *ud);
/* One transaction of nd_iso_put(full): netd reload, or a caller without masquerade. */
int nd_iso_apply(struct nd_nfsock *s, const struct nd_iso *iso, struct nd_err **err);
/* Remove every element of the bridge (its network is gone); absent ones are fine. */
int nd_iso_del(struct nd_nfsock *s, const char *bridge, struct nd_err **err);
/* CHECK: ND_ERR_CHECK_FAILED unless every element nd_iso_put would add is there. */
int nd_iso_check(struct nd_nfsock *s, const struct nd_iso *iso, struct nd_err **err);
/* Remove the port's icc element (DEL, GC); absent is fine. */
int nd_iso_port_del(struct nd_nfsock *s, const char *host_if, struct nd_err **err);

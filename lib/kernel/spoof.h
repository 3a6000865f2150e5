/*
 * MAC spoof checking (the bridge's "macspoofchk"): frames entering the bridge from a
 * container's port must carry that container's MAC. One table "bridge netd":
 *
 *   table bridge netd {
 *     map spoof { type ifname : verdict }          # host veth -> jump its port chain
 *     chain prerouting { type filter hook prerouting priority -300; iifname vmap @spoof }
 *     chain "spoof-ndXXXX" { ether saddr 02:..:01 return; drop }
 *   }
 *
 * Like lib/kernel/nft.h: the common ADD creates new objects only; DEL deletes by the host veth's
 * name, which (id, ifname) determines, so it needs no netns.
 */
#pragma once

#include <stdbool.h>

#include "base/err.h"
#include "kernel/nftbatch.h"

#define ND_SPOOF_TABLE "netd"

struct nd_spoof {
	const char *host_if;
	const char *mac; /* the container's, xx:xx:xx:xx:xx:xx */
};
/*
 * Append the port's check (ud: struct nd_spoof) to an ADD's transaction, as a struct
 * nd_nft_extra of nd_nft_masq_add: one transaction for masquerade and spoof checking, so
 * a failure leaves neither. -EINVAL for a malformed MAC.
 */
int nd_spoof_put(struct nd_nftb *b, bool full, void *ud);
/* Absent entries are fine. */
int nd_spoof_del(struct nd_nfsock *s, const char *host_if, struct nd_err **err);

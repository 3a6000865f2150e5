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
 * Like lib/nft.h: the common ADD creates new objects only; DEL deletes by the host veth's
 * name, which (id, ifname) determines, so it needs no netns.
 */
#pragma once

#include "err.h"
#include "nftbatch.h"

#define ND_SPOOF_TABLE "netd"

int nd_spoof_add(struct nd_nfsock *s, const char *host_if, const char *mac, struct nd_err **err);
/* Absent entries are fine. */
int nd_spoof_del(struct nd_nfsock *s, const char *host_if, struct nd_err **err);

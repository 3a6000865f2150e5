/*
 * Another firewall that drops forwarded traffic by policy (Docker's iptables FORWARD DROP,
 * a host firewall's forward chain) silently breaks published ports and container traffic:
 * netd's table alone cannot accept what another base chain drops. Found, it is reported
 * (netd status, the daemon log once), never changed: it is not ours.
 */
#pragma once

#include <stddef.h>

#include "base/err.h"
#include "kernel/nftbatch.h"

#define ND_FW_WHAT_MAX 192
/*
 * 1 with ret_what ("ip filter FORWARD") when a base chain of another table hooks forward
 * with policy drop; 0 when none. Sees nftables (iptables-nft included), not iptables-legacy.
 */
int nd_fw_forward_drop(struct nd_nfsock *s, char ret_what[ND_FW_WHAT_MAX], struct nd_err **err);

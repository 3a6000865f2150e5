/*
 * Masquerade through nftables: one table "inet netd", changed by one transaction per call.
 *
 *   table inet netd {
 *     map masq4 { type ipv4_addr : verdict }   # container address -> jump its subnet chain
 *     map masq6 { type ipv6_addr : verdict }
 *     chain postrouting { type nat hook postrouting priority srcnat;
 *       ip saddr vmap @masq4; ip6 saddr vmap @masq6 }
 *     chain "masq-10.88.0.0/16" { ip daddr 10.88.0.0/16 return;
 *       ip daddr 224.0.0.0/4 return; masquerade }
 *   }
 *
 * Each element carries the comment "<network> <containerID> <ifname>", so the ruleset
 * says who owns what and DEL/GC can find entries without the container's netns. The cost
 * of an ADD or DEL does not depend on how many containers are attached.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#include "err.h"
#include "ip.h"

#define ND_NFT_TABLE "netd"

struct nd_masq {
	struct nd_cidr addr; /* container address, len = its subnet's prefix length */
	const char *network;
	const char *id;
	const char *ifname;
};

/* One transaction: (re)assert table, maps, base chain, the subnet chains, add elements. */
int nd_nft_masq_add(const struct nd_masq *m, size_t n, struct nd_err **err);
/* One transaction deleting the elements keyed by these addresses; absent ones are fine. */
int nd_nft_masq_del(const struct nd_ip *ips, size_t n, struct nd_err **err);
/* Delete every element whose comment names (network, id, ifname); for DEL without addresses. */
int nd_nft_masq_del_owner(const char *network, const char *id, const char *ifname, struct nd_err **err);
/* Fails with ND_ERR_CHECK_FAILED unless each element exists with the expected owner. */
int nd_nft_masq_check(const struct nd_masq *m, size_t n, struct nd_err **err);

/* Visit every element (for GC). A missing table means no elements. */
typedef int (*nd_nft_visit_fn)(const struct nd_ip *ip, const char *network, const char *id,
			       const char *ifname, void *ud);
int nd_nft_masq_foreach(nd_nft_visit_fn cb, void *ud, struct nd_err **err);
/* Delete the whole table (tests, netd teardown). Absent table is success. */
int nd_nft_table_del(struct nd_err **err);

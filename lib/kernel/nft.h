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
 *     chain "masq-fd00_88__/64" { ... }       # ':' is '_': nft cannot parse it in names
 *   }
 *
 * Each element carries the comment "<network> <containerID> <ifname>", so the ruleset
 * says who owns what and DEL/GC can find entries without the container's netns. The cost
 * of an ADD or DEL does not depend on how many containers are attached.
 *
 * Every call works on an open socket (lib/kernel/nftbatch.h): the caller opens it once per
 * operation, or keeps one for its lifetime (the daemon). Why it matters: the kernel frees
 * what a transaction deleted one RCU grace period later, and closing the socket waits for
 * that (~10 ms here). DEL therefore closes its socket only after the veth deletion, which
 * waits for grace periods of its own, or, when it keeps the veth (the netns dies next), has
 * its caller open the socket ND_NFSOCK_CLOSE_DEFERRED (nftbatch.h, bridge.h); ADD's common
 * path deletes nothing.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#include "base/err.h"
#include "base/ip.h"
#include "kernel/nftbatch.h"

#define ND_NFT_TABLE "netd"

struct nd_masq {
	struct nd_cidr addr; /* container address, len = its subnet's prefix length */
	const char *network;
	const char *id;
	const char *ifname;
};

/*
 * The comment keeps to visible ASCII other than '"' and backslash (any other byte, space
 * included, becomes '_') and to nft's 127 characters: when "<network> <id> <ifname>" is
 * longer, the network (to 46 bytes) and the ID (to what is left) are shortened with a hash
 * (shortname.h), never cut. Matching (del_owner, check) applies the same rule, so callers
 * pass the names as they are; GC compares what it reads with nd_nft_owner_names().
 */
#define ND_NFT_COMMENT_MAX 128
#define ND_NFT_OWNER_NET_MAX 46 /* a shortened network keeps this much; the ID gets the rest */
/* The network and ID as the comment of (network, id, ifname)'s elements holds them. */
void nd_nft_owner_names(const char *network, const char *id, const char *ifname, char ret_network[ND_NFT_COMMENT_MAX],
			char ret_id[ND_NFT_COMMENT_MAX]);
/* The whole comment "<network> <id> <ifname>" as elements of (network, id, ifname) carry it. */
void nd_nft_owner_comment(const char *network, const char *id, const char *ifname, char ret[ND_NFT_COMMENT_MAX]);

/*
 * More of the same transaction (lib/kernel/spoof.h): put appends its messages to b, new objects
 * only (NLM_F_EXCL) when !full, or (re)asserting everything it needs when full.
 */
struct nd_nft_extra {
	int (*put)(struct nd_nftb *b, bool full, void *ud);
	void *ud;
};

/*
 * Add the elements in one transaction of new elements only. When that finds the structure
 * missing (first container of a subnet, a flushed ruleset) or an element present already,
 * one transaction (re)asserts table, maps, base chain and subnet chains and (re)writes the
 * elements, so a re-used address names its new owner. An address whose element jumps to
 * another subnet's chain fails with ND_ERR_ADDR_IN_USE / -EEXIST.
 */
int nd_nft_masq_add(struct nd_nfsock *s, const struct nd_masq *m, size_t n, const struct nd_nft_extra *x,
		    struct nd_err **err);
/* One transaction deleting the elements keyed by these addresses; absent ones are fine. */
int nd_nft_masq_del(struct nd_nfsock *s, const struct nd_ip *ips, size_t n, struct nd_err **err);
/* Delete every element whose comment names (network, id, ifname); for DEL without addresses. */
int nd_nft_masq_del_owner(struct nd_nfsock *s, const char *network, const char *id, const char *ifname, struct nd_err **err);
/*
 * Fails with ND_ERR_CHECK_FAILED unless each element exists with the expected owner and
 * subnet chain, each subnet chain masquerades, and the base chain looks up both maps.
 */
int nd_nft_masq_check(struct nd_nfsock *s, const struct nd_masq *m, size_t n, struct nd_err **err);

/*
 * Visit every element (for GC), IPv4 then IPv6, each in address order. A missing table means
 * no elements. The strings are parsed from the comment ("" for an element without one of
 * ours) and valid during the call only. The dump is complete before the first call, so cb
 * may change nftables. A negative return stops the walk and fails it with that -errno; a
 * positive one stops it and is returned.
 */
typedef int (*nd_nft_visit_fn)(const struct nd_ip *ip, const char *network, const char *id,
			       const char *ifname, void *ud);
int nd_nft_masq_foreach(struct nd_nfsock *s, nd_nft_visit_fn cb, void *ud, struct nd_err **err);
/* Delete the whole table (tests, netd teardown). Absent table is success. */
int nd_nft_table_del(struct nd_nfsock *s, struct nd_err **err);
/*
 * Delete subnet's chain (a network removed): absent is success, and so is a chain that was
 * never made (no container of the subnet ever masqueraded). Its elements must be gone.
 */
int nd_nft_subnet_del(struct nd_nfsock *s, const struct nd_cidr *subnet, struct nd_err **err);

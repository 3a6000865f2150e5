/*
 * Published ports in our nftables table (inet netd, beside lib/kernel/nft.h's masquerade):
 * one map element per mapping and host address family, one lookup per packet.
 *
 *   table inet netd {
 *     map pm4    { type ipv4_addr . inet_proto . inet_service : ipv4_addr . inet_service }
 *     map pm4any { type inet_proto . inet_service : ipv4_addr . inet_service }
 *     map pm6    { type ipv6_addr . inet_proto . inet_service : ipv6_addr . inet_service }
 *     map pm6any { type inet_proto . inet_service : ipv6_addr . inet_service }
 *     map pmhp4  { type ipv4_addr : verdict }   # published container -> its subnet's chain
 *     map pmhp6  { type ipv6_addr : verdict }
 *     chain pm-prerouting { type nat hook prerouting priority -100; fib daddr type local jump pm-dnat }
 *     chain pm-output     { type nat hook output priority -100; fib daddr type local jump pm-dnat }
 *     chain pm-dnat { dnat ip to ip daddr . meta l4proto . th dport map @pm4
 *                     dnat ip to meta l4proto . th dport map @pm4any   (and ip6 likewise) }
 *     chain pm-postrouting { type nat hook postrouting priority 100;
 *       ct status dnat ip saddr 127.0.0.0/8 masquerade      # from the host's 127.0.0.1
 *       ct status dnat ip daddr vmap @pmhp4; ... ip6 ... }
 *     chain "pmhp-10.88.0.0/16" { ip saddr 10.88.0.0/16 masquerade }   # hairpin
 *     chain pm-guard { type filter hook prerouting priority -300;
 *       iifname != "lo" ip daddr 127.0.0.0/8 drop }          # CVE-2020-8558
 *   }
 *
 * `fib daddr type local` keeps forwarded traffic to other machines' ports untouched
 * (plugins#1209). A specific host address wins over "every address" by rule order. The
 * element comment is the owner "<network> <id> <ifname>" (nd_nft_owner_comment), so DEL and
 * GC find elements without the netns and a conflict names who holds the port.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/err.h"
#include "base/ip.h"
#include "kernel/nftbatch.h"
#include "portmap/pmconf.h"

struct nd_pm_owner {
	const char *network, *id, *ifname;
};

/* What an ADD publishes: mappings towards the container's addresses (one per family at most). */
struct nd_pm_target {
	const struct nd_pm *m;
	size_t n;
	struct nd_cidr ctr[2]; /* .ip.family 0 when absent; len: the subnet's, for hairpin */
	size_t nctr;
	bool hairpin; /* "snat": masquerade container -> own subnet's published port */
};

/*
 * One transaction: every element is new (NLM_F_EXCL), so a host port that another
 * attachment published fails the whole ADD with ND_ERR_PORT_IN_USE naming that owner, and
 * nothing changes. The first ADD (or one after a flushed ruleset) also writes the structure.
 */
int nd_pmnft_add(struct nd_nfsock *s, const struct nd_pm_owner *o, const struct nd_pm_target *t,
		 struct nd_err **err);

/* An element read back: key and data bytes as the maps hold them, decoded. */
struct nd_pm_elem {
	int af;
	bool any;
	struct nd_ip host_ip; /* when !any */
	uint8_t proto;
	uint16_t host_port, ctr_port;
	struct nd_ip ctr;
	char comment[128];
};
/*
 * Visit every published port (all four maps); the dump is complete before the first call.
 * A missing table or map has none. A negative return of cb stops and fails the walk.
 */
typedef int (*nd_pm_visit_fn)(const struct nd_pm_elem *e, void *ud);
int nd_pmnft_foreach(struct nd_nfsock *s, nd_pm_visit_fn cb, void *ud, struct nd_err **err);

/*
 * Delete every element (ports and hairpin) whose comment is one of comments[0..n); absent is
 * fine. Each deleted port is handed to cb (for the conntrack flush) when cb is not NULL.
 */
int nd_pmnft_del_owners(struct nd_nfsock *s, const char *const *comments, size_t n, nd_pm_visit_fn cb, void *ud,
			struct nd_err **err);

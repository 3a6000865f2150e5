/*
 * One network's names, as its DNS server answers them: for each attachment its container
 * name, short ID and aliases, its addresses, and its own upstream servers (--dns). Names
 * are kept lowercased (DNS names compare case-insensitively, RFC 4343). A zone belongs
 * to the DNS server's thread; the daemon changes it only through the server's queue.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#include <jansson.h>

#include "base/err.h"
#include "base/ip.h"
#include "dns/resolvconf.h"

#define ND_DNS_NAME_MAX 254
#define ND_DNS_ENTRY_IPS 4
#define ND_DNS_ENTRY_NAMES 34 /* name, short ID, 32 aliases */

struct nd_dns_entry {
	char id[129];
	char names[ND_DNS_ENTRY_NAMES][ND_DNS_NAME_MAX];
	size_t n_names;
	struct nd_ip ips[ND_DNS_ENTRY_IPS];
	size_t n_ips;
	struct nd_ip upstreams[ND_RESOLV_MAXNS]; /* the container's --dns servers */
	size_t n_upstreams;
};

struct nd_dns_zone {
	char network[64];
	struct nd_cidr subnet, subnet6; /* family 0: none */
	struct nd_ip gw, gw6;           /* the listening addresses; family 0: none */
	bool internal;                  /* never forwards */
	struct nd_dns_entry *entries;
	size_t n, cap;
};

/*
 * A zone from a network definition's JSON (lib/networks/network.h's nd_network_json:
 * name, subnet, gateway, ipv6, gateway6, internal); no entries. Code 7 when malformed.
 */
int nd_dns_zone_init(struct nd_dns_zone *z, json_t *network, struct nd_err **err);
void nd_dns_zone_clear(struct nd_dns_zone *z);
/*
 * An attachment record (containerID, name, aliases, dns, result.ips) as an entry; a
 * record with no address is an error (code 7). The short ID is the first 12 characters
 * of a containerID of at least 12 hex digits (netd run's 64).
 */
int nd_dns_entry_from_record(json_t *rec, struct nd_dns_entry *ret, struct nd_err **err);
/* Add, or replace the entry of the same id. */
int nd_dns_zone_put(struct nd_dns_zone *z, const struct nd_dns_entry *e);
void nd_dns_zone_del(struct nd_dns_zone *z, const char *id);
/* The entries that carry name (lowercase, no trailing dot) into ret (at most max); their count. */
size_t nd_dns_zone_find(const struct nd_dns_zone *z, const char *name, const struct nd_dns_entry **ret, size_t max);
/* The entry holding address ip, or NULL. */
const struct nd_dns_entry *nd_dns_zone_by_ip(const struct nd_dns_zone *z, const struct nd_ip *ip);
/* Is ip inside the network (one of its subnets)? */
bool nd_dns_zone_has(const struct nd_dns_zone *z, const struct nd_ip *ip);

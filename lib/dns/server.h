/*
 * The embedded DNS server: one thread of its own (epoll over every socket), so that it
 * never waits for the REST API and the API never waits for it. Per network with DNS,
 * UDP and TCP port 53 on the gateway address(es) only (never a wildcard: a host DNS
 * server on port 53 keeps working; IP_FREEBIND, so an IPv6 gateway still in DAD binds).
 * Names of the network are answered from memory (answer.h); others are forwarded to the
 * asker's own --dns servers, then the host's resolv.conf servers (at most 3 in all,
 * re-read when the file changes; loopback ones work: the daemon is in the host's netns),
 * each given ND_DNS_UPSTREAM_MS before the next is tried, SERVFAIL when none answers.
 * UDP queries are forwarded over UDP (a truncated answer goes back as it is, so the
 * asker retries over TCP), TCP queries over TCP.
 *
 * Bounds: ND_DNS_TCP_MAX TCP clients (ND_DNS_TCP_PER_SRC per source), each dropped after
 * ND_DNS_TCP_IDLE_MS without a complete query; ND_DNS_PENDING_MAX forwarded queries in
 * flight (ND_DNS_PENDING_PER_SRC per source, beyond which SERVFAIL at once); at most
 * ND_DNS_BURST datagrams read from one socket before the others get their turn.
 *
 * Changes come through a queue (any thread; a mutex held for a list push, and an
 * eventfd): the zone changes in place between two queries, so none is dropped.
 */
#pragma once

#include <jansson.h>
#include <stdbool.h>

#include "base/err.h"
#include "base/log.h"

#define ND_DNS_UPSTREAM_MS 1000
#define ND_DNS_TCP_MAX 64
#define ND_DNS_TCP_PER_SRC 8
#define ND_DNS_TCP_IDLE_MS 3000
#define ND_DNS_PENDING_MAX 256
#define ND_DNS_PENDING_PER_SRC 32
#define ND_DNS_BURST 64

struct nd_dns_server;

struct nd_dns_conf {
	unsigned short port;     /* 0: 53 */
	const char *resolv_conf; /* NULL: /etc/resolv.conf */
	/* Where the server reports what the edge should log (a bind that failed); may be NULL. */
	void (*notify)(enum nd_log_level level, const char *msg);
};

int nd_dns_server_start(const struct nd_dns_conf *conf, struct nd_dns_server **ret, struct nd_err **err);
/* Stops the thread, closes every socket. NULL is fine. */
void nd_dns_server_stop(struct nd_dns_server *s);

/*
 * A network with DNS (its definition's JSON, lib/networks/network.h): listen on its
 * gateway(s). Again for the same name: its addresses and flags are updated, its names kept.
 */
int nd_dns_server_net_up(struct nd_dns_server *s, json_t *network, struct nd_err **err);
/* Stop listening for the network and forget its names. */
int nd_dns_server_net_down(struct nd_dns_server *s, const char *network, struct nd_err **err);
/* An attachment record (lib/networks/netops.h) of the network: its names resolve. */
int nd_dns_server_put(struct nd_dns_server *s, const char *network, json_t *record, struct nd_err **err);
/*
 * The network's names are exactly these records' (a JSON array of attachment records,
 * those not "ready" skipped), replaced in one step: after a GC or at start-up.
 */
int nd_dns_server_set(struct nd_dns_server *s, const char *network, json_t *records, struct nd_err **err);
/* The attachment is gone: its names stop resolving. */
int nd_dns_server_del(struct nd_dns_server *s, const char *network, const char *id, struct nd_err **err);
/*
 * The addresses name (any case) has on the network, as a JSON array of strings, from the
 * server's own table (asked through its queue: never touched from this thread). NULL when
 * out of memory; an empty array when the network has no DNS or the name no address.
 */
json_t *nd_dns_server_lookup(struct nd_dns_server *s, const char *network, const char *name);
/* Wait until every change queued before this call is applied (tests, start-up). */
void nd_dns_server_sync(struct nd_dns_server *s);

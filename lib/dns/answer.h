/*
 * The query handler: the bytes of one DNS message from an asker on a network, to the
 * bytes of the answer, or the verdict that it is to be forwarded or dropped. Pure (no
 * I/O): the server (server.c) and the fuzz target (tests/fuzz/fuzz_dns.c) call it.
 * Messages are decoded and encoded with ldns (Debian's libldns-dev): a maintained
 * implementation of the wire format, its name compression and EDNS, rather than ours.
 */
#pragma once

#include <stddef.h>
#include <stdint.h>

#include "base/ip.h"
#include "dns/zone.h"

#define ND_DNS_TTL 2 /* seconds: a replaced container is found again at once */

enum nd_dns_verdict {
	ND_DNS_DROP,    /* not a query we answer (a response, garbage without a header) */
	ND_DNS_REPLY,   /* *ret holds the answer */
	ND_DNS_FORWARD, /* a name outside the network: the server asks an upstream */
};

struct nd_dns_reply {
	uint8_t *wire; /* malloc'd */
	size_t len;
};

/*
 * Answer msg (len bytes) from src, asked on zone z. max: the largest answer the asker
 * takes: 65535 on TCP, 0 on UDP (512, or the query's EDNS size up to 4096); a larger one
 * is sent truncated (TC) so that the asker retries over TCP. rotate turns the order of
 * several addresses (round robin). Malformed queries get FORMERR, other opcodes NOTIMP,
 * askers outside the network REFUSED; names of the network are answered with TTL
 * ND_DNS_TTL, other single-label names NXDOMAIN; the rest is forwarded unless the
 * network is internal (REFUSED).
 */
enum nd_dns_verdict nd_dns_answer(const struct nd_dns_zone *z, const struct nd_ip *src, const uint8_t *msg,
				  size_t len, size_t max, unsigned int rotate, struct nd_dns_reply *ret);
/* A SERVFAIL answer to msg (no upstream answered); ND_DNS_DROP when msg has no header. */
enum nd_dns_verdict nd_dns_servfail(const uint8_t *msg, size_t len, struct nd_dns_reply *ret);

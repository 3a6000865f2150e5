#include "dns/answer.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include <ldns/ldns.h>

#include "base/cleanup.h"

DEFINE_CLEANUP(ldns_pkt, ldns_pkt_free)

#define MAX_MATCH 64
#define UDP_PLAIN 512  /* RFC 1035 4.2.1 */
#define UDP_EDNS 4096

/* Header only (the question could not be read): id and opcode echoed, RD kept. */
static enum nd_dns_verdict bare_reply(const uint8_t *msg, int rcode, struct nd_dns_reply *ret)
{
	uint8_t *w = calloc(1, 12);

	if (!w)
		return ND_DNS_DROP;
	w[0] = msg[0];
	w[1] = msg[1];
	w[2] = (uint8_t)(0x80 | (msg[2] & 0x79)); /* QR, opcode, RD */
	w[3] = (uint8_t)(rcode & 0x0f);
	*ret = (struct nd_dns_reply){ w, 12 };
	return ND_DNS_REPLY;
}

static ldns_pkt *reply_head(const ldns_pkt *q, const ldns_rr *qrr, int rcode, bool ra)
{
	ldns_pkt *a = ldns_pkt_new();

	if (!a)
		return NULL;
	ldns_pkt_set_id(a, ldns_pkt_id(q));
	ldns_pkt_set_qr(a, true);
	ldns_pkt_set_opcode(a, ldns_pkt_get_opcode(q));
	ldns_pkt_set_aa(a, rcode != LDNS_RCODE_REFUSED && rcode != LDNS_RCODE_SERVFAIL);
	ldns_pkt_set_rd(a, ldns_pkt_rd(q));
	ldns_pkt_set_ra(a, ra);
	ldns_pkt_set_rcode(a, (uint8_t)rcode);
	if (qrr && !ldns_pkt_push_rr(a, LDNS_SECTION_QUESTION, ldns_rr_clone(qrr))) {
		ldns_pkt_free(a);
		return NULL;
	}
	if (ldns_pkt_edns(q))
		ldns_pkt_set_edns_udp_size(a, UDP_EDNS);
	return a;
}

/* Encode; over max, the same answer without its records and with TC (RFC 2181 9). */
static enum nd_dns_verdict encode(ldns_pkt *a, size_t max, struct nd_dns_reply *ret)
{
	uint8_t *w = NULL;
	size_t n = 0;

	if (ldns_pkt2wire(&w, a, &n) != LDNS_STATUS_OK)
		return ND_DNS_DROP;
	if (n > max) {
		ldns_rr_list_deep_free(ldns_pkt_answer(a));
		ldns_pkt_set_answer(a, ldns_rr_list_new());
		ldns_pkt_set_ancount(a, 0);
		ldns_pkt_set_tc(a, true);
		free(w);
		w = NULL;
		if (ldns_pkt2wire(&w, a, &n) != LDNS_STATUS_OK)
			return ND_DNS_DROP;
	}
	*ret = (struct nd_dns_reply){ w, n };
	return ND_DNS_REPLY;
}

static enum nd_dns_verdict simple(const ldns_pkt *q, const ldns_rr *qrr, int rcode, bool ra, size_t max,
				  struct nd_dns_reply *ret)
{
	_cleanup_(ldns_pkt_freep) ldns_pkt *a = reply_head(q, qrr, rcode, ra);

	return a ? encode(a, max, ret) : ND_DNS_DROP;
}

/* The question's name, lowercased, without the root's dot ("" for the root). */
static bool qname(const ldns_rr *qrr, char ret[ND_DNS_NAME_MAX])
{
	char *s = ldns_rdf2str(ldns_rr_owner(qrr));
	size_t len = s ? strlen(s) : 0;

	if (!s || len >= ND_DNS_NAME_MAX) {
		free(s);
		return false;
	}
	if (len && s[len - 1] == '.')
		s[--len] = '\0';
	for (size_t i = 0; i <= len; i++)
		ret[i] = (char)tolower((unsigned char)s[i]);
	free(s);
	return true;
}

static int nibble(char c)
{
	return c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

/* d.c.b.a.in-addr.arpa, or 32 nibbles then ip6.arpa (RFC 1035 3.5, RFC 3596 2.5). */
static bool ptr_addr(const char *name, struct nd_ip *ret)
{
	size_t len = strlen(name);
	unsigned int b[4];
	char tail[16];

	memset(ret, 0, sizeof(*ret));
	if (len > 13 && !strcmp(name + len - 13, ".in-addr.arpa")) {
		if (sscanf(name, "%3u.%3u.%3u.%3u%15s", &b[3], &b[2], &b[1], &b[0], tail) != 5 ||
		    strcmp(tail, ".in-addr.arpa") || b[0] > 255 || b[1] > 255 || b[2] > 255 || b[3] > 255)
			return false;
		ret->family = AF_INET;
		for (int i = 0; i < 4; i++)
			ret->a[i] = (uint8_t)b[i];
		return true;
	}
	if (len != 64 + 8 || strcmp(name + 64, "ip6.arpa"))
		return false;
	ret->family = AF_INET6;
	for (int i = 0; i < 32; i++) {
		int v = nibble(name[2 * i]);

		if (v < 0 || name[2 * i + 1] != '.')
			return false;
		ret->a[15 - i / 2] |= (uint8_t)(i % 2 ? v << 4 : v);
	}
	return true;
}

static ldns_rr *record(const ldns_rr *qrr, ldns_rr_type type, ldns_rdf *data)
{
	ldns_rr *rr = data ? ldns_rr_new() : NULL;

	if (!rr) {
		ldns_rdf_deep_free(data);
		return NULL;
	}
	ldns_rr_set_owner(rr, ldns_rdf_clone(ldns_rr_owner(qrr)));
	ldns_rr_set_type(rr, type);
	ldns_rr_set_class(rr, LDNS_RR_CLASS_IN);
	ldns_rr_set_ttl(rr, ND_DNS_TTL);
	ldns_rr_push_rdf(rr, data);
	return rr;
}

static bool push(ldns_pkt *a, ldns_rr *rr)
{
	if (rr && ldns_pkt_push_rr(a, LDNS_SECTION_ANSWER, rr))
		return true;
	ldns_rr_free(rr);
	return false;
}

/* Every address of the asked family of every entry carrying the name, turned by rotate. */
static enum nd_dns_verdict addresses(const ldns_pkt *q, const ldns_rr *qrr, const struct nd_dns_entry **ents,
				     size_t n, unsigned int rotate, size_t max, struct nd_dns_reply *ret)
{
	ldns_rr_type t = ldns_rr_get_type(qrr);
	int fam = t == LDNS_RR_TYPE_A ? AF_INET : t == LDNS_RR_TYPE_AAAA ? AF_INET6 : 0;
	const struct nd_ip *ips[MAX_MATCH * ND_DNS_ENTRY_IPS];
	size_t k = 0;
	_cleanup_(ldns_pkt_freep) ldns_pkt *a = reply_head(q, qrr, LDNS_RCODE_NOERROR, true);

	if (!a)
		return ND_DNS_DROP;
	for (size_t i = 0; i < n; i++)
		for (size_t j = 0; j < ents[i]->n_ips; j++)
			if (ents[i]->ips[j].family == fam)
				ips[k++] = &ents[i]->ips[j];
	for (size_t i = 0; i < k; i++) {
		const struct nd_ip *ip = ips[(i + rotate) % k];
		ldns_rdf *d = ldns_rdf_new_frm_data(fam == AF_INET ? LDNS_RDF_TYPE_A : LDNS_RDF_TYPE_AAAA,
						    nd_ip_bytes(fam), ip->a);

		if (!push(a, record(qrr, t, d)))
			return ND_DNS_DROP;
	}
	return encode(a, max, ret);
}

static enum nd_dns_verdict pointer(const ldns_pkt *q, const ldns_rr *qrr, const struct nd_dns_entry *e, size_t max,
				   struct nd_dns_reply *ret)
{
	_cleanup_(ldns_pkt_freep) ldns_pkt *a = reply_head(q, qrr, LDNS_RCODE_NOERROR, true);
	char target[ND_DNS_NAME_MAX + 1];

	if (!a)
		return ND_DNS_DROP;
	snprintf(target, sizeof(target), "%s.", e->names[0]);
	if (!push(a, record(qrr, LDNS_RR_TYPE_PTR, ldns_dname_new_frm_str(target))))
		return ND_DNS_DROP;
	return encode(a, max, ret);
}

/* A question that is well-formed: the network's names, its addresses' PTR, or elsewhere. */
static enum nd_dns_verdict lookup(const struct nd_dns_zone *z, const ldns_pkt *q, const ldns_rr *qrr,
				  unsigned int rotate, size_t max, struct nd_dns_reply *ret)
{
	const struct nd_dns_entry *ents[MAX_MATCH];
	char name[ND_DNS_NAME_MAX];
	struct nd_ip ip;
	size_t n;

	if (!qname(qrr, name))
		return simple(q, qrr, LDNS_RCODE_FORMERR, true, max, ret);
	if (ldns_rr_get_type(qrr) == LDNS_RR_TYPE_PTR && ptr_addr(name, &ip)) {
		const struct nd_dns_entry *e = nd_dns_zone_by_ip(z, &ip);

		if (e && e->n_names)
			return pointer(q, qrr, e, max, ret);
		if (e || nd_dns_zone_has(z, &ip))
			return simple(q, qrr, LDNS_RCODE_NXDOMAIN, true, max, ret);
	}
	if ((n = nd_dns_zone_find(z, name, ents, MAX_MATCH)))
		return addresses(q, qrr, ents, n, rotate, max, ret);
	/* A single label is a container's name or nothing: no upstream knows it. */
	if (*name && !strchr(name, '.'))
		return simple(q, qrr, LDNS_RCODE_NXDOMAIN, true, max, ret);
	if (z->internal)
		return simple(q, qrr, LDNS_RCODE_REFUSED, false, max, ret);
	return ND_DNS_FORWARD;
}

enum nd_dns_verdict nd_dns_answer(const struct nd_dns_zone *z, const struct nd_ip *src, const uint8_t *msg,
				  size_t len, size_t max, unsigned int rotate, struct nd_dns_reply *ret)
{
	_cleanup_(ldns_pkt_freep) ldns_pkt *q = NULL;
	const ldns_rr *qrr;

	/* No header, or a response: never answered (two servers must not bounce errors forever). */
	if (len < 12 || (msg[2] & 0x80))
		return ND_DNS_DROP;
	if (ldns_wire2pkt(&q, msg, len) != LDNS_STATUS_OK)
		return bare_reply(msg, LDNS_RCODE_FORMERR, ret);
	if (!max)
		max = ldns_pkt_edns(q) && ldns_pkt_edns_udp_size(q) > UDP_PLAIN
			      ? (ldns_pkt_edns_udp_size(q) < UDP_EDNS ? ldns_pkt_edns_udp_size(q) : UDP_EDNS)
			      : UDP_PLAIN;
	if (ldns_pkt_get_opcode(q) != LDNS_PACKET_QUERY)
		return bare_reply(msg, LDNS_RCODE_NOTIMPL, ret);
	if (ldns_pkt_qdcount(q) != 1 || ldns_rr_list_rr_count(ldns_pkt_question(q)) != 1)
		return bare_reply(msg, LDNS_RCODE_FORMERR, ret);
	qrr = ldns_rr_list_rr(ldns_pkt_question(q), 0);
	if (!nd_dns_zone_has(z, src))
		return simple(q, qrr, LDNS_RCODE_REFUSED, false, max, ret);
	if (ldns_rr_get_class(qrr) != LDNS_RR_CLASS_IN)
		return simple(q, qrr, LDNS_RCODE_NOTIMPL, true, max, ret);
	return lookup(z, q, qrr, rotate, max, ret);
}

enum nd_dns_verdict nd_dns_servfail(const uint8_t *msg, size_t len, struct nd_dns_reply *ret)
{
	_cleanup_(ldns_pkt_freep) ldns_pkt *q = NULL;

	if (len < 12)
		return ND_DNS_DROP;
	if (ldns_wire2pkt(&q, msg, len) != LDNS_STATUS_OK || ldns_pkt_qdcount(q) != 1)
		return bare_reply(msg, LDNS_RCODE_SERVFAIL, ret);
	return simple(q, ldns_rr_list_rr(ldns_pkt_question(q), 0), LDNS_RCODE_SERVFAIL, true, UDP_EDNS, ret);
}

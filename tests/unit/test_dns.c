/*
 * lib/dns (issue 11): resolv.conf read and written, a network's zone built from
 * attachment records, and the query handler's verdicts and answers (ldns builds the
 * queries and reads the answers here, independently of the handler's own use of it).
 * No privileges, no sockets.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include <ldns/ldns.h>

#include "base/dnsname.h"
#include "dns/answer.h"
#include "dns/resolvconf.h"
#include "dns/zone.h"

static void test_resolv_parse_and_container_rule(void **state)
{
	struct nd_resolv r;
	char *text;

	(void)state;
	nd_resolv_parse("# c\nnameserver 127.0.0.53\nnameserver 10.0.0.2\nnameserver ::1\nnameserver 10.0.0.3\n"
			"search a.example\nsearch b.example c\noptions ndots:2 edns0\nbogus line\n", &r);
	assert_int_equal(r.n_ns, 3); /* MAXNS: the fourth is ignored */
	assert_int_equal(r.n_search, 2);
	assert_string_equal(r.search[0], "b.example");
	assert_int_equal(r.n_options, 2);
	nd_resolv_for_container(&r);
	assert_int_equal(r.n_ns, 1); /* 127.0.0.53 and ::1 unreachable from a container */
	text = nd_resolv_format(&r);
	assert_non_null(strstr(text, "nameserver 10.0.0.2\nsearch b.example c\noptions ndots:2 edns0\n"));
	free(text);
	nd_resolv_parse("nameserver 127.0.0.1\n", &r);
	nd_resolv_for_container(&r);
	assert_int_equal(r.n_ns, 2); /* Docker's fallback: 8.8.8.8, 8.8.4.4 */
	assert_int_equal(r.ns[0].a[0], 8);
}

static void test_dns_names(void **state)
{
	static const struct { const char *s; bool ok; } t[] = {
		{ "web", true }, { "web-1.svc", true }, { "a_b", true }, { "", false }, { "-x", false }, { "a..b", false },
		{ ".a", false }, { "a b", false }, { "a/b", false }, { "x.-y", false },
		{ "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", false }, /* 64 */
	};

	(void)state;
	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++)
		assert_int_equal(nd_dns_name_valid(t[i].s), t[i].ok);
}

static void zone_with(struct nd_dns_zone *z, bool internal, int n_svc)
{
	json_t *n = json_pack("{s:s, s:s, s:s, s:s, s:s, s:b}", "name", "t", "subnet", "10.1.0.0/24", "gateway",
			      "10.1.0.1", "ipv6", "fd00:1::/64", "gateway6", "fd00:1::1", "internal", internal);
	struct nd_dns_entry e;

	assert_int_equal(nd_dns_zone_init(z, n, NULL), 0);
	json_decref(n);
	n = json_loads("{\"containerID\":\"0123456789abcdef0123\",\"name\":\"Web\",\"aliases\":[\"svc\",\"bad name\"],"
		       "\"result\":{\"ips\":[{\"address\":\"10.1.0.2/24\"},{\"address\":\"fd00:1::2/64\"}]}}", 0, NULL);
	assert_int_equal(nd_dns_entry_from_record(n, &e, NULL), 0);
	json_decref(n);
	assert_int_equal(e.n_names, 3); /* web, 0123456789ab, svc; the invalid alias is skipped */
	assert_string_equal(e.names[0], "web");
	assert_int_equal(nd_dns_zone_put(z, &e), 0);
	for (int i = 0; i < n_svc; i++) {
		char rec[256];

		snprintf(rec, sizeof(rec), "{\"containerID\":\"c%d\",\"aliases\":[\"svc\"],\"result\":{\"ips\":"
			 "[{\"address\":\"10.1.0.%d/24\"}]}}", i, 10 + i);
		n = json_loads(rec, 0, NULL);
		assert_int_equal(nd_dns_entry_from_record(n, &e, NULL), 0);
		assert_int_equal(nd_dns_zone_put(z, &e), 0);
		json_decref(n);
	}
}

/* Ask z name/type from src over UDP (max 0) or TCP; the verdict, and the answer read back. */
static enum nd_dns_verdict ask(const struct nd_dns_zone *z, const char *src, const char *name, ldns_rr_type type,
			       size_t max, unsigned int rot, ldns_pkt **ret)
{
	ldns_pkt *q = NULL;
	uint8_t *wire = NULL;
	size_t len = 0;
	struct nd_ip ip;
	struct nd_dns_reply r = { 0 };
	enum nd_dns_verdict v;

	assert_int_equal(nd_ip_parse(src, &ip, NULL), 0);
	assert_int_equal(ldns_pkt_query_new_frm_str(&q, name, type, LDNS_RR_CLASS_IN, LDNS_RD), LDNS_STATUS_OK);
	ldns_pkt_set_id(q, 77);
	assert_int_equal(ldns_pkt2wire(&wire, q, &len), LDNS_STATUS_OK);
	ldns_pkt_free(q);
	v = nd_dns_answer(z, &ip, wire, len, max, rot, &r);
	free(wire);
	*ret = NULL;
	if (v == ND_DNS_REPLY) {
		assert_int_equal(ldns_wire2pkt(ret, r.wire, r.len), LDNS_STATUS_OK);
		assert_int_equal(ldns_pkt_id(*ret), 77);
		free(r.wire);
	}
	return v;
}

static char *first(ldns_pkt *a)
{
	return ldns_rdf2str(ldns_rr_rdf(ldns_rr_list_rr(ldns_pkt_answer(a), 0), 0));
}

static void test_answer_names(void **state)
{
	struct nd_dns_zone z;
	ldns_pkt *a;
	char *s;

	(void)state;
	zone_with(&z, false, 1);
	assert_int_equal(ask(&z, "10.1.0.9", "WEB.", LDNS_RR_TYPE_A, 0, 0, &a), ND_DNS_REPLY);
	assert_int_equal(ldns_pkt_get_rcode(a), LDNS_RCODE_NOERROR);
	assert_int_equal(ldns_rr_ttl(ldns_rr_list_rr(ldns_pkt_answer(a), 0)), ND_DNS_TTL);
	assert_string_equal(s = first(a), "10.1.0.2");
	free(s), ldns_pkt_free(a);
	assert_int_equal(ask(&z, "fd00:1::9", "0123456789ab.", LDNS_RR_TYPE_AAAA, 0, 0, &a), ND_DNS_REPLY);
	assert_string_equal(s = first(a), "fd00:1::2");
	free(s), ldns_pkt_free(a);
	/* An alias on two containers: both, in turn. */
	assert_int_equal(ask(&z, "10.1.0.9", "svc.", LDNS_RR_TYPE_A, 0, 0, &a), ND_DNS_REPLY);
	assert_int_equal(ldns_pkt_ancount(a), 2);
	s = first(a), ldns_pkt_free(a);
	assert_int_equal(ask(&z, "10.1.0.9", "svc.", LDNS_RR_TYPE_A, 0, 1, &a), ND_DNS_REPLY);
	char *s2 = first(a);
	assert_string_not_equal(s, s2);
	free(s), free(s2), ldns_pkt_free(a);
	assert_int_equal(ask(&z, "10.1.0.9", "2.0.1.10.in-addr.arpa.", LDNS_RR_TYPE_PTR, 0, 0, &a), ND_DNS_REPLY);
	assert_string_equal(s = first(a), "web.");
	free(s), ldns_pkt_free(a);
	assert_int_equal(ask(&z, "10.1.0.9",
			     "2.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.1.0.0.0.0.0.d.f.ip6.arpa.",
			     LDNS_RR_TYPE_PTR, 0, 0, &a), ND_DNS_REPLY);
	assert_string_equal(s = first(a), "web.");
	free(s), ldns_pkt_free(a);
	nd_dns_zone_del(&z, "0123456789abcdef0123");
	assert_int_equal(ask(&z, "10.1.0.9", "web.", LDNS_RR_TYPE_A, 0, 0, &a), ND_DNS_REPLY);
	assert_int_equal(ldns_pkt_get_rcode(a), LDNS_RCODE_NXDOMAIN);
	ldns_pkt_free(a);
	nd_dns_zone_clear(&z);
}

static void test_answer_verdicts(void **state)
{
	static const uint8_t junk[] = { 1, 2, 0x01, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0xff, 0xff };
	struct nd_dns_reply r = { 0 };
	struct nd_dns_zone z, zi;
	struct nd_ip src = { .family = AF_INET, .a = { 10, 1, 0, 9 } };
	ldns_pkt *a;

	(void)state;
	zone_with(&z, false, 0);
	zone_with(&zi, true, 0);
	assert_int_equal(ask(&z, "10.1.0.9", "ext.example.", LDNS_RR_TYPE_A, 0, 0, &a), ND_DNS_FORWARD);
	/* An internal network never forwards. */
	assert_int_equal(ask(&zi, "10.1.0.9", "ext.example.", LDNS_RR_TYPE_A, 0, 0, &a), ND_DNS_REPLY);
	assert_int_equal(ldns_pkt_get_rcode(a), LDNS_RCODE_REFUSED);
	ldns_pkt_free(a);
	/* Askers outside the network are refused, whatever they ask. */
	assert_int_equal(ask(&z, "10.2.0.9", "web.", LDNS_RR_TYPE_A, 0, 0, &a), ND_DNS_REPLY);
	assert_int_equal(ldns_pkt_get_rcode(a), LDNS_RCODE_REFUSED);
	assert_int_equal(ldns_pkt_ancount(a), 0);
	ldns_pkt_free(a);
	assert_int_equal(ask(&z, "10.1.0.9", "nosuch.", LDNS_RR_TYPE_A, 0, 0, &a), ND_DNS_REPLY);
	assert_int_equal(ldns_pkt_get_rcode(a), LDNS_RCODE_NXDOMAIN);
	ldns_pkt_free(a);
	/* Garbage after a header: FORMERR; no header, or a response: dropped (no loops). */
	assert_int_equal(nd_dns_answer(&z, &src, junk, sizeof(junk), 0, 0, &r), ND_DNS_REPLY);
	assert_int_equal(r.len, 12);
	assert_int_equal(r.wire[3] & 15, LDNS_RCODE_FORMERR);
	assert_true(r.wire[2] & 0x80);
	free(r.wire);
	assert_int_equal(nd_dns_answer(&z, &src, junk, 5, 0, 0, &r), ND_DNS_DROP);
	uint8_t resp[sizeof(junk)];
	memcpy(resp, junk, sizeof(junk));
	resp[2] |= 0x80;
	assert_int_equal(nd_dns_answer(&z, &src, resp, sizeof(resp), 0, 0, &r), ND_DNS_DROP);
	nd_dns_zone_clear(&z);
	nd_dns_zone_clear(&zi);
}

static void test_answer_truncated_over_udp_whole_over_tcp(void **state)
{
	struct nd_dns_zone z;
	ldns_pkt *a;

	(void)state;
	zone_with(&z, false, 40); /* 41 A records: more than 512 bytes */
	assert_int_equal(ask(&z, "10.1.0.9", "svc.", LDNS_RR_TYPE_A, 0, 0, &a), ND_DNS_REPLY);
	assert_true(ldns_pkt_tc(a));
	assert_int_equal(ldns_pkt_ancount(a), 0);
	ldns_pkt_free(a);
	assert_int_equal(ask(&z, "10.1.0.9", "svc.", LDNS_RR_TYPE_A, 65535, 0, &a), ND_DNS_REPLY);
	assert_false(ldns_pkt_tc(a));
	assert_int_equal(ldns_pkt_ancount(a), 41);
	ldns_pkt_free(a);
	nd_dns_zone_clear(&z);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_resolv_parse_and_container_rule),
		cmocka_unit_test(test_dns_names),
		cmocka_unit_test(test_answer_names),
		cmocka_unit_test(test_answer_verdicts),
		cmocka_unit_test(test_answer_truncated_over_udp_whole_over_tcp),
	};

	return cmocka_run_group_tests_name("dns", tests, NULL, NULL);
}

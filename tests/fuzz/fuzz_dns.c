/*
 * libFuzzer target: the DNS server's query handler (lib/dns/answer.c), the bytes of one
 * UDP or TCP message from an asker on a network with a few names (an alias shared by two
 * containers, IPv4 and IPv6 addresses) to the answer; and the SERVFAIL builder. Also the
 * resolv.conf parser, on the same bytes as text.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "dns/answer.h"
#include "dns/resolvconf.h"
#include "dns/zone.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void add(struct nd_dns_zone *z, const char *rec)
{
	json_t *j = json_loads(rec, 0, NULL);
	struct nd_dns_entry e;

	if (j && nd_dns_entry_from_record(j, &e, NULL) >= 0)
		(void)nd_dns_zone_put(z, &e);
	json_decref(j);
}

static struct nd_dns_zone *zone(bool internal)
{
	static struct nd_dns_zone z[2];
	static bool made;

	if (!made) {
		for (int i = 0; i < 2; i++) {
			json_t *n = json_pack("{s:s, s:s, s:s, s:s, s:s, s:b}", "name", "fz", "subnet", "10.1.0.0/24",
					      "gateway", "10.1.0.1", "ipv6", "fd00:1::/64", "gateway6", "fd00:1::1",
					      "internal", i);

			(void)nd_dns_zone_init(&z[i], n, NULL);
			json_decref(n);
			add(&z[i], "{\"containerID\":\"0123456789abcdef0123\",\"name\":\"web\",\"aliases\":[\"svc\"],"
				   "\"result\":{\"ips\":[{\"address\":\"10.1.0.2/24\"},{\"address\":\"fd00:1::2/64\"}]}}");
			add(&z[i], "{\"containerID\":\"c2\",\"name\":\"Db\",\"aliases\":[\"svc\"],\"dns\":[\"10.9.9.9\"],"
				   "\"result\":{\"ips\":[{\"address\":\"10.1.0.3/24\"}]}}");
		}
		made = true;
	}
	return &z[internal];
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct nd_ip src = { .family = 2, .a = { 10, 1, 0, 5 } }, out = { .family = 2, .a = { 10, 2, 0, 5 } };
	struct nd_dns_reply r = { 0 };
	struct nd_resolv rc;
	char *text;
	unsigned int rot = size ? data[0] : 0;

	for (int tcp = 0; tcp < 2; tcp++) {
		if (nd_dns_answer(zone(tcp), &src, data, size, tcp ? 65535 : 0, rot, &r) == ND_DNS_REPLY)
			free(r.wire);
		r.wire = NULL;
	}
	if (nd_dns_answer(zone(false), &out, data, size, 0, rot, &r) == ND_DNS_REPLY)
		free(r.wire);
	r.wire = NULL;
	if (nd_dns_servfail(data, size, &r) == ND_DNS_REPLY)
		free(r.wire);
	if ((text = strndup((const char *)data, size))) {
		nd_resolv_parse(text, &rc);
		free(nd_resolv_format(&rc));
		free(text);
	}
	return 0;
}

#include "dns/zone.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/dnsname.h"

static int addr_field(json_t *o, const char *key, struct nd_cidr *cidr, struct nd_ip *ip, struct nd_err **err)
{
	const char *s = json_string_value(json_object_get(o, key));

	if (!s)
		return 0;
	return cidr ? nd_cidr_parse(s, cidr, err) : nd_ip_parse(s, ip, err);
}

int nd_dns_zone_init(struct nd_dns_zone *z, json_t *network, struct nd_err **err)
{
	const char *name = json_string_value(json_object_get(network, "name"));
	int r;

	memset(z, 0, sizeof(*z));
	if (!name || strlen(name) >= sizeof(z->network))
		return nd_err_set(err, ND_CNI_INVALID_CONFIG, EINVAL, "network without a usable name");
	snprintf(z->network, sizeof(z->network), "%s", name);
	if ((r = addr_field(network, "subnet", &z->subnet, NULL, err)) < 0 ||
	    (r = addr_field(network, "gateway", NULL, &z->gw, err)) < 0 ||
	    (r = addr_field(network, "ipv6", &z->subnet6, NULL, err)) < 0 ||
	    (r = addr_field(network, "gateway6", NULL, &z->gw6, err)) < 0)
		return nd_err_wrap(err, "network '%s'", name);
	z->internal = json_is_true(json_object_get(network, "internal"));
	return 0;
}

void nd_dns_zone_clear(struct nd_dns_zone *z)
{
	free(z->entries);
	memset(z, 0, sizeof(*z));
}

static void add_name(struct nd_dns_entry *e, const char *name)
{
	size_t i;

	if (!name || !nd_dns_name_valid(name) || e->n_names >= ND_DNS_ENTRY_NAMES)
		return;
	for (i = 0; i + 1 < ND_DNS_NAME_MAX && name[i]; i++)
		e->names[e->n_names][i] = (char)tolower((unsigned char)name[i]);
	e->names[e->n_names][i] = '\0';
	for (size_t k = 0; k < e->n_names; k++)
		if (!strcmp(e->names[k], e->names[e->n_names]))
			return;
	e->n_names++;
}

static bool hex12(const char *id)
{
	size_t i = 0;

	for (; i < 12 && id[i]; i++)
		if (!isxdigit((unsigned char)id[i]))
			return false;
	return i == 12;
}

static void add_ips(json_t *rec, struct nd_dns_entry *e)
{
	json_t *ips = json_object_get(json_object_get(rec, "result"), "ips"), *v;
	size_t i;

	json_array_foreach(ips, i, v) {
		struct nd_cidr c;
		const char *a = json_string_value(json_object_get(v, "address"));

		if (a && e->n_ips < ND_DNS_ENTRY_IPS && nd_cidr_parse(a, &c, NULL) >= 0)
			e->ips[e->n_ips++] = c.ip;
	}
}

int nd_dns_entry_from_record(json_t *rec, struct nd_dns_entry *ret, struct nd_err **err)
{
	const char *id = json_string_value(json_object_get(rec, "containerID"));
	json_t *v;
	size_t i;

	memset(ret, 0, sizeof(*ret));
	if (!id || strlen(id) >= sizeof(ret->id))
		return nd_err_set(err, ND_CNI_INVALID_CONFIG, EINVAL, "attachment record without a containerID");
	snprintf(ret->id, sizeof(ret->id), "%s", id);
	add_name(ret, json_string_value(json_object_get(rec, "name")));
	if (hex12(id)) {
		char short_id[13];

		snprintf(short_id, sizeof(short_id), "%.12s", id);
		add_name(ret, short_id);
	}
	json_array_foreach(json_object_get(rec, "aliases"), i, v)
		add_name(ret, json_string_value(v));
	json_array_foreach(json_object_get(rec, "dns"), i, v)
		if (ret->n_upstreams < ND_RESOLV_MAXNS && json_is_string(v) &&
		    nd_ip_parse(json_string_value(v), &ret->upstreams[ret->n_upstreams], NULL) >= 0)
			ret->n_upstreams++;
	add_ips(rec, ret);
	if (!ret->n_ips)
		return nd_err_set(err, ND_CNI_INVALID_CONFIG, EINVAL, "attachment '%s' has no address", id);
	return 0;
}

int nd_dns_zone_put(struct nd_dns_zone *z, const struct nd_dns_entry *e)
{
	for (size_t i = 0; i < z->n; i++)
		if (!strcmp(z->entries[i].id, e->id)) {
			z->entries[i] = *e;
			return 0;
		}
	if (z->n == z->cap) {
		size_t cap = z->cap ? z->cap * 2 : 16;
		struct nd_dns_entry *p = realloc(z->entries, cap * sizeof(*p));

		if (!p)
			return -ENOMEM;
		z->entries = p;
		z->cap = cap;
	}
	z->entries[z->n++] = *e;
	return 0;
}

void nd_dns_zone_del(struct nd_dns_zone *z, const char *id)
{
	for (size_t i = 0; i < z->n; i++)
		if (!strcmp(z->entries[i].id, id)) {
			z->entries[i] = z->entries[--z->n];
			return;
		}
}

size_t nd_dns_zone_find(const struct nd_dns_zone *z, const char *name, const struct nd_dns_entry **ret, size_t max)
{
	size_t n = 0;

	for (size_t i = 0; i < z->n && n < max; i++)
		for (size_t k = 0; k < z->entries[i].n_names; k++)
			if (!strcmp(z->entries[i].names[k], name)) {
				ret[n++] = &z->entries[i];
				break;
			}
	return n;
}

const struct nd_dns_entry *nd_dns_zone_by_ip(const struct nd_dns_zone *z, const struct nd_ip *ip)
{
	for (size_t i = 0; i < z->n; i++)
		for (size_t k = 0; k < z->entries[i].n_ips; k++)
			if (nd_ip_equal(&z->entries[i].ips[k], ip))
				return &z->entries[i];
	return NULL;
}

bool nd_dns_zone_has(const struct nd_dns_zone *z, const struct nd_ip *ip)
{
	return (z->subnet.ip.family && nd_cidr_contains(&z->subnet, ip)) ||
	       (z->subnet6.ip.family && nd_cidr_contains(&z->subnet6, ip));
}

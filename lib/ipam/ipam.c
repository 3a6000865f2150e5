#include "ipam/ipam.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "base/cleanup.h"
#include "base/fault.h"
#include "cni/cni.h"
#include "ipam/store.h"

DEFINE_CLEANUP(struct nd_store, nd_store_close)
DEFINE_CLEANUP(FILE, fclose)

#define CONF_ERR(err, ...) nd_err_set(err, ND_CNI_INVALID_CONFIG, EINVAL, __VA_ARGS__)
#define WHERE_LEN 128

/* "where[i]" for messages; a path too long to print is cut, never overrun. */
static const char *where_idx(char buf[static WHERE_LEN], const char *where, size_t i)
{
	if (snprintf(buf, WHERE_LEN, "%s[%zu]", where, i) >= WHERE_LEN)
		buf[WHERE_LEN - 2] = '~';
	return buf;
}

/*
 * fn for each item of the JSON array arr, with its place "where[i]" for messages; noun
 * names the items in the error for what is not an array.
 */
static int each_item(json_t *arr, const char *where, const char *noun,
		     int (*fn)(json_t *v, const char *where, size_t i, void *ud, struct nd_err **err), void *ud,
		     struct nd_err **err)
{
	char w[WHERE_LEN];
	size_t i;
	json_t *v;
	int r;

	if (!json_is_array(arr))
		return CONF_ERR(err, "%s: expected an array%s%s", where, *noun ? " of " : "", noun);
	json_array_foreach(arr, i, v)
		if ((r = fn(v, where_idx(w, where, i), i, ud, err)) < 0)
			return r;
	return 0;
}

/* ---- config: ranges ---- */

/* A string member, or NULL when absent; anything else is an error naming the field. */
static int get_string(json_t *obj, const char *key, const char *where, const char **ret, struct nd_err **err)
{
	json_t *v = json_object_get(obj, key);

	*ret = NULL;
	if (!v || json_is_null(v))
		return 0;
	if (!json_is_string(v))
		return CONF_ERR(err, "%s.%s: expected a string", where, key);
	*ret = json_string_value(v);
	return 0;
}

/* An optional address member of the subnet's family, inside the subnet. */
static int get_range_ip(json_t *obj, const char *key, const char *where, const struct nd_cidr *subnet,
			struct nd_ip *ret, struct nd_err **err)
{
	char sbuf[ND_CIDR_STRLEN];
	const char *s;
	int r;

	r = get_string(obj, key, where, &s, err);
	if (r < 0 || !s)
		return r;
	if (nd_ip_parse(s, ret, NULL) < 0)
		return CONF_ERR(err, "%s.%s: invalid IP address '%s'", where, key, s);
	/* Stricter than host-local, which accepts a gateway outside the subnet. */
	if (!nd_cidr_contains(subnet, ret))
		return CONF_ERR(err, "%s.%s: %s is not in subnet %s", where, key, s, nd_cidr_fmt(subnet, sbuf));
	return 0;
}

static int get_subnet(json_t *obj, const char *where, struct nd_cidr *ret, struct nd_err **err)
{
	char sbuf[ND_CIDR_STRLEN];
	struct nd_cidr c;
	const char *s;
	int r;

	r = get_string(obj, "subnet", where, &s, err);
	if (r < 0)
		return r;
	if (!s)
		return CONF_ERR(err, "%s.subnet: missing", where);
	if (nd_cidr_parse(s, &c, NULL) < 0)
		return CONF_ERR(err, "%s.subnet: invalid CIDR '%s'", where, s);
	nd_cidr_network(&c, &c);
	/* Unlike host-local: no loopback, multicast, link-local, 0.0.0.0/0 (lib/base/ip.h). */
	if (nd_subnet_check(&c, err) < 0)
		return nd_err_wrap(err, "%s.subnet", where);
	/* Network + gateway + one host (+ broadcast for IPv4): as host-local, /30 and /126. */
	if (c.len + 2 > nd_ip_bytes(c.ip.family) * 8)
		return CONF_ERR(err, "%s.subnet: %s is too small to allocate from", where, nd_cidr_fmt(&c, sbuf));
	*ret = c;
	return 0;
}

/* Fill start, end and gateway where absent (host-local's Canonicalize), then check them. */
static int range_finish(struct nd_range *r, const char *where, struct nd_err **err)
{
	char a[ND_IP_STRLEN], b[ND_IP_STRLEN], sbuf[ND_CIDR_STRLEN];
	struct nd_ip net1 = r->subnet.ip, last;
	bool v4 = r->subnet.ip.family == AF_INET;

	(void)nd_ip_add(&net1, 1);
	nd_cidr_last(&r->subnet, &last);
	if (!nd_ip_is_set(&r->gw))
		r->gw = net1;
	if (!nd_ip_is_set(&r->start))
		r->start = net1;
	if (!nd_ip_is_set(&r->end)) {
		r->end = last;
		if (v4)
			(void)nd_ip_add(&r->end, -1);
	}
	nd_cidr_fmt(&r->subnet, sbuf);
	if (nd_ip_cmp(&r->start, &r->end) > 0)
		return CONF_ERR(err, "%s: rangeStart %s is after rangeEnd %s", where, nd_ip_fmt(&r->start, a),
				nd_ip_fmt(&r->end, b));
	if (v4 && nd_ip_equal(&r->start, &r->subnet.ip))
		return CONF_ERR(err, "%s.rangeStart: %s is the network address of %s", where,
				nd_ip_fmt(&r->start, a), sbuf);
	if (v4 && nd_ip_equal(&r->end, &last))
		return CONF_ERR(err, "%s.rangeEnd: %s is the broadcast address of %s", where, nd_ip_fmt(&r->end, a),
				sbuf);
	if (nd_gateway_check(&r->subnet, &r->gw, err) < 0)
		return nd_err_wrap(err, "%s.gateway", where);
	if (nd_ip_equal(&r->start, &r->end) && nd_ip_equal(&r->start, &r->gw))
		return CONF_ERR(err, "%s: the only address %s is the gateway", where, nd_ip_fmt(&r->gw, a));
	return 0;
}

static int parse_range(json_t *obj, const char *where, struct nd_range *ret, struct nd_err **err)
{
	struct nd_range r = { 0 };
	int r1;

	if (!json_is_object(obj))
		return CONF_ERR(err, "%s: expected an object", where);
	r1 = get_subnet(obj, where, &r.subnet, err);
	if (r1 >= 0)
		r1 = get_range_ip(obj, "rangeStart", where, &r.subnet, &r.start, err);
	if (r1 >= 0)
		r1 = get_range_ip(obj, "rangeEnd", where, &r.subnet, &r.end, err);
	if (r1 >= 0)
		r1 = get_range_ip(obj, "gateway", where, &r.subnet, &r.gw, err);
	if (r1 >= 0)
		r1 = range_finish(&r, where, err);
	if (r1 < 0)
		return r1;
	*ret = r;
	return 0;
}

static int range_item(json_t *v, const char *where, size_t i, void *set, struct nd_err **err)
{
	return parse_range(v, where, &((struct nd_rangeset *)set)->r[i], err);
}

static int parse_rangeset(json_t *arr, const char *where, struct nd_rangeset *ret, struct nd_err **err)
{
	int r;

	if (json_is_array(arr) && json_array_size(arr) == 0)
		return CONF_ERR(err, "%s: empty range set", where);
	if (json_array_size(arr) > ND_MAX_RANGES)
		return CONF_ERR(err, "%s: more than %d ranges", where, ND_MAX_RANGES);
	if ((r = each_item(arr, where, "ranges", range_item, ret, err)) < 0)
		return r;
	ret->n = json_array_size(arr);
	/* host-local: a set hands out one address, so it has one family. */
	for (size_t i = 1; i < ret->n; i++)
		if (ret->r[i].subnet.ip.family != ret->r[0].subnet.ip.family)
			return CONF_ERR(err, "%s: mixed address families in one range set", where);
	return 0;
}

static int set_item(json_t *v, const char *where, size_t i, void *c, struct nd_err **err)
{
	struct nd_ipam_conf *conf = c;

	(void)i;
	if (conf->n_sets == ND_MAX_RANGESETS)
		return CONF_ERR(err, "%s: more than %d range sets", where, ND_MAX_RANGESETS);
	return parse_rangeset(v, where, &conf->sets[conf->n_sets++], err);
}

/* The legacy flat form: ipam.subnet etc. make one range set. */
static int add_legacy_set(struct nd_ipam_conf *c, json_t *ipam, struct nd_err **err)
{
	struct nd_rangeset *set;

	if (!json_object_get(ipam, "subnet")) {
		/* host-local ignores these silently; a half-written legacy config is a mistake. */
		if (json_object_get(ipam, "rangeStart") || json_object_get(ipam, "rangeEnd") ||
		    json_object_get(ipam, "gateway"))
			return CONF_ERR(err, "ipam: rangeStart/rangeEnd/gateway given without subnet");
		return 0;
	}
	if (c->n_sets == ND_MAX_RANGESETS)
		return CONF_ERR(err, "ipam: more than %d range sets", ND_MAX_RANGESETS);
	set = &c->sets[c->n_sets++];
	set->n = 1;
	return parse_range(ipam, "ipam", &set->r[0], err);
}

static bool ranges_overlap(const struct nd_range *x, const struct nd_range *y)
{
	return x->start.family == y->start.family && nd_ip_cmp(&x->start, &y->end) <= 0 &&
	       nd_ip_cmp(&y->start, &x->end) <= 0;
}

/* Every pair of ranges, within a set and across sets: a shared address is a double lease. */
static int check_overlaps(const struct nd_ipam_conf *c, struct nd_err **err)
{
	for (size_t s1 = 0; s1 < c->n_sets; s1++)
		for (size_t i = 0; i < c->sets[s1].n; i++)
			for (size_t s2 = s1; s2 < c->n_sets; s2++)
				for (size_t j = s1 == s2 ? i + 1 : 0; j < c->sets[s2].n; j++) {
					const struct nd_range *x = &c->sets[s1].r[i], *y = &c->sets[s2].r[j];
					char a[ND_IP_STRLEN], b[ND_IP_STRLEN];

					if (ranges_overlap(x, y))
						return CONF_ERR(err,
								"ipam: range %s-%s of range set %zu overlaps range set %zu",
								nd_ip_fmt(&x->start, a), nd_ip_fmt(&x->end, b), s1, s2);
				}
	return 0;
}

/* ---- config: routes ---- */

static int parse_route(json_t *obj, const char *where, struct nd_route *ret, struct nd_err **err)
{
	struct nd_route rt = { 0 };
	const char *dst, *gw;
	json_t *prio;
	int r;

	if (!json_is_object(obj))
		return CONF_ERR(err, "%s: expected an object", where);
	r = get_string(obj, "dst", where, &dst, err);
	if (r >= 0)
		r = get_string(obj, "gw", where, &gw, err);
	if (r < 0)
		return r;
	if (!dst)
		return CONF_ERR(err, "%s.dst: missing", where);
	if (nd_cidr_parse(dst, &rt.dst, NULL) < 0)
		return CONF_ERR(err, "%s.dst: invalid CIDR '%s'", where, dst);
	nd_cidr_network(&rt.dst, &rt.dst);
	if (gw && nd_ip_parse(gw, &rt.gw, NULL) < 0)
		return CONF_ERR(err, "%s.gw: invalid IP address '%s'", where, gw);
	if (gw && rt.gw.family != rt.dst.ip.family)
		return CONF_ERR(err, "%s.gw: %s is not of the family of dst %s", where, gw, dst);
	prio = json_object_get(obj, "priority");
	if (prio && !json_is_null(prio)) {
		if (!json_is_integer(prio) || json_integer_value(prio) < 0 ||
		    json_integer_value(prio) > INT32_MAX)
			return CONF_ERR(err, "%s.priority: expected a non-negative integer", where);
		rt.priority = (int)json_integer_value(prio);
	}
	*ret = rt;
	return 0;
}

static int route_item(json_t *v, const char *where, size_t i, void *c, struct nd_err **err)
{
	return parse_route(v, where, &((struct nd_ipam_conf *)c)->routes[i], err);
}

static int parse_routes(struct nd_ipam_conf *c, json_t *arr, struct nd_err **err)
{
	int r;

	if (!arr || json_is_null(arr))
		return 0;
	if (json_array_size(arr) > ND_MAX_ROUTES)
		return CONF_ERR(err, "ipam.routes: more than %d routes", ND_MAX_ROUTES);
	if ((r = each_item(arr, "ipam.routes", "", route_item, c, err)) < 0)
		return r;
	c->n_routes = json_array_size(arr);
	return 0;
}

/* ---- config: requested addresses ---- */

static bool range_holds(const struct nd_range *r, const struct nd_ip *ip)
{
	return r->start.family == ip->family && nd_ip_cmp(&r->start, ip) <= 0 && nd_ip_cmp(ip, &r->end) <= 0;
}

/* The range of set holding ip, or NULL. */
static const struct nd_range *range_of(const struct nd_rangeset *set, const struct nd_ip *ip)
{
	for (size_t i = 0; i < set->n; i++)
		if (range_holds(&set->r[i], ip))
			return &set->r[i];
	return NULL;
}

/* Index of the set holding ip in one of its ranges, or -1. */
static int set_of(const struct nd_ipam_conf *c, const struct nd_ip *ip)
{
	for (size_t s = 0; s < c->n_sets; s++)
		if (range_of(&c->sets[s], ip))
			return (int)s;
	return -1;
}

/* Gateways are never handed out, whichever range of the set names them. */
static bool is_gateway(const struct nd_rangeset *set, const struct nd_ip *ip)
{
	for (size_t i = 0; i < set->n; i++)
		if (nd_ip_equal(&set->r[i].gw, ip))
			return true;
	return false;
}

/* "10.0.0.5" or "10.0.0.5/24" (the prefix is dropped, as host-local's ip.IP does). */
static int add_requested(struct nd_ipam_conf *c, const char *s, const char *where, struct nd_err **err)
{
	struct nd_cidr cidr;
	struct nd_ip ip;

	if (strchr(s, '/') ? nd_cidr_parse(s, &cidr, NULL) < 0 : nd_ip_parse(s, &cidr.ip, NULL) < 0)
		return CONF_ERR(err, "%s: invalid IP address '%s'", where, s);
	ip = cidr.ip;
	/* The same address from two sources (CNI_ARGS and runtimeConfig) is one request. */
	for (size_t i = 0; i < c->n_requested; i++)
		if (nd_ip_equal(&c->requested[i], &ip))
			return 0;
	if (c->n_requested == ND_MAX_RANGESETS)
		return CONF_ERR(err, "%s: more requested addresses than range sets", where);
	c->requested[c->n_requested++] = ip;
	return 0;
}

static int requested_item(json_t *v, const char *where, size_t i, void *c, struct nd_err **err)
{
	(void)i;
	if (!json_is_string(v))
		return CONF_ERR(err, "%s: expected a string", where);
	return add_requested(c, json_string_value(v), where, err);
}

static int add_requested_array(struct nd_ipam_conf *c, json_t *arr, const char *where, struct nd_err **err)
{
	return !arr || json_is_null(arr) ? 0 : each_item(arr, where, "IP addresses", requested_item, c, err);
}

/* CNI_ARGS IP=a,b: comma-separated, each trimmed, as host-local reads it. */
static int add_requested_args(struct nd_ipam_conf *c, const char *args, struct nd_err **err)
{
	_cleanup_free_ char *v = NULL;
	char *save = NULL;

	if (nd_cni_args_get(args, "IP", &v) < 0)
		return nd_oom(err);
	for (char *tok = v ? strtok_r(v, ",", &save) : NULL; tok; tok = strtok_r(NULL, ",", &save)) {
		char *end;
		int r;

		while (*tok == ' ' || *tok == '\t')
			tok++;
		end = tok + strlen(tok);
		while (end > tok && (end[-1] == ' ' || end[-1] == '\t'))
			*--end = '\0';
		if (!*tok)
			continue;
		r = add_requested(c, tok, "CNI_ARGS IP", err);
		if (r < 0)
			return r;
	}
	return 0;
}

static int check_requested(const struct nd_ipam_conf *c, struct nd_err **err)
{
	int owner[ND_MAX_RANGESETS];
	char a[ND_IP_STRLEN], b[ND_IP_STRLEN];

	for (size_t s = 0; s < ND_MAX_RANGESETS; s++)
		owner[s] = -1;
	for (size_t i = 0; i < c->n_requested; i++) {
		const struct nd_ip *ip = &c->requested[i];
		int s = set_of(c, ip);

		if (s < 0)
			return CONF_ERR(err, "requested IP %s is not in any range of network '%s'",
					nd_ip_fmt(ip, a), c->network);
		if (is_gateway(&c->sets[s], ip))
			return CONF_ERR(err, "requested IP %s is the gateway of range set %d", nd_ip_fmt(ip, a), s);
		if (owner[s] >= 0)
			return CONF_ERR(err, "requested IPs %s and %s are both in range set %d",
					nd_ip_fmt(&c->requested[owner[s]], a), nd_ip_fmt(ip, b), s);
		owner[s] = (int)i;
	}
	return 0;
}

/* ---- config: the whole ---- */

static int dup_string(const char *s, char **ret, struct nd_err **err)
{
	*ret = strdup(s);
	return *ret ? 0 : nd_oom(err);
}

static int parse_strings(json_t *conf, json_t *ipam, struct nd_ipam_conf *c, struct nd_err **err)
{
	const char *name, *dir, *resolv;
	int r;

	r = get_string(conf, "name", "network config", &name, err);
	if (r >= 0)
		r = get_string(ipam, "dataDir", "ipam", &dir, err);
	if (r >= 0)
		r = get_string(ipam, "resolvConf", "ipam", &resolv, err);
	if (r < 0)
		return r;
	if (!name || !*name)
		return CONF_ERR(err, "network config: missing 'name'");
	r = dup_string(name, &c->network, err);
	if (r >= 0)
		r = dup_string(dir && *dir ? dir : ND_DEFAULT_DATADIR, &c->data_dir, err);
	if (r >= 0 && resolv && *resolv)
		r = dup_string(resolv, &c->resolv_conf, err);
	return r;
}

static int parse_sets(json_t *conf, json_t *ipam, struct nd_ipam_conf *c, struct nd_err **err)
{
	json_t *rt = json_object_get(conf, "runtimeConfig");
	json_t *ranges = json_object_get(ipam, "ranges");
	int r = 0;

	/* host-local's order: the ipRanges capability first, then legacy, then ranges. */
	if (json_is_object(rt) && json_object_get(rt, "ipRanges"))
		r = each_item(json_object_get(rt, "ipRanges"), "runtimeConfig.ipRanges", "range sets", set_item, c, err);
	if (r >= 0)
		r = add_legacy_set(c, ipam, err);
	if (r >= 0 && ranges && !json_is_null(ranges))
		r = each_item(ranges, "ipam.ranges", "range sets", set_item, c, err);
	if (r < 0)
		return r;
	if (c->n_sets == 0)
		return CONF_ERR(err, "ipam: no 'ranges' nor 'subnet' given");
	return check_overlaps(c, err);
}

static int parse_requested(json_t *conf, const char *cni_args, struct nd_ipam_conf *c, struct nd_err **err)
{
	json_t *args = json_object_get(conf, "args"), *rt = json_object_get(conf, "runtimeConfig");
	json_t *cni = json_is_object(args) ? json_object_get(args, "cni") : NULL;
	int r;

	r = add_requested_args(c, cni_args, err);
	if (r >= 0 && json_is_object(cni))
		r = add_requested_array(c, json_object_get(cni, "ips"), "args.cni.ips", err);
	if (r >= 0 && json_is_object(rt))
		r = add_requested_array(c, json_object_get(rt, "ips"), "runtimeConfig.ips", err);
	if (r < 0)
		return r;
	return check_requested(c, err);
}

int nd_ipam_conf_parse(json_t *conf, const char *cni_args, struct nd_ipam_conf *ret, struct nd_err **err)
{
	_cleanup_free_ struct nd_ipam_conf *c = NULL;
	json_t *ipam = json_object_get(conf, "ipam");
	int r;

	if (!json_is_object(conf))
		return CONF_ERR(err, "network config: expected an object");
	if (!json_is_object(ipam))
		return CONF_ERR(err, "network config: missing 'ipam' object");
	/* Built aside (14 KiB, so on the heap): *ret stays untouched on failure. */
	c = calloc(1, sizeof(*c));
	if (!c)
		return nd_oom(err);
	r = parse_strings(conf, ipam, c, err);
	if (r >= 0)
		r = parse_sets(conf, ipam, c, err);
	if (r >= 0)
		r = parse_routes(c, json_object_get(ipam, "routes"), err);
	if (r >= 0)
		r = parse_requested(conf, cni_args, c, err);
	if (r < 0) {
		nd_ipam_conf_clear(c);
		return r;
	}
	*ret = *c;
	return 0;
}

void nd_ipam_conf_clear(struct nd_ipam_conf *c)
{
	free(c->network);
	free(c->data_dir);
	free(c->resolv_conf);
	memset(c, 0, sizeof(*c));
}

/* ---- resolvConf ---- */

static int json_push_str(json_t *obj, const char *key, const char *s)
{
	json_t *arr = json_object_get(obj, key);

	if (!arr) {
		arr = json_array();
		if (!arr || json_object_set_new(obj, key, arr) < 0)
			return -ENOMEM;
	}
	return json_array_append_new(arr, json_string(s)) < 0 ? -ENOMEM : 0;
}

/* One resolv.conf line into dns; host-local's parseResolvConf, keys it does not know ignored. */
static int dns_line(json_t *dns, char *line)
{
	char *save = NULL, *key, *v;
	int r = 0;

	key = strtok_r(line, " \t\r\n", &save);
	if (!key || key[0] == '#' || key[0] == ';')
		return 0;
	v = strtok_r(NULL, " \t\r\n", &save);
	if (!v)
		return 0;
	if (!strcmp(key, "nameserver"))
		return json_push_str(dns, "nameservers", v);
	if (!strcmp(key, "domain"))
		return json_object_set_new(dns, "domain", json_string(v)) < 0 ? -ENOMEM : 0;
	if (strcmp(key, "search") && strcmp(key, "options"))
		return 0;
	for (; v && r >= 0; v = strtok_r(NULL, " \t\r\n", &save))
		r = json_push_str(dns, key[0] == 's' ? "search" : "options", v);
	return r;
}

static int dns_from_resolv(const char *path, json_t **ret, struct nd_err **err)
{
	_cleanup_(fclosep) FILE *f = fopen(path, "re");
	_cleanup_(json_decrefp) json_t *dns = json_object();
	_cleanup_free_ char *line = NULL;
	size_t cap = 0;

	if (!f) {
		int e = errno;

		return nd_err_set(err, ND_CNI_INVALID_CONFIG, e, "ipam.resolvConf '%s': %s", path, strerror(e));
	}
	if (!dns)
		return nd_oom(err);
	errno = 0;
	while (getline(&line, &cap, f) >= 0)
		if (dns_line(dns, line) < 0)
			return nd_oom(err);
	if (ferror(f))
		return nd_err_set(err, ND_CNI_IO, errno ? errno : EIO, "ipam.resolvConf '%s': read error", path);
	*ret = TAKE_PTR(dns);
	return 0;
}

/* ---- allocation ---- */

/* host-local's RangeIter: a cursor over the set's ranges, cyclic. */
struct iter {
	const struct nd_rangeset *set;
	size_t ri;
	struct nd_ip cur;
};

static void iter_next(struct iter *it)
{
	if (nd_ip_equal(&it->cur, &it->set->r[it->ri].end)) {
		it->ri = (it->ri + 1) % it->set->n;
		it->cur = it->set->r[it->ri].start;
	} else {
		(void)nd_ip_add(&it->cur, 1);
	}
}

/* Round robin: start right after the last address this set handed out, if still in it. */
static void iter_start(struct nd_store *s, const struct nd_rangeset *set, unsigned int idx, struct iter *it)
{
	struct nd_ip last;

	*it = (struct iter){ .set = set, .ri = 0, .cur = set->r[0].start };
	if (nd_store_last_get(s, idx, &last) < 0)
		return;
	for (size_t i = 0; i < set->n; i++) {
		if (range_holds(&set->r[i], &last)) {
			it->ri = i;
			it->cur = last;
			iter_next(it);
			return;
		}
	}
}

/* The first free address from it onwards, once round the set; false when there is none. */
static bool iter_find_free(struct nd_store *s, struct iter *it, struct nd_ip *ret)
{
	const struct nd_ip first = it->cur;

	do {
		if (!is_gateway(it->set, &it->cur) && !nd_store_is_reserved(s, &it->cur)) {
			*ret = it->cur;
			return true;
		}
		iter_next(it);
	} while (!nd_ip_equal(&it->cur, &first));
	return false;
}

static char *set_fmt(const struct nd_rangeset *set, char *buf, size_t len)
{
	size_t off = 0;

	buf[0] = '\0';
	for (size_t i = 0; i < set->n && off < len; i++) {
		char c[ND_CIDR_STRLEN];

		off += (size_t)snprintf(buf + off, len - off, "%s%s", i ? ", " : "", nd_cidr_fmt(&set->r[i].subnet, c));
	}
	return buf;
}

static int exhausted(const struct nd_ipam_conf *c, size_t set, int code, struct nd_err **err)
{
	char buf[256];

	return nd_err_set(err, code, ENOSPC, "no free address in range set %zu (%s) of network '%s'", set,
			  set_fmt(&c->sets[set], buf, sizeof(buf)), c->network);
}

static const struct nd_ip *requested_in(const struct nd_ipam_conf *c, size_t set)
{
	for (size_t i = 0; i < c->n_requested; i++)
		if (set_of(c, &c->requested[i]) == (int)set)
			return &c->requested[i];
	return NULL;
}

/* One address per set, chosen under the lock before anything is written. */
static int choose(struct nd_store *s, const struct nd_ipam_conf *c, struct nd_ip *ret, struct nd_err **err)
{
	for (size_t i = 0; i < c->n_sets; i++) {
		const struct nd_ip *req = requested_in(c, i);
		char a[ND_IP_STRLEN];
		struct iter it;

		if (req && nd_store_is_reserved(s, req))
			return nd_err_set(err, ND_ERR_ADDR_IN_USE, EADDRINUSE,
					  "requested IP %s is already in use on network '%s'", nd_ip_fmt(req, a),
					  c->network);
		if (req) {
			ret[i] = *req;
			continue;
		}
		iter_start(s, &c->sets[i], (unsigned int)i, &it);
		if (!iter_find_free(s, &it, &ret[i]))
			return exhausted(c, i, ND_ERR_POOL_EXHAUSTED, err);
	}
	return 0;
}

static int check_absent(struct nd_store *s, const struct nd_ipam_conf *c, const char *id, const char *ifname,
			struct nd_err **err)
{
	struct nd_ip ips[64];
	size_t n = 0;
	int r;

	r = nd_store_index_read(s, id, ifname, ips, ND_ARRAY_SIZE(ips), &n, err);
	if (r < 0 && r != -ENOENT)
		return r;
	/*
	 * An index none of whose leases is ours is what a crash between index and lease (or
	 * host-local's DEL) leaves: not an attachment; commit() replaces it.
	 */
	for (size_t i = 0; r == 0 && i < n; i++)
		if (nd_store_owns(s, &ips[i], id, ifname))
			goto exists;
	/*
	 * Leases host-local wrote have no index and are not looked for here: finding them would
	 * make every ADD scan the store (cost growing with the containers attached). DEL and GC
	 * still find them.
	 */
	return 0;
exists:
	return nd_err_set(err, ND_ERR_EXISTS, EEXIST,
			  "container '%s' interface '%s' already holds addresses on network '%s'", id, ifname,
			  c->network);
}

static void undo(struct nd_store *s, const struct nd_ip *ips, size_t n, const char *id, const char *ifname)
{
	for (size_t i = 0; i < n; i++)
		(void)nd_store_unreserve(s, &ips[i], id, ifname, NULL);
	(void)nd_store_index_remove(s, id, ifname, NULL);
}

/*
 * The index first: a crash after it leaves a record the next DEL reads in O(1), and
 * release tolerates listed leases that never came to be. Then the leases, undone
 * together on any failure.
 */
static int commit(struct nd_store *s, const struct nd_ipam_conf *c, const struct nd_ip *ips, const char *id,
		  const char *ifname, struct nd_err **err)
{
	char a[ND_IP_STRLEN];
	int r;

	/* Fault points: "ipam-lease:kill" is the crash between index and lease. */
	r = nd_fault("ipam-index", err);
	if (r >= 0)
		r = nd_store_index_write(s, id, ifname, ips, c->n_sets, err);
	if (r < 0)
		return r;
	for (size_t i = 0; i < c->n_sets; i++) {
		r = nd_fault("ipam-lease", err);
		if (r >= 0)
			r = nd_store_reserve(s, &ips[i], id, ifname, err);
		if (r == -EEXIST)
			/* Only a writer ignoring the lock gets here (old host-local locked the directory). */
			r = nd_err_set(err, ND_CNI_TRY_AGAIN, EAGAIN, "IP %s on network '%s' was taken concurrently",
				       nd_ip_fmt(&ips[i], a), c->network);
		if (r < 0) {
			undo(s, ips, i, id, ifname);
			return r;
		}
	}
	/* Only steers the round robin; failing to record it loses nothing. */
	for (size_t i = 0; i < c->n_sets; i++)
		(void)nd_store_last_set(s, (unsigned int)i, &ips[i], NULL);
	return 0;
}

static void fill_result(const struct nd_ipam_conf *c, const struct nd_ip *ips, json_t *dns,
			struct nd_result *ret)
{
	for (size_t i = 0; i < c->n_sets; i++) {
		/* ips[i] was chosen inside a range of set i. */
		const struct nd_range *r = range_of(&c->sets[i], &ips[i]);
		struct nd_ipconf *ipc = &ret->ips[ret->n_ips++];

		ipc->addr = (struct nd_cidr){ .ip = ips[i], .len = r->subnet.len };
		ipc->gw = r->gw;
		ipc->iface = -1;
	}
	for (size_t i = 0; i < c->n_routes; i++)
		ret->routes[ret->n_routes++] = c->routes[i];
	if (dns) {
		json_decref(ret->dns);
		ret->dns = dns;
	}
}

static int open_store(const struct nd_ipam_conf *c, struct nd_store **ret, struct nd_err **err)
{
	return nd_store_open(c->data_dir ? c->data_dir : ND_DEFAULT_DATADIR, c->network, ret, err);
}

int nd_ipam_add(const struct nd_ipam_conf *c, const char *id, const char *ifname, struct nd_result *ret,
		struct nd_err **err)
{
	_cleanup_(nd_store_closep) struct nd_store *s = NULL;
	_cleanup_(json_decrefp) json_t *dns = NULL;
	struct nd_ip ips[ND_MAX_RANGESETS];
	int r;

	if (ret->n_ips + c->n_sets > ND_MAX_IPS || ret->n_routes + c->n_routes > ND_MAX_ROUTES)
		return nd_err_set(err, ND_ERR_INTERNAL, E2BIG, "network '%s': too many addresses or routes",
				  c->network);
	/* Everything that can fail without touching the store comes first. */
	if (c->resolv_conf) {
		r = dns_from_resolv(c->resolv_conf, &dns, err);
		if (r < 0)
			return r;
	}
	r = open_store(c, &s, err);
	if (r >= 0)
		r = check_absent(s, c, id, ifname, err);
	if (r >= 0)
		r = choose(s, c, ips, err);
	if (r >= 0)
		r = commit(s, c, ips, id, ifname, err);
	if (r < 0)
		return r;
	fill_result(c, ips, TAKE_PTR(dns), ret);
	return 0;
}

int nd_ipam_del(const struct nd_ipam_conf *c, const char *id, const char *ifname, struct nd_err **err)
{
	_cleanup_(nd_store_closep) struct nd_store *s = NULL;
	int r;

	r = open_store(c, &s, err);
	if (r < 0)
		return r;
	return nd_store_release(s, id, ifname, err);
}

int nd_ipam_lookup(const struct nd_ipam_conf *c, const char *id, const char *ifname, struct nd_ip *ret_ips,
		   size_t max, size_t *ret_n, struct nd_err **err)
{
	_cleanup_(nd_store_closep) struct nd_store *s = NULL;
	struct nd_ip ips[64];
	size_t n = 0, kept = 0;
	int r;

	r = open_store(c, &s, err);
	if (r < 0)
		return r;
	r = nd_store_index_read(s, id, ifname, ips, ND_ARRAY_SIZE(ips), &n, err);
	if (r == -ENOENT)
		r = nd_store_find(s, id, ifname, ips, ND_ARRAY_SIZE(ips), &n, err);
	if (r < 0)
		return r;
	if (n > ND_ARRAY_SIZE(ips))
		n = ND_ARRAY_SIZE(ips);
	/* An index can outlive its leases (crash between the two); trust the lease files. */
	for (size_t i = 0; i < n; i++)
		if (nd_store_owns(s, &ips[i], id, ifname))
			ips[kept++] = ips[i];
	if (kept > max)
		return nd_err_set(err, ND_ERR_INTERNAL, E2BIG, "container '%s' holds %zu addresses, room for %zu",
				  id, kept, max);
	memcpy(ret_ips, ips, kept * sizeof(ips[0]));
	*ret_n = kept;
	return 0;
}

int nd_ipam_check(const struct nd_ipam_conf *c, const char *id, const char *ifname, struct nd_err **err)
{
	struct nd_ip ips[ND_MAX_IPS];
	size_t n = 0;
	int r;

	r = nd_ipam_lookup(c, id, ifname, ips, ND_ARRAY_SIZE(ips), &n, err);
	if (r < 0)
		return r;
	for (size_t set = 0; set < c->n_sets; set++) {
		bool found = false;
		char buf[256];

		for (size_t i = 0; i < n && !found; i++)
			found = set_of(c, &ips[i]) == (int)set;
		if (!found)
			return nd_err_set(err, ND_ERR_CHECK_FAILED, ENOENT,
					  "container '%s' interface '%s' holds no address in range set %zu (%s) of network '%s'",
					  id, ifname, set, set_fmt(&c->sets[set], buf, sizeof(buf)), c->network);
	}
	return 0;
}

/* ---- GC ---- */

struct gc_ctx {
	struct nd_store *s;
	const struct nd_attachment *valid;
	size_t n_valid;
	nd_ipam_released_fn cb;
	void *ud;
	struct nd_err **err;
};

/* ifname "" is a legacy ID-only lease: valid when any attachment of its ID is. */
static bool attachment_valid(const struct gc_ctx *g, const char *id, const char *ifname)
{
	for (size_t i = 0; i < g->n_valid; i++)
		if (!strcmp(g->valid[i].id, id) && (!*ifname || !strcmp(g->valid[i].ifname, ifname)))
			return true;
	return false;
}

static int gc_lease(const struct nd_ip *ip, const char *id, const char *ifname, void *ud)
{
	struct gc_ctx *g = ud;
	int r;

	if (attachment_valid(g, id, ifname))
		return 0;
	r = nd_store_unreserve(g->s, ip, id, ifname, g->err);
	if (r > 0 && g->cb)
		g->cb(ip, id, ifname, g->ud);
	return r < 0 ? r : 0;
}

static int gc_index(const char *id, const char *ifname, const struct nd_ip *ips, size_t n, void *ud)
{
	struct gc_ctx *g = ud;
	bool live = false;

	if (attachment_valid(g, id, ifname))
		for (size_t i = 0; i < n && !live; i++)
			live = nd_store_owns(g->s, &ips[i], id, ifname);
	return live ? 0 : nd_store_index_remove(g->s, id, ifname, g->err);
}

int nd_ipam_gc(const struct nd_ipam_conf *c, const struct nd_attachment *valid, size_t n_valid,
	       nd_ipam_released_fn cb, void *ud, struct nd_err **err)
{
	_cleanup_(nd_store_closep) struct nd_store *s = NULL;
	struct gc_ctx g = { .valid = valid, .n_valid = n_valid, .cb = cb, .ud = ud, .err = err };
	int r;

	r = open_store(c, &s, err);
	if (r < 0)
		return r;
	g.s = s;
	r = nd_store_foreach(s, gc_lease, &g, err);
	if (r >= 0)
		r = nd_store_index_foreach(s, gc_index, &g, err);
	return r < 0 ? r : 0;
}

/* ---- STATUS ---- */

int nd_ipam_status(const struct nd_ipam_conf *c, struct nd_err **err)
{
	_cleanup_(nd_store_closep) struct nd_store *s = NULL;
	int r;

	r = open_store(c, &s, err);
	if (r < 0)
		return r;
	for (size_t i = 0; i < c->n_sets; i++) {
		struct nd_ip ip;
		struct iter it;

		/* From the round-robin cursor: the next free address is usually the first probed. */
		iter_start(s, &c->sets[i], (unsigned int)i, &it);
		if (!iter_find_free(s, &it, &ip))
			return exhausted(c, i, ND_CNI_UNAVAILABLE_NOADDR, err);
	}
	return 0;
}

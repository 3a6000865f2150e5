#include "networks/network.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <netlink/route/route.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "base/cleanup.h"
#include "base/json.h"
#include "base/state.h"
#include "cni/cni.h"
#include "kernel/nl.h"

bool nd_network_valid_name(const char *s)
{
	return s && strlen(s) < ND_NET_NAME_MAX && nd_cni_valid_id(s);
}

/* An address field, absent or an address (into ip) or a CIDR (into cidr): one of them is NULL. */
static int parse_addr_field(json_t *j, const char *key, struct nd_ip *ip, struct nd_cidr *cidr, struct nd_err **err)
{
	const char *s = NULL;
	int r;

	if (nd_json_get_str(j, key, false, &s, err) < 0)
		return -EINVAL;
	if (!s)
		return 0;
	r = ip ? nd_ip_parse(s, ip, err) : nd_cidr_parse(s, cidr, err);
	return r < 0 ? nd_err_wrap(err, "%s", key) : 0;
}

static int parse_scalars(json_t *j, struct nd_network *n, struct nd_err **err)
{
	const char *name = NULL, *bridge = NULL;
	json_int_t mtu = 0;

	if (nd_json_get_str(j, "name", true, &name, err) < 0 || nd_json_get_str(j, "bridge", false, &bridge, err) < 0 ||
	    nd_json_get_int(j, "mtu", false, &mtu, err) < 0 || nd_json_get_bool(j, "ipMasq", &n->ip_masq, err) < 0 ||
	    nd_json_get_bool(j, "internal", &n->internal, err) < 0 || nd_json_get_bool(j, "icc", &n->icc, err) < 0)
		return -EINVAL;
	if (!nd_network_valid_name(name))
		return nd_err_set(err, ND_CNI_INVALID_CONFIG, EINVAL, "network name '%s' is invalid", name);
	if (bridge && !nd_cni_valid_ifname(bridge))
		return nd_err_set(err, ND_CNI_INVALID_CONFIG, EINVAL, "bridge name '%s' is invalid", bridge);
	if (mtu != 0 && (mtu < 68 || mtu > 65535))
		return nd_err_set(err, ND_CNI_INVALID_CONFIG, EINVAL, "mtu %lld is outside 68..65535", (long long)mtu);
	snprintf(n->name, sizeof(n->name), "%s", name);
	snprintf(n->bridge, sizeof(n->bridge), "%s", bridge ? bridge : "");
	n->mtu = (unsigned int)mtu;
	return 0;
}

static bool printable_key(const char *k)
{
	for (; *k; k++)
		if ((unsigned char)*k < 0x20 || *k == 0x7f)
			return false;
	return true;
}

/* A flat map of bounded strings, as Docker's driver options (map[string]string). */
static int check_options(json_t *opts, struct nd_err **err)
{
	const char *k;
	json_t *v;

	if (json_object_size(opts) > ND_NET_OPTIONS_MAX)
		return nd_err_set(err, ND_CNI_INVALID_CONFIG, EINVAL, "options: at most %u entries", ND_NET_OPTIONS_MAX);
	json_object_foreach(opts, k, v) {
		if (!*k || strlen(k) > ND_NET_OPTION_KEY_MAX || !printable_key(k))
			return nd_err_set(err, ND_CNI_INVALID_CONFIG, EINVAL,
					  "options: a key has 1 to %u printable characters", ND_NET_OPTION_KEY_MAX);
		if (!json_is_string(v))
			return nd_err_set(err, ND_CNI_INVALID_CONFIG, EINVAL,
					  "options.%s: must be a string (options is a flat map of strings)", k);
		if (json_string_length(v) > ND_NET_OPTION_VALUE_MAX)
			return nd_err_set(err, ND_CNI_INVALID_CONFIG, EINVAL, "options.%s: longer than %u bytes", k,
					  ND_NET_OPTION_VALUE_MAX);
	}
	return 0;
}

/* Docker's driver options for inter-container communication, as `docker network create -o` takes them. */
static int parse_icc_options(json_t *opts, bool *icc, struct nd_err **err)
{
	static const char *const keys[] = { "com.docker.network.bridge.enable_icc", "icc" };

	for (size_t i = 0; i < ND_ARRAY_SIZE(keys); i++) {
		const char *v = json_string_value(json_object_get(opts, keys[i]));

		if (!v)
			continue;
		if (strcmp(v, "true") && strcmp(v, "false"))
			return nd_err_set(err, ND_CNI_INVALID_CONFIG, EINVAL, "options.%s: '%s' is not true or false",
					  keys[i], v);
		*icc = *icc && !strcmp(v, "true");
	}
	return 0;
}

int nd_network_parse(json_t *j, struct nd_network *ret, struct nd_err **err)
{
	struct nd_network n = { .ip_masq = true, .icc = true };
	json_t *opts = NULL;
	int r;

	if (!json_is_object(j))
		return nd_err_set(err, ND_CNI_DECODE, EINVAL, "network definition is not a JSON object");
	if ((r = parse_scalars(j, &n, err)) < 0 || (r = parse_addr_field(j, "subnet", NULL, &n.subnet, err)) < 0 ||
	    (r = parse_addr_field(j, "gateway", &n.gateway, NULL, err)) < 0 ||
	    (r = parse_addr_field(j, "ipRange", NULL, &n.ip_range, err)) < 0 ||
	    (r = parse_addr_field(j, "ipv6", NULL, &n.subnet6, err)) < 0 ||
	    (r = parse_addr_field(j, "gateway6", &n.gateway6, NULL, err)) < 0 ||
	    (r = nd_json_get_obj(j, "options", &opts, err)) < 0 || (r = check_options(opts, err)) < 0 ||
	    (r = parse_icc_options(opts, &n.icc, err)) < 0)
		return r;
	if (n.subnet.ip.family)
		nd_cidr_network(&n.subnet, &n.subnet);
	if (n.subnet6.ip.family)
		nd_cidr_network(&n.subnet6, &n.subnet6);
	if (n.subnet6.ip.family && n.subnet6.ip.family != AF_INET6)
		return nd_err_set(err, ND_CNI_INVALID_CONFIG, EINVAL, "ipv6: not an IPv6 subnet");
	if (!n.subnet.ip.family && (n.gateway.family || n.ip_range.ip.family))
		return nd_err_set(err, ND_CNI_INVALID_CONFIG, EINVAL, "gateway and ipRange need a subnet");
	if (n.internal)
		n.ip_masq = false;
	/* Docker's default network has no name resolution; its user networks have. */
	n.dns = strcmp(n.name, ND_DEFAULT_NETWORK) != 0;
	if ((r = nd_json_get_bool(j, "dns", &n.dns, err)) < 0)
		return r;
	n.options = json_incref(opts);
	*ret = n;
	return 0;
}

/* A bridge name that is stable across restarts and fits IFNAMSIZ. */
void nd_network_default_bridge(const char *net, char ret[16])
{
	uint64_t h = 1469598103934665603ull; /* FNV-1a */

	if (!strcmp(net, ND_DEFAULT_NETWORK)) {
		strcpy(ret, ND_DEFAULT_BRIDGE);
		return;
	}
	for (const char *p = net; *p; p++)
		h = (h ^ (unsigned char)*p) * 1099511628211ull;
	snprintf(ret, 16, "br-%012llx", (unsigned long long)(h & 0xffffffffffffull));
}

static int finish_range(const struct nd_cidr *sub, struct nd_ip *gw, const struct nd_cidr *range, const char *what,
			struct nd_err **err)
{
	char buf[ND_CIDR_STRLEN];

	if (sub->len > (sub->ip.family == AF_INET ? 30u : 126u))
		return nd_err_set(err, ND_CNI_INVALID_CONFIG, EINVAL, "%s %s is too small", what, nd_cidr_fmt(sub, buf));
	if (!gw->family) {
		*gw = sub->ip;
		nd_ip_add(gw, 1);
	}
	if (!nd_cidr_contains(sub, gw))
		return nd_err_set(err, ND_CNI_INVALID_CONFIG, EINVAL, "gateway %s is outside %s %s",
				  nd_ip_fmt(gw, (char[ND_IP_STRLEN]){ 0 }), what, nd_cidr_fmt(sub, buf));
	if (range && range->ip.family &&
	    (range->ip.family != sub->ip.family || range->len < sub->len || !nd_cidr_contains(sub, &range->ip)))
		return nd_err_set(err, ND_CNI_INVALID_CONFIG, EINVAL, "ipRange is not inside subnet %s",
				  nd_cidr_fmt(sub, buf));
	return 0;
}

int nd_network_finish(struct nd_network *n, struct nd_err **err)
{
	int r;

	if (!n->bridge[0])
		nd_network_default_bridge(n->name, n->bridge);
	if (n->ip_range.ip.family)
		nd_cidr_network(&n->ip_range, &n->ip_range);
	if ((r = finish_range(&n->subnet, &n->gateway, &n->ip_range, "subnet", err)) < 0)
		return r;
	if (n->subnet6.ip.family && (r = finish_range(&n->subnet6, &n->gateway6, NULL, "ipv6 subnet", err)) < 0)
		return r;
	return 0;
}

int nd_network_check_new(const struct nd_network *n, struct nd_err **err)
{
	int r;

	if ((r = nd_subnet_check(&n->subnet, err)) < 0 || (r = nd_gateway_check(&n->subnet, &n->gateway, err)) < 0)
		return r;
	if (n->subnet6.ip.family &&
	    ((r = nd_subnet_check(&n->subnet6, err)) < 0 || (r = nd_gateway_check(&n->subnet6, &n->gateway6, err)) < 0))
		return nd_err_wrap(err, "ipv6");
	return 0;
}

void nd_network_clear(struct nd_network *n)
{
	json_decref(n->options);
	n->options = NULL;
}

/* The builders below: NULL when out of memory, never a part (base/json.h). */
static void set_str(json_t *o, const char *key, const char *v, bool *ok)
{
	nd_json_set(o, key, json_string(v), ok);
}

json_t *nd_network_json(const struct nd_network *n)
{
	char buf[ND_CIDR_STRLEN];
	json_t *o = json_object();
	bool ok = true;

	set_str(o, "name", n->name, &ok);
	set_str(o, "bridge", n->bridge, &ok);
	set_str(o, "subnet", nd_cidr_fmt(&n->subnet, buf), &ok);
	set_str(o, "gateway", nd_ip_fmt(&n->gateway, buf), &ok);
	if (n->ip_range.ip.family)
		set_str(o, "ipRange", nd_cidr_fmt(&n->ip_range, buf), &ok);
	if (n->subnet6.ip.family) {
		set_str(o, "ipv6", nd_cidr_fmt(&n->subnet6, buf), &ok);
		set_str(o, "gateway6", nd_ip_fmt(&n->gateway6, buf), &ok);
	}
	if (n->mtu)
		nd_json_set(o, "mtu", json_integer(n->mtu), &ok);
	nd_json_set(o, "ipMasq", json_boolean(n->ip_masq), &ok);
	nd_json_set(o, "internal", json_boolean(n->internal), &ok);
	if (!n->icc)
		nd_json_set(o, "icc", json_false(), &ok);
	nd_json_set(o, "dns", json_boolean(n->dns), &ok);
	if (n->options)
		nd_json_set(o, "options", json_incref(n->options), &ok);
	nd_json_set(o, "ownBridge", json_boolean(n->own_bridge), &ok);
	if (!n->own_bridge) {
		nd_json_set(o, "ownGateway", json_boolean(n->own_gw), &ok);
		if (n->subnet6.ip.family)
			nd_json_set(o, "ownGateway6", json_boolean(n->own_gw6), &ok);
	}
	return nd_json_built(o, ok);
}

/* host-local never hands out an IPv4 network or broadcast address: keep them out of the range. */
static json_t *range_json(const struct nd_cidr *sub, const struct nd_ip *gw, const struct nd_cidr *range)
{
	char buf[ND_CIDR_STRLEN];
	json_t *o = json_object();
	bool ok = true;

	set_str(o, "subnet", nd_cidr_fmt(sub, buf), &ok);
	set_str(o, "gateway", nd_ip_fmt(gw, buf), &ok);
	if (range && range->ip.family) {
		struct nd_ip first = range->ip, last, sublast;

		nd_cidr_last(range, &last);
		nd_cidr_last(sub, &sublast);
		if (nd_ip_equal(&first, &sub->ip))
			nd_ip_add(&first, 1);
		if (sub->ip.family == AF_INET && nd_ip_equal(&last, &sublast))
			nd_ip_add(&last, -1);
		set_str(o, "rangeStart", nd_ip_fmt(&first, buf), &ok);
		set_str(o, "rangeEnd", nd_ip_fmt(&last, buf), &ok);
	}
	return json_pack("[o]", nd_json_built(o, ok));
}

static json_t *bridge_plugin(const struct nd_network *n, const char *ipam_dir)
{
	json_t *ranges = json_array(), *ipam, *o;
	bool ok = true;

	nd_json_append(ranges, range_json(&n->subnet, &n->gateway, &n->ip_range), &ok);
	if (n->subnet6.ip.family)
		nd_json_append(ranges, range_json(&n->subnet6, &n->gateway6, NULL), &ok);
	ipam = json_pack("{s:s, s:o}", "type", "netd-ipam", "ranges", nd_json_built(ranges, ok));
	if (ipam_dir)
		set_str(ipam, "dataDir", ipam_dir, &ok);
	o = json_pack("{s:s, s:s, s:b, s:b, s:b, s:o}", "type", "netd-bridge", "bridge", n->bridge, "isGateway", 1,
		      "isDefaultGateway", !n->internal, "ipMasq", n->ip_masq, "ipam", ipam);
	if (n->mtu)
		nd_json_set(o, "mtu", json_integer(n->mtu), &ok);
	/* Isolation (lib/kernel/iso.h): netd-bridge isolates by default; these two only when set. */
	if (n->internal)
		nd_json_set(o, "internal", json_true(), &ok);
	if (!n->icc)
		nd_json_set(o, "icc", json_false(), &ok);
	return nd_json_built(o, ok);
}

json_t *nd_network_cni_conf(const struct nd_network *n, const char *ipam_dir)
{
	json_t *o = bridge_plugin(n, ipam_dir);
	bool ok = true;

	set_str(o, "cniVersion", ND_NET_CNI_VERSION, &ok);
	set_str(o, "name", n->name, &ok);
	return nd_json_built(o, ok);
}

json_t *nd_network_conflist(const struct nd_network *n, const char *ipam_dir)
{
	return json_pack("{s:s, s:s, s:[o, {s:s}]}", "cniVersion", ND_NET_CNI_VERSION, "name", n->name, "plugins",
			 bridge_plugin(n, ipam_dir), "type", "netd-loopback");
}

static int net_path(const char *state_dir, const char *name, char ret[PATH_MAX], struct nd_err **err)
{
	if (!nd_network_valid_name(name))
		return nd_err_set(err, ND_CNI_INVALID_CONFIG, EINVAL, "network name '%s' is invalid", name);
	snprintf(ret, PATH_MAX, "%s/networks/%s.json", state_dir, name);
	return 0;
}

/* Ownership from a state file; files written before it was recorded say nothing. */
static void parse_owner(json_t *j, struct nd_network *n)
{
	json_t *own = json_object_get(j, "ownBridge");
	char def[16];

	/* Then only a name netd itself derives can have been netd's: anything else was adopted. */
	nd_network_default_bridge(n->name, def);
	n->own_bridge = json_is_boolean(own) ? json_is_true(own) : !strcmp(def, n->bridge);
	n->own_gw = json_is_true(json_object_get(j, "ownGateway"));
	n->own_gw6 = json_is_true(json_object_get(j, "ownGateway6"));
}

/* -EBADMSG with the reason: the file is there but unusable, for the caller to quarantine. */
static int unusable(struct nd_err **err, const char *name, struct nd_err *why)
{
	return nd_err_set(err, ND_ERR_INTERNAL, EBADMSG, "state of network '%s' is unusable: %s", name,
			  why && why->msg ? why->msg : "invalid");
}

int nd_network_load(const char *state_dir, const char *name, struct nd_network *ret, struct nd_err **err)
{
	_cleanup_err_ struct nd_err *why = NULL;
	_cleanup_free_ char *buf = NULL;
	char path[PATH_MAX];
	size_t len = 0;
	json_t *j = NULL;
	int r;

	if ((r = net_path(state_dir, name, path, err)) < 0)
		return r;
	r = nd_state_read(path, &buf, &len, &why);
	if (r == -ENOENT)
		return nd_err_set(err, ND_ERR_NOT_FOUND, ENOENT, "network '%s' not found", name);
	if (r == -EFBIG)
		return unusable(err, name, why);
	if (r < 0) {
		if (err && !*err)
			*err = TAKE_PTR(why);
		return r;
	}
	if (nd_json_parse_bounded(buf, len, ND_JSON_MAX_DEPTH, &j, &why) < 0)
		return unusable(err, name, why);
	r = nd_network_parse(j, ret, &why);
	if (r >= 0 && (r = nd_network_finish(ret, &why)) < 0)
		nd_network_clear(ret);
	if (r >= 0)
		parse_owner(j, ret);
	json_decref(j);
	return r < 0 ? unusable(err, name, why) : 0;
}

int nd_network_save(const char *state_dir, const struct nd_network *n, struct nd_err **err)
{
	char path[PATH_MAX], dir[PATH_MAX];
	_cleanup_free_ char *text = NULL;
	json_t *j = nd_network_json(n);
	int r;

	/* Compact: what a file holds is bounded by what the API accepts, not blown up by indenting. */
	text = json_dumps(j, JSON_COMPACT | JSON_SORT_KEYS);
	json_decref(j);
	if (!text)
		return nd_oom(err);
	snprintf(dir, sizeof(dir), "%s/networks", state_dir);
	if ((r = nd_state_mkdirs(dir, 0700, err)) < 0 || (r = net_path(state_dir, n->name, path, err)) < 0)
		return r;
	return nd_state_write(path, text, strlen(text), err);
}

static void reserved_path(const char *state_dir, const char *name, char ret[PATH_MAX])
{
	snprintf(ret, PATH_MAX, "%s/networks/%s.reserved", state_dir, name);
}

bool nd_network_is_reserved(const char *state_dir, const char *name)
{
	char path[PATH_MAX];

	reserved_path(state_dir, name, path);
	return nd_network_valid_name(name) && access(path, F_OK) == 0;
}

/*
 * The bridge and subnets a broken file still names, read by a scanner that neither
 * recurses nor needs the whole file to parse: mapped, since the file may be of any size.
 */
static json_t *salvage(const char *path, const char *name)
{
	static const char *const keys[] = { "bridge", "subnet", "ipv6" };
	char vals[3][ND_JSON_TOP_MAX];
	_cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	json_t *o = json_pack("{s:s}", "name", name);
	struct nd_cidr c;
	struct stat st;
	void *m;

	bool ok = true;

	if (!o || fd < 0 || fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) || st.st_size <= 0)
		return o;
	m = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
	if (m == MAP_FAILED)
		return o;
	nd_json_top_strings(m, (size_t)st.st_size, keys, 3, vals);
	munmap(m, (size_t)st.st_size);
	/* All or nothing: a reservation without its subnet would let the subnet be taken. */
	if (nd_cni_valid_ifname(vals[0]))
		set_str(o, "bridge", vals[0], &ok);
	for (size_t k = 1; k < 3; k++)
		if (nd_cidr_parse(vals[k], &c, NULL) >= 0)
			set_str(o, keys[k], vals[k], &ok);
	return nd_json_built(o, ok);
}

int nd_network_quarantine(const char *state_dir, const char *name, char ret_file[PATH_MAX], struct nd_err **err)
{
	char path[PATH_MAX], aside[PATH_MAX], res[PATH_MAX];
	_cleanup_free_ char *text = NULL;
	json_t *o;
	int r;

	if ((r = net_path(state_dir, name, path, err)) < 0)
		return r;
	for (unsigned int i = 0;; i++) {
		int n = i ? snprintf(aside, sizeof(aside), "%s.broken-%lld-%u", path, (long long)time(NULL), i)
			  : snprintf(aside, sizeof(aside), "%s.broken-%lld", path, (long long)time(NULL));

		if (n >= (int)sizeof(aside))
			return nd_err_set(err, ND_ERR_INTERNAL, ENAMETOOLONG, "state of network '%s': path too long", name);
		if (access(aside, F_OK) < 0)
			break;
	}
	o = salvage(path, name);
	if (o && json_object_set_new(o, "file", json_string(strrchr(aside, '/') + 1)) < 0)
		json_decref(TAKE_PTR(o));
	text = o ? json_dumps(o, JSON_COMPACT | JSON_SORT_KEYS) : NULL;
	json_decref(o);
	if (!text)
		return nd_oom(err);
	/* The reservation first: killed in between, the broken file is found and moved again. */
	reserved_path(state_dir, name, res);
	if ((r = nd_state_write(res, text, strlen(text), err)) < 0)
		return r;
	if (rename(path, aside) < 0)
		return nd_err_set(err, ND_ERR_INTERNAL, errno, "quarantine '%s': %s", path, strerror(errno));
	if (ret_file)
		snprintf(ret_file, PATH_MAX, "%s", aside);
	return 0;
}

int nd_network_remove(const char *state_dir, const char *name, struct nd_err **err)
{
	char path[PATH_MAX];
	int r = net_path(state_dir, name, path, err);

	return r < 0 ? r : nd_state_remove(path, err);
}

int nd_network_list(const char *state_dir, char ***ret, size_t *ret_n, struct nd_err **err)
{
	char dir[PATH_MAX];

	snprintf(dir, sizeof(dir), "%s/networks", state_dir);
	return nd_state_list(dir, ".json", nd_network_valid_name, ret, ret_n, err);
}

struct route_scan {
	const struct nd_cidr *want;
	bool hit;
};

static void route_visit(struct nl_object *obj, void *ud)
{
	struct route_scan *s = ud;
	struct rtnl_route *rt = (struct rtnl_route *)obj;
	struct nl_addr *dst = rtnl_route_get_dst(rt);
	struct nd_cidr c = { 0 };

	if (!dst || rtnl_route_get_table(rt) != RT_TABLE_MAIN || nl_addr_get_prefixlen(dst) == 0 ||
	    nl_addr_get_family(dst) != s->want->ip.family || nl_addr_get_len(dst) > sizeof(c.ip.a))
		return;
	c.ip.family = nl_addr_get_family(dst);
	c.len = nl_addr_get_prefixlen(dst);
	memcpy(c.ip.a, nl_addr_get_binary_addr(dst), nl_addr_get_len(dst));
	s->hit |= nd_cidr_overlap(&c, s->want);
}

/* Docker's rule: a pool is taken when a route of the host covers any part of it. */
static int routed(struct nl_sock *sk, const struct nd_cidr *c, bool *ret, struct nd_err **err)
{
	struct nl_cache *cache = NULL;
	struct route_scan s = { .want = c };
	int r = rtnl_route_alloc_cache(sk, c->ip.family, 0, &cache);

	if (r < 0)
		return nd_nl_err(err, r, "listing routes");
	nl_cache_foreach(cache, route_visit, &s);
	nl_cache_free(cache);
	*ret = s.hit;
	return 0;
}

/* A quarantined network's reservation: name, bridge and subnets as far as they are known. */
static int load_reserved(const char *state_dir, const char *name, struct nd_network *ret)
{
	_cleanup_free_ char *buf = NULL;
	char path[PATH_MAX];
	size_t len = 0;
	json_t *j = NULL;
	const char *v;

	reserved_path(state_dir, name, path);
	if (nd_state_read(path, &buf, &len, NULL) < 0 || nd_json_parse_bounded(buf, len, 2, &j, NULL) < 0)
		return -EBADMSG;
	*ret = (struct nd_network){ 0 };
	snprintf(ret->name, sizeof(ret->name), "%s", name);
	if ((v = json_string_value(json_object_get(j, "bridge"))) && nd_cni_valid_ifname(v))
		snprintf(ret->bridge, sizeof(ret->bridge), "%s", v);
	if ((v = json_string_value(json_object_get(j, "subnet"))) && nd_cidr_parse(v, &ret->subnet, NULL) >= 0)
		nd_cidr_network(&ret->subnet, &ret->subnet);
	if ((v = json_string_value(json_object_get(j, "ipv6"))) && nd_cidr_parse(v, &ret->subnet6, NULL) >= 0)
		nd_cidr_network(&ret->subnet6, &ret->subnet6);
	json_decref(j);
	return 0;
}

/*
 * Name, bridge and subnets of every network and every quarantined one: what a new network
 * must not reuse. A network file that cannot be loaded is skipped (its caller's sweep
 * quarantines it first, lib/networks/netops.c). *ret: malloc'd, options dropped.
 */
static int taken_list(const char *state_dir, struct nd_network **ret, size_t *ret_n, struct nd_err **err)
{
	char **names = NULL, **res = NULL, dir[PATH_MAX];
	size_t nn = 0, nr = 0, k = 0;
	struct nd_network *v;
	int r;

	snprintf(dir, sizeof(dir), "%s/networks", state_dir);
	if ((r = nd_network_list(state_dir, &names, &nn, err)) < 0 ||
	    (r = nd_state_list(dir, ".reserved", nd_network_valid_name, &res, &nr, err)) < 0) {
		nd_strv_free(names);
		return r;
	}
	v = calloc(nn + nr + 1, sizeof(*v));
	for (size_t i = 0; v && i < nn; i++)
		if (nd_network_load(state_dir, names[i], &v[k], NULL) >= 0)
			nd_network_clear(&v[k++]);
	for (size_t i = 0; v && i < nr; i++)
		if (load_reserved(state_dir, res[i], &v[k]) >= 0)
			k++;
	nd_strv_free(names);
	nd_strv_free(res);
	if (!v)
		return nd_oom(err);
	*ret = v;
	*ret_n = k;
	return 0;
}

static bool overlaps_any(const struct nd_network *v, size_t n, const struct nd_cidr *c)
{
	for (size_t i = 0; i < n; i++)
		if ((v[i].subnet.ip.family && nd_cidr_overlap(&v[i].subnet, c)) ||
		    (v[i].subnet6.ip.family && nd_cidr_overlap(&v[i].subnet6, c)))
			return true;
	return false;
}

static int subnet_free(struct nl_sock *sk, const struct nd_network *v, size_t n, const struct nd_cidr *c, bool *ret,
		       struct nd_err **err)
{
	bool taken = false;
	int r = routed(sk, c, &taken, err);

	*ret = r >= 0 && !taken && !overlaps_any(v, n, c);
	return r;
}

static int pick_from(struct nl_sock *sk, const struct nd_network *v, size_t n, const struct nd_cidr *preferred,
		     struct nd_cidr *ret, struct nd_err **err)
{
	struct nd_cidr c = { .ip = { .family = AF_INET } };
	bool ok = false;
	int r = 0;

	if (preferred && (r = subnet_free(sk, v, n, preferred, &ok, err)) >= 0 && ok) {
		*ret = *preferred;
		return 0;
	}
	for (unsigned int i = 17; r >= 0 && i <= 31; i++) {
		c.ip.a[0] = 172, c.ip.a[1] = (uint8_t)i, c.len = 16;
		if ((r = subnet_free(sk, v, n, &c, &ok, err)) >= 0 && ok) {
			*ret = c;
			return 0;
		}
	}
	for (unsigned int i = 0; r >= 0 && i < 256; i += 16) {
		c.ip.a[0] = 192, c.ip.a[1] = 168, c.ip.a[2] = (uint8_t)i, c.len = 20;
		if ((r = subnet_free(sk, v, n, &c, &ok, err)) >= 0 && ok) {
			*ret = c;
			return 0;
		}
	}
	return r < 0 ? r : nd_err_set(err, ND_ERR_POOL_EXHAUSTED, ENOSPC, "no free address pool for a network");
}

int nd_network_pick_subnet(const char *state_dir, const struct nd_cidr *preferred, struct nd_cidr *ret,
			   struct nd_err **err)
{
	_cleanup_nl_sock_ struct nl_sock *sk = NULL;
	struct nd_network *v = NULL;
	size_t n = 0;
	int r;

	if ((r = nd_nl_open(-1, &sk, err)) < 0 || (r = taken_list(state_dir, &v, &n, err)) < 0)
		return r;
	r = pick_from(sk, v, n, preferred, ret, err);
	free(v);
	return r;
}

static bool same_net_clash(const struct nd_network *a, const struct nd_network *b, const char **what)
{
	if (b->bridge[0] && !strcmp(a->bridge, b->bridge))
		return *what = "bridge", true;
	if (b->subnet.ip.family && nd_cidr_overlap(&a->subnet, &b->subnet))
		return *what = "subnet", true;
	if (a->subnet6.ip.family && b->subnet6.ip.family && nd_cidr_overlap(&a->subnet6, &b->subnet6))
		return *what = "ipv6 subnet", true;
	return false;
}

int nd_network_check_unique(const char *state_dir, const struct nd_network *n, struct nd_err **err)
{
	struct nd_network *v = NULL;
	char path[PATH_MAX];
	size_t cnt = 0;
	int r;

	if (nd_network_is_reserved(state_dir, n->name))
		return nd_err_set(err, ND_ERR_BUSY, EEXIST,
				  "network name '%s' is held by a quarantined network (networks/%s.reserved in the state dir)",
				  n->name, n->name);
	/* Its file, even one that no longer loads (taken_list skips those): never written over. */
	if (net_path(state_dir, n->name, path, NULL) >= 0 && access(path, F_OK) == 0)
		return nd_err_set(err, ND_ERR_BUSY, EEXIST, "network '%s' exists already", n->name);
	if ((r = taken_list(state_dir, &v, &cnt, err)) < 0)
		return r;
	for (size_t i = 0; r >= 0 && i < cnt; i++) {
		const char *what = NULL;

		if (!strcmp(v[i].name, n->name))
			r = nd_err_set(err, ND_ERR_BUSY, EEXIST, "network '%s' exists already", n->name);
		else if (same_net_clash(n, &v[i], &what))
			r = nd_err_set(err, ND_ERR_BUSY, EEXIST, "network '%s': %s overlaps network '%s'%s", n->name, what,
				       v[i].name, nd_network_is_reserved(state_dir, v[i].name) ? " (quarantined)" : "");
	}
	free(v);
	return r;
}

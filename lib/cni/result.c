#include "cni/result.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "base/cleanup.h"
#include "base/json.h"
#include "cni/cni.h"

void nd_result_init(struct nd_result *r)
{
	memset(r, 0, sizeof(*r));
}

void nd_result_clear(struct nd_result *r)
{
	for (size_t i = 0; i < r->n_ifaces; i++)
		free(r->ifaces[i].sandbox);
	json_decref(r->dns);
	nd_result_init(r);
}

/* 0.3.x and 0.4.0 tag each IP with "version"; 1.0.0 dropped it (spec "Result" section). */
static bool has_ip_version(const char *v)
{
	return nd_cni_version_is_0x(v);
}

static bool is_1_1(const char *v)
{
	return !strcmp(v, "1.1.0");
}

/* The builders below: NULL when out of memory, never a part (base/json.h; "s*" omits a NULL). */
static json_t *iface_json(const struct nd_iface *f, const char *v)
{
	json_t *o = json_pack("{s:s, s:s*}", "name", f->name, "mac", f->mac[0] ? f->mac : NULL);
	bool ok = true;

	if (f->mtu && is_1_1(v))
		nd_json_set(o, "mtu", json_integer(f->mtu), &ok);
	if (f->sandbox)
		nd_json_set(o, "sandbox", json_string(f->sandbox), &ok);
	return nd_json_built(o, ok);
}

static json_t *ip_json(const struct nd_ipconf *ip, const char *v)
{
	char buf[ND_CIDR_STRLEN], gbuf[ND_IP_STRLEN];
	const char *version = ip->addr.ip.family == AF_INET ? "4" : "6";
	json_t *o = json_pack("{s:s*, s:s, s:s*}", "version", has_ip_version(v) ? version : NULL, "address",
			      nd_cidr_fmt(&ip->addr, buf), "gateway", nd_ip_is_set(&ip->gw) ? nd_ip_fmt(&ip->gw, gbuf) : NULL);
	bool ok = true;

	if (ip->iface >= 0)
		nd_json_set(o, "interface", json_integer(ip->iface), &ok);
	return nd_json_built(o, ok);
}

static json_t *route_json(const struct nd_route *rt, const char *v)
{
	char buf[ND_CIDR_STRLEN], gbuf[ND_IP_STRLEN];
	json_t *o = json_pack("{s:s, s:s*}", "dst", nd_cidr_fmt(&rt->dst, buf), "gw",
			      nd_ip_is_set(&rt->gw) ? nd_ip_fmt(&rt->gw, gbuf) : NULL);
	bool ok = true;

	if (rt->priority && is_1_1(v))
		nd_json_set(o, "priority", json_integer(rt->priority), &ok);
	return nd_json_built(o, ok);
}

json_t *nd_result_to_json(const struct nd_result *r, const char *v)
{
	json_t *o = json_object(), *ifaces = json_array(), *ips = json_array(), *routes = json_array();
	bool ok = true;

	nd_json_set(o, "cniVersion", json_string(v), &ok);
	for (size_t i = 0; i < r->n_ifaces; i++)
		nd_json_append(ifaces, iface_json(&r->ifaces[i], v), &ok);
	for (size_t i = 0; i < r->n_ips; i++)
		nd_json_append(ips, ip_json(&r->ips[i], v), &ok);
	for (size_t i = 0; i < r->n_routes; i++)
		nd_json_append(routes, route_json(&r->routes[i], v), &ok);
	if (r->n_ifaces)
		nd_json_set(o, "interfaces", json_incref(ifaces), &ok);
	nd_json_set(o, "ips", json_incref(ips), &ok);
	if (r->n_routes)
		nd_json_set(o, "routes", json_incref(routes), &ok);
	nd_json_set(o, "dns", r->dns ? json_incref(r->dns) : json_object(), &ok);
	json_decref(ifaces);
	json_decref(ips);
	json_decref(routes);
	return nd_json_built(o, ok);
}

static int parse_iface(json_t *j, struct nd_iface *f, struct nd_err **err)
{
	const char *name = NULL, *mac = NULL, *sandbox = NULL;
	json_int_t mtu = 0;

	if (nd_json_get_str(j, "name", true, &name, err) < 0 || nd_json_get_str(j, "mac", false, &mac, err) < 0 ||
	    nd_json_get_str(j, "sandbox", false, &sandbox, err) < 0 ||
	    nd_json_get_int(j, "mtu", false, &mtu, err) < 0)
		return nd_err_wrap(err, "interface");
	if (strlen(name) >= sizeof(f->name) || (mac && strlen(mac) >= sizeof(f->mac)))
		return nd_err_set(err, ND_CNI_DECODE, EINVAL, "interface '%s': name or mac too long", name);
	strcpy(f->name, name);
	if (mac)
		strcpy(f->mac, mac);
	f->mtu = mtu > 0 && mtu < 65536 ? (unsigned int)mtu : 0;
	if (sandbox && sandbox[0] && !(f->sandbox = strdup(sandbox)))
		return nd_oom(err);
	return 0;
}

static int parse_ip(json_t *j, size_t n_ifaces, struct nd_ipconf *ip, struct nd_err **err)
{
	const char *addr = NULL, *gw = NULL;
	json_int_t iface = -1;

	if (nd_json_get_str(j, "address", true, &addr, err) < 0 || nd_json_get_str(j, "gateway", false, &gw, err) < 0 ||
	    nd_json_get_int(j, "interface", false, &iface, err) < 0)
		return nd_err_wrap(err, "ips");
	if (nd_cidr_parse(addr, &ip->addr, err) < 0 || (gw && nd_ip_parse(gw, &ip->gw, err) < 0))
		return nd_err_wrap(err, "ips");
	if (iface < -1 || (iface >= 0 && (size_t)iface >= n_ifaces))
		return nd_err_set(err, ND_CNI_DECODE, EINVAL, "ips: interface index %lld out of range",
				  (long long)iface);
	ip->iface = (int)iface;
	return 0;
}

static int parse_route(json_t *j, struct nd_route *rt, struct nd_err **err)
{
	const char *dst = NULL, *gw = NULL;
	json_int_t prio = 0;

	if (nd_json_get_str(j, "dst", true, &dst, err) < 0 || nd_json_get_str(j, "gw", false, &gw, err) < 0 ||
	    nd_json_get_int(j, "priority", false, &prio, err) < 0)
		return nd_err_wrap(err, "routes");
	if (nd_cidr_parse(dst, &rt->dst, err) < 0 || (gw && nd_ip_parse(gw, &rt->gw, err) < 0))
		return nd_err_wrap(err, "routes");
	rt->priority = prio > 0 && prio <= INT32_MAX ? (int)prio : 0;
	return 0;
}

int nd_result_from_json(json_t *j, struct nd_result *ret, struct nd_err **err)
{
	json_t *a, *e, *dns;
	size_t i;
	int r;

	nd_result_init(ret);
	if (!json_is_object(j))
		return nd_err_set(err, ND_CNI_DECODE, EINVAL, "result is not a JSON object");
	r = nd_json_get_array(j, "interfaces", ND_MAX_IFACES, &a, err);
	json_array_foreach(a, i, e) {
		if (r < 0 || (r = parse_iface(e, &ret->ifaces[i], err)) < 0)
			break;
		ret->n_ifaces++;
	}
	if (r >= 0 && (r = nd_json_get_array(j, "ips", ND_MAX_IPS, &a, err)) >= 0)
		json_array_foreach(a, i, e) {
			if ((r = parse_ip(e, ret->n_ifaces, &ret->ips[i], err)) < 0)
				break;
			ret->n_ips++;
		}
	if (r >= 0 && (r = nd_json_get_array(j, "routes", ND_MAX_ROUTES, &a, err)) >= 0)
		json_array_foreach(a, i, e) {
			if ((r = parse_route(e, &ret->routes[i], err)) < 0)
				break;
			ret->n_routes++;
		}
	if (r < 0) {
		nd_result_clear(ret);
		return r;
	}
	dns = json_object_get(j, "dns");
	if (json_is_object(dns))
		ret->dns = json_incref(dns);
	return 0;
}

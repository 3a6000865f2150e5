/* The bridge attachment: ADD, DEL, CHECK, GC, STATUS. Config parsing is in bridgeconf.c. */
#include "bridge/bridge.h"

#include <errno.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

#include "base/cleanup.h"
#include "base/fault.h"
#include "base/shortname.h"
#include "ipam/delegate.h"
#include "ipam/ipam.h"
#include "ipam/ipamcni.h"
#include "kernel/addr.h"
#include "kernel/iso.h"
#include "kernel/link.h"
#include "kernel/netns.h"
#include "kernel/nft.h"
#include "kernel/nl.h"
#include "kernel/route.h"
#include "kernel/spoof.h"
#include "kernel/sysctl.h"

/* Host-side and container-side handles of one ADD; each socket lives in its own netns. */
struct attach {
	const struct nd_cni_req *req;
	struct nd_bridge_conf c;
	char host_if[16];
	char br_mac[18], host_mac[18]; /* known from the bridge lookup, and chosen by us */
	int netns_fd;
	struct nl_sock *host, *ctr;
	struct nd_nfsock *nft; /* opened only when masquerading or checking MACs */
	int br_index, ctr_index;
	/* What ADD has done so far, undone in reverse when a later step fails. */
	bool did_ipam, did_bridge, did_veth, did_nft, did_spoof, did_iso;
	struct nd_cidr gw_added[ND_MAX_IPS]; /* gateway addresses this ADD put on the bridge */
	size_t n_gw_added;
	struct nd_cidr gw_replaced[ND_MAX_IPS]; /* forceAddress: what they replaced, put back on undo */
	size_t n_gw_replaced;
};

static void attach_close(struct attach *a)
{
	nl_socket_freep(&a->host);
	nl_socket_freep(&a->ctr);
	nd_nfsock_freep(&a->nft);
	nd_closep(&a->netns_fd);
}

static int attach_open(const struct nd_cni_req *req, struct attach *a, struct nd_err **err)
{
	int r;

	memset(a, 0, sizeof(*a));
	a->req = req;
	a->netns_fd = -1;
	r = nd_bridge_conf_parse(req, &a->c, err);
	if (r < 0)
		return r;
	nd_bridge_host_ifname(req->container_id, req->ifname, a->host_if);
	if ((r = nd_netns_open(req->netns, &a->netns_fd, err)) < 0 || (r = nd_nl_open(-1, &a->host, err)) < 0 ||
	    (r = nd_nl_open(a->netns_fd, &a->ctr, err)) < 0)
		return r;
	return 0;
}

static size_t masq_entries(const struct attach *a, const struct nd_result *res, struct nd_masq *m)
{
	size_t n = 0;

	for (size_t i = 0; i < res->n_ips; i++)
		m[n++] = (struct nd_masq){ .addr = res->ips[i].addr, .network = a->req->name,
					   .id = a->req->container_id, .ifname = a->req->ifname };
	return n;
}

static void undo(struct attach *a, const struct nd_result *res)
{
	struct nd_masq m[ND_MAX_IPS];
	struct nd_ip ips[ND_MAX_IPS];
	size_t n = masq_entries(a, res, m);

	/* Best effort, in reverse; the first error is the one reported to the runtime. */
	for (size_t i = 0; i < n; i++)
		ips[i] = m[i].addr.ip;
	/* A bridge's isolation outlives its containers: removed only with a bridge this ADD made. */
	if (a->did_iso && a->did_bridge)
		nd_iso_del(a->nft, a->c.bridge, NULL);
	if (a->did_iso && !a->c.icc)
		nd_iso_port_del(a->nft, a->host_if, NULL);
	if (a->did_spoof)
		nd_spoof_del(a->nft, a->host_if, NULL);
	if (a->did_nft)
		nd_nft_masq_del(a->nft, ips, n, NULL);
	for (size_t i = 0; i < a->n_gw_added; i++)
		nd_addr_del(a->host, a->br_index, &a->gw_added[i], NULL);
	for (size_t i = 0; i < a->n_gw_replaced; i++)
		nd_addr_add(a->host, a->br_index, &a->gw_replaced[i], true, NULL);
	if (a->did_veth)
		nd_link_del(a->host, a->host_if, NULL);
	/*
	 * A bridge this ADD created goes too, so a failed first ADD leaves the host as it was.
	 * (A concurrent first ADD that adopted it in between would fail or lose its port; the
	 * window is one failed ADD wide.)
	 */
	if (a->did_bridge)
		nd_link_del(a->host, a->c.bridge, NULL);
	if (a->did_ipam)
		nd_delegate_run(a->req, a->c.ipam_type, ND_CMD_DEL, NULL);
}

static int setup_bridge(struct attach *a, struct nd_err **err)
{
	struct nd_bridge_opts o = { .name = a->c.bridge, .mtu = a->c.mtu, .promisc = a->c.promisc };
	int r = nd_fault("bridge-ensure", err);

	if (r >= 0)
		r = nd_bridge_ensure(a->host, &o, &a->br_index, a->br_mac, err);
	if (r < 0)
		return nd_err_wrap(err, "bridge '%s'", a->c.bridge);
	a->did_bridge = r > 0;
	return 0;
}

/*
 * The reference bridge's forceAddress: another address of the gateway's family overlapping
 * its prefix (an old gateway of this network's place) is replaced when set, else refused.
 * A bridge this ADD just made has none: no dump then.
 */
static int gateway_conflicts(struct attach *a, const struct nd_cidr *gw, struct nd_err **err)
{
	struct nd_cidr old[ND_MAX_IPS];
	char buf[ND_CIDR_STRLEN], obuf[ND_CIDR_STRLEN];
	size_t n = 0;
	int r = a->did_bridge ? 0 : nd_addr_overlapping(a->host, a->br_index, gw, old, ND_ARRAY_SIZE(old), &n, err);

	if (r < 0 || n == 0)
		return r;
	if (!a->c.force_address)
		return nd_err_set(err, ND_ERR_ADDR_IN_USE, EEXIST,
				  "already has address %s, different from %s (forceAddress replaces it)",
				  nd_cidr_fmt(&old[0], obuf), nd_cidr_fmt(gw, buf));
	if (n > ND_ARRAY_SIZE(old) || a->n_gw_replaced + n > ND_ARRAY_SIZE(a->gw_replaced))
		return nd_err_set(err, ND_ERR_ADDR_IN_USE, E2BIG, "bridge '%s': too many addresses overlapping %s",
				  a->c.bridge, nd_cidr_fmt(gw, buf));
	for (size_t i = 0; i < n; i++) {
		if ((r = nd_fault("bridge-addr-replace", err)) < 0 || (r = nd_addr_del(a->host, a->br_index, &old[i], err)) < 0)
			return r;
		a->gw_replaced[a->n_gw_replaced++] = old[i];
	}
	return 0;
}

/* Before the veth: a refused ADD leaves the bridge as it was (a port would change its MAC). */
static int check_gateways(struct attach *a, const struct nd_result *res, struct nd_err **err)
{
	for (size_t i = 0; a->c.is_gw && i < res->n_ips; i++) {
		struct nd_cidr gw = { .ip = res->ips[i].gw, .len = res->ips[i].addr.len };
		int r;

		if (nd_ip_is_set(&gw.ip) && (r = gateway_conflicts(a, &gw, err)) < 0)
			return nd_err_wrap(err, "bridge '%s' gateway", a->c.bridge);
	}
	return 0;
}

static int setup_gateway(struct attach *a, const struct nd_result *res, struct nd_err **err)
{
	for (size_t i = 0; a->c.is_gw && i < res->n_ips; i++) {
		struct nd_cidr gw = { .ip = res->ips[i].gw, .len = res->ips[i].addr.len };
		int r;

		if (!nd_ip_is_set(&gw.ip))
			continue;
		if ((r = nd_fault("bridge-addr", err)) < 0 || (r = nd_addr_add(a->host, a->br_index, &gw, true, err)) < 0)
			return nd_err_wrap(err, "bridge '%s' gateway", a->c.bridge);
		if (r > 0)
			a->gw_added[a->n_gw_added++] = gw;
	}
	return 0;
}

static int create_veth(struct attach *a, struct nd_err **err)
{
	struct nd_veth_opts o = { .host_name = a->host_if, .peer_name = a->req->ifname,
				  .peer_netns_fd = a->netns_fd, .mtu = a->c.mtu,
				  .peer_mac = a->c.mac[0] ? a->c.mac : NULL, .host_mac = a->host_mac,
				  .master_ifindex = a->br_index };
	/* Chosen here rather than read back: the result needs it, and a lookup costs a round trip. */
	int r = nd_link_random_mac(a->host_mac);

	if (r < 0)
		return nd_err_set(err, ND_ERR_INTERNAL, -r, "getrandom");
	r = nd_fault("veth-create", err);

	if (r >= 0)
		r = nd_veth_create(a->host, &o, err);
	if (r < 0)
		return nd_err_wrap(err, "veth '%s' on bridge '%s'", a->host_if, a->c.bridge);
	a->did_veth = true;
	if (a->c.hairpin || a->c.port_isolation) {
		int idx = 0;

		if ((r = nd_fault("veth-port", err)) < 0 ||
		    (r = nd_link_get(a->host, a->host_if, &idx, NULL, NULL, NULL, err)) < 0 ||
		    (r = nd_link_brport_set(a->host, idx, a->c.hairpin, a->c.port_isolation, err)) < 0)
			return nd_err_wrap(err, "veth '%s'", a->host_if);
	}
	return 0;
}

/* Reference semantics: isDefaultGateway adds a default route per family with a gateway. */
static int add_default_routes(const struct attach *a, struct nd_result *res, struct nd_err **err)
{
	for (size_t i = 0; a->c.is_default_gw && i < res->n_ips; i++) {
		struct nd_route rt = { .gw = res->ips[i].gw };
		bool dup = false;

		if (!nd_ip_is_set(&rt.gw))
			continue;
		rt.dst.ip.family = rt.gw.family;
		for (size_t j = 0; j < res->n_routes; j++)
			dup |= res->routes[j].dst.len == 0 && res->routes[j].dst.ip.family == rt.gw.family;
		if (dup)
			continue;
		if (res->n_routes == ND_MAX_ROUTES)
			return nd_err_set(err, ND_CNI_INVALID_CONFIG, E2BIG, "too many routes");
		res->routes[res->n_routes++] = rt;
	}
	return 0;
}

static const struct nd_ip *route_gw(const struct nd_route *rt, const struct nd_result *res)
{
	if (nd_ip_is_set(&rt->gw))
		return &rt->gw;
	for (size_t i = 0; i < res->n_ips; i++)
		if (res->ips[i].addr.ip.family == rt->dst.ip.family && nd_ip_is_set(&res->ips[i].gw))
			return &res->ips[i].gw;
	return NULL;
}

static int setup_container(struct attach *a, struct nd_result *res, char mac[18], struct nd_err **err)
{
	int r = nd_link_get(a->ctr, a->req->ifname, &a->ctr_index, mac, NULL, NULL, err);

	for (size_t i = 0; r >= 0 && i < res->n_ips; i++)
		if ((r = nd_fault("container-addr", err)) >= 0)
			r = nd_addr_add(a->ctr, a->ctr_index, &res->ips[i].addr, !a->c.enable_dad, err);
	if (r >= 0 && !a->c.no_container_iface && (r = nd_fault("container-up", err)) >= 0)
		r = nd_link_up(a->ctr, a->ctr_index, err);
	/* Routes need the link up; with the interface kept down there are none to add. */
	for (size_t i = 0; r >= 0 && !a->c.no_container_iface && i < res->n_routes; i++)
		if ((r = nd_fault("container-route", err)) >= 0)
			r = nd_route_add(a->ctr, a->ctr_index, &res->routes[i].dst, route_gw(&res->routes[i], res),
					 res->routes[i].priority, err);
	return r < 0 ? nd_err_wrap(err, "interface '%s' in netns '%s'", a->req->ifname, a->req->netns) : 0;
}

static int nft_open(struct attach *a, struct nd_err **err)
{
	return a->nft ? 0 : nd_nfsock_open(&a->nft, ND_NFSOCK_CLOSE_NOW, err);
}

static int setup_forwarding(const struct attach *a, const struct nd_result *res, struct nd_err **err)
{
	bool v4 = false, v6 = false;
	int r = 0;

	for (size_t i = 0; i < res->n_ips; i++)
		*(res->ips[i].addr.ip.family == AF_INET ? &v4 : &v6) = true;
	if (a->c.is_gw && v4 && ((r = nd_fault("sysctl-forward", err)) < 0 ||
				 (r = nd_sysctl_ensure("net/ipv4/ip_forward", "1", err)) < 0))
		return r;
	if (a->c.is_gw && v6 && ((r = nd_fault("sysctl-forward6", err)) < 0 ||
				 (r = nd_sysctl_ensure("net/ipv6/conf/all/forwarding", "1", err)) < 0))
		return r;
	return 0;
}

static bool iso_wanted(const struct nd_bridge_conf *c)
{
	return c->isolate || c->internal || !c->icc;
}

/* What rides along the masquerade's transaction: the port's MAC check, the bridge's isolation. */
struct extras {
	struct nd_spoof *spoof;
	struct nd_iso *iso;
};

static int put_extras(struct nd_nftb *b, bool full, void *ud)
{
	const struct extras *x = ud;
	int r = x->spoof ? nd_spoof_put(b, full, x->spoof) : 0;

	return r == 0 && x->iso ? nd_iso_put(b, full, x->iso) : r;
}

/*
 * Masquerade, (macspoofchk) the port's MAC check and the bridge's isolation: one nftables
 * transaction, so that a failure leaves none behind.
 */
static int setup_nft(struct attach *a, const struct nd_result *res, const char mac[18], struct nd_err **err)
{
	struct nd_spoof sp = { .host_if = a->host_if, .mac = mac };
	struct nd_iso iso = { .bridge = a->c.bridge, .isolate = a->c.isolate, .internal = a->c.internal,
			      .icc = a->c.icc, .host_if = a->host_if };
	struct extras ex = { a->c.macspoofchk ? &sp : NULL, iso_wanted(&a->c) ? &iso : NULL };
	struct nd_nft_extra extra = { .put = put_extras, .ud = &ex };
	struct nd_masq m[ND_MAX_IPS];
	size_t n = a->c.ip_masq ? masq_entries(a, res, m) : 0;
	int r;

	if (!n && !ex.spoof && !ex.iso)
		return 0;
	if ((r = nd_fault("nft-add", err)) < 0 || (r = nft_open(a, err)) < 0 ||
	    (r = nd_nft_masq_add(a->nft, m, n, ex.spoof || ex.iso ? &extra : NULL, err)) < 0)
		return nd_err_wrap(err, "bridge '%s': masquerade, mac spoof check and isolation", a->c.bridge);
	a->did_nft = n > 0;
	a->did_spoof = a->c.macspoofchk;
	a->did_iso = ex.iso != NULL;
	return 0;
}

static int fill_result(struct attach *a, struct nd_result *res, const char ctr_mac[18], struct nd_err **err)
{
	struct nd_iface *f = res->ifaces;

	memset(f, 0, sizeof(res->ifaces));
	strcpy(f[0].name, a->c.bridge);
	strcpy(f[0].mac, a->br_mac);
	strcpy(f[1].name, a->host_if);
	strcpy(f[1].mac, a->host_mac);
	strcpy(f[2].name, a->req->ifname);
	strcpy(f[2].mac, ctr_mac);
	f[2].mtu = f[1].mtu = a->c.mtu;
	if (!(f[2].sandbox = strdup(a->req->netns)))
		return nd_oom(err);
	res->n_ifaces = 3;
	for (size_t i = 0; i < res->n_ips; i++)
		res->ips[i].iface = 2;
	return 0;
}

int nd_bridge_add(const struct nd_cni_req *req, struct nd_result *ret, struct nd_err **err)
{
	struct attach a;
	char mac[18] = "";
	int r = attach_open(req, &a, err);

	if (r >= 0 && a.c.ipam_type) {
		if ((r = nd_fault("ipam-add", err)) >= 0 && (r = nd_delegate_add(req, a.c.ipam_type, ret, err)) >= 0)
			a.did_ipam = true;
	}
	if (r >= 0 && (r = add_default_routes(&a, ret, err)) >= 0 && (r = setup_bridge(&a, err)) >= 0 &&
	    (r = check_gateways(&a, ret, err)) >= 0 && (r = create_veth(&a, err)) >= 0 && (r = setup_gateway(&a, ret, err)) >= 0 &&
	    (r = setup_container(&a, ret, mac, err)) >= 0 && (r = setup_forwarding(&a, ret, err)) >= 0 &&
	    (r = setup_nft(&a, ret, mac, err)) >= 0)
		r = fill_result(&a, ret, mac, err);
	if (r < 0)
		undo(&a, ret);
	attach_close(&a);
	return r;
}

/* The addresses DEL must unmasquerade: from the lease store, else from prevResult. */
static size_t del_addresses(const struct nd_cni_req *req, const struct nd_bridge_conf *c, struct nd_ip *ips)
{
	struct nd_result prev;
	size_t n = 0;

	if (!strcmp(c->ipam_type, ND_IPAM_TYPE) && nd_ipamcni_lookup(req, ips, ND_MAX_IPS, &n, NULL) >= 0 && n)
		return n;
	if (!req->prev_result || nd_result_from_json(req->prev_result, &prev, NULL) < 0)
		return 0;
	for (size_t i = 0; i < prev.n_ips; i++)
		ips[n++] = prev.ips[i].addr.ip;
	nd_result_clear(&prev);
	return n;
}

static int del_masq(const struct nd_cni_req *req, const struct nd_bridge_conf *c, struct nd_nfsock *nft,
		    struct nd_err **err)
{
	struct nd_ip ips[ND_MAX_IPS];
	size_t n = del_addresses(req, c, ips);
	int r = nd_fault("nft-del", err);

	if (r < 0)
		return r;
	/* Without addresses (lease gone, no prevResult) the owner comment still finds them. */
	r = n ? nd_nft_masq_del(nft, ips, n, err)
	      : nd_nft_masq_del_owner(nft, req->name, req->container_id, req->ifname, err);
	return r < 0 ? nd_err_wrap(err, "masquerade") : 0;
}

static int del_spoof(const struct nd_cni_req *req, struct nd_nfsock *nft, struct nd_err **err)
{
	char host_if[16];
	int r = nd_fault("nft-spoof-del", err);

	nd_bridge_host_ifname(req->container_id, req->ifname, host_if);
	if (r >= 0)
		r = nd_spoof_del(nft, host_if, err);
	return r < 0 ? nd_err_wrap(err, "mac spoof check") : 0;
}

static int del_iso_port(const struct nd_cni_req *req, struct nd_nfsock *nft, struct nd_err **err)
{
	char host_if[16];
	int r = nd_fault("nft-iso-del", err);

	nd_bridge_host_ifname(req->container_id, req->ifname, host_if);
	if (r >= 0)
		r = nd_iso_port_del(nft, host_if, err);
	return r < 0 ? nd_err_wrap(err, "icc off") : 0;
}

/*
 * The container end dies with the host end, whose name follows from (id, ifname): DEL needs
 * no netns. An interface of that ifname in the netns without our host end is not ours (a
 * failed ADD may have met another plugin's), so it is left alone.
 */
static int del_links(const struct nd_cni_req *req, struct nd_err **err)
{
	_cleanup_nl_sock_ struct nl_sock *host = NULL;
	char host_if[16];
	int r;

	nd_bridge_host_ifname(req->container_id, req->ifname, host_if);
	if ((r = nd_fault("veth-del", err)) < 0 || (r = nd_nl_open(-1, &host, err)) < 0)
		return r;
	r = nd_link_del(host, host_if, err);
	return r < 0 ? nd_err_wrap(err, "veth '%s'", host_if) : 0;
}

int nd_bridge_del_with(const struct nd_cni_req *req, const struct nd_bridge_del_opts *o, struct nd_err **err)
{
	/* Closed last: by then a veth deletion has waited out the grace period (nft.h). */
	_cleanup_nfsock_ struct nd_nfsock *nft = NULL;
	struct nd_bridge_conf c;
	int r = nd_bridge_conf_parse(req, &c, err);

	if (r >= 0 && (c.ip_masq || c.macspoofchk || !c.icc))
		r = nd_nfsock_open(&nft, o->nft_close, err);
	if (r >= 0 && c.ip_masq)
		r = del_masq(req, &c, nft, err);
	if (r >= 0 && c.macspoofchk)
		r = del_spoof(req, nft, err);
	if (r >= 0 && !c.icc)
		r = del_iso_port(req, nft, err);
	if (r >= 0 && !o->keep_link)
		r = del_links(req, err);
	if (r >= 0 && c.ipam_type && (r = nd_fault("ipam-del", err)) >= 0)
		r = nd_delegate_run(req, c.ipam_type, ND_CMD_DEL, err);
	return r;
}

#define check_failed(err, ...) nd_err_set(err, ND_ERR_CHECK_FAILED, ENOENT, __VA_ARGS__)

int nd_bridge_del(const struct nd_cni_req *req, struct nd_err **err)
{
	static const struct nd_bridge_del_opts plugin = { .keep_link = false, .nft_close = ND_NFSOCK_CLOSE_NOW };

	return nd_bridge_del_with(req, &plugin, err);
}

static int check_container(struct attach *a, const struct nd_result *prev, struct nd_err **err)
{
	char buf[ND_CIDR_STRLEN];
	bool has = false;
	int r = nd_link_get(a->ctr, a->req->ifname, &a->ctr_index, NULL, NULL, NULL, err);

	if (r == -ENODEV)
		return check_failed(err, "interface '%s' is missing from netns '%s'", a->req->ifname, a->req->netns);
	for (size_t i = 0; r >= 0 && i < prev->n_ips; i++) {
		if ((r = nd_addr_has(a->ctr, a->ctr_index, &prev->ips[i].addr, &has, err)) >= 0 && !has)
			return check_failed(err, "address %s is missing from '%s'",
					    nd_cidr_fmt(&prev->ips[i].addr, buf), a->req->ifname);
	}
	for (size_t i = 0; r >= 0 && !a->c.no_container_iface && i < prev->n_routes; i++) {
		const struct nd_route *rt = &prev->routes[i];

		if ((r = nd_route_has(a->ctr, a->ctr_index, &rt->dst, route_gw(rt, prev), &has, err)) >= 0 && !has)
			return check_failed(err, "route to %s is missing from '%s'", nd_cidr_fmt(&rt->dst, buf),
					    a->req->ifname);
	}
	return r;
}

static int check_host(struct attach *a, const struct nd_result *prev, struct nd_err **err)
{
	struct nd_masq m[ND_MAX_IPS];
	bool is_bridge = false;
	int master = 0, r = nd_link_get(a->host, a->c.bridge, &a->br_index, NULL, NULL, &is_bridge, err);

	if (r == -ENODEV || (r >= 0 && !is_bridge))
		return check_failed(err, "bridge '%s' is missing%s", a->c.bridge, r >= 0 ? " (not a bridge)" : "");
	if (r >= 0 && (r = nd_link_get(a->host, a->host_if, NULL, NULL, &master, NULL, err)) == -ENODEV)
		return check_failed(err, "veth '%s' is missing", a->host_if);
	if (r >= 0 && master != a->br_index)
		return check_failed(err, "veth '%s' is not a port of bridge '%s'", a->host_if, a->c.bridge);
	if (r >= 0 && a->c.ip_masq && prev->n_ips && (r = nft_open(a, err)) >= 0)
		r = nd_nft_masq_check(a->nft, m, masq_entries(a, prev, m), err);
	if (r >= 0 && iso_wanted(&a->c) && (r = nft_open(a, err)) >= 0)
		r = nd_iso_check(a->nft, &(struct nd_iso){ .bridge = a->c.bridge, .isolate = a->c.isolate,
							.internal = a->c.internal, .icc = a->c.icc, .host_if = a->host_if },
				 err);
	return r;
}

int nd_bridge_check(const struct nd_cni_req *req, struct nd_err **err)
{
	struct nd_result prev;
	struct attach a;
	int r;

	nd_result_init(&prev);
	if (!req->prev_result)
		return nd_err_set(err, ND_CNI_INVALID_CONFIG, EINVAL, "CHECK needs prevResult");
	r = attach_open(req, &a, err);
	if (r >= 0 && (r = nd_result_from_json(req->prev_result, &prev, err)) < 0)
		nd_err_wrap(err, "prevResult");
	if (r >= 0 && a.c.ipam_type)
		r = nd_delegate_run(req, a.c.ipam_type, ND_CMD_CHECK, err);
	if (r >= 0)
		r = check_container(&a, &prev, err);
	if (r >= 0)
		r = check_host(&a, &prev, err);
	nd_result_clear(&prev);
	attach_close(&a);
	return r;
}

struct gc_ctx {
	const char *network;
	char net_short[ND_NFT_COMMENT_MAX]; /* the network as a comment holding long names has it */
	const struct nd_attachment *valid;
	char (*valid_ids)[ND_NFT_COMMENT_MAX]; /* each valid ID as its elements' comments hold it */
	size_t n_valid;
	struct nd_ip *stale; /* masquerade elements to delete */
	size_t n_stale, cap;
	char (*hosts)[16];   /* host veth ends of the attachments found stale */
	size_t n_hosts, hosts_cap;
};

/* id and ifname as read from an element's comment. */
static bool gc_valid(const struct gc_ctx *g, const char *id, const char *ifname)
{
	for (size_t i = 0; i < g->n_valid; i++)
		if (!strcmp(g->valid_ids[i], id) && !strcmp(g->valid[i].ifname, ifname))
			return true;
	return false;
}

/* The comment forms of the network and of each valid ID (nft.h): long names are shortened there. */
static int gc_owner_names(struct gc_ctx *g)
{
	char net[ND_NFT_COMMENT_MAX];

	if (g->n_valid && !(g->valid_ids = calloc(g->n_valid, sizeof(*g->valid_ids))))
		return -ENOMEM;
	for (size_t i = 0; i < g->n_valid; i++)
		nd_nft_owner_names(g->network, g->valid[i].id, g->valid[i].ifname, net, g->valid_ids[i]);
	nd_short_name(g->network, ND_NFT_OWNER_NET_MAX, g->net_short);
	return 0;
}

static int gc_grow(void **v, size_t *cap, size_t n, size_t size)
{
	void *nv;

	if (n < *cap)
		return 0;
	if (!(nv = realloc(*v, (*cap ? *cap * 2 : 64) * size)))
		return -ENOMEM;
	*v = nv;
	*cap = *cap ? *cap * 2 : 64;
	return 0;
}

/* A stale attachment's host end (by its derived name), once. */
static int gc_host(struct gc_ctx *g, const char *id, const char *ifname)
{
	char name[16];

	/* A shortened ID (from a comment) no longer gives the name; the lease store's ID does. */
	if (!id[0] || !ifname[0] || nd_short_is(id))
		return 0;
	nd_bridge_host_ifname(id, ifname, name);
	for (size_t i = 0; i < g->n_hosts; i++)
		if (!strcmp(g->hosts[i], name))
			return 0;
	if (gc_grow((void **)&g->hosts, &g->hosts_cap, g->n_hosts, sizeof(*g->hosts)) < 0)
		return -ENOMEM;
	strcpy(g->hosts[g->n_hosts++], name);
	return 0;
}

static int gc_visit(const struct nd_ip *ip, const char *network, const char *id, const char *ifname, void *ud)
{
	struct gc_ctx *g = ud;

	if ((strcmp(network, g->network) && strcmp(network, g->net_short)) || gc_valid(g, id, ifname))
		return 0;
	if (gc_grow((void **)&g->stale, &g->cap, g->n_stale, sizeof(*g->stale)) < 0)
		return -ENOMEM;
	g->stale[g->n_stale++] = *ip;
	return gc_host(g, id, ifname);
}

static void gc_released(const struct nd_ip *ip, const char *id, const char *ifname, void *ud)
{
	(void)ip;
	(void)gc_host(ud, id, ifname);
}

/* The host ends (and their MAC checks) of stale attachments: the netns may be gone already. */
static int gc_links(const struct gc_ctx *g, const struct nd_bridge_conf *c, struct nd_nfsock *nft,
		    struct nd_err **err)
{
	_cleanup_nl_sock_ struct nl_sock *host = NULL;
	int r = g->n_hosts ? nd_nl_open(-1, &host, err) : 0;

	for (size_t i = 0; r >= 0 && i < g->n_hosts; i++) {
		if (c->macspoofchk && (r = nd_spoof_del(nft, g->hosts[i], err)) < 0)
			break;
		if (!c->icc && (r = nd_iso_port_del(nft, g->hosts[i], err)) < 0)
			break;
		r = nd_link_del(host, g->hosts[i], err);
	}
	return r < 0 ? r : 0;
}

/* A bridge that is gone (removed by its owner) takes its isolation elements with it. */
static int gc_iso(const struct nd_bridge_conf *c, struct nd_nfsock *nft, struct nd_err **err)
{
	_cleanup_nl_sock_ struct nl_sock *host = NULL;
	int r = nd_nl_open(-1, &host, err);

	if (r >= 0 && (r = nd_link_get(host, c->bridge, NULL, NULL, NULL, NULL, err)) == -ENODEV)
		return nd_iso_del(nft, c->bridge, err);
	return r < 0 ? r : 0;
}

/*
 * GC (spec 1.1): release every lease, masquerade entry, MAC check and host veth of this
 * network's attachments not listed valid, and the isolation of its bridge if that is gone. The attachments come from the lease store (when
 * the IPAM runs in-process) and from the masquerade entries' owner comments.
 */
int nd_bridge_gc(const struct nd_cni_req *req, struct nd_err **err)
{
	_cleanup_nfsock_ struct nd_nfsock *nft = NULL;
	_cleanup_free_ struct nd_attachment *valid = NULL;
	struct gc_ctx g = { .network = req->name };
	struct nd_bridge_conf c;
	int r = nd_bridge_conf_parse(req, &c, err);

	if (r >= 0)
		r = nd_cni_valid_attachments(req->conf, &valid, &g.n_valid, err);
	g.valid = valid;
	if (r >= 0 && gc_owner_names(&g) < 0)
		r = nd_oom(err);
	if (r >= 0 && c.ipam_type)
		r = !strcmp(c.ipam_type, ND_IPAM_TYPE) ? nd_ipamcni_gc_released(req, gc_released, &g, err)
						       : nd_delegate_run(req, c.ipam_type, ND_CMD_GC, err);
	if (r >= 0)
		r = nd_nfsock_open(&nft, ND_NFSOCK_CLOSE_NOW, err);
	if (r >= 0)
		r = nd_nft_masq_foreach(nft, gc_visit, &g, err);
	if (r >= 0 && g.n_stale)
		r = nd_nft_masq_del(nft, g.stale, g.n_stale, err);
	if (r >= 0)
		r = gc_links(&g, &c, nft, err);
	if (r >= 0 && iso_wanted(&c))
		r = gc_iso(&c, nft, err);
	free(g.stale);
	free(g.hosts);
	free(g.valid_ids);
	return r < 0 ? nd_err_wrap(err, "gc") : 0;
}

int nd_bridge_status(const struct nd_cni_req *req, struct nd_err **err)
{
	struct nd_bridge_conf c;
	int r = nd_bridge_conf_parse(req, &c, err);

	if (r >= 0 && c.ipam_type)
		r = nd_delegate_run(req, c.ipam_type, ND_CMD_STATUS, err);
	return r;
}

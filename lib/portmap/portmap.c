#include "portmap/portmap.h"

#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "base/cleanup.h"
#include "base/fault.h"
#include "base/json.h"
#include "base/shortname.h"
#include "kernel/link.h"
#include "kernel/nft.h"
#include "kernel/nl.h"
#include "kernel/sysctl.h"
#include "portmap/ctflush.h"
#include "portmap/pmconf.h"
#include "portmap/pmnft.h"

struct pm_conf {
	bool snat;
	struct nd_pm *m;
	size_t n;
};

static void conf_done(struct pm_conf *c)
{
	free(c->m);
}

static int conf_parse(const struct nd_cni_req *req, struct pm_conf *ret, struct nd_err **err)
{
	json_t *rc = NULL, *pm;

	ret->snat = true;
	if (nd_json_get_bool(req->conf, "snat", &ret->snat, err) < 0 ||
	    nd_json_get_obj(req->conf, "runtimeConfig", &rc, err) < 0)
		return -EINVAL;
	pm = rc ? json_object_get(rc, "portMappings") : NULL;
	return nd_pm_parse(pm, &ret->m, &ret->n, err);
}

/* The container's addresses: the first of each family that prevResult gives a sandbox interface. */
static void targets_of(const struct nd_result *res, struct nd_pm_target *t)
{
	for (size_t i = 0; i < res->n_ips && t->nctr < 2; i++) {
		const struct nd_ipconf *ip = &res->ips[i];
		bool ours = ip->iface < 0 || (size_t)ip->iface >= res->n_ifaces || res->ifaces[ip->iface].sandbox;

		if (ours && !(t->nctr == 1 && t->ctr[0].ip.family == ip->addr.ip.family))
			t->ctr[t->nctr++] = ip->addr;
	}
}

static bool has_family(const struct nd_pm_target *t, int af)
{
	for (size_t i = 0; i < t->nctr; i++)
		if (t->ctr[i].ip.family == af)
			return true;
	return false;
}

static int targets_check(const struct nd_pm_target *t, struct nd_err **err)
{
	char s[ND_PM_STRLEN];

	if (t->nctr == 0)
		return nd_err_set(err, ND_CNI_INVALID_CONFIG, EINVAL,
				  "prevResult has no container address to publish ports to");
	for (size_t i = 0; i < t->n; i++)
		if (t->m[i].host_ip.family && !has_family(t, t->m[i].host_ip.family))
			return nd_err_set(err, ND_CNI_INVALID_CONFIG, EINVAL,
					  "portMappings[%zu]: %s: the container has no %s address", i,
					  nd_pm_host_fmt(&t->m[i], s), t->m[i].host_ip.family == AF_INET ? "IPv4" : "IPv6");
	return 0;
}

/* Bind once, as a host process would: tells a port in use and a hostIP not on this host. */
static int probe_bind(const struct nd_pm *m, int af, int *ret_errno)
{
	_cleanup_close_ int fd = -1;
	int type = m->proto == IPPROTO_UDP ? SOCK_DGRAM : SOCK_STREAM, zero = 0, one = 1;
	struct sockaddr_in6 a6 = { .sin6_family = AF_INET6, .sin6_port = htons(m->host_port) };
	struct sockaddr_in a4 = { .sin_family = AF_INET, .sin_port = htons(m->host_port) };

	fd = socket(af, type | SOCK_CLOEXEC, m->proto);
	if (fd < 0)
		return -errno;
	/* Only a listener holds a TCP port against SO_REUSEADDR; a client's connection does not. */
	if (type == SOCK_STREAM)
		(void)setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (af == AF_INET6) {
		(void)setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, m->host_ip.family ? &one : &zero, sizeof(int));
		if (m->host_ip.family == AF_INET6)
			memcpy(&a6.sin6_addr, m->host_ip.a, 16);
	} else if (m->host_ip.family == AF_INET) {
		memcpy(&a4.sin_addr, m->host_ip.a, 4);
	}
	*ret_errno = 0;
	if (bind(fd, af == AF_INET6 ? (struct sockaddr *)&a6 : (struct sockaddr *)&a4,
		 af == AF_INET6 ? sizeof(a6) : sizeof(a4)) < 0)
		*ret_errno = errno;
	return 0;
}

static int host_check(const struct nd_pm *m, size_t i, struct nd_err **err)
{
	char s[ND_PM_STRLEN];
	int af = m->host_ip.family == AF_INET ? AF_INET : AF_INET6, e = 0, r;

	r = probe_bind(m, af, &e);
	/* No IPv6 on this host (or no SCTP module): what it cannot bind, nobody holds. */
	if (r == -EAFNOSUPPORT && m->host_ip.family == 0)
		r = probe_bind(m, AF_INET, &e);
	if (r < 0)
		return 0;
	if (e == EADDRINUSE)
		return nd_err_set(err, ND_ERR_PORT_IN_USE, EADDRINUSE,
				  "portMappings[%zu]: host port %s is in use by a process on the host", i,
				  nd_pm_host_fmt(m, s));
	if (e == EADDRNOTAVAIL)
		return nd_err_set(err, ND_CNI_INVALID_CONFIG, EADDRNOTAVAIL,
				  "portMappings[%zu]: hostIP of %s is not an address of this host", i, nd_pm_host_fmt(m, s));
	return 0;
}

/* route_localnet on the bridges only: the host's 127.0.0.1 may then be DNATed out through them. */
static int localnet_on(const struct nd_result *res, struct nd_err **err)
{
	_cleanup_nl_sock_ struct nl_sock *sk = NULL;
	char key[64];
	int r = nd_nl_open(-1, &sk, err);

	for (size_t i = 0; r >= 0 && i < res->n_ifaces; i++) {
		bool is_bridge = false;

		if (res->ifaces[i].sandbox || nd_link_get(sk, res->ifaces[i].name, NULL, NULL, NULL, &is_bridge, NULL) < 0 ||
		    !is_bridge)
			continue;
		(void)snprintf(key, sizeof(key), "net/ipv4/conf/%s/route_localnet", res->ifaces[i].name);
		if ((r = nd_fault("portmap-localnet", err)) >= 0)
			r = nd_sysctl_ensure(key, "1", err);
	}
	return r;
}

static void owner_comment(const struct nd_cni_req *req, char ret[ND_NFT_COMMENT_MAX])
{
	nd_nft_owner_comment(req->name, req->container_id, req->ifname, ret);
}

/* Conntrack matches for the UDP mappings of an ADD: entries made before the mapping existed. */
static int flush_add(const struct nd_pm_target *t, struct nd_err **err)
{
	_cleanup_free_ struct nd_ct_match *v = calloc(t->n ? t->n : 1, sizeof(*v));
	size_t k = 0;

	if (!v)
		return nd_oom(err);
	for (size_t i = 0; i < t->n; i++)
		if (t->m[i].proto == IPPROTO_UDP) {
			v[k].proto = IPPROTO_UDP;
			v[k].port = t->m[i].host_port;
			if (!nd_pm_host_any(&t->m[i]))
				v[k].dst = t->m[i].host_ip;
			k++;
		}
	return k ? nd_ct_flush(v, k, err) : 0;
}

struct ctlist {
	struct nd_ct_match *v;
	size_t n, cap;
};

static int ct_collect(const struct nd_pm_elem *e, void *ud)
{
	struct ctlist *l = ud;

	if (l->n == l->cap) {
		size_t cap = l->cap ? 2 * l->cap : 8;
		void *v = reallocarray(l->v, cap, sizeof(*l->v));

		if (!v)
			return -ENOMEM;
		l->v = v;
		l->cap = cap;
	}
	l->v[l->n++] = (struct nd_ct_match){ .proto = e->proto, .port = e->host_port, .reply_src = e->ctr };
	return 0;
}

/* Delete the elements of owners[] and the conntrack entries of their ports. */
static int del_owners(struct nd_nfsock *nft, const char *const *owners, size_t n, struct nd_err **err)
{
	struct ctlist l = { 0 };
	int r = nd_fault("portmap-nft-del", err);

	if (r >= 0)
		r = nd_pmnft_del_owners(nft, owners, n, ct_collect, &l, err);
	if (r >= 0 && (r = nd_fault("portmap-conntrack-del", err)) >= 0)
		r = nd_ct_flush(l.v, l.n, err);
	free(l.v);
	return r;
}

static int add_publish(const struct nd_cni_req *req, const struct nd_pm_target *t, const struct nd_result *res,
		       struct nd_err **err)
{
	_cleanup_nfsock_ struct nd_nfsock *nft = NULL;
	_cleanup_err_ struct nd_err *e = NULL;
	struct nd_pm_owner o = { req->name, req->container_id, req->ifname };
	char comment[ND_NFT_COMMENT_MAX];
	const char *owners[] = { comment };
	int r;

	for (size_t i = 0; i < t->n; i++)
		if ((r = host_check(&t->m[i], i, err)) < 0)
			return r;
	if ((r = nd_nfsock_open(&nft, ND_NFSOCK_CLOSE_NOW, err)) < 0 || (r = nd_fault("portmap-nft-add", err)) < 0 ||
	    (r = nd_pmnft_add(nft, &o, t, err)) < 0)
		return r;
	r = t->hairpin && has_family(t, AF_INET) ? localnet_on(res, &e) : 0;
	if (r >= 0 && (r = nd_fault("portmap-conntrack-add", &e)) >= 0)
		r = flush_add(t, &e);
	if (r >= 0)
		return 0;
	/* Undo the one transaction; the error to report is the first. */
	owner_comment(req, comment);
	(void)del_owners(nft, owners, 1, NULL);
	return nd_err_move(err, &e, r);
}

int nd_portmap_add(const struct nd_cni_req *req, struct nd_result *ret, struct nd_err **err)
{
	_cleanup_(conf_done) struct pm_conf c = { 0 };
	struct nd_pm_target t = { 0 };
	int r = conf_parse(req, &c, err);

	if (r < 0)
		return r;
	if (!req->prev_result)
		return nd_err_set(err, ND_CNI_INVALID_CONFIG, EINVAL,
				  "netd-portmap must be chained after a plugin that gives a result (prevResult)");
	if ((r = nd_result_from_json(req->prev_result, ret, err)) < 0 || c.n == 0)
		return r;
	t.m = c.m;
	t.n = c.n;
	t.hairpin = c.snat;
	targets_of(ret, &t);
	if ((r = targets_check(&t, err)) < 0)
		return r;
	return add_publish(req, &t, ret, err);
}

int nd_portmap_del(const struct nd_cni_req *req, struct nd_err **err)
{
	_cleanup_nfsock_ struct nd_nfsock *nft = NULL;
	char comment[ND_NFT_COMMENT_MAX];
	const char *owners[] = { comment };
	int r;

	/* The config still has to make sense; its mappings do not matter (the comments say). */
	owner_comment(req, comment);
	r = nd_nfsock_open(&nft, ND_NFSOCK_CLOSE_NOW, err);
	return r < 0 ? r : del_owners(nft, owners, 1, err);
}

struct check_ctx {
	const struct nd_pm_target *t;
	const char *comment;
	bool *seen; /* per (mapping, family): [2 * i + (af == AF_INET6)] */
};

static int check_visit(const struct nd_pm_elem *e, void *ud)
{
	struct check_ctx *k = ud;

	if (strcmp(e->comment, k->comment))
		return 0;
	for (size_t i = 0; i < k->t->n; i++) {
		const struct nd_pm *m = &k->t->m[i];

		if (m->proto == e->proto && m->host_port == e->host_port && m->ctr_port == e->ctr_port &&
		    nd_pm_covers(m, e->af) && nd_pm_any(m, e->af) == e->any &&
		    (e->any || nd_ip_equal(&m->host_ip, &e->host_ip)))
			k->seen[2 * i + (e->af == AF_INET6)] = true;
	}
	return 0;
}

static int check_seen(const struct check_ctx *k, struct nd_err **err)
{
	char s[ND_PM_STRLEN];

	for (size_t i = 0; i < k->t->n; i++)
		for (int j = 0; j < 2; j++) {
			int af = j ? AF_INET6 : AF_INET;

			if (has_family(k->t, af) && nd_pm_covers(&k->t->m[i], af) && !k->seen[2 * i + (size_t)j])
				return nd_err_set(err, ND_ERR_CHECK_FAILED, ENOENT, "nftables: no %s element for host port %s",
						  j ? "IPv6" : "IPv4", nd_pm_host_fmt(&k->t->m[i], s));
		}
	return 0;
}

int nd_portmap_check(const struct nd_cni_req *req, struct nd_err **err)
{
	_cleanup_(conf_done) struct pm_conf c = { 0 };
	_cleanup_nfsock_ struct nd_nfsock *nft = NULL;
	_cleanup_free_ bool *seen = NULL;
	struct nd_pm_target t = { 0 };
	struct nd_result res;
	char comment[ND_NFT_COMMENT_MAX];
	struct check_ctx k = { &t, comment, NULL };
	int r = conf_parse(req, &c, err);

	if (r < 0 || c.n == 0)
		return r;
	if (!req->prev_result)
		return nd_err_set(err, ND_CNI_INVALID_CONFIG, EINVAL, "CHECK needs prevResult");
	nd_result_init(&res);
	r = nd_result_from_json(req->prev_result, &res, err);
	t.m = c.m;
	t.n = c.n;
	targets_of(&res, &t);
	nd_result_clear(&res);
	owner_comment(req, comment);
	if (r >= 0 && !(seen = calloc(2 * c.n, sizeof(*seen))))
		r = nd_oom(err);
	k.seen = seen;
	if (r >= 0 && (r = nd_nfsock_open(&nft, ND_NFSOCK_CLOSE_NOW, err)) >= 0 &&
	    (r = nd_pmnft_foreach(nft, check_visit, &k, err)) >= 0)
		r = check_seen(&k, err);
	return r;
}

struct gc_ctx {
	const char *net, *short_net;
	char **valid; /* comments of the valid attachments */
	size_t n_valid;
	char **stale;
	size_t n_stale, cap;
};

static bool of_network(const struct gc_ctx *g, const char *comment)
{
	const char *sp = strchr(comment, ' ');
	size_t len = sp ? (size_t)(sp - comment) : 0;

	return sp && ((strlen(g->net) == len && !strncmp(comment, g->net, len)) ||
		      (strlen(g->short_net) == len && !strncmp(comment, g->short_net, len)));
}

static bool in(char *const *v, size_t n, const char *s)
{
	for (size_t i = 0; i < n; i++)
		if (!strcmp(v[i], s))
			return true;
	return false;
}

static int gc_visit(const struct nd_pm_elem *e, void *ud)
{
	struct gc_ctx *g = ud;
	char *dup;

	if (!of_network(g, e->comment) || in(g->valid, g->n_valid, e->comment) || in(g->stale, g->n_stale, e->comment))
		return 0;
	if (g->n_stale == g->cap) {
		size_t cap = g->cap ? 2 * g->cap : 8;
		void *v = reallocarray(g->stale, cap, sizeof(*g->stale));

		if (!v)
			return -ENOMEM;
		g->stale = v;
		g->cap = cap;
	}
	if (!(dup = strdup(e->comment)))
		return -ENOMEM;
	g->stale[g->n_stale++] = dup;
	return 0;
}

static void gc_done(struct gc_ctx *g)
{
	for (size_t i = 0; i < g->n_valid; i++)
		free(g->valid[i]);
	for (size_t i = 0; i < g->n_stale; i++)
		free(g->stale[i]);
	free(g->valid);
	free(g->stale);
}

static int gc_valid(const struct nd_cni_req *req, struct gc_ctx *g, struct nd_err **err)
{
	_cleanup_free_ struct nd_attachment *valid = NULL;
	size_t n = 0;
	int r = nd_cni_valid_attachments(req->conf, &valid, &n, err);

	if (r < 0)
		return r;
	if (n && !(g->valid = calloc(n, sizeof(*g->valid))))
		return nd_oom(err);
	for (size_t i = 0; i < n; i++, g->n_valid++) {
		if (!(g->valid[i] = malloc(ND_NFT_COMMENT_MAX)))
			return nd_oom(err);
		nd_nft_owner_comment(req->name, valid[i].id, valid[i].ifname, g->valid[i]);
	}
	return 0;
}

int nd_portmap_gc(const struct nd_cni_req *req, struct nd_err **err)
{
	_cleanup_(gc_done) struct gc_ctx g = { .net = req->name };
	_cleanup_nfsock_ struct nd_nfsock *nft = NULL;
	char short_net[ND_NFT_OWNER_NET_MAX + 1];
	int r;

	nd_short_name(req->name, ND_NFT_OWNER_NET_MAX, short_net);
	g.short_net = short_net;
	if ((r = gc_valid(req, &g, err)) < 0 || (r = nd_nfsock_open(&nft, ND_NFSOCK_CLOSE_NOW, err)) < 0)
		return r;
	r = nd_pmnft_foreach(nft, gc_visit, &g, err);
	if (r == -ENOMEM)
		return nd_oom(err);
	if (r >= 0 && g.n_stale)
		r = del_owners(nft, (const char *const *)g.stale, g.n_stale, err);
	return r < 0 ? nd_err_wrap(err, "gc") : 0;
}

int nd_portmap_status(const struct nd_cni_req *req, struct nd_err **err)
{
	_cleanup_(conf_done) struct pm_conf c = { 0 };

	return conf_parse(req, &c, err);
}

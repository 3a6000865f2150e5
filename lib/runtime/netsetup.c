#include "runtime/netsetup.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/cleanup.h"
#include "base/strv.h"
#include "cni/result.h"
#include "kernel/link.h"
#include "kernel/netns.h"
#include "kernel/netnsname.h"
#include "networks/attach.h"
#include "networks/network.h"
#include "portmap/pmspec.h"

/* The netns of a running container, through its init (pid reuse ruled out by a pidfd). */
static int join_target(const char *state, const char *ref, struct nd_ctr *c, int *ret_fd, struct nd_err **err)
{
	_cleanup_(nd_ctr_clear) struct nd_ctr t = { 0 };
	_cleanup_close_ int pidfd = -1;
	char path[64], *net = NULL;
	int r;

	if ((r = nd_ctr_find(state, ref, &t, err)) < 0 || (r = nd_ctr_pidfd(state, &t, &pidfd, err)) < 0)
		return nd_err_wrap(err, "--net=container:%s", ref);
	/* The record says which container it was, whatever name or prefix was given. */
	if (asprintf(&net, "container:%s", t.id) < 0)
		return nd_oom(err);
	snprintf(path, sizeof(path), "/proc/%d/ns/net", (int)t.pid);
	if ((r = nd_netns_open(path, ret_fd, err)) < 0) {
		free(net);
		return r;
	}
	free(c->net);
	c->net = net;
	return 0;
}

int nd_ctr_net_plan(const char *state, struct nd_ctr *c, int *ret_fd, struct nd_err **err)
{
	char name[ND_CTR_SHORT + 6];
	const char *net = c->net ? c->net : ND_DEFAULT_NETWORK;

	*ret_fd = -1;
	if (!strcmp(net, "host"))
		return 0;
	if (!strncmp(net, "container:", 10))
		return join_target(state, net + 10, c, ret_fd, err);
	if (strcmp(net, "none") && !nd_network_valid_name(net))
		return nd_err_set(err, ND_ERR_BAD_SPEC, EINVAL,
				  "--net '%s': use bridge, host, none, container:ID or a network name", net);
	snprintf(name, sizeof(name), "netd-%.*s", ND_CTR_SHORT, c->id);
	if (!(c->netns = strdup(name)) || (strcmp(net, "none") && !(c->network = strdup(net))))
		return nd_oom(err);
	return 0;
}

int nd_ctr_net_create(struct nd_ctr *c, int *ret_fd, struct nd_err **err)
{
	char path[PATH_MAX];
	int r;

	if (!c->netns)
		return 0;
	if ((r = nd_netns_create(c->netns, err)) == -EEXIST) {
		/* Not ours (the ID was chosen so that it was free): nothing may release it as ours. */
		free(TAKE_PTR(c->netns));
		free(TAKE_PTR(c->network));
		return r;
	}
	if (r < 0)
		return r;
	snprintf(path, sizeof(path), "%s/%s", ND_NETNS_RUN_DIR, c->netns);
	if ((r = nd_netns_open(path, ret_fd, err)) < 0) {
		(void)nd_netns_delete(c->netns, NULL);
		return r;
	}
	return 0;
}

/* The attached addresses as CIDR strings. */
static int ips_of(const struct nd_result *res, char ***ret, struct nd_err **err)
{
	char **ips = calloc(res->n_ips + 1, sizeof(char *));

	for (size_t i = 0; ips && i < res->n_ips; i++) {
		char buf[ND_CIDR_STRLEN];

		if (!(ips[i] = strdup(nd_cidr_fmt(&res->ips[i].addr, buf)))) {
			nd_strv_free(ips);
			ips = NULL;
		}
	}
	if (!ips)
		return nd_oom(err);
	*ret = ips;
	return 0;
}

/* The recorded -p mappings as the attachment's "ports"; NULL when none. */
static int ports_of(const struct nd_ctr *c, json_t **ret, struct nd_err **err)
{
	_cleanup_free_ struct nd_pm *v = NULL;
	size_t n = 0;
	int r = 0;

	*ret = NULL;
	for (size_t i = 0; r >= 0 && c->ports && c->ports[i]; i++)
		r = nd_pm_parse_publish(c->ports[i], &v, &n, err);
	if (r < 0 || n == 0)
		return r;
	return (*ret = nd_pm_to_json(v, n)) ? 0 : nd_oom(err);
}

/* "network 'x': ..." unless the message names the network already (no "network 'x': network 'x' not found"). */
static int wrap_net(struct nd_err **err, int r, const char *network)
{
	char quoted[300];

	snprintf(quoted, sizeof(quoted), "'%s'", network);
	if (err && *err && (*err)->msg && strstr((*err)->msg, quoted))
		return r;
	return nd_err_wrap(err, "network '%s'", network);
}

int nd_ctr_net_attach(struct nd_ctr *c, int netns_fd, struct nd_err **err)
{
	struct nd_attach_req req = { .network = c->network, .id = c->id, .ifname = "eth0", .ip = c->ip, .name = c->name,
				     .aliases = (const char *const *)c->aliases, .dns = (const char *const *)c->dns };
	struct nd_result res;
	char path[PATH_MAX];
	int r;

	if (!c->netns)
		return 0; /* host, or another container's netns: nothing of ours to set up */
	if ((r = nd_link_lo_up(netns_fd, err)) < 0)
		return nd_err_wrap(err, "the container's netns");
	if (!c->network)
		return 0;
	snprintf(path, sizeof(path), "%s/%s", ND_NETNS_RUN_DIR, c->netns);
	req.netns = path;
	if ((r = ports_of(c, &req.ports, err)) < 0)
		return r;
	nd_result_init(&res);
	if ((r = nd_attach(&req, &res, err)) < 0)
		r = wrap_net(err, r, c->network);
	else
		r = ips_of(&res, &c->ips, err);
	nd_result_clear(&res);
	json_decref(req.ports);
	return r;
}

int nd_ctr_net_release(const struct nd_ctr *c, struct nd_err **err)
{
	char path[PATH_MAX];
	int first = 0, r;

	if (c->network && c->netns) {
		/* The netns goes right after: its veth goes with it, without DEL waiting for that. */
		struct nd_attach_req req = { .network = c->network, .netns = path, .id = c->id, .ifname = "eth0",
					     .netns_dying = true };
		_cleanup_err_ struct nd_err *e = NULL;

		snprintf(path, sizeof(path), "%s/%s", ND_NETNS_RUN_DIR, c->netns);
		r = nd_detach(&req, &e);
		/* No such network: nothing attached to it (a monitor killed before its first attach made it). */
		if (r < 0 && e && e->code == ND_ERR_NOT_FOUND)
			r = 0;
		if (r < 0) {
			wrap_net(&e, r, c->network);
			first = nd_err_move(err, &e, r);
		}
	}
	if (c->netns) {
		_cleanup_err_ struct nd_err *e = NULL;

		r = nd_netns_delete(c->netns, &e);
		if (r < 0 && r != -ENOENT && !first)
			first = nd_err_move(err, &e, r);
	}
	return first;
}

#include "run_net.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "base/cleanup.h"
#include "base/proc.h"
#include "cni/result.h"
#include "kernel/link.h"
#include "kernel/netns.h"
#include "kernel/netnsname.h"
#include "networks/attach.h"
#include "networks/network.h"

static char *xstrdup(const char *s)
{
	return s ? strdup(s) : NULL;
}

/* The netns of a running container, through its init (pid reuse ruled out by a pidfd). */
static int join_target(const char *state, const char *ref, struct nd_ctr *c, int *ret_fd, struct nd_err **err)
{
	char id[ND_CTR_ID_LEN + 1], path[64];
	struct nd_ctr t = { 0 };
	_cleanup_close_ int pidfd = -1;
	int r;

	if ((r = nd_ctr_resolve(state, ref, id, err)) < 0)
		return nd_err_wrap(err, "--net=container:%s", ref);
	if ((r = nd_ctr_load(state, id, &t, err)) < 0)
		return nd_err_wrap(err, "--net=container:%s", ref);
	if (!nd_ctr_monitored(state, id) || nd_proc_pidfd(t.pid, t.pid_start, &pidfd) < 0) {
		nd_ctr_clear(&t);
		return nd_err_set(err, ND_CNI_UNKNOWN_CONTAINER, ESRCH, "--net=container:%s: container %.12s is not running",
				  ref, id);
	}
	snprintf(path, sizeof(path), "/proc/%d/ns/net", (int)t.pid);
	r = nd_netns_open(path, ret_fd, err);
	if (r >= 0) {
		free(c->net);
		if (asprintf(&c->net, "container:%s", id) < 0)
			c->net = NULL;
	}
	nd_ctr_clear(&t);
	return r;
}

int nd_run_net_plan(const char *state, struct nd_ctr *c, int *ret_fd, struct nd_err **err)
{
	char name[ND_CTR_SHORT + 6];
	const char *net = c->net ? c->net : ND_DEFAULT_NETWORK;

	*ret_fd = -1;
	if (!strcmp(net, "host"))
		return 0;
	if (!strncmp(net, "container:", 10))
		return join_target(state, net + 10, c, ret_fd, err);
	if (strcmp(net, "none") && !nd_network_valid_name(net))
		return nd_err_set(err, ND_CNI_INVALID_CONFIG, EINVAL,
				  "--net '%s': use bridge, host, none, container:ID or a network name", net);
	snprintf(name, sizeof(name), "netd-%.*s", ND_CTR_SHORT, c->id);
	c->netns = strdup(name);
	if (strcmp(net, "none"))
		c->network = strdup(net);
	if (!c->netns || (strcmp(net, "none") && !c->network))
		return nd_err_set(err, ND_ERR_INTERNAL, ENOMEM, "out of memory");
	return 0;
}

int nd_run_net_create(struct nd_ctr *c, int *ret_fd, struct nd_err **err)
{
	char path[PATH_MAX];
	int r;

	if (!c->netns)
		return 0;
	if ((r = nd_netns_create(c->netns, err)) == -EEXIST) {
		/* Not ours (the ID was chosen so that it was free): nothing may release it as ours. */
		free(c->netns);
		free(c->network);
		c->netns = c->network = NULL;
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

int nd_run_net_attach(struct nd_ctr *c, int netns_fd, struct nd_err **err)
{
	struct nd_attach_req req = { 0 };
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
	req.network = c->network;
	req.netns = path;
	req.id = c->id;
	req.ifname = "eth0";
	req.ip = c->ip;
	nd_result_init(&res);
	r = nd_attach(&req, &res, err);
	if (r < 0) {
		nd_result_clear(&res);
		return nd_err_wrap(err, "network '%s'", c->network);
	}
	c->ips = calloc(res.n_ips + 1, sizeof(char *));
	for (size_t i = 0; c->ips && i < res.n_ips; i++) {
		char buf[ND_CIDR_STRLEN];

		c->ips[i] = xstrdup(nd_cidr_fmt(&res.ips[i].addr, buf));
	}
	nd_result_clear(&res);
	return 0;
}

int nd_run_net_release(const struct nd_ctr *c, struct nd_err **err)
{
	char path[PATH_MAX];
	int first = 0, r;

	if (c->network && c->netns) {
		/* The netns goes right after: its veth goes with it, without DEL waiting for that. */
		struct nd_attach_req req = { .network = c->network, .id = c->id, .ifname = "eth0",
					     .netns_dying = true };

		struct nd_err *e = NULL;

		snprintf(path, sizeof(path), "%s/%s", ND_NETNS_RUN_DIR, c->netns);
		req.netns = path;
		r = nd_detach(&req, &e);
		/* No such network: nothing attached to it (a monitor killed before its first attach made it). */
		if (r < 0 && e && e->code == ND_ERR_NOT_FOUND)
			r = 0;
		if (r < 0 && err && !*err)
			*err = TAKE_PTR(e);
		nd_err_free(e);
		if (r < 0)
			first = nd_err_wrap(err, "network '%s'", c->network);
	}
	if (c->netns) {
		struct nd_err *e = NULL;

		r = nd_netns_delete(c->netns, &e);
		if (r < 0 && r != -ENOENT && !first) {
			first = r;
			if (err && !*err)
				*err = e, e = NULL;
		}
		nd_err_free(e);
	}
	return first;
}

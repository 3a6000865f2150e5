/* netd-loopback: brings lo up inside the container's netns. */
#include <string.h>
#include <sys/socket.h>

#include "base/cleanup.h"
#include "cni/plugin.h"
#include "kernel/link.h"
#include "kernel/netns.h"
#include "kernel/nl.h"

static int open_lo(const struct nd_cni_req *req, struct nl_sock **ret_sk, int *ret_ifindex, struct nd_err **err)
{
	_cleanup_close_ int fd = -1;
	int r = nd_netns_open(req->netns, &fd, err);

	if (r >= 0)
		r = nd_nl_open(fd, ret_sk, err);
	if (r >= 0 && (r = nd_link_get(*ret_sk, "lo", ret_ifindex, NULL, NULL, NULL, err)) < 0) {
		nl_socket_free(TAKE_PTR(*ret_sk));
		return nd_err_set(err, ND_ERR_INTERNAL, -r, "netns '%s' has no 'lo'", req->netns);
	}
	return r;
}

static void fill_result(const struct nd_cni_req *req, struct nd_result *ret)
{
	static const char *const addrs[] = { "127.0.0.1/8", "::1/128" };

	strcpy(ret->ifaces[0].name, "lo");
	strcpy(ret->ifaces[0].mac, "00:00:00:00:00:00");
	ret->ifaces[0].sandbox = strdup(req->netns);
	ret->n_ifaces = 1;
	for (size_t i = 0; i < ND_ARRAY_SIZE(addrs); i++) {
		nd_cidr_parse(addrs[i], &ret->ips[i].addr, NULL);
		ret->ips[i].iface = 0;
	}
	ret->n_ips = ND_ARRAY_SIZE(addrs);
}

static int loopback_add(const struct nd_cni_req *req, struct nd_result *ret, struct nd_err **err)
{
	_cleanup_nl_sock_ struct nl_sock *sk = NULL;
	int ifindex = 0, r = open_lo(req, &sk, &ifindex, err);

	if (r >= 0)
		r = nd_link_up(sk, ifindex, err);
	if (r < 0)
		return r;
	/* In a chain, pass the previous result on (spec: chained plugins), as the reference does. */
	if (req->prev_result)
		return nd_result_from_json(req->prev_result, ret, err) < 0 ? nd_err_wrap(err, "prevResult") : 0;
	fill_result(req, ret);
	return 0;
}

static int loopback_check(const struct nd_cni_req *req, struct nd_err **err)
{
	_cleanup_nl_sock_ struct nl_sock *sk = NULL;
	int ifindex = 0;

	return open_lo(req, &sk, &ifindex, err);
}

/* DEL leaves lo alone: it dies with the netns, and DEL must succeed when the netns is gone. */
static const struct nd_cni_plugin plugin = {
	.name = "netd-loopback",
	.add = loopback_add,
	.check = loopback_check,
};

int main(void)
{
	return nd_cni_main(&plugin);
}

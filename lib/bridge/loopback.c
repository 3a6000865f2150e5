#include "bridge/loopback.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "base/cleanup.h"
#include "base/ip.h"
#include "kernel/link.h"
#include "kernel/netns.h"

/* The reference plugin's result: lo with 127.0.0.1/8 and ::1/128. */
static int lo_result(const struct nd_cni_req *req, struct nd_result *ret, struct nd_err **err)
{
	static const char *const addrs[] = { "127.0.0.1/8", "::1/128" };

	strcpy(ret->ifaces[0].name, "lo");
	strcpy(ret->ifaces[0].mac, "00:00:00:00:00:00");
	if (!(ret->ifaces[0].sandbox = strdup(req->netns)))
		return nd_oom(err);
	ret->n_ifaces = 1;
	for (size_t i = 0; i < ND_ARRAY_SIZE(addrs); i++) {
		nd_cidr_parse(addrs[i], &ret->ips[i].addr, NULL);
		ret->ips[i].iface = 0;
	}
	ret->n_ips = ND_ARRAY_SIZE(addrs);
	return 0;
}

/* fn on the netns the request names; its errors name the netns. */
static int in_netns(const struct nd_cni_req *req, int (*fn)(int netns_fd, struct nd_err **err), struct nd_err **err)
{
	_cleanup_close_ int fd = -1;
	int r = nd_netns_open(req->netns, &fd, err);

	if (r >= 0 && (r = fn(fd, err)) < 0)
		return nd_err_wrap(err, "netns '%s'", req->netns);
	return r;
}

int nd_loopback_add(const struct nd_cni_req *req, struct nd_result *ret, struct nd_err **err)
{
	int r = in_netns(req, nd_link_lo_up, err);

	if (r < 0)
		return r;
	if (req->prev_result)
		return nd_result_from_json(req->prev_result, ret, err) < 0 ? nd_err_wrap(err, "prevResult") : 0;
	return lo_result(req, ret, err);
}

int nd_loopback_check(const struct nd_cni_req *req, struct nd_err **err)
{
	return in_netns(req, nd_link_lo_check, err);
}

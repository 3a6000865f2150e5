#include "ipam/ipamcni.h"

#include <errno.h>
#include <stdlib.h>

#include "base/cleanup.h"
#include "ipam/ipam.h"

/* Keys a runtime may pass in CNI_ARGS to an IPAM plugin (host-local reads IP only). */
static const char *const known_args[] = { "IP", "K8S_POD_NAME", "K8S_POD_NAMESPACE",
					  "K8S_POD_INFRA_CONTAINER_ID", "K8S_POD_UID", "MAC", NULL };

static int load(const struct nd_cni_req *req, struct nd_ipam_conf *c, struct nd_err **err)
{
	int r = nd_cni_args_validate(req->args, known_args, err);

	if (r < 0)
		return r;
	r = nd_ipam_conf_parse(req->conf, req->args, c, err);
	return r < 0 ? nd_err_wrap(err, "ipam config") : 0;
}

int nd_ipamcni_add(const struct nd_cni_req *req, struct nd_result *ret, struct nd_err **err)
{
	_cleanup_ipam_conf_ struct nd_ipam_conf c = { 0 };
	int r = load(req, &c, err);

	return r < 0 ? r : nd_ipam_add(&c, req->container_id, req->ifname, ret, err);
}

int nd_ipamcni_del(const struct nd_cni_req *req, struct nd_err **err)
{
	_cleanup_ipam_conf_ struct nd_ipam_conf c = { 0 };
	int r = load(req, &c, err);

	return r < 0 ? r : nd_ipam_del(&c, req->container_id, req->ifname, err);
}

int nd_ipamcni_check(const struct nd_cni_req *req, struct nd_err **err)
{
	_cleanup_ipam_conf_ struct nd_ipam_conf c = { 0 };
	int r = load(req, &c, err);

	return r < 0 ? r : nd_ipam_check(&c, req->container_id, req->ifname, err);
}

int nd_ipamcni_lookup(const struct nd_cni_req *req, struct nd_ip *ret_ips, size_t max, size_t *ret_n,
		      struct nd_err **err)
{
	_cleanup_ipam_conf_ struct nd_ipam_conf c = { 0 };
	int r = load(req, &c, err);

	return r < 0 ? r : nd_ipam_lookup(&c, req->container_id, req->ifname, ret_ips, max, ret_n, err);
}

int nd_ipamcni_gc(const struct nd_cni_req *req, struct nd_err **err)
{
	return nd_ipamcni_gc_released(req, NULL, NULL, err);
}

int nd_ipamcni_gc_released(const struct nd_cni_req *req, nd_ipam_released_fn cb, void *ud, struct nd_err **err)
{
	_cleanup_free_ struct nd_attachment *valid = NULL;
	_cleanup_ipam_conf_ struct nd_ipam_conf c = { 0 };
	size_t n = 0;
	int r = nd_cni_valid_attachments(req->conf, &valid, &n, err);

	if (r < 0 || (r = load(req, &c, err)) < 0)
		return r;
	return nd_ipam_gc(&c, valid, n, cb, ud, err);
}

int nd_ipamcni_status(const struct nd_cni_req *req, struct nd_err **err)
{
	_cleanup_ipam_conf_ struct nd_ipam_conf c = { 0 };
	int r = load(req, &c, err);

	return r < 0 ? r : nd_ipam_status(&c, err);
}

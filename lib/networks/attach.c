/* nd_attach/nd_detach: the daemon's API when it answers, else lib/networks/netops directly. */
#include "networks/attach.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "base/cleanup.h"
#include "base/json.h"
#include "networks/apiclient.h"
#include "networks/netops.h"

static int net_path(const char *network, const char *suffix, const char *id, char *ret, size_t size)
{
	char enet[3 * 64 + 1], eid[3 * 130 + 1] = "";

	nd_api_escape(network ? network : ND_DEFAULT_NETWORK, enet, sizeof(enet));
	if (id)
		nd_api_escape(id, eid, sizeof(eid));
	return snprintf(ret, size, "/v1/networks/%s/attachments%s%s", enet, suffix, eid);
}

static json_t *strv_json(const char *const *v)
{
	json_t *a = json_array();
	bool ok = true;

	for (; v && *v; v++)
		nd_json_append(a, json_string(*v), &ok);
	return nd_json_built(a, ok);
}

/* NULL when out of memory (base/json.h). */
static json_t *attach_body(const struct nd_attach_req *req)
{
	json_t *o = json_object();
	bool ok = true;

	nd_json_set(o, "netns", json_string(req->netns ? req->netns : ""), &ok);
	if (req->id)
		nd_json_set(o, "containerID", json_string(req->id), &ok);
	if (req->ifname)
		nd_json_set(o, "ifname", json_string(req->ifname), &ok);
	if (req->ip)
		nd_json_set(o, "ip", json_string(req->ip), &ok);
	if (req->mac)
		nd_json_set(o, "mac", json_string(req->mac), &ok);
	if (req->ports)
		nd_json_set(o, "ports", json_incref(req->ports), &ok);
	if (req->name)
		nd_json_set(o, "name", json_string(req->name), &ok);
	if (req->aliases && req->aliases[0])
		nd_json_set(o, "aliases", strv_json(req->aliases), &ok);
	if (req->dns && req->dns[0])
		nd_json_set(o, "dns", strv_json(req->dns), &ok);
	return nd_json_built(o, ok);
}

int nd_attach(const struct nd_attach_req *req, struct nd_result *ret, struct nd_err **err)
{
	json_t *body = attach_body(req), *ans = NULL;
	struct nd_ctx c;
	char path[1024];
	int status = 0, r;

	if (!body)
		return nd_oom(err);
	net_path(req->network, "", NULL, path, sizeof(path));
	r = nd_api_call(nd_api_socket(), "POST", path, body, &status, &ans, err);
	json_decref(body);
	if (r == -ENOENT || r == -ECONNREFUSED) {
		nd_ctx_from_env(&c);
		nd_result_init(ret);
		return nd_op_attach(&c, req, ret, err);
	}
	if (r >= 0 && status / 100 != 2)
		r = nd_api_error(status, ans, err);
	else if (r >= 0 && (r = nd_result_from_json(ans, ret, err)) < 0)
		nd_err_wrap(err, "daemon's result");
	json_decref(ans);
	return r;
}

int nd_detach(const struct nd_attach_req *req, struct nd_err **err)
{
	json_t *ans = NULL;
	struct nd_ctx c;
	char path[1024], id[65];
	int status = 0, r;

	if (req->id)
		snprintf(id, sizeof(id), "%s", req->id);
	else
		nd_attach_default_id(req->netns, id);
	net_path(req->network, "/", id, path, sizeof(path));
	if (req->netns_dying)
		strcat(path, "?netnsDying=1");
	r = nd_api_call(nd_api_socket(), "DELETE", path, NULL, &status, &ans, err);
	if (r == -ENOENT || r == -ECONNREFUSED) {
		nd_ctx_from_env(&c);
		return nd_op_detach(&c, req->network, id, req->netns_dying, err);
	}
	if (r >= 0 && status / 100 != 2)
		r = nd_api_error(status, ans, err);
	json_decref(ans);
	return r;
}

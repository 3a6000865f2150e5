#include "networks/netports.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "base/json.h"
#include "cni/cni.h"
#include "portmap/pmconf.h"
#include "portmap/portmap.h"

#define PORTS_CNI_VERSION "1.0.0"

int nd_netports_check(json_t *ports, struct nd_err **err)
{
	struct nd_pm *m = NULL;
	size_t n = 0;
	int r = nd_pm_parse(ports, &m, &n, err);

	free(m);
	return r < 0 ? nd_err_wrap(err, "ports") : 0;
}

bool nd_netports_any(json_t *ports)
{
	return json_is_array(ports) && json_array_size(ports) > 0;
}

/* A request as a runtime would send netd-portmap, borrowing the strings. */
static void make_req(const char *network, const char *id, const char *ifname, const char *netns, json_t *conf,
		     enum nd_cni_cmd cmd, struct nd_cni_req *q)
{
	*q = (struct nd_cni_req){ .cmd = cmd, .container_id = id, .netns = netns ? netns : "", .ifname = ifname,
				  .path = "", .conf = conf, .version = PORTS_CNI_VERSION, .name = network,
				  .type = "netd-portmap", .prev_result = json_object_get(conf, "prevResult") };
}

int nd_netports_publish(const char *network, const char *id, const char *ifname, const char *netns,
			const struct nd_result *res, json_t *ports, struct nd_err **err)
{
	json_t *conf;
	struct nd_result out;
	struct nd_cni_req q;
	int r;

	if (!nd_netports_any(ports))
		return 0;
	conf = json_pack("{s:s, s:s, s:s, s:{s:O}, s:o*}", "cniVersion", PORTS_CNI_VERSION, "name", network, "type",
			 "netd-portmap", "runtimeConfig", "portMappings", ports, "prevResult",
			 nd_result_to_json(res, PORTS_CNI_VERSION));
	if (!conf || !json_object_get(conf, "prevResult")) {
		json_decref(conf);
		return nd_oom(err);
	}
	make_req(network, id, ifname, netns, conf, ND_CMD_ADD, &q);
	nd_result_init(&out);
	r = nd_portmap_add(&q, &out, err);
	nd_result_clear(&out);
	json_decref(conf);
	return r < 0 ? nd_err_wrap(err, "ports") : 0;
}

int nd_netports_unpublish(const char *network, const char *id, const char *ifname, struct nd_err **err)
{
	json_t *conf = json_pack("{s:s, s:s, s:s}", "cniVersion", PORTS_CNI_VERSION, "name", network, "type",
				 "netd-portmap");
	struct nd_cni_req q;
	int r;

	if (!conf)
		return nd_oom(err);
	make_req(network, id, ifname, NULL, conf, ND_CMD_DEL, &q);
	r = nd_portmap_del(&q, err);
	json_decref(conf);
	return r;
}

int nd_netports_reapply(const char *network, json_t *rec, struct nd_err **err)
{
	const char *id = json_string_value(json_object_get(rec, "containerID"));
	const char *ifname = json_string_value(json_object_get(rec, "ifname"));
	const char *netns = json_string_value(json_object_get(rec, "netns"));
	json_t *ports = json_object_get(rec, "ports");
	struct nd_result res;
	int r;

	if (!id || !ifname || !nd_netports_any(ports))
		return 0;
	nd_result_init(&res);
	r = nd_result_from_json(json_object_get(rec, "result"), &res, err);
	if (r >= 0 && (r = nd_netports_unpublish(network, id, ifname, err)) >= 0)
		r = nd_netports_publish(network, id, ifname, netns, &res, ports, err);
	nd_result_clear(&res);
	return r;
}

/*
 * libFuzzer target: an API request body as the daemon receives it (POST /v1/networks,
 * POST .../attachments), through the depth bound, the network definition parser and its
 * checks, and the attach request's validators; and the same bytes as a state file, through
 * the salvage scanner that reads a quarantined one. Invariant: a definition the API
 * accepts is stored in a form that loads back, so it can never be quarantined later.
 */
#include <limits.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "base/json.h"
#include "cni/cni.h"
#include "kernel/netnsname.h"
#include "networks/network.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* What the API stores must come back: nd_network_save's text through nd_network_load's path. */
static void roundtrip(const struct nd_network *n)
{
	json_t *j = nd_network_json(n), *back = NULL;
	char *text = json_dumps(j, JSON_COMPACT | JSON_SORT_KEYS);
	struct nd_network m;

	json_decref(j);
	if (!text)
		return;
	if (nd_json_parse_bounded(text, strlen(text), ND_JSON_MAX_DEPTH, &back, NULL) < 0 ||
	    nd_network_parse(back, &m, NULL) < 0)
		abort();
	if (nd_network_finish(&m, NULL) < 0 || strcmp(m.name, n->name) || strcmp(m.bridge, n->bridge))
		abort();
	nd_network_clear(&m);
	json_decref(back);
	free(text);
}

static void attach_fields(json_t *body)
{
	const char *netns = json_string_value(json_object_get(body, "netns"));
	const char *id = json_string_value(json_object_get(body, "containerID"));
	const char *ifname = json_string_value(json_object_get(body, "ifname"));
	char path[PATH_MAX];

	if (netns && nd_netns_resolve(netns, path, NULL) >= 0)
		(void)nd_path_is_clean(path);
	if (id)
		(void)nd_cni_valid_id(id);
	if (ifname)
		(void)nd_cni_valid_ifname(ifname);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const keys[] = { "bridge", "subnet", "ipv6" };
	char vals[3][ND_JSON_TOP_MAX];
	struct nd_err *err = NULL;
	struct nd_network n;
	json_t *body = NULL;

	nd_json_top_strings((const char *)data, size, keys, 3, vals);
	for (size_t k = 0; k < 3; k++)
		if (strlen(vals[k]) >= ND_JSON_TOP_MAX)
			abort();
	if (nd_json_parse_bounded((const char *)data, size, ND_JSON_MAX_DEPTH, &body, &err) < 0) {
		nd_err_free(err);
		return 0;
	}
	attach_fields(body);
	if (nd_network_parse(body, &n, &err) >= 0) {
		if (!n.subnet.ip.family)
			(void)nd_cidr_parse(ND_DEFAULT_SUBNET, &n.subnet, NULL);
		if (nd_network_finish(&n, &err) >= 0 && nd_network_check_new(&n, &err) >= 0)
			roundtrip(&n);
		nd_network_clear(&n);
	}
	nd_err_free(err);
	json_decref(body);
	return 0;
}

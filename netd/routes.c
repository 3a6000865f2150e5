/*
 * The REST API's routes and JSON shapes, without HTTP: the daemon (httpd.c) serves them,
 * and the CLI calls them in-process when no daemon runs. Every operation is lib/networks/netops.
 * microhttpd.h is included for its status-code constants only (nothing here links it).
 */
#include "daemon.h"

#include <arpa/inet.h>
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/types.h>

#include <microhttpd.h>

#include "base/cleanup.h"
#include "base/json.h"
#include "base/log.h"
#include "base/strv.h"
#include "kernel/netnsname.h"
#include "portmap/fwcheck.h"

#define answer nd_api_answer

/* An error answer: {"message", "code"} with the code's HTTP status (lib/base/err.c's table). */
struct answer nd_api_fail(int code, const char *msg)
{
	return (struct answer){ nd_code_info(code)->http, json_pack("{s:s, s:i}", "message", msg, "code", code) };
}

static struct answer fail(struct nd_err *e)
{
	struct answer a = nd_api_fail(e ? e->code : ND_ERR_INTERNAL, e && e->msg ? e->msg : "unknown error");

	if (a.status >= 500)
		nd_log(ND_LOG_ERR, "%s", e && e->msg ? e->msg : "unknown error");
	return a;
}

/* A success; a body that could not be built (NULL) makes it a 500, out of memory. */
static struct answer ok(unsigned int status, json_t *body)
{
	if (!body && status != MHD_HTTP_NO_CONTENT)
		return nd_api_fail(ND_ERR_INTERNAL, "out of memory");
	return (struct answer){ status, body };
}

static json_t *network_summary(const struct nd_daemon *d, const struct nd_network *n)
{
	json_t *o = nd_network_json(n);
	bool built = true;

	nd_json_set(o, "attachments", json_integer((json_int_t)nd_op_count(&d->ctx, n->name)), &built);
	return nd_json_built(o, built);
}

static struct answer networks_list(const struct nd_daemon *d)
{
	_cleanup_err_ struct nd_err *e = NULL;
	json_t *arr = json_array();
	char **names = NULL;
	bool built = true;

	if (nd_op_network_names(&d->ctx, &names, &e) < 0) {
		json_decref(arr);
		return fail(e);
	}
	for (size_t i = 0; names[i]; i++) {
		struct nd_network n;

		/* Unusable ones were quarantined (and logged) by the listing; a later loss is skipped. */
		if (nd_network_load(d->ctx.state_dir, names[i], &n, NULL) < 0)
			continue;
		nd_json_append(arr, network_summary(d, &n), &built);
		nd_network_clear(&n);
	}
	nd_strv_free(names);
	return ok(MHD_HTTP_OK, nd_json_built(arr, built));
}

static struct answer network_get(const struct nd_daemon *d, const char *name)
{
	_cleanup_err_ struct nd_err *e = NULL;
	struct nd_network n;
	json_t *o, *atts = NULL;
	bool built = true;

	if (nd_op_network_get(&d->ctx, name, &n, &e) < 0)
		return fail(e);
	if (nd_op_attachments(&d->ctx, name, &atts, &e) < 0) {
		nd_network_clear(&n);
		return fail(e);
	}
	o = network_summary(d, &n);
	nd_json_set(o, "containers", atts, &built);
	nd_network_clear(&n);
	return ok(MHD_HTTP_OK, nd_json_built(o, built));
}

static struct answer network_create(struct nd_daemon *d, json_t *body)
{
	_cleanup_err_ struct nd_err *e = NULL;
	char name[ND_NET_NAME_MAX];
	struct nd_network n;
	json_t *o;

	if (nd_op_network_create(&d->ctx, body, &n, &e) < 0)
		return fail(e);
	/* The network works at once (bridge, gateway), not on its first attachment only. */
	if (nd_op_reapply(&d->ctx, n.name, NULL, &e) < 0)
		nd_log(ND_LOG_WARN, "network '%s': %s", n.name, e->msg);
	nd_log(ND_LOG_INFO, "network '%s' created", n.name);
	/* Reloaded: setting it up may have recorded what netd created. */
	snprintf(name, sizeof(name), "%s", n.name);
	nd_network_clear(&n);
	if (nd_op_network_get(&d->ctx, name, &n, &e) < 0)
		return fail(e);
	o = network_summary(d, &n);
	nd_network_clear(&n);
	if (d->on_change)
		d->on_change(d, name, NULL, true);
	return ok(MHD_HTTP_CREATED, o);
}

static struct answer network_delete(struct nd_daemon *d, const char *name, bool force)
{
	_cleanup_err_ struct nd_err *e = NULL;

	if (!strcmp(name, ND_DEFAULT_NETWORK))
		return nd_api_fail(ND_ERR_REFUSED, "network 'bridge' is the default network");
	if (nd_op_network_delete(&d->ctx, name, force, &e) < 0)
		return fail(e);
	nd_log(ND_LOG_INFO, "network '%s' removed", name);
	if (d->on_change)
		d->on_change(d, name, NULL, false);
	return ok(MHD_HTTP_NO_CONTENT, NULL);
}

/* An optional array of strings (aliases, dns); code 7 when it is something else. */
static int str_list(json_t *body, const char *key, char ***ret, struct nd_err **err)
{
	int r = nd_json_to_strv(json_object_get(body, key), ret);

	if (r == -ENOMEM)
		return nd_oom(err);
	return r < 0 ? nd_err_set(err, ND_CNI_INVALID_CONFIG, EINVAL, "'%s' must be an array of strings", key) : 0;
}

static struct answer attach(struct nd_daemon *d, const char *net, json_t *body)
{
	_cleanup_err_ struct nd_err *e = NULL;
	struct nd_attach_req q = { .network = net };
	_cleanup_strv_ char **aliases = NULL, **dns = NULL;
	struct nd_result res;
	json_t *out;

	if (nd_json_get_str(body, "netns", true, &q.netns, &e) < 0 ||
	    nd_json_get_str(body, "containerID", false, &q.id, &e) < 0 ||
	    nd_json_get_str(body, "ifname", false, &q.ifname, &e) < 0 ||
	    nd_json_get_str(body, "ip", false, &q.ip, &e) < 0 || nd_json_get_str(body, "mac", false, &q.mac, &e) < 0 ||
	    nd_json_get_str(body, "name", false, &q.name, &e) < 0 || str_list(body, "aliases", &aliases, &e) < 0 ||
	    str_list(body, "dns", &dns, &e) < 0)
		return fail(e);
	q.ports = json_object_get(body, "ports");
	q.aliases = (const char *const *)aliases;
	q.dns = (const char *const *)dns;
	nd_result_init(&res);
	if (nd_op_attach(&d->ctx, &q, &res, &e) < 0) {
		nd_result_clear(&res);
		return fail(e);
	}
	out = nd_result_to_json(&res, ND_NET_CNI_VERSION);
	nd_result_clear(&res);
	if (d->on_change && out) {
		char id[65];

		if (!q.id)
			nd_attach_default_id(q.netns, id);
		d->on_change(d, net, q.id ? q.id : id, true);
	}
	return ok(MHD_HTTP_CREATED, out);
}

static struct answer detach(struct nd_daemon *d, const char *net, const char *id, bool netns_dying)
{
	_cleanup_err_ struct nd_err *e = NULL;

	if (nd_op_detach(&d->ctx, net, id, netns_dying, &e) < 0)
		return fail(e);
	if (d->on_change)
		d->on_change(d, net, id, false);
	return ok(MHD_HTTP_NO_CONTENT, NULL);
}

static struct answer attachments(struct nd_daemon *d, const char *net)
{
	_cleanup_err_ struct nd_err *e = NULL;
	json_t *arr = NULL;

	return nd_op_attachments(&d->ctx, net, &arr, &e) < 0 ? fail(e) : ok(MHD_HTTP_OK, arr);
}

/* GET /v1/networks/{name}/names/{name}: {"network","name","addresses"} from the DNS server. */
static struct answer names(struct nd_daemon *d, const char *net, const char *name)
{
	_cleanup_err_ struct nd_err *e = NULL;
	struct nd_network n;
	json_t *found;

	if (nd_op_network_get(&d->ctx, net, &n, &e) < 0)
		return fail(e);
	nd_network_clear(&n);
	if (!d->dns_lookup)
		return nd_api_fail(ND_CNI_UNAVAILABLE, "names resolve only while the daemon runs");
	if (!(found = d->dns_lookup(d, net, name)))
		return nd_api_fail(ND_ERR_INTERNAL, "out of memory");
	if (!json_array_size(found)) {
		json_decref(found);
		return nd_api_fail(ND_ERR_NOT_FOUND, "no such name on the network");
	}
	return ok(MHD_HTTP_OK, json_pack("{s:s, s:s, s:o}", "network", net, "name", name, "addresses", found));
}

static json_t *netns_json(const char *name)
{
	char path[PATH_MAX];

	(void)nd_netns_resolve(name, path, NULL);
	return json_pack("{s:s, s:s}", "name", name, "path", path);
}

static struct answer netns_list(void)
{
	_cleanup_err_ struct nd_err *e = NULL;
	json_t *arr = json_array();
	char **names = NULL;
	bool built = true;

	if (nd_netns_list(&names, NULL, &e) < 0) {
		json_decref(arr);
		return fail(e);
	}
	for (size_t i = 0; names[i]; i++)
		nd_json_append(arr, netns_json(names[i]), &built);
	nd_strv_free(names);
	return ok(MHD_HTTP_OK, nd_json_built(arr, built));
}

static struct answer netns_create(json_t *body)
{
	_cleanup_err_ struct nd_err *e = NULL;
	const char *name = NULL;

	/* netd gc deletes a runtime-named netns that no container owns: not a name to hand out. */
	if (nd_json_get_str(body, "name", true, &name, &e) < 0 ||
	    (nd_netns_runtime_name(name) &&
	     nd_err_set(&e, ND_CNI_INVALID_CONFIG, EINVAL, "netns name '%s' is reserved for netd run's containers", name) < 0) ||
	    nd_netns_create(name, &e) < 0)
		return fail(e);
	return ok(MHD_HTTP_CREATED, netns_json(name));
}

static struct answer netns_delete(const char *name)
{
	_cleanup_err_ struct nd_err *e = NULL;

	return nd_netns_delete(name, &e) < 0 ? fail(e) : ok(MHD_HTTP_NO_CONTENT, NULL);
}

static struct answer maintenance(struct nd_daemon *d, bool gc)
{
	_cleanup_err_ struct nd_err *e = NULL;
	json_t *rep = NULL;
	int r = gc ? nd_op_gc(&d->ctx, &rep, &e) : nd_op_reapply(&d->ctx, NULL, &rep, &e);

	if (r < 0)
		return fail(e);
	/* GC may have released attachments: their names go too (no stale records). */
	if (d->on_change)
		d->on_change(d, NULL, NULL, true);
	nd_log(ND_LOG_INFO, "%s done", gc ? "gc" : "reload");
	return ok(MHD_HTTP_OK, rep);
}

/*
 * Another firewall's forward policy drop (portmap/fwcheck.h), as one sentence, or NULL:
 * looked at when asked (netd status), logged once at start.
 */
const char *nd_firewall_note(void)
{
	static __thread char note[ND_FW_WHAT_MAX + 160]; /* API threads ask at once */
	_cleanup_nfsock_ struct nd_nfsock *s = NULL;
	char what[ND_FW_WHAT_MAX];

	if (nd_nfsock_open(&s, ND_NFSOCK_CLOSE_NOW, NULL) < 0 || nd_fw_forward_drop(s, what, NULL) <= 0)
		return NULL;
	snprintf(note, sizeof(note), "the chain '%s' drops forwarded packets by policy: containers' traffic "
		 "and published ports are dropped unless that firewall accepts them", what);
	return note;
}

static struct answer info(struct nd_daemon *d)
{
	struct answer a = networks_list(d);
	json_t *pools = json_array(), *e;
	json_int_t total = 0;
	char **ns = NULL;
	size_t nns = 0, i;
	bool built = true;

	if (a.status != MHD_HTTP_OK) {
		json_decref(pools);
		return a;
	}
	json_array_foreach(a.body, i, e) {
		total += json_integer_value(json_object_get(e, "attachments"));
		nd_json_append(pools, json_pack("{s:O, s:O}", "subnet", json_object_get(e, "subnet"), "network",
						json_object_get(e, "name")), &built);
	}
	if (!(pools = nd_json_built(pools, built))) {
		json_decref(a.body);
		return ok(MHD_HTTP_OK, NULL);
	}
	if (nd_netns_list(&ns, &nns, NULL) >= 0)
		nd_strv_free(ns);
	return ok(MHD_HTTP_OK, json_pack("{s:s, s:s, s:s, s:o, s:I, s:o, s:I, s:s?}", "version", ND_VERSION, "stateDir",
					 d->ctx.state_dir, "socket", d->socket, "networks", a.body, "attachments",
					 total, "pools", pools, "netns", (json_int_t)nns, "firewall", nd_firewall_note()));
}

/* Split "/v1/a/b/c" into at most 6 segments; false when it does not start with /v1/. */
static size_t split(char *url, char *seg[6])
{
	size_t n = 0;
	char *save = NULL;

	for (char *t = strtok_r(url, "/", &save); t && n < 6; t = strtok_r(NULL, "/", &save))
		seg[n++] = t;
	return n;
}

static bool is(const char *a, const char *b)
{
	return !strcmp(a, b);
}

static struct answer no_method(void)
{
	return nd_api_fail(ND_ERR_METHOD, "method not allowed");
}

static struct answer route_networks(struct nd_daemon *d, const char *m, char **s, size_t n, json_t *body,
				    unsigned int flags)
{
	if (n == 2)
		return is(m, "GET") ? networks_list(d) : is(m, "POST") ? network_create(d, body) : no_method();
	if (!nd_network_valid_name(s[2]))
		return nd_api_fail(ND_CNI_INVALID_CONFIG, "invalid network name");
	if (n == 3)
		return is(m, "GET") ? network_get(d, s[2]) : is(m, "DELETE") ? network_delete(d, s[2], flags & ND_API_FORCE) : no_method();
	if (is(s[3], "names") && n == 5)
		return is(m, "GET") ? names(d, s[2], s[4]) : no_method();
	if (!is(s[3], "attachments"))
		return nd_api_fail(ND_ERR_NOT_FOUND, "no such endpoint");
	if (n == 4)
		return is(m, "GET") ? attachments(d, s[2]) : is(m, "POST") ? attach(d, s[2], body) : no_method();
	if (n == 5)
		return is(m, "DELETE") ? detach(d, s[2], s[4], flags & ND_API_NETNS_DYING) : no_method();
	return nd_api_fail(ND_ERR_NOT_FOUND, "no such endpoint");
}

static bool truthy(const char *v)
{
	return v && (is(v, "1") || is(v, "true"));
}

unsigned int nd_api_flags(const char *force, const char *netns_dying)
{
	return (truthy(force) ? ND_API_FORCE : 0) | (truthy(netns_dying) ? ND_API_NETNS_DYING : 0);
}

struct answer nd_api_route(struct nd_daemon *d, const char *m, const char *url, json_t *body, unsigned int flags)
{
	_cleanup_free_ char *copy = strdup(url);
	char *s[6];
	size_t n = copy ? split(copy, s) : 0;

	if (!copy)
		return nd_api_fail(ND_ERR_INTERNAL, "out of memory");
	if (n < 2 || !is(s[0], "v1"))
		return nd_api_fail(ND_ERR_NOT_FOUND, "no such endpoint");
	if (is(m, "POST") && !json_is_object(body) && !(n == 2 && (is(s[1], "gc") || is(s[1], "reload"))))
		return nd_api_fail(ND_CNI_DECODE, "body must be a JSON object");
	if (n == 2 && is(s[1], "version"))
		return is(m, "GET") ? ok(MHD_HTTP_OK, json_pack("{s:s, s:s, s:s}", "version", ND_VERSION, "apiVersion",
								 ND_API_VERSION, "cniVersion", ND_NET_CNI_VERSION))
				    : no_method();
	if (n == 2 && is(s[1], "info"))
		return is(m, "GET") ? info(d) : no_method();
	if (n == 2 && (is(s[1], "gc") || is(s[1], "reload")))
		return is(m, "POST") ? maintenance(d, is(s[1], "gc")) : no_method();
	if (is(s[1], "networks"))
		return route_networks(d, m, s, n, body, flags);
	if (is(s[1], "netns") && n == 2)
		return is(m, "GET") ? netns_list() : is(m, "POST") ? netns_create(body) : no_method();
	if (is(s[1], "netns") && n == 3)
		return is(m, "DELETE") ? netns_delete(s[2]) : no_method();
	return nd_api_fail(ND_ERR_NOT_FOUND, "no such endpoint");
}

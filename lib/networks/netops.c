#include "networks/netops.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <netlink/route/link.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "base/cleanup.h"
#include "base/dnsname.h"
#include "base/fault.h"
#include "base/json.h"
#include "base/log.h"
#include "base/state.h"
#include "bridge/bridge.h"
#include "cni/cni.h"
#include "ipam/ipam.h"
#include "kernel/addr.h"
#include "kernel/link.h"
#include "kernel/netns.h"
#include "kernel/netnsname.h"
#include "kernel/iso.h"
#include "kernel/nft.h"
#include "kernel/nftbatch.h"
#include "kernel/nl.h"
#include "kernel/sysctl.h"
#include "networks/netports.h"

/* Elements per nftables transaction when re-applying: keeps each batch well under a page set. */
#define REAPPLY_CHUNK 64

void nd_ctx_from_env(struct nd_ctx *c)
{
	const char *v;

	memset(c, 0, sizeof(*c));
	c->state_dir = nd_state_dir();
	c->ipam_dir = (v = getenv("NETD_IPAM_DIR")) && *v ? v : NULL;
	c->cni_cache_dir = (v = getenv("NETD_CNI_CACHE_DIR")) && *v ? v : ND_CNI_CACHE_DIR;
	c->cni_path = getenv("CNI_PATH");
}

void nd_attach_default_id(const char *netns, char ret[65])
{
	const char *base = netns ? strrchr(netns, '/') : NULL;
	uint64_t h = 1469598103934665603ull;

	base = base ? base + 1 : netns;
	if (base && strlen(base) < 65 && nd_cni_valid_id(base)) {
		strcpy(ret, base);
		return;
	}
	for (const char *p = netns ? netns : ""; *p; p++)
		h = (h ^ (unsigned char)*p) * 1099511628211ull;
	snprintf(ret, 65, "ns%016llx", (unsigned long long)h);
}

static void rec_dir(const struct nd_ctx *c, const char *network, char ret[PATH_MAX])
{
	snprintf(ret, PATH_MAX, "%s/attachments/%s", c->state_dir, network);
}

static void rec_path(const struct nd_ctx *c, const char *network, const char *id, char ret[PATH_MAX])
{
	snprintf(ret, PATH_MAX, "%s/attachments/%s/%s.json", c->state_dir, network, id);
}

/*
 * A pending record only has to survive the process being killed: after a power cut the
 * kernel objects it guards are gone too, and GC releases a lease no record names.
 */
/*
 * Records are written whole (rename) but not fsync'd: they must survive a killed process,
 * which the page cache guarantees, while what they describe (a veth, a netns) does not
 * survive the power cut that fsync would guard against. An fsync per attach cost ms.
 */
static int rec_write(const struct nd_ctx *c, const char *network, json_t *rec, struct nd_err **err)
{
	char dir[PATH_MAX], path[PATH_MAX];
	_cleanup_free_ char *text = json_dumps(rec, JSON_COMPACT | JSON_SORT_KEYS);
	int r;

	if (!text)
		return nd_oom(err);
	rec_dir(c, network, dir);
	rec_path(c, network, json_string_value(json_object_get(rec, "containerID")), path);
	if ((r = nd_state_mkdirs(dir, 0700, err)) < 0)
		return r;
	return nd_state_write_volatile(path, text, strlen(text), err);
}

/* -ENOENT (err untouched) when there is no record. */
static int rec_read(const struct nd_ctx *c, const char *network, const char *id, json_t **ret, struct nd_err **err)
{
	_cleanup_free_ char *buf = NULL;
	char path[PATH_MAX];
	json_error_t jerr;
	int r;

	rec_path(c, network, id, path);
	if ((r = nd_state_read(path, &buf, NULL, err)) < 0)
		return r;
	*ret = json_loads(buf, 0, &jerr);
	if (!json_is_object(*ret)) {
		json_decref(*ret);
		return nd_err_set(err, ND_ERR_INTERNAL, EINVAL, "attachment record '%s': %s", path, jerr.text);
	}
	return 0;
}

static int rec_remove(const struct nd_ctx *c, const char *network, const char *id, struct nd_err **err)
{
	char path[PATH_MAX];

	rec_path(c, network, id, path);
	if (unlink(path) < 0 && errno != ENOENT)
		return nd_err_set(err, ND_ERR_INTERNAL, errno, "removing '%s'", path);
	return 0;
}

/* Container IDs with a record (a crashed write's temporary file is not one). */
static int rec_ids(const struct nd_ctx *c, const char *network, char ***ret, size_t *ret_n, struct nd_err **err)
{
	char dir[PATH_MAX];

	rec_dir(c, network, dir);
	return nd_state_list(dir, ".json", nd_cni_valid_id, ret, ret_n, err);
}

bool nd_op_attached(const struct nd_ctx *c, const char *network, const char *id)
{
	char path[PATH_MAX];

	if (!nd_network_valid_name(network) || !nd_cni_valid_id(id) || strlen(id) > ND_OP_ID_MAX)
		return false;
	rec_path(c, network, id, path);
	return access(path, F_OK) == 0;
}

static void note(const struct nd_ctx *c, enum nd_log_level level, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static void note(const struct nd_ctx *c, enum nd_log_level level, const char *fmt, ...)
{
	char msg[1024];
	va_list ap;

	if (!c->notify)
		return;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	c->notify(level, msg);
}

/* A report: {"errors":[], "quarantined":[]} plus the counts of the operation. */
static json_t *report_new(void)
{
	return json_pack("{s:[], s:[]}", "errors", "quarantined");
}

/* One network skipped: into the report and to the edge's log. */
static void report_error(const struct nd_ctx *c, json_t *rep, const char *network, const struct nd_err *e)
{
	const char *msg = e && e->msg ? e->msg : "failed";

	note(c, ND_LOG_ERR, "network '%s' skipped: %s", network, msg);
	/* Logged first: out of memory, the report can only lose the entry. */
	if (rep)
		json_array_append_new(json_object_get(rep, "errors"),
				      json_pack("{s:s, s:s}", "network", network, "message", msg));
}

/*
 * nd_network_load under the state lock; a file that exists but cannot be used is moved
 * aside (lib/networks/network.h) so it never again fails the others, and the caller hears "not
 * found, quarantined".
 */
static int load_net(const struct nd_ctx *c, const char *name, struct nd_network *ret, json_t *rep,
		    struct nd_err **err)
{
	_cleanup_err_ struct nd_err *e = NULL;
	char file[PATH_MAX];
	int r = nd_network_load(c->state_dir, name, ret, &e);

	if (r == -ENOENT && nd_network_is_reserved(c->state_dir, name))
		return nd_err_set(err, ND_ERR_NOT_FOUND, ENOENT,
				  "network '%s' is quarantined: its state was unusable (networks/%s.reserved)", name, name);
	if (r != -EBADMSG) {
		if (r < 0 && err && !*err)
			*err = TAKE_PTR(e);
		return r;
	}
	if ((r = nd_network_quarantine(c->state_dir, name, file, err)) < 0)
		return nd_err_wrap(err, "%s", e->msg);
	note(c, ND_LOG_ERR, "%s; moved aside to '%s', its name and subnet stay reserved", e->msg, file);
	if (rep)
		json_array_append_new(json_object_get(rep, "quarantined"),
				      json_pack("{s:s, s:s, s:s}", "network", name, "file", file, "message", e->msg));
	return nd_err_set(err, ND_ERR_NOT_FOUND, ENOENT, "network '%s' is quarantined: %s", name, e->msg);
}

/* Quarantine every network whose file cannot be used; the names of the others. */
static int sweep(const struct nd_ctx *c, json_t *rep, char ***ret, struct nd_err **err)
{
	char **names = NULL, **good = NULL;
	size_t n = 0, k = 0;
	int r = nd_network_list(c->state_dir, &names, &n, err);

	if (r >= 0 && !(good = calloc(n + 1, sizeof(*good))))
		r = nd_oom(err);
	for (size_t i = 0; r >= 0 && i < n; i++) {
		struct nd_network net;

		if (load_net(c, names[i], &net, rep, NULL) < 0)
			continue;
		nd_network_clear(&net);
		good[k++] = TAKE_PTR(names[i]);
	}
	/* Not nd_strv_free: the names taken left holes, which would end its walk early. */
	for (size_t i = 0; i < n; i++)
		free(names ? names[i] : NULL);
	free(names);
	if (r < 0) {
		nd_strv_free(good);
		return r;
	}
	if (ret)
		*ret = good;
	else
		nd_strv_free(good);
	return 0;
}

/*
 * Under the state lock, after a sweep: fn for each usable network (or only the one named
 * only). A network that cannot be loaded or whose fn fails goes into rep's errors, logged,
 * and the others go on (docs/daemon.md); *ret_done counts the ones fn did.
 */
static int each_network(const struct nd_ctx *c, const char *only, json_t *rep,
			int (*fn)(const struct nd_ctx *c, struct nd_network *n, void *ud, struct nd_err **err), void *ud,
			size_t *ret_done, struct nd_err **err)
{
	char **names = NULL;
	int r = sweep(c, rep, &names, err);

	for (size_t i = 0; r >= 0 && names[i]; i++) {
		_cleanup_err_ struct nd_err *e = NULL;
		struct nd_network n;

		if (only && strcmp(only, names[i]))
			continue;
		if (load_net(c, names[i], &n, rep, &e) < 0) {
			report_error(c, rep, names[i], e);
			continue;
		}
		if (fn(c, &n, ud, &e) < 0)
			report_error(c, rep, names[i], e);
		else if (ret_done)
			(*ret_done)++;
		nd_network_clear(&n);
	}
	nd_strv_free(names);
	return r;
}

/* The report's counts, then the report to *ret_report (when wanted). */
static int report_done(json_t **rep, const char *k1, size_t v1, const char *k2, size_t v2, json_t **ret_report,
		       struct nd_err **err)
{
	if (json_object_set_new(*rep, k1, json_integer((json_int_t)v1)) < 0 ||
	    json_object_set_new(*rep, k2, json_integer((json_int_t)v2)) < 0)
		return nd_oom(err);
	if (ret_report)
		*ret_report = TAKE_PTR(*rep);
	return 0;
}

int nd_op_network_get(const struct nd_ctx *c, const char *name, struct nd_network *ret, struct nd_err **err)
{
	_cleanup_close_ int lock = -1;
	int r = nd_state_lock(c->state_dir, &lock, err);

	return r < 0 ? r : load_net(c, name, ret, NULL, err);
}

int nd_op_network_names(const struct nd_ctx *c, char ***ret, struct nd_err **err)
{
	_cleanup_close_ int lock = -1;
	int r = nd_state_lock(c->state_dir, &lock, err);

	return r < 0 ? r : sweep(c, NULL, ret, err);
}

size_t nd_op_count(const struct nd_ctx *c, const char *network)
{
	char **ids = NULL;
	size_t n = 0;

	if (rec_ids(c, network, &ids, &n, NULL) < 0)
		return 0;
	nd_strv_free(ids);
	return n;
}

/* A CNI request for the in-process netd-bridge, borrowing everything from its arguments. */
static void make_req(const struct nd_ctx *c, const struct nd_network *n, enum nd_cni_cmd cmd, json_t *conf,
		     const char *id, const char *ifname, const char *netns, const char *args, struct nd_cni_req *q)
{
	*q = (struct nd_cni_req){ .cmd = cmd, .container_id = id, .netns = netns, .ifname = ifname, .args = args,
				  .path = c->cni_path ? c->cni_path : "", .conf = conf,
				  .version = ND_NET_CNI_VERSION, .name = n->name, .type = "netd-bridge",
				  .prev_result = json_object_get(conf, "prevResult") };
}

/* DEL through lib/bridge: idempotent, works without the netns (lease store, comments). */
static int release(const struct nd_ctx *c, const struct nd_network *n, json_t *rec, bool netns_dying,
		   struct nd_err **err)
{
	_cleanup_json_ json_t *conf = nd_network_cni_conf(n, c->ipam_dir);
	const char *id = json_string_value(json_object_get(rec, "containerID"));
	const char *ifname = json_string_value(json_object_get(rec, "ifname"));
	const char *netns = json_string_value(json_object_get(rec, "netns"));
	json_t *result = json_object_get(rec, "result");
	struct nd_cni_req q;

	if (!id || !ifname)
		return nd_err_set(err, ND_ERR_INTERNAL, EINVAL, "attachment record without containerID or ifname");
	if (!conf || (json_is_object(result) && json_object_set(conf, "prevResult", result) < 0))
		return nd_oom(err);
	/* Published ports first: their elements name this attachment, which is about to go. */
	if (nd_netports_any(json_object_get(rec, "ports")) && nd_netports_unpublish(n->name, id, ifname, err) < 0)
		return -EIO;
	make_req(c, n, ND_CMD_DEL, conf, id, ifname, netns, NULL, &q);
	/* A dying netns takes the veth along, and a child waits out the nft close (bridge.h). */
	return nd_bridge_del_with(&q, &(struct nd_bridge_del_opts){ .keep_link = netns_dying,
				  .nft_close = netns_dying ? ND_NFSOCK_CLOSE_DEFERRED : ND_NFSOCK_CLOSE_NOW }, err);
}

/* Ownership recorded in the state as it is taken: what netd creates, netd may remove. */
static int record_owner(const struct nd_ctx *c, struct nd_network *n, bool created, bool added4, bool added6,
			struct nd_err **err)
{
	bool changed = false;

	/* An adopted bridge that vanished and that we made anew is ours from now on. */
	if (created && !n->own_bridge)
		n->own_bridge = changed = true;
	if (!n->own_bridge && added4 && !n->own_gw)
		n->own_gw = changed = true;
	if (!n->own_bridge && added6 && !n->own_gw6)
		n->own_gw6 = changed = true;
	return changed ? nd_network_save(c->state_dir, n, err) : 0;
}

/* Gateway addresses, forwarding and the bridge itself: what the first ADD would create. */
static int setup_network(const struct nd_ctx *c, struct nd_network *n, struct nd_err **err)
{
	_cleanup_nl_sock_ struct nl_sock *sk = NULL;
	struct nd_bridge_opts o = { .name = n->bridge, .mtu = n->mtu };
	struct nd_cidr gw = { .ip = n->gateway, .len = n->subnet.len };
	struct nd_cidr gw6 = { .ip = n->gateway6, .len = n->subnet6.len };
	int idx = 0, created = 0, a4 = 0, a6 = 0, r;

	if ((r = nd_nl_open(-1, &sk, err)) < 0 || (r = created = nd_bridge_ensure(sk, &o, &idx, NULL, err)) < 0 ||
	    (r = a4 = nd_addr_add(sk, idx, &gw, true, err)) < 0 ||
	    (n->subnet6.ip.family && (r = a6 = nd_addr_add(sk, idx, &gw6, true, err)) < 0) ||
	    (r = record_owner(c, n, created == 1, a4 == 1, a6 == 1, err)) < 0)
		return nd_err_wrap(err, "network '%s': bridge '%s'", n->name, n->bridge);
	if ((r = nd_sysctl_ensure("net/ipv4/ip_forward", "1", err)) < 0 ||
	    (n->subnet6.ip.family && (r = nd_sysctl_ensure("net/ipv6/conf/all/forwarding", "1", err)) < 0))
		return nd_err_wrap(err, "network '%s'", n->name);
	return 0;
}

/*
 * Whose the bridge is, decided once when the network is made (as Docker records a bridge
 * the user made): absent, netd will create it and owns it; an existing bridge is adopted
 * and never removed; anything else under that name is refused.
 */
static int probe_bridge(struct nd_network *n, struct nd_err **err)
{
	_cleanup_nl_sock_ struct nl_sock *sk = NULL;
	bool is_bridge = false;
	int r = nd_nl_open(-1, &sk, err);

	if (r >= 0)
		r = nd_link_get(sk, n->bridge, NULL, NULL, NULL, &is_bridge, err);
	if (r == -ENODEV) {
		n->own_bridge = true;
		return 0;
	}
	if (r < 0)
		return r;
	if (!is_bridge)
		return nd_err_set(err, ND_CNI_INVALID_CONFIG, EEXIST,
				  "bridge '%s': an interface of that name exists and is not a bridge", n->bridge);
	n->own_bridge = false;
	return 0;
}

static int write_conflist(const struct nd_ctx *c, const struct nd_network *n, struct nd_err **err)
{
	char path[PATH_MAX];
	_cleanup_json_ json_t *j = NULL;
	_cleanup_free_ char *text = NULL;
	int r;

	if (!c->cni_conf_dir)
		return 0;
	j = nd_network_conflist(n, c->ipam_dir);
	if (!j || !(text = json_dumps(j, JSON_INDENT(2))))
		return nd_oom(err);
	snprintf(path, sizeof(path), "%s/netd-%s.conflist", c->cni_conf_dir, n->name);
	if ((r = nd_state_mkdirs(c->cni_conf_dir, 0755, err)) < 0)
		return r;
	return nd_state_write(path, text, strlen(text), err);
}

static int create_locked(const struct nd_ctx *c, json_t *spec, struct nd_network *ret, struct nd_err **err)
{
	struct nd_network n;
	int r = sweep(c, NULL, NULL, err);

	if (r < 0 || (r = nd_network_parse(spec, &n, err)) < 0)
		return r;
	if (!n.subnet.ip.family) {
		struct nd_cidr def;

		(void)nd_cidr_parse(ND_DEFAULT_SUBNET, &def, NULL);
		r = nd_network_pick_subnet(c->state_dir, strcmp(n.name, ND_DEFAULT_NETWORK) ? NULL : &def, &n.subnet,
					   err);
	}
	if (r >= 0 && (r = nd_network_finish(&n, err)) >= 0 && (r = nd_network_check_new(&n, err)) >= 0 &&
	    (r = nd_network_check_unique(c->state_dir, &n, err)) >= 0 && (r = probe_bridge(&n, err)) >= 0 &&
	    (r = nd_network_save(c->state_dir, &n, err)) >= 0)
		r = write_conflist(c, &n, err);
	if (r < 0) {
		nd_network_clear(&n);
		return r;
	}
	*ret = n;
	return 0;
}

int nd_op_network_create(const struct nd_ctx *c, json_t *spec, struct nd_network *ret, struct nd_err **err)
{
	_cleanup_close_ int lock = -1;
	int r = nd_state_lock(c->state_dir, &lock, err);

	return r < 0 ? r : create_locked(c, spec, ret, err);
}

static int default_locked(const struct nd_ctx *c, struct nd_network *ret, struct nd_err **err)
{
	_cleanup_json_ json_t *spec = NULL;
	_cleanup_err_ struct nd_err *e = NULL;
	int r = load_net(c, ND_DEFAULT_NETWORK, ret, NULL, &e);

	/* Quarantined, the default network stays away until an operator has looked at it. */
	if (r != -ENOENT || nd_network_is_reserved(c->state_dir, ND_DEFAULT_NETWORK)) {
		if (r < 0 && err && !*err)
			*err = TAKE_PTR(e);
		return r;
	}
	spec = json_pack("{s:s, s:s, s:b}", "name", ND_DEFAULT_NETWORK, "bridge", ND_DEFAULT_BRIDGE, "ipMasq", 1);
	return spec ? create_locked(c, spec, ret, err) : nd_oom(err);
}

int nd_op_network_default(const struct nd_ctx *c, struct nd_network *ret, struct nd_err **err)
{
	_cleanup_close_ int lock = -1;
	int r = nd_state_lock(c->state_dir, &lock, err);

	return r < 0 ? r : default_locked(c, ret, err);
}

/* The network of a request, the default one created on first use like the daemon does. */
static int load_network(const struct nd_ctx *c, const char *name, struct nd_network *ret, struct nd_err **err)
{
	if (!name || !strcmp(name, ND_DEFAULT_NETWORK))
		return default_locked(c, ret, err);
	return load_net(c, name, ret, NULL, err);
}

/*
 * The intent goes to disk before anything is released: a process killed halfway leaves a
 * "detaching" record, which recovery (nd_op_gc) and the next attach of the ID finish, not
 * a "ready" one whose veth is gone (fault points detach-intent, then the bridge's DEL
 * points, then detach-record).
 */
static int detach_locked(const struct nd_ctx *c, const struct nd_network *n, const char *id, bool netns_dying,
			 struct nd_err **err)
{
	_cleanup_json_ json_t *rec = NULL;
	int r = rec_read(c, n->name, id, &rec, err);

	if (r == -ENOENT)
		return 0;
	if (r >= 0 && strcmp(json_string_value(json_object_get(rec, "state")) ?: "", "detaching"))
		r = json_object_set_new(rec, "state", json_string("detaching")) < 0 ? nd_oom(err)
										: rec_write(c, n->name, rec, err);
	if (r >= 0 && (r = nd_fault("detach-intent", err)) >= 0 && (r = release(c, n, rec, netns_dying, err)) >= 0)
		r = nd_fault("detach-record", err);
	if (r < 0)
		return nd_err_wrap(err, "detach '%s' from network '%s'", id, n->name);
	return rec_remove(c, n->name, id, err);
}

static int request_args(const struct nd_attach_req *req, char ret[256], struct nd_err **err)
{
	int at = 0;

	for (const char *const *v = (const char *const[]){ req->ip, req->mac, NULL }; *v; v++)
		if (strpbrk(*v, ";= ") || strlen(*v) > 64)
			return nd_err_set(err, ND_CNI_INVALID_CONFIG, EINVAL, "'%s' is not an address", *v);
	if (req->ip)
		at = snprintf(ret, 256, "IP=%s", req->ip);
	if (req->mac)
		snprintf(ret + at, 256 - (size_t)at, "%sMAC=%s", at ? ";" : "", req->mac);
	return 0;
}

/* The DNS names and upstreams of an attachment: at most 32 aliases and 3 servers (resolv.conf's MAXNS). */
static int check_names(const struct nd_attach_req *req, struct nd_err **err)
{
	size_t n = 0;
	struct nd_ip ip;

	if (req->name && !nd_dns_name_valid(req->name))
		return nd_err_set(err, ND_CNI_INVALID_CONFIG, EINVAL, "name '%s' is not a valid DNS name", req->name);
	for (const char *const *v = req->aliases; v && *v; v++, n++)
		if (!nd_dns_name_valid(*v) || n >= 32)
			return nd_err_set(err, ND_CNI_INVALID_CONFIG, EINVAL, "alias '%s' is not a valid DNS name (or more than 32)", *v);
	n = 0;
	for (const char *const *v = req->dns; v && *v; v++, n++)
		if (nd_ip_parse(*v, &ip, NULL) < 0 || n >= 3)
			return nd_err_set(err, ND_CNI_INVALID_CONFIG, EINVAL, "dns server '%s' is not an address (or more than 3)", *v);
	return 0;
}

static int check_attach_req(const struct nd_ctx *c, const struct nd_attach_req *req, const char *id,
			    const char *ifname, char netns[PATH_MAX], struct nd_err **err)
{
	int r;

	if (!nd_cni_valid_id(id) || strlen(id) > ND_OP_ID_MAX)
		return nd_err_set(err, ND_CNI_INVALID_CONFIG, EINVAL, "container ID '%s' is invalid", id);
	if (!nd_cni_valid_ifname(ifname))
		return nd_err_set(err, ND_CNI_INVALID_CONFIG, EINVAL, "interface name '%s' is invalid", ifname);
	if (req->network && !nd_network_valid_name(req->network))
		return nd_err_set(err, ND_CNI_INVALID_CONFIG, EINVAL, "network name '%s' is invalid", req->network);
	if ((r = check_names(req, err)) < 0)
		return r;
	if ((r = nd_netns_resolve(req->netns, netns, err)) < 0)
		return r;
	return nd_netns_check_attachable(netns, c->netns_allow, err);
}

static json_t *strv_json(const char *const *v)
{
	json_t *a = json_array();
	bool ok = true;

	for (; v && *v; v++)
		nd_json_append(a, json_string(*v), &ok);
	return nd_json_built(a, ok);
}

/* Names for the DNS server: optional fields, so older records still load. */
static void record_names(json_t *o, const struct nd_attach_req *req, bool *ok)
{
	if (req->name)
		nd_json_set(o, "name", json_string(req->name), ok);
	if (req->aliases && req->aliases[0])
		nd_json_set(o, "aliases", strv_json(req->aliases), ok);
	if (req->dns && req->dns[0])
		nd_json_set(o, "dns", strv_json(req->dns), ok);
}

static json_t *record(const struct nd_attach_req *req, const char *id, const char *ifname, const char *netns,
		      const struct nd_result *res)
{
	json_t *o = json_pack("{s:s, s:s, s:s, s:s}", "containerID", id, "ifname", ifname, "netns", netns, "state",
			      res ? "ready" : "pending");
	bool ok = true;

	/* Recorded before they exist (pending too): a crashed attach's DEL then removes them. */
	if (nd_netports_any(req->ports))
		nd_json_set(o, "ports", json_incref(req->ports), &ok);
	record_names(o, req, &ok);
	if (res)
		nd_json_set(o, "result", nd_result_to_json(res, ND_NET_CNI_VERSION), &ok);
	return nd_json_built(o, ok);
}

static int attach_locked(const struct nd_ctx *c, const struct nd_network *n, const struct nd_attach_req *req,
			 const char *id, const char *ifname, const char *netns, struct nd_result *ret,
			 struct nd_err **err)
{
	_cleanup_json_ json_t *old = NULL, *pending = NULL, *done = NULL, *conf = NULL;
	struct nd_cni_req q;
	char args[256] = "";
	int r = rec_read(c, n->name, id, &old, err);

	if (r >= 0 && !strcmp(json_string_value(json_object_get(old, "state")) ?: "", "ready"))
		return nd_err_set(err, ND_ERR_EXISTS, EEXIST, "container '%s' is attached to network '%s' already",
				  id, n->name);
	/* A pending record is a crashed attach, a detaching one a crashed detach: finish undoing it. */
	if (r >= 0 && (r = detach_locked(c, n, id, false, err)) < 0)
		return r;
	if (r < 0 && r != -ENOENT)
		return r;
	if ((r = request_args(req, args, err)) < 0 || (r = nd_netports_check(req->ports, err)) < 0)
		return r;
	pending = record(req, id, ifname, netns, NULL);
	conf = nd_network_cni_conf(n, c->ipam_dir);
	if (!pending || !conf)
		return nd_oom(err);
	if ((r = rec_write(c, n->name, pending, err)) < 0)
		return r;
	make_req(c, n, ND_CMD_ADD, conf, id, ifname, netns, args[0] ? args : NULL, &q);
	r = nd_bridge_add(&q, ret, err);
	if (r >= 0 && (r = nd_netports_publish(n->name, id, ifname, netns, ret, req->ports, err)) < 0)
		(void)nd_bridge_del(&q, NULL);
	else if (r >= 0) {
		done = record(req, id, ifname, netns, ret);
		/* Unrecorded, the attachment would be no one's: undo it. */
		if ((r = done ? rec_write(c, n->name, done, err) : nd_oom(err)) < 0) {
			(void)nd_netports_unpublish(n->name, id, ifname, NULL);
			(void)nd_bridge_del(&q, NULL);
		}
	}
	if (r < 0) {
		(void)rec_remove(c, n->name, id, NULL);
		return nd_err_wrap(err, "attach '%s' to network '%s'", id, n->name);
	}
	return 0;
}

int nd_op_attach(const struct nd_ctx *c, const struct nd_attach_req *req, struct nd_result *ret,
		 struct nd_err **err)
{
	_cleanup_close_ int lock = -1;
	const char *ifname = req->ifname ? req->ifname : "eth0";
	char id[65], netns[PATH_MAX];
	struct nd_network n;
	int r;

	if (req->id)
		snprintf(id, sizeof(id), "%s", req->id);
	else
		nd_attach_default_id(req->netns, id);
	if ((r = check_attach_req(c, req, req->id ? req->id : id, ifname, netns, err)) < 0 ||
	    (r = nd_state_lock(c->state_dir, &lock, err)) < 0 || (r = load_network(c, req->network, &n, err)) < 0)
		return r;
	r = attach_locked(c, &n, req, req->id ? req->id : id, ifname, netns, ret, err);
	nd_network_clear(&n);
	return r;
}

int nd_op_detach(const struct nd_ctx *c, const char *network, const char *id, bool netns_dying,
		 struct nd_err **err)
{
	_cleanup_close_ int lock = -1;
	struct nd_network n;
	int r;

	if (!id || !nd_cni_valid_id(id))
		return nd_err_set(err, ND_CNI_INVALID_CONFIG, EINVAL, "container ID '%s' is invalid", id ? id : "");
	/* Attach refuses such an ID (check_attach_req): nothing to detach, as for any unknown ID. */
	if (strlen(id) > ND_OP_ID_MAX)
		return 0;
	if ((r = nd_state_lock(c->state_dir, &lock, err)) < 0 ||
	    (r = load_net(c, network ? network : ND_DEFAULT_NETWORK, &n, NULL, err)) < 0)
		return r;
	r = detach_locked(c, &n, id, netns_dying, err);
	nd_network_clear(&n);
	return r;
}

int nd_op_attachment(const struct nd_ctx *c, const char *network, const char *id, json_t **ret, struct nd_err **err)
{
	if (!nd_network_valid_name(network) || !nd_cni_valid_id(id) || strlen(id) > ND_OP_ID_MAX)
		return nd_err_set(err, ND_ERR_NOT_FOUND, ENOENT, "no attachment '%s' on network '%s'", id, network);
	return rec_read(c, network, id, ret, err);
}

int nd_op_attachments(const struct nd_ctx *c, const char *network, json_t **ret, struct nd_err **err)
{
	_cleanup_json_ json_t *arr = json_array();
	_cleanup_close_ int lock = -1;
	char **ids = NULL;
	struct nd_network n;
	bool ok = true;
	int r = nd_state_lock(c->state_dir, &lock, err);

	if (r < 0 || (r = load_net(c, network, &n, NULL, err)) < 0)
		return r;
	nd_network_clear(&n);
	if ((r = rec_ids(c, network, &ids, NULL, err)) < 0)
		return r;
	for (size_t i = 0; ids[i]; i++) {
		json_t *rec = NULL;

		if (rec_read(c, network, ids[i], &rec, NULL) >= 0)
			nd_json_append(arr, rec, &ok);
	}
	nd_strv_free(ids);
	if (!(*ret = nd_json_built(TAKE_PTR(arr), ok)))
		return nd_oom(err);
	return 0;
}

/* The lease directory keeps only its lock and cursor files once every lease is gone. */
static void remove_ipam_dir(const struct nd_ctx *c, const char *network)
{
	char dir[PATH_MAX], p[PATH_MAX * 2];
	struct dirent *e;
	DIR *d;

	snprintf(dir, sizeof(dir), "%s/%s", c->ipam_dir ? c->ipam_dir : ND_DEFAULT_DATADIR, network);
	if (!(d = opendir(dir)))
		return;
	while ((e = readdir(d)))
		if (!strcmp(e->d_name, "lock") || !strncmp(e->d_name, "last_reserved_ip.", 17)) {
			snprintf(p, sizeof(p), "%s/%s", dir, e->d_name);
			(void)unlink(p);
		}
	closedir(d);
	snprintf(p, sizeof(p), "%s/attach", dir);
	(void)rmdir(p);
	(void)rmdir(dir);
}

/*
 * The bridge goes only when netd created it. Docker leaves a bridge the user made alone on
 * network rm; so do we, and of its addresses remove only the gateway netd added, whose
 * connected route would otherwise keep the subnet looking taken.
 */
static int teardown_bridge(const struct nd_network *n, struct nd_err **err)
{
	_cleanup_nl_sock_ struct nl_sock *sk = NULL;
	struct nd_cidr gw = { .ip = n->gateway, .len = n->subnet.len };
	struct nd_cidr gw6 = { .ip = n->gateway6, .len = n->subnet6.len };
	bool is_bridge = false;
	int idx = 0, r = nd_nl_open(-1, &sk, err);

	if (r < 0 || (r = nd_link_get(sk, n->bridge, &idx, NULL, NULL, &is_bridge, err)) == -ENODEV)
		return r == -ENODEV ? 0 : r;
	/* Not a bridge under our bridge's name: someone else's since a reboot, never ours to delete. */
	if (r < 0 || !is_bridge)
		return r;
	if (n->own_bridge)
		return nd_link_del(sk, n->bridge, err);
	if (r >= 0 && n->own_gw)
		r = nd_addr_del(sk, idx, &gw, err);
	if (r >= 0 && n->own_gw6 && n->subnet6.ip.family)
		r = nd_addr_del(sk, idx, &gw6, err);
	return r;
}

static int teardown_network(const struct nd_ctx *c, const struct nd_network *n, struct nd_err **err)
{
	_cleanup_nfsock_ struct nd_nfsock *nft = NULL;
	char path[PATH_MAX];
	int r;

	if ((r = teardown_bridge(n, err)) < 0)
		return nd_err_wrap(err, "bridge '%s'", n->bridge);
	if ((r = nd_nfsock_open(&nft, ND_NFSOCK_CLOSE_NOW, err)) < 0 || (r = nd_nft_subnet_del(nft, &n->subnet, err)) < 0 ||
	    (n->subnet6.ip.family && (r = nd_nft_subnet_del(nft, &n->subnet6, err)) < 0))
		return nd_err_wrap(err, "masquerade chain of network '%s'", n->name);
	if ((r = nd_iso_del(nft, n->bridge, err)) < 0)
		return nd_err_wrap(err, "isolation of network '%s'", n->name);
	remove_ipam_dir(c, n->name);
	rec_dir(c, n->name, path);
	(void)rmdir(path);
	if (c->cni_conf_dir) {
		snprintf(path, sizeof(path), "%s/netd-%s.conflist", c->cni_conf_dir, n->name);
		(void)unlink(path);
	}
	return nd_network_remove(c->state_dir, n->name, err);
}

int nd_op_network_delete(const struct nd_ctx *c, const char *name, bool force, struct nd_err **err)
{
	_cleanup_close_ int lock = -1;
	char **ids = NULL;
	struct nd_network n;
	size_t cnt = 0;
	int r;

	if ((r = nd_state_lock(c->state_dir, &lock, err)) < 0 || (r = load_net(c, name, &n, NULL, err)) < 0)
		return r;
	if ((r = rec_ids(c, name, &ids, &cnt, err)) >= 0 && cnt && !force)
		r = nd_err_set(err, ND_ERR_BUSY, EBUSY, "network '%s' has %zu attachment%s", name, cnt,
			       cnt == 1 ? "" : "s");
	for (size_t i = 0; r >= 0 && i < cnt; i++)
		r = detach_locked(c, &n, ids[i], false, err);
	if (r >= 0)
		r = teardown_network(c, &n, err);
	nd_strv_free(ids);
	nd_network_clear(&n);
	return r;
}

/* The masquerade entries of every ready record of n, re-added a chunk per transaction. */
static int reapply_masq(const struct nd_ctx *c, const struct nd_network *n, struct nd_nfsock *nft, size_t *ret_n,
			struct nd_err **err)
{
	struct nd_masq m[REAPPLY_CHUNK + ND_MAX_IPS];
	json_t *recs[REAPPLY_CHUNK + ND_MAX_IPS];
	size_t nm = 0, nrec = 0;
	char **ids = NULL;
	int r = rec_ids(c, n->name, &ids, NULL, err);

	for (size_t i = 0; r >= 0 && ids[i]; i++) {
		struct nd_result res;
		json_t *rec = NULL;

		if (rec_read(c, n->name, ids[i], &rec, NULL) < 0)
			continue;
		recs[nrec++] = rec;
		/* A pending or detaching record's element is GC's to remove, not ours to restore. */
		if (!strcmp(json_string_value(json_object_get(rec, "state")) ?: "", "ready") &&
		    nd_result_from_json(json_object_get(rec, "result"), &res, NULL) >= 0) {
			for (size_t k = 0; k < res.n_ips; k++)
				m[nm++] = (struct nd_masq){ .addr = res.ips[k].addr, .network = n->name,
							    .id = json_string_value(json_object_get(rec, "containerID")),
							    .ifname = json_string_value(json_object_get(rec, "ifname")) };
			nd_result_clear(&res);
		}
		if (nm >= REAPPLY_CHUNK || !ids[i + 1]) {
			if (nm)
				r = nd_nft_masq_add(nft, m, nm, NULL, err);
			*ret_n += nm;
			nm = 0;
			while (nrec)
				json_decref(recs[--nrec]);
		}
	}
	nd_strv_free(ids);
	return r;
}

/* The published ports of every ready record of n, each attachment's in its own transaction. */
static int reapply_ports(const struct nd_ctx *c, const struct nd_network *n, struct nd_err **err)
{
	char **ids = NULL;
	int r = rec_ids(c, n->name, &ids, NULL, err);

	for (size_t i = 0; r >= 0 && ids[i]; i++) {
		json_t *rec = NULL;

		if (rec_read(c, n->name, ids[i], &rec, NULL) < 0)
			continue;
		if (!strcmp(json_string_value(json_object_get(rec, "state")) ?: "", "ready"))
			r = nd_netports_reapply(n->name, rec, err);
		json_decref(rec);
	}
	nd_strv_free(ids);
	return r < 0 ? nd_err_wrap(err, "ports") : 0;
}

struct reapply {
	struct nd_nfsock *nft;
	size_t elems;
};

/* The bridge's isolation, and with icc off each ready attachment's port (iso.h). */
static int reapply_iso(const struct nd_ctx *c, const struct nd_network *n, struct nd_nfsock *nft, struct nd_err **err)
{
	struct nd_iso iso = { .bridge = n->bridge, .isolate = true, .internal = n->internal, .icc = n->icc };
	char **ids = NULL, host_if[16];
	int r = nd_iso_apply(nft, &iso, err);

	if (r < 0 || n->icc || (r = rec_ids(c, n->name, &ids, NULL, err)) < 0)
		return r;
	for (size_t i = 0; r >= 0 && ids[i]; i++) {
		_cleanup_json_ json_t *rec = NULL;

		if (rec_read(c, n->name, ids[i], &rec, NULL) < 0 ||
		    strcmp(json_string_value(json_object_get(rec, "state")) ?: "", "ready"))
			continue;
		nd_bridge_host_ifname(ids[i], json_string_value(json_object_get(rec, "ifname")) ?: "eth0", host_if);
		iso.host_if = host_if;
		r = nd_iso_apply(nft, &iso, err);
	}
	nd_strv_free(ids);
	return r;
}

static int reapply_one(const struct nd_ctx *c, struct nd_network *n, void *ud, struct nd_err **err)
{
	struct reapply *a = ud;
	int r;

	if ((r = setup_network(c, n, err)) < 0 || (r = write_conflist(c, n, err)) < 0)
		return r;
	/* Isolation first, as when the daemon starts before its containers: `nft list` reads the same. */
	if ((r = reapply_iso(c, n, a->nft, err)) < 0)
		return nd_err_wrap(err, "isolation");
	if (n->ip_masq && (r = reapply_masq(c, n, a->nft, &a->elems, err)) < 0)
		return nd_err_wrap(err, "masquerade");
	return reapply_ports(c, n, err);
}

int nd_op_reapply(const struct nd_ctx *c, const char *only, json_t **ret_report, struct nd_err **err)
{
	_cleanup_close_ int lock = -1;
	_cleanup_nfsock_ struct nd_nfsock *nft = NULL;
	_cleanup_json_ json_t *rep = report_new();
	struct reapply a = { 0 };
	size_t nets = 0;
	int r;

	if (!rep)
		return nd_oom(err);
	if ((r = nd_state_lock(c->state_dir, &lock, err)) < 0 ||
	    (r = nd_nfsock_open(&nft, ND_NFSOCK_CLOSE_NOW, err)) < 0)
		return r;
	a.nft = nft;
	if ((r = each_network(c, only, rep, reapply_one, &a, &nets, err)) < 0)
		return r;
	return report_done(&rep, "networks", nets, "masquerade", a.elems, ret_report, err);
}

struct owners {
	json_t *valid;  /* [{"containerID","ifname"}] for cni.dev/valid-attachments */
	char (*hostif)[16];
	size_t n;
};

static int owners_add(struct owners *o, const char *id, const char *ifname)
{
	char (*h)[16] = realloc(o->hostif, (o->n + 1) * sizeof(*h));

	if (!h)
		return -ENOMEM;
	o->hostif = h;
	nd_bridge_host_ifname(id, ifname, o->hostif[o->n++]);
	return json_array_append_new(o->valid, json_pack("{s:s, s:s}", "containerID", id, "ifname", ifname)) < 0
		       ? -ENOMEM
		       : 0;
}

/* libcni's cache ("kind":"cniCacheV1"): attachments a runtime made through the plugins. */
static void owners_from_cache(const struct nd_ctx *c, const char *network, struct owners *o)
{
	char path[PATH_MAX * 2];
	struct dirent *e;
	DIR *d = c->cni_cache_dir ? opendir(c->cni_cache_dir) : NULL;

	while (d && (e = readdir(d))) {
		_cleanup_free_ char *buf = NULL;
		_cleanup_json_ json_t *j = NULL;
		const char *net, *id, *ifname;

		if (e->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "%s/%s", c->cni_cache_dir, e->d_name);
		if (nd_state_read(path, &buf, NULL, NULL) < 0 || !(j = json_loads(buf, 0, NULL)))
			continue;
		net = json_string_value(json_object_get(j, "networkName"));
		id = json_string_value(json_object_get(j, "containerId"));
		ifname = json_string_value(json_object_get(j, "ifName"));
		if (net && id && ifname && !strcmp(net, network))
			(void)owners_add(o, id, ifname);
	}
	if (d)
		closedir(d);
}

/* A record is stale when its attach never finished or its netns is gone. */
static bool stale(json_t *rec)
{
	const char *netns = json_string_value(json_object_get(rec, "netns"));
	_cleanup_close_ int fd = -1;

	if (strcmp(json_string_value(json_object_get(rec, "state")) ?: "", "ready"))
		return true;
	return nd_netns_open(netns, &fd, NULL) < 0;
}

/*
 * Pending and detaching records (a killed attach or detach) and records of a vanished
 * netns are released; the others own their leases. A record whose release fails is kept,
 * as an owner, for the next GC: the others go on.
 */
static int gc_records(const struct nd_ctx *c, const struct nd_network *n, struct owners *o, size_t *released,
		      json_t *rep, struct nd_err **err)
{
	char **ids = NULL;
	int r = rec_ids(c, n->name, &ids, NULL, err);

	for (size_t i = 0; r >= 0 && ids[i]; i++) {
		_cleanup_json_ json_t *rec = NULL;
		_cleanup_err_ struct nd_err *e = NULL;
		const char *ifname;

		if (rec_read(c, n->name, ids[i], &rec, NULL) < 0)
			continue;
		ifname = json_string_value(json_object_get(rec, "ifname")) ?: "eth0";
		if (!stale(rec)) {
			r = owners_add(o, ids[i], ifname);
			continue;
		}
		if (release(c, n, rec, false, &e) >= 0 && rec_remove(c, n->name, ids[i], &e) >= 0) {
			(*released)++;
			continue;
		}
		nd_err_wrap(&e, "attachment '%s'", ids[i]);
		report_error(c, rep, n->name, e);
		r = owners_add(o, ids[i], ifname);
	}
	nd_strv_free(ids);
	/* An owner not listed would lose its veth to gc_veths: no GC of this network then. */
	return r < 0 ? nd_oom(err) : 0;
}

struct veth_scan {
	int master;
	const struct owners *o;
	char (*stale)[16];
	size_t n;
	bool oom;
};

static void veth_visit(struct nl_object *obj, void *ud)
{
	struct veth_scan *v = ud;
	struct rtnl_link *l = (struct rtnl_link *)obj;
	const char *name = rtnl_link_get_name(l);
	char (*s)[16];

	if (rtnl_link_get_master(l) != v->master || !name || !nd_bridge_is_host_ifname(name))
		return;
	for (size_t i = 0; i < v->o->n; i++)
		if (!strcmp(v->o->hostif[i], name))
			return;
	if (!(s = realloc(v->stale, (v->n + 1) * sizeof(*s)))) {
		v->oom = true;
		return;
	}
	v->stale = s;
	snprintf(v->stale[v->n++], 16, "%s", name);
}

/* Host veth ends on n's bridge that no owner's name hashes to: leftovers of a crash. */
static int gc_veths(const struct nd_network *n, const struct owners *o, size_t *removed, struct nd_err **err)
{
	_cleanup_nl_sock_ struct nl_sock *sk = NULL;
	struct nl_cache *cache = NULL;
	struct veth_scan v = { .o = o };
	int r;

	if ((r = nd_nl_open(-1, &sk, err)) < 0)
		return r;
	r = nd_link_get(sk, n->bridge, &v.master, NULL, NULL, NULL, err);
	if (r == -ENODEV)
		return 0;
	if (r < 0)
		return r;
	if ((r = rtnl_link_alloc_cache(sk, AF_UNSPEC, &cache)) < 0)
		return nd_nl_err(err, r, "listing links");
	nl_cache_foreach(cache, veth_visit, &v);
	nl_cache_free(cache);
	if (v.oom)
		r = nd_oom(err);
	for (size_t i = 0; r >= 0 && i < v.n; i++)
		if ((r = nd_link_del(sk, v.stale[i], err)) >= 0)
			(*removed)++;
	free(v.stale);
	return r;
}

/*
 * Temporary files of record writes killed before their rename ("<id>.json.tmp.<pid>"):
 * every writer holds the state lock, which GC holds too, so none of them is being written.
 */
static void gc_record_temps(const struct nd_ctx *c, const char *network)
{
	char dir[PATH_MAX], path[PATH_MAX * 2];
	struct dirent *e;
	DIR *d;

	rec_dir(c, network, dir);
	if (!(d = opendir(dir)))
		return;
	while ((e = readdir(d))) {
		const char *t = strstr(e->d_name, ".json.tmp.");

		if (t && t != e->d_name && t[10] && strspn(t + 10, "0123456789") == strlen(t + 10)) {
			snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
			(void)unlink(path);
		}
	}
	closedir(d);
}

struct gc_counts {
	json_t *rep;
	size_t released, veths;
};

static int gc_network(const struct nd_ctx *c, struct nd_network *n, void *ud, struct nd_err **err)
{
	_cleanup_json_ json_t *conf = nd_network_cni_conf(n, c->ipam_dir);
	struct gc_counts *g = ud;
	struct owners o = { .valid = json_array() };
	struct nd_cni_req q;
	int r = conf && o.valid ? gc_records(c, n, &o, &g->released, g->rep, err) : nd_oom(err);

	gc_record_temps(c, n->name);
	if (r >= 0) {
		owners_from_cache(c, n->name, &o);
		if (json_object_set(conf, "cni.dev/valid-attachments", o.valid) < 0)
			r = nd_oom(err);
	}
	if (r >= 0) {
		make_req(c, n, ND_CMD_GC, conf, NULL, NULL, NULL, NULL, &q);
		r = nd_bridge_gc(&q, err);
	}
	if (r >= 0)
		r = gc_veths(n, &o, &g->veths, err);
	json_decref(o.valid);
	free(o.hostif);
	return r < 0 ? nd_err_wrap(err, "gc of network '%s'", n->name) : 0;
}

int nd_op_gc(const struct nd_ctx *c, json_t **ret_report, struct nd_err **err)
{
	_cleanup_close_ int lock = -1;
	_cleanup_json_ json_t *rep = report_new();
	struct gc_counts g = { .rep = rep };
	int r;

	if (!rep)
		return nd_oom(err);
	if ((r = nd_state_lock(c->state_dir, &lock, err)) < 0 ||
	    (r = each_network(c, NULL, rep, gc_network, &g, NULL, err)) < 0)
		return r;
	return report_done(&rep, "released", g.released, "veths", g.veths, ret_report, err);
}

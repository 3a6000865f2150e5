/*
 * The daemon's DNS server (lib/dns/server.h) kept in step with the state: every network
 * with DNS and its ready attachments at start-up (so a daemon restarted after SIGKILL
 * answers for every attachment it had), then each change the API makes (routes.c calls
 * d->on_change under d->lock): one record read, one entry queued, no reload.
 */
#include "dnsglue.h"

#include <errno.h>
#include <string.h>

#include "base/cleanup.h"
#include "base/json.h"
#include "base/log.h"
#include "base/strv.h"
#include "dns/server.h"

static void dns_notify(enum nd_log_level level, const char *msg)
{
	nd_log(level, "%s", msg);
}

static void put_record(struct nd_dns_server *s, const char *network, json_t *rec)
{
	_cleanup_err_ struct nd_err *e = NULL;

	if (strcmp(json_string_value(json_object_get(rec, "state")) ?: "", "ready"))
		return;
	if (nd_dns_server_put(s, network, rec, &e) < 0)
		nd_log(ND_LOG_WARN, "dns: network '%s': %s", network, e->msg);
}

/* The network's listeners and, when load is set, every ready attachment's names. */
static void net_up(struct nd_daemon *d, const char *name, bool load)
{
	_cleanup_err_ struct nd_err *e = NULL;
	_cleanup_json_ json_t *j = NULL, *recs = NULL;
	struct nd_network n;
	if (nd_op_network_get(&d->ctx, name, &n, &e) < 0) {
		nd_log(ND_LOG_WARN, "dns: network '%s': %s", name, e->msg);
		return;
	}
	if (n.dns && (j = nd_network_json(&n)) && nd_dns_server_net_up(d->dns, j, &e) < 0)
		nd_log(ND_LOG_WARN, "dns: network '%s': %s", name, e->msg);
	if (n.dns && load && nd_op_attachments(&d->ctx, name, &recs, NULL) >= 0 &&
	    nd_dns_server_set(d->dns, name, recs, &e) < 0)
		nd_log(ND_LOG_WARN, "dns: network '%s': %s", name, e->msg);
	nd_network_clear(&n);
}

/* Every network's names again from the records, each swapped in one step (after GC or reload). */
static void resync(struct nd_daemon *d)
{
	char **names = NULL;

	if (nd_op_network_names(&d->ctx, &names, NULL) < 0)
		return;
	for (size_t i = 0; names[i]; i++)
		net_up(d, names[i], true);
	nd_strv_free(names);
}

static void on_change(struct nd_daemon *d, const char *network, const char *id, bool added)
{
	_cleanup_err_ struct nd_err *e = NULL;
	_cleanup_json_ json_t *rec = NULL;

	if (!network)
		resync(d);
	else if (!id && added)
		net_up(d, network, false);
	else if (!id)
		(void)nd_dns_server_net_down(d->dns, network, NULL);
	else if (!added)
		(void)nd_dns_server_del(d->dns, network, id, NULL);
	else if (nd_op_attachment(&d->ctx, network, id, &rec, &e) >= 0)
		put_record(d->dns, network, rec);
}

static json_t *dns_lookup(struct nd_daemon *d, const char *network, const char *name)
{
	return nd_dns_server_lookup(d->dns, network, name);
}

int nd_dnsglue_start(struct nd_daemon *d, struct nd_err **err)
{
	struct nd_dns_conf conf = { .notify = dns_notify };
	struct nd_dns_server *s = NULL;
	int r;

	if ((r = nd_dns_server_start(&conf, &s, err)) < 0)
		return r;
	d->dns = s;
	resync(d);
	nd_dns_server_sync(s);
	d->on_change = on_change;
	d->dns_lookup = dns_lookup;
	return 0;
}

void nd_dnsglue_stop(struct nd_daemon *d)
{
	d->on_change = NULL;
	d->dns_lookup = NULL;
	nd_dns_server_stop(d->dns);
	d->dns = NULL;
}

/*
 * netd port ID [PORT[/PROTO]]: a container's published ports as `docker port` prints them,
 * from its record (runtime/ctrstate.h "ports"); the PORTS column of netd ps.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include "base/cleanup.h"
#include "base/state.h"
#include "cli.h"
#include "portmap/pmspec.h"
#include "runtime/ctrops.h"
#include "runtime/ctrstate.h"

/* One recorded mapping ("[HOSTIP:]HOSTPORT:PORT/PROTO"); false when it does not read. */
static bool one(const char *rec, struct nd_pm *ret)
{
	_cleanup_free_ struct nd_pm *v = NULL;
	size_t n = 0;

	if (nd_pm_parse_publish(rec, &v, &n, NULL) < 0 || n != 1)
		return false;
	*ret = v[0];
	return true;
}

/* "HOSTIP:HOSTPORT" of m for family af ("0.0.0.0" / "[::]" for every address). */
static void host_of(const struct nd_pm *m, int af, char *buf, size_t size)
{
	char ip[ND_IP_STRLEN];

	if (m->host_ip.family)
		nd_ip_fmt(&m->host_ip, ip);
	else
		snprintf(ip, sizeof(ip), "%s", af == AF_INET6 ? "::" : "0.0.0.0");
	snprintf(buf, size, af == AF_INET6 ? "[%s]:%u" : "%s:%u", ip, m->host_port);
}

const char *nd_port_docker_fmt(const char *rec)
{
	static char buf[ND_PM_PUBLISH_STRLEN + 16];
	char host[ND_IP_STRLEN + 16];
	struct nd_pm m;

	if (!one(rec, &m))
		return rec;
	host_of(&m, m.host_ip.family == AF_INET6 ? AF_INET6 : AF_INET, host, sizeof(host));
	snprintf(buf, sizeof(buf), "%s->%u/%s", host, m.ctr_port, nd_pm_proto_name(m.proto));
	return buf;
}

/* Does m match the filter "PORT[/PROTO]" (NULL: everything)? */
static bool wanted(const struct nd_pm *m, const char *filter)
{
	char want[32];

	if (!filter)
		return true;
	snprintf(want, sizeof(want), "%u/%s", m->ctr_port, nd_pm_proto_name(m->proto));
	return !strcmp(filter, want) || (!strchr(filter, '/') && (unsigned)atoi(filter) == m->ctr_port &&
					 m->proto == IPPROTO_TCP);
}

static int print_ports(const struct nd_ctr *c, const char *filter)
{
	static const int afs[] = { AF_INET, AF_INET6 };
	char host[ND_IP_STRLEN + 16];
	size_t shown = 0;
	struct nd_pm m;

	for (char **p = c->ports; p && *p; p++) {
		if (!one(*p, &m) || !wanted(&m, filter))
			continue;
		for (size_t i = 0; i < 2; i++) {
			if (m.host_ip.family && m.host_ip.family != afs[i])
				continue;
			host_of(&m, afs[i], host, sizeof(host));
			if (filter)
				printf("%s\n", host);
			else
				printf("%u/%s -> %s\n", m.ctr_port, nd_pm_proto_name(m.proto), host);
			shown++;
		}
	}
	if (filter && !shown)
		return nd_cli_failf("port", ND_ERR_NOT_FOUND, "no public port '%s' published for %s", filter, c->id);
	return ND_EXIT_OK;
}

int nd_cmd_port(int argc, char **argv)
{
	_cleanup_(nd_ctr_clear) struct nd_ctr c = { 0 };
	_cleanup_err_ struct nd_err *err = NULL;

	if (argc >= 2 && (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help"))) {
		printf("Usage: netd port CONTAINER [PORT[/PROTO]]\n  the container's published ports\n");
		return ND_EXIT_OK;
	}
	if (argc < 2 || argc > 3)
		return nd_cli_usage_error("Usage: netd port CONTAINER [PORT[/PROTO]]\n", "give a container, and at most one port");
	if (nd_ctr_find(nd_state_dir(), argv[1], &c, &err) < 0)
		return nd_cli_fail("port", err);
	return print_ports(&c, argc == 3 ? argv[2] : NULL);
}

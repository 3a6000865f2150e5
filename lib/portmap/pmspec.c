#include "portmap/pmspec.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "base/cleanup.h"
#include "base/json.h"

static int bad(struct nd_err **err, const char *arg, const char *why)
{
	return nd_err_set(err, ND_ERR_BAD_SPEC, EINVAL, "-p '%s': %s", arg, why);
}

/* "N" or "N-M" into [lo, hi]; allow0: an empty string is the ephemeral 0. */
static int range_parse(const char *s, size_t len, unsigned int *lo, unsigned int *hi)
{
	char buf[16], *dash, *end;
	unsigned long a, b;

	if (len == 0 || len >= sizeof(buf))
		return -EINVAL;
	memcpy(buf, s, len);
	buf[len] = '\0';
	dash = strchr(buf, '-');
	if (dash)
		*dash = '\0';
	if (buf[0] < '0' || buf[0] > '9' || (dash && (dash[1] < '0' || dash[1] > '9')))
		return -EINVAL;
	a = strtoul(buf, &end, 10);
	if (*end)
		return -EINVAL;
	b = a;
	if (dash && ((b = strtoul(dash + 1, &end, 10)), *end))
		return -EINVAL;
	if (a < 1 || a > 65535 || b < 1 || b > 65535)
		return -ERANGE;
	if (b < a)
		return -EDOM;
	*lo = (unsigned int)a;
	*hi = (unsigned int)b;
	return 0;
}

static int range_err(struct nd_err **err, const char *arg, int r, const char *which)
{
	char why[96];

	(void)snprintf(why, sizeof(why), "%s port %s", which,
		       r == -ERANGE ? "outside 1-65535" : r == -EDOM ? "range ends before it starts" : "is not a port or range");
	return bad(err, arg, why);
}

/* Split "[v6]:rest", "ip:host:ctr", "host:ctr", "ctr" (proto already cut off). */
static int split(const char *arg, const char *s, struct nd_ip *ip, const char **host, size_t *hlen, const char **ctr,
		 struct nd_err **err)
{
	char ipbuf[ND_IP_STRLEN];
	const char *c1, *c2;
	size_t iplen = 0;
	const char *ipstart = NULL;

	memset(ip, 0, sizeof(*ip));
	*host = NULL;
	*hlen = 0;
	if (*s == '[') {
		const char *close = strchr(s, ']');

		if (!close || close[1] != ':')
			return bad(err, arg, "an IPv6 host address is written [ADDR]:HOSTPORT:CONTAINERPORT");
		ipstart = s + 1;
		iplen = (size_t)(close - s - 1);
		s = close + 2;
		c1 = strchr(s, ':');
		if (!c1)
			return bad(err, arg, "no container port after the host address");
		*host = s;
		*hlen = (size_t)(c1 - s);
		*ctr = c1 + 1;
	} else if (!(c1 = strchr(s, ':'))) {
		*ctr = s;
	} else if (!(c2 = strchr(c1 + 1, ':'))) {
		*host = s;
		*hlen = (size_t)(c1 - s);
		*ctr = c1 + 1;
	} else {
		if (strchr(c2 + 1, ':'))
			return bad(err, arg, "too many ':' (write an IPv6 host address in brackets)");
		ipstart = s;
		iplen = (size_t)(c1 - s);
		*host = c1 + 1;
		*hlen = (size_t)(c2 - c1 - 1);
		*ctr = c2 + 1;
	}
	if (ipstart && iplen) {
		if (iplen >= sizeof(ipbuf))
			return bad(err, arg, "the host address is not an IP address");
		memcpy(ipbuf, ipstart, iplen);
		ipbuf[iplen] = '\0';
		if (nd_ip_parse(ipbuf, ip, NULL) < 0)
			return bad(err, arg, "the host address is not an IP address");
	}
	return 0;
}

static int push(struct nd_pm **v, size_t *n, const struct nd_pm *m)
{
	struct nd_pm *x = reallocarray(*v, *n + 1, sizeof(**v));

	if (!x)
		return -ENOMEM;
	x[(*n)++] = *m;
	*v = x;
	return 0;
}

int nd_pm_parse_publish(const char *arg, struct nd_pm **v, size_t *n, struct nd_err **err)
{
	char s[160];
	const char *slash, *host = NULL, *ctr = NULL;
	unsigned int hlo = 0, hhi = 0, clo, chi;
	struct nd_pm m = { .proto = IPPROTO_TCP };
	size_t hlen;
	int r;

	if (strlen(arg) >= sizeof(s))
		return bad(err, arg, "too long");
	snprintf(s, sizeof(s), "%s", arg);
	if ((slash = strrchr(s, '/'))) {
		if (!(m.proto = nd_pm_proto_parse(slash + 1)))
			return bad(err, arg, "the protocol must be tcp, udp or sctp");
		s[slash - s] = '\0';
	}
	if ((r = split(arg, s, &m.host_ip, &host, &hlen, &ctr, err)) < 0)
		return r;
	if ((r = range_parse(ctr, strlen(ctr), &clo, &chi)) < 0)
		return range_err(err, arg, r, "container");
	if (host && hlen && (r = range_parse(host, hlen, &hlo, &hhi)) < 0)
		return range_err(err, arg, r, "host");
	if (hlo && hhi - hlo != chi - clo)
		return bad(err, arg, "the host and container port ranges have unequal lengths");
	for (unsigned int p = clo; p <= chi; p++) {
		m.ctr_port = (uint16_t)p;
		m.host_port = (uint16_t)(hlo ? hlo + (p - clo) : 0);
		if (push(v, n, &m) < 0)
			return nd_oom(err);
	}
	return 0;
}

static bool taken(const struct nd_pm *v, size_t n, uint8_t proto, unsigned int port)
{
	for (size_t i = 0; i < n; i++)
		if (v[i].proto == proto && v[i].host_port == port)
			return true;
	return false;
}

/* The kernel's pick for port 0 on m's address and protocol. */
static int pick(const struct nd_pm *m, unsigned int *ret)
{
	_cleanup_close_ int fd = -1;
	int af = m->host_ip.family == AF_INET ? AF_INET : AF_INET6, zero = 0;
	struct sockaddr_in6 a6 = { .sin6_family = AF_INET6 };
	struct sockaddr_in a4 = { .sin_family = AF_INET };
	struct sockaddr_storage got;
	socklen_t len = sizeof(got);

	fd = socket(af, (m->proto == IPPROTO_UDP ? SOCK_DGRAM : SOCK_STREAM) | SOCK_CLOEXEC, m->proto);
	if (fd < 0 && m->host_ip.family == 0 && errno == EAFNOSUPPORT)
		fd = socket(af = AF_INET, (m->proto == IPPROTO_UDP ? SOCK_DGRAM : SOCK_STREAM) | SOCK_CLOEXEC, m->proto);
	if (fd < 0)
		return -errno;
	if (af == AF_INET6) {
		(void)setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &zero, sizeof(zero));
		if (m->host_ip.family == AF_INET6)
			memcpy(&a6.sin6_addr, m->host_ip.a, 16);
	} else if (m->host_ip.family == AF_INET) {
		memcpy(&a4.sin_addr, m->host_ip.a, 4);
	}
	if (bind(fd, af == AF_INET6 ? (struct sockaddr *)&a6 : (struct sockaddr *)&a4,
		 af == AF_INET6 ? sizeof(a6) : sizeof(a4)) < 0 ||
	    getsockname(fd, (struct sockaddr *)&got, &len) < 0)
		return -errno;
	*ret = ntohs(af == AF_INET6 ? ((struct sockaddr_in6 *)&got)->sin6_port : ((struct sockaddr_in *)&got)->sin_port);
	return 0;
}

int nd_pm_ephemeral(struct nd_pm *v, size_t n, struct nd_err **err)
{
	for (size_t i = 0; i < n; i++) {
		unsigned int port = 0;
		int r = 0, tries;

		for (tries = 0; v[i].host_port == 0 && tries < 16; tries++)
			if ((r = pick(&v[i], &port)) >= 0 && !taken(v, n, v[i].proto, port))
				v[i].host_port = (uint16_t)port;
		if (v[i].host_port == 0)
			return nd_err_set(err, ND_ERR_PORT_IN_USE, r < 0 ? -r : EADDRINUSE,
					  "no free host port for container port %u/%s", v[i].ctr_port,
					  nd_pm_proto_name(v[i].proto));
	}
	return 0;
}

char *nd_pm_publish_fmt(const struct nd_pm *m, char buf[static ND_PM_PUBLISH_STRLEN])
{
	char ip[ND_IP_STRLEN];
	const char *p = nd_pm_proto_name(m->proto);

	if (m->host_ip.family == AF_INET6)
		(void)snprintf(buf, ND_PM_PUBLISH_STRLEN, "[%s]:%u:%u/%s", nd_ip_fmt(&m->host_ip, ip), m->host_port,
			       m->ctr_port, p);
	else if (m->host_ip.family == AF_INET)
		(void)snprintf(buf, ND_PM_PUBLISH_STRLEN, "%s:%u:%u/%s", nd_ip_fmt(&m->host_ip, ip), m->host_port, m->ctr_port,
			       p);
	else
		(void)snprintf(buf, ND_PM_PUBLISH_STRLEN, "%u:%u/%s", m->host_port, m->ctr_port, p);
	return buf;
}

json_t *nd_pm_to_json(const struct nd_pm *v, size_t n)
{
	json_t *a = json_array();
	bool ok = true;
	char ip[ND_IP_STRLEN];

	for (size_t i = 0; a && i < n; i++) {
		json_t *o = json_pack("{s:i, s:i, s:s}", "hostPort", v[i].host_port, "containerPort", v[i].ctr_port,
				      "protocol", nd_pm_proto_name(v[i].proto));

		if (o && v[i].host_ip.family)
			nd_json_set(o, "hostIP", json_string(nd_ip_fmt(&v[i].host_ip, ip)), &ok);
		nd_json_append(a, o, &ok);
	}
	return nd_json_built(a, ok);
}

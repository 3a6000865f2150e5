#include "portmap/pmconf.h"

#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>

#include "base/cleanup.h"
#include "base/json.h"

uint8_t nd_pm_proto_parse(const char *s)
{
	if (!strcasecmp(s, "tcp"))
		return IPPROTO_TCP;
	if (!strcasecmp(s, "udp"))
		return IPPROTO_UDP;
	if (!strcasecmp(s, "sctp"))
		return IPPROTO_SCTP;
	return 0;
}

const char *nd_pm_proto_name(uint8_t proto)
{
	return proto == IPPROTO_TCP ? "tcp" : proto == IPPROTO_UDP ? "udp" : proto == IPPROTO_SCTP ? "sctp" : "?";
}

bool nd_pm_host_any(const struct nd_pm *m)
{
	static const uint8_t zero[16];

	return m->host_ip.family == 0 || !memcmp(m->host_ip.a, zero, nd_ip_bytes(m->host_ip.family));
}

bool nd_pm_any(const struct nd_pm *m, int af)
{
	return m->host_ip.family == 0 || (m->host_ip.family == af && nd_pm_host_any(m));
}

bool nd_pm_covers(const struct nd_pm *m, int af)
{
	return m->host_ip.family == 0 || m->host_ip.family == af;
}

char *nd_pm_host_fmt(const struct nd_pm *m, char buf[static ND_PM_STRLEN])
{
	char ip[ND_IP_STRLEN];

	if (m->host_ip.family == 0)
		(void)snprintf(buf, ND_PM_STRLEN, "%u/%s", m->host_port, nd_pm_proto_name(m->proto));
	else
		(void)snprintf(buf, ND_PM_STRLEN, m->host_ip.family == AF_INET6 ? "[%s]:%u/%s" : "%s:%u/%s",
			       nd_ip_fmt(&m->host_ip, ip), m->host_port, nd_pm_proto_name(m->proto));
	return buf;
}

static int bad(struct nd_err **err, size_t i, const char *what)
{
	return nd_err_set(err, ND_CNI_INVALID_CONFIG, EINVAL, "portMappings[%zu]: %s", i, what);
}

static int port_get(json_t *o, const char *key, size_t i, uint16_t *ret, struct nd_err **err)
{
	json_int_t v = 0;
	char what[64];
	int r = nd_json_get_int(o, key, true, &v, err);

	if (r < 0)
		return nd_err_wrap(err, "portMappings[%zu]", i);
	if (v < 1 || v > 65535) {
		(void)snprintf(what, sizeof(what), "%s %lld is outside 1-65535", key, (long long)v);
		return bad(err, i, what);
	}
	*ret = (uint16_t)v;
	return 0;
}

static int host_ip_get(json_t *o, size_t i, struct nd_ip *ret, struct nd_err **err)
{
	const char *s = NULL;
	int r = nd_json_get_str(o, "hostIP", false, &s, err);

	memset(ret, 0, sizeof(*ret));
	if (r < 0)
		return nd_err_wrap(err, "portMappings[%zu]", i);
	if (!s || !*s)
		return 0;
	if (nd_ip_parse(s, ret, NULL) < 0)
		return bad(err, i, "hostIP is not an IPv4 or IPv6 address");
	return 0;
}

static int entry_parse(json_t *o, size_t i, struct nd_pm *ret, struct nd_err **err)
{
	const char *proto = "tcp";
	int r;

	if (!json_is_object(o))
		return bad(err, i, "not an object");
	if ((r = port_get(o, "hostPort", i, &ret->host_port, err)) < 0 ||
	    (r = port_get(o, "containerPort", i, &ret->ctr_port, err)) < 0 ||
	    (r = host_ip_get(o, i, &ret->host_ip, err)) < 0)
		return r;
	if (nd_json_get_str(o, "protocol", false, &proto, err) < 0)
		return nd_err_wrap(err, "portMappings[%zu]", i);
	ret->proto = nd_pm_proto_parse(proto);
	if (!ret->proto)
		return bad(err, i, "protocol must be tcp, udp or sctp");
	return 0;
}

static bool overlap(const struct nd_pm *a, const struct nd_pm *b)
{
	if (a->proto != b->proto || a->host_port != b->host_port)
		return false;
	if (a->host_ip.family == 0 || b->host_ip.family == 0)
		return true;
	if (a->host_ip.family != b->host_ip.family)
		return false;
	return nd_pm_host_any(a) || nd_pm_host_any(b) || nd_ip_equal(&a->host_ip, &b->host_ip);
}

int nd_pm_check_dups(const struct nd_pm *m, size_t n, struct nd_err **err)
{
	char s[ND_PM_STRLEN];

	/* Quadratic, but n is bounded and a request is checked once. */
	for (size_t i = 1; i < n; i++)
		for (size_t j = 0; j < i; j++)
			if (overlap(&m[i], &m[j]))
				return nd_err_set(err, ND_CNI_INVALID_CONFIG, EINVAL,
						  "portMappings[%zu]: host port %s is mapped twice (also by entry %zu)",
						  i, nd_pm_host_fmt(&m[i], s), j);
	return 0;
}

int nd_pm_parse(json_t *arr, struct nd_pm **ret, size_t *ret_n, struct nd_err **err)
{
	_cleanup_free_ struct nd_pm *v = NULL;
	size_t n, i;
	int r;

	if (!arr || json_is_null(arr)) {
		*ret = NULL;
		*ret_n = 0;
		return 0;
	}
	if (!json_is_array(arr))
		return nd_err_set(err, ND_CNI_INVALID_CONFIG, EINVAL, "portMappings must be an array");
	n = json_array_size(arr);
	if (n > ND_PM_MAX)
		return nd_err_set(err, ND_CNI_INVALID_CONFIG, E2BIG, "portMappings has %zu entries, at most %d",
				  n, ND_PM_MAX);
	if (n && !(v = calloc(n, sizeof(*v))))
		return nd_oom(err);
	for (i = 0; i < n; i++)
		if ((r = entry_parse(json_array_get(arr, i), i, &v[i], err)) < 0)
			return r;
	if ((r = nd_pm_check_dups(v, n, err)) < 0)
		return r;
	*ret = TAKE_PTR(v);
	*ret_n = n;
	return 0;
}

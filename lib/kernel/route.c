#include "kernel/route.h"

#include <errno.h>
#include <linux/rtnetlink.h>
#include <netlink/attr.h>
#include <string.h>
#include <sys/socket.h>

#include "base/cleanup.h"
#include "kernel/nl.h"

static bool has_gw(const struct nd_ip *gw)
{
	return gw && nd_ip_is_set(gw);
}

static int check_route(const struct nd_cidr *dst, const struct nd_ip *gw, struct nd_err **err)
{
	char buf[ND_CIDR_STRLEN];

	if ((dst->ip.family != AF_INET && dst->ip.family != AF_INET6) || dst->len > nd_ip_bytes(dst->ip.family) * 8)
		return nd_err_set(err, ND_CNI_INVALID_CONFIG, EINVAL, "route: destination is not an IPv4 or IPv6 prefix");
	if (has_gw(gw) && gw->family != dst->ip.family)
		return nd_err_set(err, ND_CNI_INVALID_CONFIG, EINVAL, "route to '%s': gateway of another family",
				  nd_cidr_fmt(dst, buf));
	return 0;
}

static int put_route_attrs(struct nl_msg *msg, int ifindex, const struct nd_cidr *net, const struct nd_ip *gw,
			   int priority)
{
	int n = (int)nd_ip_bytes(net->ip.family);

	if ((net->len && nla_put(msg, RTA_DST, n, net->ip.a) < 0) ||
	    (has_gw(gw) && nla_put(msg, RTA_GATEWAY, n, gw->a) < 0) || nla_put_u32(msg, RTA_OIF, (uint32_t)ifindex) < 0 ||
	    (priority > 0 && nla_put_u32(msg, RTA_PRIORITY, (uint32_t)priority) < 0))
		return -EMSGSIZE;
	return 0;
}

int nd_route_add(struct nl_sock *sk, int ifindex, const struct nd_cidr *dst, const struct nd_ip *gw, int priority,
		 struct nd_err **err)
{
	/* Without a gateway the destination is on the link: scope link, as `ip route add dev` does. */
	struct rtmsg rtm = { .rtm_family = (unsigned char)dst->ip.family, .rtm_dst_len = (unsigned char)dst->len,
			     .rtm_table = RT_TABLE_MAIN, .rtm_protocol = RTPROT_BOOT,
			     .rtm_scope = has_gw(gw) ? RT_SCOPE_UNIVERSE : RT_SCOPE_LINK, .rtm_type = RTN_UNICAST };
	_cleanup_nl_msg_ struct nl_msg *msg = NULL;
	char extack[ND_NL_EXTACK_LEN] = "", buf[ND_CIDR_STRLEN];
	struct nd_cidr net;
	int r = check_route(dst, gw, err);

	if (r < 0)
		return r;
	/* The kernel refuses host bits in RTA_DST ("Invalid prefix for given prefix length"). */
	nd_cidr_network(dst, &net);
	msg = nd_nl_msg(RTM_NEWROUTE, NLM_F_CREATE | NLM_F_EXCL, &rtm, sizeof(rtm));
	r = msg ? put_route_attrs(msg, ifindex, &net, gw, priority) : -ENOMEM;
	if (r >= 0)
		r = nd_nl_talk(sk, msg, extack);
	/*
	 * EEXIST: the same (dst, metric) is in the table — a re-run or racing ADD. The kernel
	 * says so for a different gateway too; a caller that must know uses nd_route_has.
	 */
	if (r == -EEXIST)
		return 0;
	if (r < 0)
		return nd_nl_kerr(err, ND_ERR_INTERNAL, r, extack, "route to '%s' on ifindex %d", nd_cidr_fmt(&net, buf),
				  ifindex);
	return 0;
}

struct route_match {
	struct nd_cidr dst; /* host bits cleared */
	const struct nd_ip *gw;
	int ifindex;
	bool found;
};

static bool attr_is(const struct nlattr *a, const uint8_t *bytes, size_t n)
{
	return a && (size_t)nla_len(a) == n && !memcmp(nla_data(a), bytes, n);
}

static bool hop_matches(const struct route_match *m, int oif, const struct nlattr *gw)
{
	return oif == m->ifindex && (!has_gw(m->gw) || attr_is(gw, m->gw->a, nd_ip_bytes(m->gw->family)));
}

/* ECMP routes (IPv6 siblings are dumped this way too) list their hops in RTA_MULTIPATH. */
static bool multipath_matches(const struct route_match *m, const struct nlattr *mp)
{
	const struct rtnexthop *nh = nla_data(mp);
	int left = nla_len(mp);

	while (left >= (int)sizeof(*nh) && nh->rtnh_len >= sizeof(*nh) && nh->rtnh_len <= left) {
		struct nlattr *tb[RTA_MAX + 1];

		if (nla_parse(tb, RTA_MAX, (struct nlattr *)RTNH_DATA(nh), nh->rtnh_len - (int)sizeof(*nh), NULL) >= 0 &&
		    hop_matches(m, nh->rtnh_ifindex, tb[RTA_GATEWAY]))
			return true;
		left -= RTNH_ALIGN(nh->rtnh_len);
		nh = RTNH_NEXT(nh);
	}
	return false;
}

static uint32_t route_table(const struct rtmsg *rtm, struct nlattr **tb)
{
	return tb[RTA_TABLE] ? nla_get_u32(tb[RTA_TABLE]) : rtm->rtm_table;
}

static int match_route(const struct nlmsghdr *nlh, void *ud)
{
	struct route_match *m = ud;
	struct nlattr *tb[RTA_MAX + 1];
	const struct rtmsg *rtm;
	size_t n = nd_ip_bytes(m->dst.ip.family);

	if (!nlh) /* the dump restarts */
		return m->found = false, 0;
	if (!(rtm = nd_nl_header(nlh, RTM_NEWROUTE, sizeof(*rtm))))
		return 0;
	if (rtm->rtm_family != m->dst.ip.family || rtm->rtm_dst_len != m->dst.len || rtm->rtm_type != RTN_UNICAST ||
	    nlmsg_parse((struct nlmsghdr *)nlh, sizeof(*rtm), tb, RTA_MAX, NULL) < 0 || route_table(rtm, tb) != RT_TABLE_MAIN)
		return 0;
	if (m->dst.len && !attr_is(tb[RTA_DST], m->dst.ip.a, n))
		return 0;
	if (tb[RTA_OIF] ? hop_matches(m, (int)nla_get_u32(tb[RTA_OIF]), tb[RTA_GATEWAY])
			: tb[RTA_MULTIPATH] && multipath_matches(m, tb[RTA_MULTIPATH]))
		m->found = true;
	return 0;
}

/* A dump of the family's routes in sk's netns, filtered here: CHECK's path, not ADD's. */
int nd_route_has(struct nl_sock *sk, int ifindex, const struct nd_cidr *dst, const struct nd_ip *gw, bool *ret,
		 struct nd_err **err)
{
	struct rtmsg rtm = { .rtm_family = (unsigned char)dst->ip.family, .rtm_table = RT_TABLE_MAIN };
	struct route_match m = { .gw = gw, .ifindex = ifindex };
	char buf[ND_CIDR_STRLEN];
	int r = check_route(dst, gw, err);

	if (r < 0)
		return r;
	nd_cidr_network(dst, &m.dst);
	r = nd_nl_dump(sk, RTM_GETROUTE, &rtm, sizeof(rtm), match_route, &m);
	if (r < 0)
		/* EAGAIN: every try raced a change of the table (NLM_F_DUMP_INTR). */
		return nd_nl_kerr(err, r == -EAGAIN ? ND_CNI_TRY_AGAIN : ND_ERR_INTERNAL, r, NULL, "route to '%s': list",
				  nd_cidr_fmt(&m.dst, buf));
	*ret = m.found;
	return 0;
}

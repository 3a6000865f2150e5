#include "kernel/addr.h"

#include <errno.h>
#include <linux/if_addr.h>
#include <linux/rtnetlink.h>
#include <netlink/attr.h>
#include <string.h>
#include <sys/socket.h>

#include "base/cleanup.h"
#include "kernel/nl.h"

static int check_cidr(const struct nd_cidr *c, int ifindex, struct nd_err **err)
{
	if ((c->ip.family != AF_INET && c->ip.family != AF_INET6) || c->len > nd_ip_bytes(c->ip.family) * 8)
		return nd_err_set(err, ND_CNI_INVALID_CONFIG, EINVAL, "address on ifindex %d: not an IPv4 or IPv6 prefix",
				  ifindex);
	return 0;
}

/*
 * IPv4 gets its broadcast address, as `ip addr add ... brd +` and the reference plugins'
 * netlink library set it; /31 and /32 have none (RFC 3021).
 */
static int put_addr_attrs(struct nl_msg *msg, const struct nd_cidr *a)
{
	int n = (int)nd_ip_bytes(a->ip.family);
	struct nd_ip brd;

	if (nla_put(msg, IFA_LOCAL, n, a->ip.a) < 0 || nla_put(msg, IFA_ADDRESS, n, a->ip.a) < 0)
		return -EMSGSIZE;
	if (a->ip.family == AF_INET && a->len < 31) {
		nd_cidr_last(a, &brd);
		if (nla_put(msg, IFA_BROADCAST, n, brd.a) < 0)
			return -EMSGSIZE;
	}
	return 0;
}

/* RTM_NEWADDR or RTM_DELADDR of addr on ifa's link: nd_nl_talk's result. */
static int addr_talk(struct nl_sock *sk, int type, int flags, const struct ifaddrmsg *ifa, const struct nd_cidr *addr,
		     char extack[ND_NL_EXTACK_LEN])
{
	_cleanup_nl_msg_ struct nl_msg *msg = nd_nl_msg(type, flags, ifa, sizeof(*ifa));
	int r = msg ? put_addr_attrs(msg, addr) : -ENOMEM;

	return r < 0 ? r : nd_nl_talk(sk, msg, extack);
}

int nd_addr_add(struct nl_sock *sk, int ifindex, const struct nd_cidr *addr, bool nodad, struct nd_err **err)
{
	struct ifaddrmsg ifa = { .ifa_family = (unsigned char)addr->ip.family, .ifa_prefixlen = (unsigned char)addr->len,
				 .ifa_flags = nodad ? IFA_F_NODAD : 0, .ifa_scope = RT_SCOPE_UNIVERSE,
				 .ifa_index = (unsigned int)ifindex };
	char extack[ND_NL_EXTACK_LEN] = "", buf[ND_CIDR_STRLEN];
	int r = check_cidr(addr, ifindex, err);

	if (r < 0)
		return r;
	r = addr_talk(sk, RTM_NEWADDR, NLM_F_CREATE | NLM_F_EXCL, &ifa, addr, extack);
	/* EEXIST: a re-run ADD, or a racing one, already put it there. */
	if (r == -EEXIST)
		return 0;
	if (r < 0)
		return nd_nl_kerr(err, ND_ERR_INTERNAL, r, extack, "address '%s' on ifindex %d",
				  nd_cidr_fmt(addr, buf), ifindex);
	return 1;
}

int nd_addr_del(struct nl_sock *sk, int ifindex, const struct nd_cidr *addr, struct nd_err **err)
{
	struct ifaddrmsg ifa = { .ifa_family = (unsigned char)addr->ip.family, .ifa_prefixlen = (unsigned char)addr->len,
				 .ifa_index = (unsigned int)ifindex };
	char extack[ND_NL_EXTACK_LEN] = "", buf[ND_CIDR_STRLEN];
	int r = check_cidr(addr, ifindex, err);

	if (r < 0)
		return r;
	r = addr_talk(sk, RTM_DELADDR, 0, &ifa, addr, extack);
	if (r == -EADDRNOTAVAIL || r == -ENODEV || r == -ENOENT)
		return 0;
	if (r < 0)
		return nd_nl_kerr(err, ND_ERR_INTERNAL, r, extack, "delete address '%s' on ifindex %d",
				  nd_cidr_fmt(addr, buf), ifindex);
	return 0;
}

struct addr_match {
	const struct nd_cidr *want;
	int ifindex;
	bool found;
};

/* IPv4 puts the address in IFA_LOCAL (IFA_ADDRESS may be a peer); IPv6 only has IFA_ADDRESS. */
static const struct nlattr *local_attr(const struct nlmsghdr *nlh)
{
	const struct nlattr *a = nlmsg_find_attr((struct nlmsghdr *)nlh, sizeof(struct ifaddrmsg), IFA_LOCAL);

	return a ? a : nlmsg_find_attr((struct nlmsghdr *)nlh, sizeof(struct ifaddrmsg), IFA_ADDRESS);
}

static int match_addr(const struct nlmsghdr *nlh, void *ud)
{
	struct addr_match *m = ud;
	const struct ifaddrmsg *ifa;
	const struct nlattr *a;
	size_t n = nd_ip_bytes(m->want->ip.family);

	if (!nlh) /* the dump restarts */
		return m->found = false, 0;
	if (!(ifa = nd_nl_header(nlh, RTM_NEWADDR, sizeof(*ifa))))
		return 0;
	if ((int)ifa->ifa_index != m->ifindex || ifa->ifa_family != m->want->ip.family ||
	    ifa->ifa_prefixlen != m->want->len)
		return 0;
	a = local_attr(nlh);
	if (a && (size_t)nla_len(a) == n && !memcmp(nla_data(a), m->want->ip.a, n))
		m->found = true;
	return 0;
}

/* A dump of the family's addresses in sk's netns, filtered here: CHECK's path, not ADD's. */
int nd_addr_has(struct nl_sock *sk, int ifindex, const struct nd_cidr *addr, bool *ret, struct nd_err **err)
{
	struct ifaddrmsg ifa = { .ifa_family = (unsigned char)addr->ip.family, .ifa_index = (unsigned int)ifindex };
	struct addr_match m = { .want = addr, .ifindex = ifindex };
	char buf[ND_CIDR_STRLEN];
	int r = check_cidr(addr, ifindex, err);

	if (r < 0)
		return r;
	r = nd_nl_dump(sk, RTM_GETADDR, &ifa, sizeof(ifa), match_addr, &m);
	if (r < 0)
		/* EAGAIN: every try raced a change of the addresses (NLM_F_DUMP_INTR). */
		return nd_nl_kerr(err, r == -EAGAIN ? ND_CNI_TRY_AGAIN : ND_ERR_INTERNAL, r, NULL,
				  "address '%s' on ifindex %d: list", nd_cidr_fmt(addr, buf), ifindex);
	*ret = m.found;
	return 0;
}

struct addr_overlap {
	const struct nd_cidr *want;
	int ifindex;
	struct nd_cidr *v;
	size_t max, n;
};

static int collect_overlap(const struct nlmsghdr *nlh, void *ud)
{
	struct addr_overlap *o = ud;
	const struct ifaddrmsg *ifa;
	const struct nlattr *a;
	struct nd_cidr c = { .ip = { .family = o->want->ip.family } };
	size_t n = nd_ip_bytes(o->want->ip.family);

	if (!nlh) /* the dump restarts */
		return o->n = 0, 0;
	if (!(ifa = nd_nl_header(nlh, RTM_NEWADDR, sizeof(*ifa))))
		return 0;
	a = local_attr(nlh);
	if ((int)ifa->ifa_index != o->ifindex || ifa->ifa_family != o->want->ip.family || !a ||
	    (size_t)nla_len(a) != n)
		return 0;
	memcpy(c.ip.a, nla_data(a), n);
	c.len = ifa->ifa_prefixlen;
	if ((c.len == o->want->len && nd_ip_equal(&c.ip, &o->want->ip)) || !nd_cidr_overlap(&c, o->want))
		return 0;
	if (o->n < o->max)
		o->v[o->n] = c;
	o->n++;
	return 0;
}

int nd_addr_overlapping(struct nl_sock *sk, int ifindex, const struct nd_cidr *addr, struct nd_cidr *ret, size_t max,
			size_t *ret_n, struct nd_err **err)
{
	struct ifaddrmsg ifa = { .ifa_family = (unsigned char)addr->ip.family, .ifa_index = (unsigned int)ifindex };
	struct addr_overlap o = { .want = addr, .ifindex = ifindex, .v = ret, .max = max };
	char buf[ND_CIDR_STRLEN];
	int r = check_cidr(addr, ifindex, err);

	if (r < 0)
		return r;
	r = nd_nl_dump(sk, RTM_GETADDR, &ifa, sizeof(ifa), collect_overlap, &o);
	if (r < 0)
		return nd_nl_kerr(err, r == -EAGAIN ? ND_CNI_TRY_AGAIN : ND_ERR_INTERNAL, r, NULL,
				  "addresses overlapping '%s' on ifindex %d: list", nd_cidr_fmt(addr, buf), ifindex);
	*ret_n = o.n;
	return 0;
}

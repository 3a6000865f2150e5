#include "kernel/link.h"

#include <errno.h>
#include <sys/random.h>
#include <linux/if.h>
#include <linux/if_link.h>
#include <linux/rtnetlink.h>
#include <netlink/attr.h>
#include <netlink/route/link.h>
#include <netlink/route/link/veth.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

#include "base/cleanup.h"
#include "kernel/nl.h"

DEFINE_CLEANUP(struct rtnl_link, rtnl_link_put)
DEFINE_CLEANUP(struct nl_addr, nl_addr_put)
#define _cleanup_link_ _cleanup_(rtnl_link_putp)

/* Names are checked here so a long one reads as a config error, not a kernel EINVAL. */
static int check_ifname(const char *what, const char *name, struct nd_err **err)
{
	if (!name || !*name || strlen(name) >= IFNAMSIZ)
		return nd_err_set(err, ND_CNI_INVALID_CONFIG, EINVAL, "%s '%s': a link name has 1 to %d characters",
				  what, name ? name : "", IFNAMSIZ - 1);
	return 0;
}

/* One RTM_GETLINK by name (never a link-cache dump: ADD must not cost O(links)). */
static int link_fetch(struct nl_sock *sk, const char *name, struct rtnl_link **ret, struct nd_err **err)
{
	int r = rtnl_link_get_kernel(sk, 0, name, ret);

	if (r == -NLE_NODEV || r == -NLE_OBJ_NOTFOUND)
		return -ENODEV;
	if (r < 0)
		return nd_nl_err(err, r, "link '%s': lookup", name);
	return 0;
}

static bool link_is(struct rtnl_link *link, const char *kind)
{
	const char *type = rtnl_link_get_type(link);

	return type && !strcmp(type, kind);
}

/* Set the bits of flags (IFF_UP, IFF_PROMISC) on ifindex, leaving the others alone. */
static int link_set_flags(struct nl_sock *sk, int ifindex, unsigned int flags, char *extack)
{
	struct ifinfomsg ifi = { .ifi_family = AF_UNSPEC, .ifi_index = ifindex, .ifi_flags = flags,
				 .ifi_change = flags };
	_cleanup_nl_msg_ struct nl_msg *msg = nd_nl_msg(RTM_SETLINK, 0, &ifi, sizeof(ifi));

	if (!msg)
		return -ENOMEM;
	return nd_nl_talk(sk, msg, extack);
}

static unsigned int bridge_flags(const struct nd_bridge_opts *o)
{
	return IFF_UP | (o->promisc ? IFF_PROMISC : 0);
}

static int hex_nibble(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c = (char)(c | 0x20);
	return c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

/* Exactly "xx:xx:xx:xx:xx:xx"; sscanf would also take signs, spaces and single digits. */
static int parse_mac(const char *s, uint8_t mac[6])
{
	for (int i = 0; i < 6; i++, s += 3) {
		int hi = hex_nibble(s[0]), lo = hi < 0 ? -1 : hex_nibble(s[1]);

		if (lo < 0 || s[2] != (i < 5 ? ':' : '\0'))
			return -EINVAL;
		mac[i] = (uint8_t)(hi << 4 | lo);
	}
	return 0;
}

/*
 * Up and promiscuous ride on the creating message (the kernel applies ifi_flags after
 * registering the link). IFLA_BR_VLAN_FILTERING is built by hand: libnl 3.7 has no setter
 * for bridge IFLA_INFO_DATA (rtnl_link_bridge_set_vlan_filtering came in 3.8).
 */
static int bridge_create(struct nl_sock *sk, const struct nd_bridge_opts *o, char *extack)
{
	struct ifinfomsg ifi = { .ifi_family = AF_UNSPEC, .ifi_flags = bridge_flags(o), .ifi_change = bridge_flags(o) };
	_cleanup_nl_msg_ struct nl_msg *msg = nd_nl_msg(RTM_NEWLINK, NLM_F_CREATE | NLM_F_EXCL, &ifi, sizeof(ifi));
	struct nlattr *info;

	char mac_str[18];
	uint8_t mac[6];

	if (!msg)
		return -ENOMEM;
	/*
	 * A MAC of its own, as Docker gives its bridges: without one the bridge takes its lowest
	 * port's and changes it as containers come and go, under everyone's ARP caches.
	 */
	if (nd_link_random_mac(mac_str) < 0 || parse_mac(mac_str, mac) < 0)
		return -EIO;
	if (nla_put_string(msg, IFLA_IFNAME, o->name) < 0 || (o->mtu && nla_put_u32(msg, IFLA_MTU, o->mtu) < 0) ||
	    nla_put(msg, IFLA_ADDRESS, 6, mac) < 0 || !(info = nla_nest_start(msg, IFLA_LINKINFO)) ||
	    nla_put_string(msg, IFLA_INFO_KIND, "bridge") < 0)
		return -EMSGSIZE;
	if (o->vlan_filtering) {
		struct nlattr *data;

		if (!(data = nla_nest_start(msg, IFLA_INFO_DATA)) || nla_put_u8(msg, IFLA_BR_VLAN_FILTERING, 1) < 0)
			return -EMSGSIZE;
		nla_nest_end(msg, data);
	}
	nla_nest_end(msg, info);
	return nd_nl_talk(sk, msg, extack);
}

/* Use what exists under o->name: it must be a bridge; raise the flags it lacks. */
static void fmt_mac(struct rtnl_link *link, char out[18])
{
	struct nl_addr *a = rtnl_link_get_addr(link);
	const uint8_t *b = a ? nl_addr_get_binary_addr(a) : NULL;

	if (!b || nl_addr_get_len(a) != 6) {
		out[0] = '\0';
		return;
	}
	snprintf(out, 18, "%02x:%02x:%02x:%02x:%02x:%02x", b[0], b[1], b[2], b[3], b[4], b[5]);
}

static int bridge_adopt(struct nl_sock *sk, const struct nd_bridge_opts *o, int *ret_ifindex, char ret_mac[18],
			struct nd_err **err)
{
	_cleanup_link_ struct rtnl_link *link = NULL;
	unsigned int want = bridge_flags(o);
	int r = link_fetch(sk, o->name, &link, err);

	if (r < 0)
		return r;
	if (!link_is(link, "bridge"))
		return nd_err_set(err, ND_CNI_INVALID_CONFIG, EEXIST, "'%s' exists and is not a bridge", o->name);
	if ((rtnl_link_get_flags(link) & want) != want) {
		char extack[ND_NL_EXTACK_LEN] = "";

		r = link_set_flags(sk, rtnl_link_get_ifindex(link), want, extack);
		if (r < 0)
			return nd_nl_kerr(err, ND_ERR_INTERNAL, r, extack, "bridge '%s': set up", o->name);
	}
	*ret_ifindex = rtnl_link_get_ifindex(link);
	if (ret_mac)
		fmt_mac(link, ret_mac);
	return 0;
}

int nd_bridge_ensure(struct nl_sock *sk, const struct nd_bridge_opts *o, int *ret_ifindex, char ret_mac[18],
		     struct nd_err **err)
{
	char extack[ND_NL_EXTACK_LEN] = "";
	bool created;
	int r = check_ifname("bridge", o->name, err);

	if (r < 0)
		return r;
	/* The common case, an existing bridge that is up, costs one round trip. */
	r = bridge_adopt(sk, o, ret_ifindex, ret_mac, err);
	if (r != -ENODEV)
		return r;
	r = bridge_create(sk, o, extack);
	if (r == -EOPNOTSUPP && o->vlan_filtering)
		return nd_nl_kerr(err, ND_ERR_INTERNAL, r, extack,
				  "bridge '%s': create with VLAN filtering (kernel without CONFIG_BRIDGE_VLAN_FILTERING?)",
				  o->name);
	/* EEXIST: a concurrent first ADD created it in between (plugins PR #366). */
	if (r < 0 && r != -EEXIST)
		return nd_nl_kerr(err, ND_ERR_INTERNAL, r, extack, "bridge '%s': create", o->name);
	created = r >= 0;
	/* The ack carries no ifindex, so look again; this also vets a racing creator's link. */
	r = bridge_adopt(sk, o, ret_ifindex, ret_mac, err);
	if (r == -ENODEV)
		return nd_err_set(err, ND_CNI_TRY_AGAIN, ENODEV, "bridge '%s': deleted while being created", o->name);
	return r < 0 ? r : created;
}

static int check_veth_opts(const struct nd_veth_opts *o, uint8_t mac[6], uint8_t host_mac[6], struct nd_err **err)
{
	int r = check_ifname("veth", o->host_name, err);

	if (r >= 0)
		r = check_ifname("veth peer", o->peer_name, err);
	if (r >= 0 && o->host_mac && parse_mac(o->host_mac, host_mac) < 0)
		return nd_err_set(err, ND_ERR_INTERNAL, EINVAL, "veth '%s': bad MAC address '%s'", o->host_name,
				  o->host_mac);
	if (r < 0 || !o->peer_mac)
		return r;
	if (parse_mac(o->peer_mac, mac) < 0)
		return nd_err_set(err, ND_CNI_INVALID_CONFIG, EINVAL, "veth peer '%s': bad MAC address '%s'",
				  o->peer_name, o->peer_mac);
	/* The kernel would refuse these with a bare EADDRNOTAVAIL (is_valid_ether_addr). */
	if ((mac[0] & 1) || !(mac[0] | mac[1] | mac[2] | mac[3] | mac[4] | mac[5]))
		return nd_err_set(err, ND_CNI_INVALID_CONFIG, EINVAL,
				  "veth peer '%s': MAC address '%s' is multicast or all zeros", o->peer_name, o->peer_mac);
	return 0;
}

static int veth_set_mac(struct rtnl_link *peer, const uint8_t mac[6])
{
	_cleanup_(nl_addr_putp) struct nl_addr *a = nl_addr_build(AF_LLC, mac, 6);

	if (!a)
		return -ENOMEM;
	rtnl_link_set_addr(peer, a); /* takes its own reference */
	return 0;
}

/*
 * The whole pair in one RTM_NEWLINK. The peer carries IFLA_NET_NS_FD so it is born in the
 * container netns with its final name; the host end carries IFLA_MASTER and IFF_UP, which
 * the kernel applies right after registering it (rtnl_newlink_create), undoing the whole
 * pair if enslaving fails.
 */
static int veth_build(const struct nd_veth_opts *o, const uint8_t *mac, const uint8_t *host_mac, struct nl_msg **ret)
{
	_cleanup_link_ struct rtnl_link *host = rtnl_link_veth_alloc();
	_cleanup_link_ struct rtnl_link *peer = NULL;

	if (!host)
		return -NLE_NOMEM;
	peer = rtnl_link_veth_get_peer(host); /* a new reference */
	rtnl_link_set_name(host, o->host_name);
	rtnl_link_set_name(peer, o->peer_name);
	if (o->peer_netns_fd >= 0)
		rtnl_link_set_ns_fd(peer, o->peer_netns_fd);
	if (o->mtu) {
		rtnl_link_set_mtu(host, o->mtu);
		rtnl_link_set_mtu(peer, o->mtu);
	}
	if ((mac && veth_set_mac(peer, mac) < 0) || (host_mac && veth_set_mac(host, host_mac) < 0))
		return -NLE_NOMEM;
	if (o->master_ifindex > 0)
		rtnl_link_set_master(host, o->master_ifindex);
	rtnl_link_set_flags(host, IFF_UP);
	return rtnl_link_build_add_request(host, NLM_F_CREATE | NLM_F_EXCL, ret);
}

/*
 * The kernel's BR_MAX_PORTS is 1024 port numbers, but number 0 is reserved (find_portno in
 * net/bridge/br_if.c), so the 1024th port is the one refused with EXFULL.
 */
#define ND_BRIDGE_MAX_PORTS 1023

/* Name the bridge in the message when we can; this runs on the failure path only. */
static int bridge_full(struct nl_sock *sk, const struct nd_veth_opts *o, struct nd_err **err)
{
	_cleanup_link_ struct rtnl_link *br = NULL;
	char who[IFNAMSIZ + 16];

	if (rtnl_link_get_kernel(sk, o->master_ifindex, NULL, &br) >= 0 && rtnl_link_get_name(br))
		snprintf(who, sizeof(who), "'%s'", rtnl_link_get_name(br));
	else
		snprintf(who, sizeof(who), "ifindex %d", o->master_ifindex);
	return nd_err_set(err, ND_ERR_BRIDGE_FULL, EXFULL, "veth '%s': bridge %s has %d ports, the kernel's limit",
			  o->host_name, who, ND_BRIDGE_MAX_PORTS);
}

/* Which name was taken: one GETLINK on the failure path tells host end from peer. */
static int veth_exists(struct nl_sock *sk, const struct nd_veth_opts *o, struct nd_err **err)
{
	_cleanup_link_ struct rtnl_link *link = NULL;

	if (rtnl_link_get_kernel(sk, 0, o->host_name, &link) >= 0)
		return nd_err_set(err, ND_ERR_EXISTS, EEXIST, "veth '%s': a link of that name exists", o->host_name);
	return nd_err_set(err, ND_ERR_EXISTS, EEXIST, "veth '%s': peer '%s': a link of that name exists in the target netns",
			  o->host_name, o->peer_name);
}

int nd_veth_create(struct nl_sock *sk, const struct nd_veth_opts *o, struct nd_err **err)
{
	_cleanup_nl_msg_ struct nl_msg *msg = NULL;
	char extack[ND_NL_EXTACK_LEN] = "";
	uint8_t mac[6], host_mac[6];
	int r = check_veth_opts(o, mac, host_mac, err);

	if (r < 0)
		return r;
	r = veth_build(o, o->peer_mac ? mac : NULL, o->host_mac ? host_mac : NULL, &msg);
	if (r < 0)
		return nd_nl_err(err, r, "veth '%s': build request", o->host_name);
	r = nd_nl_talk(sk, msg, extack);
	if (r == -EXFULL && o->master_ifindex > 0)
		return bridge_full(sk, o, err);
	if (r == -EEXIST)
		return veth_exists(sk, o, err);
	if (r < 0)
		return nd_nl_kerr(err, ND_ERR_INTERNAL, r, extack, "veth '%s' (peer '%s'): create", o->host_name,
				  o->peer_name);
	return 0;
}


int nd_link_get(struct nl_sock *sk, const char *name, int *ret_ifindex, char ret_mac[18], int *ret_master,
		bool *ret_is_bridge, struct nd_err **err)
{
	_cleanup_link_ struct rtnl_link *link = NULL;
	int r = check_ifname("link", name, err);

	if (r >= 0)
		r = link_fetch(sk, name, &link, err);
	if (r < 0)
		return r;
	if (ret_ifindex)
		*ret_ifindex = rtnl_link_get_ifindex(link);
	if (ret_mac)
		fmt_mac(link, ret_mac);
	if (ret_master)
		*ret_master = rtnl_link_get_master(link);
	if (ret_is_bridge)
		*ret_is_bridge = link_is(link, "bridge");
	return 0;
}

int nd_link_del(struct nl_sock *sk, const char *name, struct nd_err **err)
{
	struct ifinfomsg ifi = { .ifi_family = AF_UNSPEC };
	_cleanup_nl_msg_ struct nl_msg *msg = NULL;
	char extack[ND_NL_EXTACK_LEN] = "";
	int r = check_ifname("link", name, err);

	if (r < 0)
		return r;
	/* By name in one message: a lookup first would only widen the race with another DEL. */
	msg = nd_nl_msg(RTM_DELLINK, 0, &ifi, sizeof(ifi));
	if (!msg || nla_put_string(msg, IFLA_IFNAME, name) < 0)
		return nd_oom(err);
	r = nd_nl_talk(sk, msg, extack);
	if (r == -ENODEV)
		return 0;
	if (r < 0)
		return nd_nl_kerr(err, ND_ERR_INTERNAL, r, extack, "link '%s': delete", name);
	return 1;
}

int nd_link_up(struct nl_sock *sk, int ifindex, struct nd_err **err)
{
	char extack[ND_NL_EXTACK_LEN] = "";
	int r = link_set_flags(sk, ifindex, IFF_UP, extack);

	if (r < 0)
		return nd_nl_kerr(err, ND_ERR_INTERNAL, r, extack, "link ifindex %d: set up", ifindex);
	return 0;
}

/* A socket in the netns of netns_fd and the ifindex of its lo. */
static int lo_open(int netns_fd, struct nl_sock **ret_sk, int *ret_ifindex, struct nd_err **err)
{
	_cleanup_nl_sock_ struct nl_sock *sk = NULL;
	int r = nd_nl_open(netns_fd, &sk, err);

	if (r < 0)
		return r;
	if ((r = nd_link_get(sk, "lo", ret_ifindex, NULL, NULL, NULL, err)) == -ENODEV)
		return nd_err_set(err, ND_ERR_INTERNAL, ENODEV, "no loopback device 'lo'");
	if (r < 0)
		return r;
	*ret_sk = TAKE_PTR(sk);
	return 0;
}

int nd_link_lo_up(int netns_fd, struct nd_err **err)
{
	_cleanup_nl_sock_ struct nl_sock *sk = NULL;
	int ifindex = 0, r = lo_open(netns_fd, &sk, &ifindex, err);

	return r < 0 ? r : nd_link_up(sk, ifindex, err);
}

int nd_link_lo_check(int netns_fd, struct nd_err **err)
{
	_cleanup_nl_sock_ struct nl_sock *sk = NULL;
	int ifindex = 0;

	return lo_open(netns_fd, &sk, &ifindex, err);
}

/*
 * An AF_BRIDGE RTM_SETLINK goes to the port's master (br_setlink), which reads the nested
 * IFLA_PROTINFO as IFLA_BRPORT_* (un-nested it would be the legacy STP state byte).
 */
int nd_link_brport_set(struct nl_sock *sk, int ifindex, bool hairpin, bool isolated, struct nd_err **err)
{
	struct ifinfomsg ifi = { .ifi_family = AF_BRIDGE, .ifi_index = ifindex };
	_cleanup_nl_msg_ struct nl_msg *msg = nd_nl_msg(RTM_SETLINK, 0, &ifi, sizeof(ifi));
	char extack[ND_NL_EXTACK_LEN] = "";
	struct nlattr *pi;
	int r;

	if (!msg || !(pi = nla_nest_start(msg, IFLA_PROTINFO | NLA_F_NESTED)) ||
	    nla_put_u8(msg, IFLA_BRPORT_MODE, hairpin) < 0 || nla_put_u8(msg, IFLA_BRPORT_ISOLATED, isolated) < 0)
		return nd_oom(err);
	nla_nest_end(msg, pi);
	r = nd_nl_talk(sk, msg, extack);
	if (r == -EOPNOTSUPP) /* rtnl_bridge_setlink: the link has no bridge master */
		return nd_nl_kerr(err, ND_ERR_INTERNAL, r, extack, "link ifindex %d: bridge port flags: not a bridge port",
				  ifindex);
	if (r < 0)
		return nd_nl_kerr(err, ND_ERR_INTERNAL, r, extack, "link ifindex %d: bridge port flags", ifindex);
	return 0;
}

int nd_link_random_mac(char ret[18])
{
	uint8_t b[6];

	if (getrandom(b, sizeof(b), 0) != (ssize_t)sizeof(b))
		return -errno;
	b[0] = (uint8_t)((b[0] & 0xfe) | 0x02); /* unicast, locally administered */
	snprintf(ret, 18, "%02x:%02x:%02x:%02x:%02x:%02x", b[0], b[1], b[2], b[3], b[4], b[5]);
	return 0;
}

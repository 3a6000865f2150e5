/* Links: the bridge, the veth pair, and their settings. All calls take an nd_nl socket. */
#pragma once

#include <netlink/netlink.h>
#include <stdbool.h>

#include "base/err.h"

struct nd_bridge_opts {
	const char *name;
	unsigned int mtu;     /* 0: kernel default */
	bool vlan_filtering;  /* set when vlan != 0 */
	bool promisc;
};

/*
 * Create the bridge or reuse it. EEXIST from a concurrent creator is success when what
 * exists is a bridge; a non-bridge of that name is an error (code 7). Brings it up (and
 * promiscuous when asked). mtu and vlan_filtering apply at creation only: an existing
 * bridge is shared and left as it is, like the reference plugin does.
 * Returns 1 when this call created it (so a failed ADD knows to remove it), else 0.
 * ret_mac (may be NULL) gets the bridge's MAC from the same lookup.
 */
int nd_bridge_ensure(struct nl_sock *sk, const struct nd_bridge_opts *o, int *ret_ifindex, char ret_mac[18],
		     struct nd_err **err);
/* A random unicast, locally administered MAC ("aa:bb:..."), as the kernel picks for a veth. */
int nd_link_random_mac(char ret[18]);

struct nd_veth_opts {
	const char *host_name;    /* in sk's netns */
	const char *peer_name;    /* CNI_IFNAME, created directly in peer_netns_fd */
	int peer_netns_fd;        /* < 0: the peer stays in sk's netns */
	unsigned int mtu;         /* 0: default */
	const char *peer_mac;     /* "aa:bb:cc:dd:ee:ff"; NULL: kernel random */
	const char *host_mac;     /* likewise, for the host end */
	int master_ifindex;       /* host end enslaved to this bridge at creation; 0: none */
};
/*
 * One RTM_NEWLINK: veth with its peer already in the container netns and the host end
 * enslaved and up (the peer is left down). EXFULL from the bridge becomes code
 * ND_ERR_BRIDGE_FULL with a clear message; a taken host or peer name becomes -EEXIST with
 * code ND_ERR_EXISTS. On any failure the kernel has removed both ends.
 */
int nd_veth_create(struct nl_sock *sk, const struct nd_veth_opts *o, struct nd_err **err);

/* Look up by name; -ENODEV (no err set) when absent. Outputs may be NULL. */
int nd_link_get(struct nl_sock *sk, const char *name, int *ret_ifindex, char ret_mac[18],
		int *ret_master, bool *ret_is_bridge, struct nd_err **err);
/*
 * Delete by name: 1 when deleted, 0 when it was already gone. Deleting a veth removes its
 * peer too.
 */
int nd_link_del(struct nl_sock *sk, const char *name, struct nd_err **err);
int nd_link_up(struct nl_sock *sk, int ifindex, struct nd_err **err);
/*
 * lo of the netns of netns_fd: brought up, or only found (check). A new netns has lo
 * down; the loopback plugin and the runtime's netns setup both bring it up with this.
 * Code ND_ERR_INTERNAL, ENODEV when the netns has no lo.
 */
int nd_link_lo_up(int netns_fd, struct nd_err **err);
int nd_link_lo_check(int netns_fd, struct nd_err **err);
/* The bridge-port flags on the host end (IFLA_BRPORT_MODE, IFLA_BRPORT_ISOLATED); both are
 * set explicitly. ifindex must already be a bridge port (else -EOPNOTSUPP). */
int nd_link_brport_set(struct nl_sock *sk, int ifindex, bool hairpin, bool isolated, struct nd_err **err);

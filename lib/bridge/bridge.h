/*
 * Attaching a container to a Linux bridge: the work of the netd-bridge plugin, callable
 * in-process by the daemon. Each call takes a parsed CNI request (config + env).
 */
#pragma once

#include <stdbool.h>

#include "cni/cni.h"
#include "cni/result.h"
#include "kernel/nftbatch.h" /* enum nd_nfsock_close */

struct nd_bridge_conf {
	char bridge[16];
	bool is_gw, is_default_gw, force_address, ip_masq, hairpin, promisc, enable_dad;
	bool macspoofchk, no_container_iface, port_isolation;
	unsigned int mtu;
	int vlan;
	const char *ipam_type; /* NULL: no IPAM, layer 2 only */
	char mac[18];          /* requested container MAC, "" for a random one */
	/* Isolation (lib/kernel/iso.h): "isolate" (default true), "internal", "icc" (default true). */
	bool isolate, internal, icc;
};

/* Validate every field (and CNI_ARGS) before anything is touched; code 7/2 on error. */
int nd_bridge_conf_parse(const struct nd_cni_req *req, struct nd_bridge_conf *ret, struct nd_err **err);

/* "nd" + 13 hex digits of a hash of (id, ifname): DEL finds it without the netns. */
void nd_bridge_host_ifname(const char *id, const char *ifname, char ret[16]);
/* Whether name has that form: a host end netd-bridge may have made (GC of leftovers). */
bool nd_bridge_is_host_ifname(const char *name);

int nd_bridge_add(const struct nd_cni_req *req, struct nd_result *ret, struct nd_err **err);
/* The plugin's DEL: nd_bridge_del_with and { 0 } options. */
int nd_bridge_del(const struct nd_cni_req *req, struct nd_err **err);
/* How a DEL ends, the caller's choice. */
struct nd_bridge_del_opts {
	/*
	 * The caller destroys the container's netns next (netd run): everything but the veth,
	 * which the kernel then removes with the netns in the background, instead of DEL
	 * waiting the ~20 ms of RCU grace periods an explicit deletion costs.
	 */
	bool keep_link;
	/*
	 * Who closes the nftables socket (lib/kernel/nftbatch.h): never DEFERRED in a plugin.
	 * With keep_link nothing else waits out the close's grace period, so DEFERRED spares
	 * the caller that wait; after a veth deletion NOW costs nothing.
	 */
	enum nd_nfsock_close nft_close;
};
int nd_bridge_del_with(const struct nd_cni_req *req, const struct nd_bridge_del_opts *o, struct nd_err **err);
int nd_bridge_check(const struct nd_cni_req *req, struct nd_err **err);
int nd_bridge_gc(const struct nd_cni_req *req, struct nd_err **err);
int nd_bridge_status(const struct nd_cni_req *req, struct nd_err **err);

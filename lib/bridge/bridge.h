/*
 * Attaching a container to a Linux bridge: the work of the netd-bridge plugin, callable
 * in-process by the daemon. Each call takes a parsed CNI request (config + env).
 */
#pragma once

#include <stdbool.h>

#include "cni/cni.h"
#include "cni/result.h"

struct nd_bridge_conf {
	char bridge[16];
	bool is_gw, is_default_gw, force_address, ip_masq, hairpin, promisc, enable_dad;
	bool macspoofchk, no_container_iface, port_isolation;
	unsigned int mtu;
	int vlan;
	const char *ipam_type; /* NULL: no IPAM, layer 2 only */
	char mac[18];          /* requested container MAC, "" for a random one */
};

/* Validate every field (and CNI_ARGS) before anything is touched; code 7/2 on error. */
int nd_bridge_conf_parse(const struct nd_cni_req *req, struct nd_bridge_conf *ret, struct nd_err **err);

/* "nd" + 13 hex digits of a hash of (id, ifname): DEL finds it without the netns. */
void nd_bridge_host_ifname(const char *id, const char *ifname, char ret[16]);

int nd_bridge_add(const struct nd_cni_req *req, struct nd_result *ret, struct nd_err **err);
int nd_bridge_del(const struct nd_cni_req *req, struct nd_err **err);
/*
 * DEL for a caller about to destroy the container's netns (netd run): everything but the
 * veth, which the kernel then removes with the netns in the background, instead of DEL
 * waiting the ~20 ms of RCU grace periods an explicit deletion costs.
 */
int nd_bridge_del_leave_link(const struct nd_cni_req *req, struct nd_err **err);
int nd_bridge_check(const struct nd_cni_req *req, struct nd_err **err);
int nd_bridge_gc(const struct nd_cni_req *req, struct nd_err **err);
int nd_bridge_status(const struct nd_cni_req *req, struct nd_err **err);

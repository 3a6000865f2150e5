/*
 * netd networks: the definition the daemon, the CLI and the runtime share (one JSON file
 * per network in the state dir), its translation into a netd-bridge + netd-ipam config,
 * and the Docker-like choice of a free address pool.
 */
#pragma once

#include <jansson.h>
#include <limits.h>
#include <stdbool.h>

#include "base/err.h"
#include "base/ip.h"
#include "base/state.h"
#include "base/strv.h" /* nd_strv_free */

#define ND_NET_NAME_MAX 64
#define ND_DEFAULT_NETWORK "bridge"
#define ND_DEFAULT_BRIDGE "netd0"
#define ND_DEFAULT_SUBNET "172.17.0.0/16"
#define ND_NET_CNI_VERSION "1.0.0"

struct nd_network {
	char name[ND_NET_NAME_MAX];
	char bridge[16];
	struct nd_cidr subnet; /* IPv4 (or IPv6-only network); network address */
	struct nd_ip gateway;
	struct nd_cidr ip_range; /* family 0: the whole subnet */
	struct nd_cidr subnet6;  /* family 0: no IPv6 */
	struct nd_ip gateway6;
	unsigned int mtu; /* 0: kernel default */
	bool ip_masq;
	bool internal; /* no masquerade, no default route: reaches its own subnet only */
	json_t *options; /* flat map of strings, stored as given, may be NULL (owned) */
	/*
	 * What netd made, so what it may remove (state files only; an API body cannot set
	 * them). own_bridge: netd created the bridge, DELETE removes it. An adopted bridge
	 * (it existed when the network was created) is never deleted; own_gw/own_gw6: netd
	 * added that gateway address to the adopted bridge, so DELETE removes that address.
	 */
	bool own_bridge, own_gw, own_gw6;
	/*
	 * Containers of the network reach each other (Docker's icc): false from "icc": false or
	 * the option "com.docker.network.bridge.enable_icc" or "icc" set to "false".
	 */
	bool icc;
	/* An embedded DNS server on its gateway(s): every network but "bridge" unless "dns": false. */
	bool dns;
};

/* Docker's driver options are a map of strings: so are ours, and bounded. */
#define ND_NET_OPTIONS_MAX 32
#define ND_NET_OPTION_KEY_MAX 128
#define ND_NET_OPTION_VALUE_MAX 1024
/* Nesting a network definition or an API body may have (an API body is 2 deep). */
#define ND_JSON_MAX_DEPTH 8

/* ^[a-zA-Z0-9][a-zA-Z0-9_.\-]*$ and shorter than ND_NET_NAME_MAX: no '/', never "..". */
bool nd_network_valid_name(const char *s);

/*
 * From an API body or a state file: name, subnet, gateway, ipRange, bridge, mtu, ipMasq
 * (default true), internal, icc (default true), ipv6 (a subnet), options (at most
 * ND_NET_OPTIONS_MAX string values; enable_icc and icc are read, "true" or "false"). A missing subnet leaves subnet.ip.family 0 (nd_network_pick_subnet fills it).
 * Ownership is never read from j (nd_network_load does that). Code 7 on invalid input.
 */
int nd_network_parse(json_t *j, struct nd_network *ret, struct nd_err **err);
/* Complete defaults once the subnet is known: gateway .1, bridge "br-<hash>", netd0. */
int nd_network_finish(struct nd_network *n, struct nd_err **err);
/*
 * What a new network (not one loaded from the state) must also satisfy: every subnet
 * passes nd_subnet_check and every gateway nd_gateway_check. Code 7.
 */
int nd_network_check_new(const struct nd_network *n, struct nd_err **err);
/* The bridge name netd gives a network without one: netd0 for the default, else br-<hash>. */
void nd_network_default_bridge(const char *name, char ret[16]);
void nd_network_clear(struct nd_network *n);
json_t *nd_network_json(const struct nd_network *n);

/*
 * The netd-bridge config of this network (cniVersion, name, type, ipam netd-ipam), the one
 * the daemon runs in-process and the conflist gives the plugins. ipam_dir NULL: the
 * plugins' default lease store, so both paths share it.
 */
json_t *nd_network_cni_conf(const struct nd_network *n, const char *ipam_dir);
/* {"cniVersion","name","plugins":[netd-bridge, netd-loopback]} for the CNI config dir. */
json_t *nd_network_conflist(const struct nd_network *n, const char *ipam_dir);

/*
 * <state_dir>/networks/<name>.json; -ENOENT with code ND_ERR_NOT_FOUND when absent;
 * -EBADMSG when the file exists but cannot be used (too large, not JSON, too deep, invalid):
 * the caller quarantines it (nd_network_quarantine).
 */
int nd_network_load(const char *state_dir, const char *name, struct nd_network *ret, struct nd_err **err);
/*
 * Move networks/<name>.json aside as networks/<name>.json.broken-<unix time> (ret_file,
 * may be NULL) and write networks/<name>.reserved with what its text still tells (name,
 * bridge, subnet, ipv6, read without parsing the whole): the name, the bridge and the
 * subnets stay taken for new networks until an operator removes that file.
 */
int nd_network_quarantine(const char *state_dir, const char *name, char ret_file[PATH_MAX], struct nd_err **err);
/* Whether networks/<name>.reserved exists (a quarantined network's leftovers). */
bool nd_network_is_reserved(const char *state_dir, const char *name);
int nd_network_save(const char *state_dir, const struct nd_network *n, struct nd_err **err);
int nd_network_remove(const char *state_dir, const char *name, struct nd_err **err);
/* Names of every network, sorted; *ret is a malloc'd NULL-terminated vector (nd_strv_free). */
int nd_network_list(const char *state_dir, char ***ret, size_t *ret_n, struct nd_err **err);

/*
 * A subnet for a new network: preferred when given (ND_DEFAULT_SUBNET for the default
 * network) and free, else the first free pool of Docker's default list (172.17-31.0.0/16,
 * then 192.168.0.0/20 ... 192.168.240.0/20). Free: no route of the host's main table and
 * no other network (quarantined ones included) overlaps it. Code ND_ERR_POOL_EXHAUSTED when none is.
 */
int nd_network_pick_subnet(const char *state_dir, const struct nd_cidr *preferred, struct nd_cidr *ret,
			   struct nd_err **err);
/*
 * Code ND_ERR_BUSY unless n's name, bridge and subnets are unused by other networks,
 * quarantined ones (networks/<name>.reserved) included.
 */
int nd_network_check_unique(const char *state_dir, const struct nd_network *n, struct nd_err **err);

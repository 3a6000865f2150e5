/* Parsing and validating a netd-bridge network config (reference "bridge" fields). */
#include "bridge/bridge.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "base/cleanup.h"
#include "base/json.h"

static const char *const known_args[] = { "IP", "MAC", "K8S_POD_NAME", "K8S_POD_NAMESPACE",
					  "K8S_POD_INFRA_CONTAINER_ID", "K8S_POD_UID", NULL };

static bool valid_mac(const char *s)
{
	if (strlen(s) != 17)
		return false;
	for (int i = 0; i < 17; i++)
		if (i % 3 == 2 ? s[i] != ':' : !isxdigit((unsigned char)s[i]))
			return false;
	/* A multicast (group) address cannot be an interface's own. */
	return !(strtol((char[]){ s[0], s[1], 0 }, NULL, 16) & 1);
}

static int parse_bools(json_t *o, struct nd_bridge_conf *c, struct nd_err **err)
{
	const struct {
		const char *key;
		bool *dst;
	} fields[] = {
		{ "isGateway", &c->is_gw },
		{ "isDefaultGateway", &c->is_default_gw },
		{ "forceAddress", &c->force_address },
		{ "ipMasq", &c->ip_masq },
		{ "hairpinMode", &c->hairpin },
		{ "promiscMode", &c->promisc },
		{ "enabledad", &c->enable_dad },
		{ "macspoofchk", &c->macspoofchk },
		{ "disableContainerInterface", &c->no_container_iface },
		{ "portIsolation", &c->port_isolation },
		{ "isolate", &c->isolate },
		{ "internal", &c->internal },
		{ "icc", &c->icc },
	};

	for (size_t i = 0; i < ND_ARRAY_SIZE(fields); i++)
		if (nd_json_get_bool(o, fields[i].key, fields[i].dst, err) < 0)
			return -EINVAL;
	/* Reference semantics: a default gateway is a gateway. */
	if (c->is_default_gw)
		c->is_gw = true;
	return 0;
}

static int parse_numbers(json_t *o, struct nd_bridge_conf *c, struct nd_err **err)
{
	json_int_t mtu = 0, vlan = 0;

	if (nd_json_get_int(o, "mtu", false, &mtu, err) < 0 || nd_json_get_int(o, "vlan", false, &vlan, err) < 0)
		return -EINVAL;
	if (mtu != 0 && (mtu < 68 || mtu > 65535))
		return nd_err_set(err, ND_CNI_INVALID_CONFIG, EINVAL, "mtu %lld is outside 68..65535", (long long)mtu);
	if (vlan < 0 || vlan > 4094)
		return nd_err_set(err, ND_CNI_INVALID_CONFIG, EINVAL, "vlan %lld is outside 0..4094", (long long)vlan);
	if (vlan != 0)
		return nd_err_set(err, ND_CNI_UNSUPPORTED_FIELD, EOPNOTSUPP, "vlan tagging is not supported yet");
	c->mtu = (unsigned int)mtu;
	c->vlan = (int)vlan;
	return 0;
}

/* MAC precedence as in the reference plugin: CNI_ARGS, then args.cni.mac, then runtimeConfig. */
static int parse_mac(const struct nd_cni_req *req, struct nd_bridge_conf *c, struct nd_err **err)
{
	_cleanup_free_ char *from_args = NULL;
	json_t *rc = NULL, *args = NULL, *cni = NULL;
	const char *mac = NULL;

	if (nd_json_get_obj(req->conf, "runtimeConfig", &rc, err) < 0 ||
	    nd_json_get_obj(req->conf, "args", &args, err) < 0 || nd_json_get_obj(args, "cni", &cni, err) < 0 ||
	    nd_json_get_str(rc, "mac", false, &mac, err) < 0 || nd_json_get_str(cni, "mac", false, &mac, err) < 0)
		return -EINVAL;
	if (nd_cni_args_get(req->args, "MAC", &from_args) < 0)
		return nd_oom(err);
	if (from_args)
		mac = from_args;
	if (!mac)
		return 0;
	if (!valid_mac(mac))
		return nd_err_set(err, ND_CNI_INVALID_CONFIG, EINVAL, "mac '%s' is not a unicast xx:xx:xx:xx:xx:xx", mac);
	strcpy(c->mac, mac);
	return 0;
}

int nd_bridge_conf_parse(const struct nd_cni_req *req, struct nd_bridge_conf *ret, struct nd_err **err)
{
	struct nd_bridge_conf c = { .bridge = "cni0", .isolate = true, .icc = true };
	const char *br = NULL;
	json_t *ipam = NULL;

	if (nd_cni_args_validate(req->args, known_args, err) < 0)
		return -EINVAL;
	if (nd_json_get_str(req->conf, "bridge", false, &br, err) < 0 || parse_bools(req->conf, &c, err) < 0 ||
	    parse_numbers(req->conf, &c, err) < 0 || nd_json_get_obj(req->conf, "ipam", &ipam, err) < 0 ||
	    nd_json_get_str(ipam, "type", false, &c.ipam_type, err) < 0 || parse_mac(req, &c, err) < 0)
		return nd_err_wrap(err, "network '%s'", req->name);
	if (br && !nd_cni_valid_ifname(br))
		return nd_err_set(err, ND_CNI_INVALID_CONFIG, EINVAL, "network '%s': bridge name '%s' is not a valid interface name",
				  req->name, br);
	if (br)
		strcpy(c.bridge, br);
	if (c.ipam_type && !c.ipam_type[0])
		c.ipam_type = NULL;
	if (!c.ipam_type && (c.is_gw || c.ip_masq))
		return nd_err_set(err, ND_CNI_INVALID_CONFIG, EINVAL,
				  "network '%s': isGateway and ipMasq need an ipam section with a type", req->name);
	*ret = c;
	return 0;
}

void nd_bridge_host_ifname(const char *id, const char *ifname, char ret[16])
{
	uint64_t h = 0xcbf29ce484222325ULL; /* FNV-1a 64 */

	for (const char *p = id; *p; p++)
		h = (h ^ (unsigned char)*p) * 0x100000001b3ULL;
	h = (h ^ '/') * 0x100000001b3ULL;
	for (const char *p = ifname; *p; p++)
		h = (h ^ (unsigned char)*p) * 0x100000001b3ULL;
	snprintf(ret, 16, "nd%013llx", (unsigned long long)(h & 0xfffffffffffffULL));
}

bool nd_bridge_is_host_ifname(const char *name)
{
	return strlen(name) == 15 && !strncmp(name, "nd", 2) && strspn(name + 2, "0123456789abcdef") == 13;
}

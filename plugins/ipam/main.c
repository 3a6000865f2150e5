/* netd-ipam: a host-local compatible IPAM plugin. All logic lives in lib/ipam/ipamcni.c. */
#include "cni/plugin.h"
#include "ipam/ipamcni.h"

static const struct nd_cni_plugin plugin = {
	.name = ND_IPAM_TYPE,
	.add = nd_ipamcni_add,
	.del = nd_ipamcni_del,
	.check = nd_ipamcni_check,
	.gc = nd_ipamcni_gc,
	.status = nd_ipamcni_status,
};

int main(void)
{
	return nd_cni_main(&plugin);
}

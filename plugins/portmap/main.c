/* netd-portmap: a drop-in for the reference "portmap" plugin. All logic lives in lib/portmap/. */
#include "cni/plugin.h"
#include "portmap/portmap.h"

static const struct nd_cni_plugin plugin = {
	.name = "netd-portmap",
	.add = nd_portmap_add,
	.del = nd_portmap_del,
	.check = nd_portmap_check,
	.gc = nd_portmap_gc,
	.status = nd_portmap_status,
};

int main(void)
{
	return nd_cni_main(&plugin);
}

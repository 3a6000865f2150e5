/* netd-bridge: a drop-in for the reference "bridge" plugin. All logic lives in lib/bridge/bridge.c. */
#include "bridge/bridge.h"
#include "cni/plugin.h"

static const struct nd_cni_plugin plugin = {
	.name = "netd-bridge",
	.add = nd_bridge_add,
	.del = nd_bridge_del,
	.check = nd_bridge_check,
	.gc = nd_bridge_gc,
	.status = nd_bridge_status,
};

int main(void)
{
	return nd_cni_main(&plugin);
}

/* netd-loopback: brings lo up inside the container's netns. All logic lives in lib/bridge/loopback.c. */
#include "bridge/loopback.h"
#include "cni/plugin.h"

/* DEL leaves lo alone: it dies with the netns, and DEL must succeed when the netns is gone. */
static const struct nd_cni_plugin plugin = {
	.name = "netd-loopback",
	.add = nd_loopback_add,
	.check = nd_loopback_check,
};

int main(void)
{
	return nd_cni_main(&plugin);
}

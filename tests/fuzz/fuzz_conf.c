/*
 * libFuzzer target: a whole network config as a plugin receives it on stdin, through the
 * request parser, the bridge config, runtimeConfig/args, and the IPAM config. The
 * environment is fixed so that every parse step is reached.
 */
#include <stdint.h>
#include <stdlib.h>

#include "bridge/bridge.h"
#include "cni/cni.h"
#include "ipam/ipam.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct nd_err *err = NULL;
	struct nd_cni_req req;
	struct nd_bridge_conf bc;
	struct nd_ipam_conf ic;

	setenv("CNI_COMMAND", "ADD", 1);
	setenv("CNI_CONTAINERID", "fuzz", 1);
	setenv("CNI_IFNAME", "eth0", 1);
	setenv("CNI_NETNS", "/nonexistent", 1);
	setenv("CNI_PATH", "/nonexistent", 1);
	setenv("CNI_ARGS", "IgnoreUnknown=1;IP=10.0.0.5", 1);
	if (nd_cni_req_parse((const char *)data, size, &req, &err) >= 0) {
		nd_bridge_conf_parse(&req, &bc, &err);
		nd_err_freep(&err);
		if (nd_ipam_conf_parse(req.conf, req.args, &ic, &err) >= 0)
			nd_ipam_conf_clear(&ic);
		nd_cni_req_clear(&req);
	}
	nd_err_free(err);
	return 0;
}

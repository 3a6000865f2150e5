#include "ipam/delegate.h"

#include <errno.h>
#include <string.h>

#include "base/cleanup.h"
#include "cni/exec.h"
#include "ipam/ipamcni.h"

static bool in_process(const char *type)
{
	return !strcmp(type, ND_IPAM_TYPE);
}

int nd_delegate_add(const struct nd_cni_req *req, const char *type, struct nd_result *ret, struct nd_err **err)
{
	json_t *out = NULL;
	int r;

	if (in_process(type))
		return nd_ipamcni_add(req, ret, err);
	r = nd_exec_plugin(req->path, type, "ADD", req->conf, &out, err);
	if (r < 0)
		return r;
	if (!out)
		return nd_err_set(err, ND_ERR_PLUGIN, EINVAL, "ipam plugin '%s' printed no result", type);
	r = nd_result_from_json(out, ret, err);
	json_decref(out);
	return r < 0 ? nd_err_wrap(err, "result of ipam plugin '%s'", type) : 0;
}

int nd_delegate_run(const struct nd_cni_req *req, const char *type, enum nd_cni_cmd cmd, struct nd_err **err)
{
	static const char *const names[] = { [ND_CMD_DEL] = "DEL", [ND_CMD_CHECK] = "CHECK",
					     [ND_CMD_GC] = "GC", [ND_CMD_STATUS] = "STATUS" };
	json_t *out = NULL;
	int r;

	if (in_process(type)) {
		switch (cmd) {
		case ND_CMD_DEL:
			return nd_ipamcni_del(req, err);
		case ND_CMD_CHECK:
			return nd_ipamcni_check(req, err);
		case ND_CMD_GC:
			return nd_ipamcni_gc(req, err);
		case ND_CMD_STATUS:
			return nd_ipamcni_status(req, err);
		default:
			return nd_err_set(err, ND_ERR_INTERNAL, EINVAL, "bad delegated command");
		}
	}
	if (cmd >= ND_ARRAY_SIZE(names) || !names[cmd])
		return nd_err_set(err, ND_ERR_INTERNAL, EINVAL, "bad delegated command");
	r = nd_exec_plugin(req->path, type, names[cmd], req->conf, &out, err);
	json_decref(out);
	return r;
}

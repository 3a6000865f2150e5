#include "cni/plugin.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/cleanup.h"
#include "base/fdio.h"
#include "base/json.h"
#include "base/log.h"

#define ND_STDIN_MAX (4u << 20) /* a config larger than this is not a network config */

static int read_stdin(char **ret, size_t *ret_len, struct nd_err **err)
{
	int r = nd_read_all(STDIN_FILENO, ND_STDIN_MAX, ret, ret_len);

	/* No stdin at all (closed fd) reads as empty; anything else is I/O. */
	if (r == -EBADF) {
		*ret_len = 0;
		return (*ret = strdup("")) ? 0 : nd_oom(err);
	}
	if (r == -EFBIG)
		return nd_err_set(err, ND_CNI_DECODE, EFBIG, "network config exceeds %u bytes", ND_STDIN_MAX);
	if (r == -ENOMEM)
		return nd_oom(err);
	return r < 0 ? nd_err_set(err, ND_CNI_IO, -r, "reading stdin") : 0;
}

static void print_json(json_t *o)
{
	char *s = json_dumps(o, JSON_COMPACT);

	if (s) {
		fputs(s, stdout);
		fputc('\n', stdout);
		free(s);
	}
	fflush(stdout);
}

static void print_error(const struct nd_err *e, const char *version)
{
	json_t *o = nd_cni_error_json(e, version);

	/* Out of memory: an error object all the same, by hand. */
	if (o)
		print_json(o);
	else
		printf("{\"cniVersion\":\"%s\",\"code\":%d,\"msg\":\"out of memory\",\"details\":\"\"}\n",
		       version ? version : "1.1.0", ND_ERR_INTERNAL);
	json_decref(o);
	nd_log(ND_LOG_INFO, "%s", e && e->msg ? e->msg : "error");
}

static int print_versions(const char *asked, struct nd_err **err)
{
	json_t *o = json_pack("{s:s, s:[]}", "cniVersion", asked ? asked : "1.1.0", "supportedVersions");
	bool ok = true;

	for (size_t i = 0; o && nd_cni_versions[i]; i++)
		nd_json_append(json_object_get(o, "supportedVersions"), json_string(nd_cni_versions[i]), &ok);
	if (!(o = nd_json_built(o, ok)))
		return nd_oom(err);
	print_json(o);
	json_decref(o);
	return 0;
}

static int dispatch(const struct nd_cni_plugin *p, const struct nd_cni_req *req, struct nd_err **err)
{
	struct nd_result res;
	int r = 0;

	switch (req->cmd) {
	case ND_CMD_ADD:
		nd_result_init(&res);
		r = p->add ? p->add(req, &res, err) : 0;
		if (r >= 0) {
			json_t *o = nd_result_to_json(&res, req->version);

			if (o)
				print_json(o);
			else
				r = nd_oom(err);
			json_decref(o);
		}
		nd_result_clear(&res);
		return r;
	case ND_CMD_DEL:
		/* An ID ADD refuses (cni.h) has nothing to delete; failing would have runtimes retry forever. */
		if (strlen(req->container_id) > ND_CNI_ID_MAX)
			return 0;
		return p->del ? p->del(req, err) : 0;
	case ND_CMD_CHECK:
		return p->check ? p->check(req, err) : 0;
	case ND_CMD_GC:
		return p->gc ? p->gc(req, err) : 0;
	case ND_CMD_STATUS:
		return p->status ? p->status(req, err) : 0;
	case ND_CMD_VERSION:
		return print_versions(req->version, err);
	}
	return nd_err_set(err, ND_CNI_INVALID_ENV, EINVAL, "unknown command");
}

int nd_cni_main(const struct nd_cni_plugin *p)
{
	_cleanup_err_ struct nd_err *err = NULL;
	_cleanup_free_ char *buf = NULL;
	struct nd_cni_req req;
	size_t len = 0;
	int r;

	memset(&req, 0, sizeof(req));
	/* A delegated plugin that dies early must not kill us while we write its stdin. */
	signal(SIGPIPE, SIG_IGN);
	r = read_stdin(&buf, &len, &err);
	if (r >= 0)
		r = nd_cni_req_parse(buf, len, &req, &err);
	if (r >= 0)
		r = dispatch(p, &req, &err);
	if (r < 0) {
		if (!err)
			nd_err_set(&err, ND_ERR_INTERNAL, -r, "%s failed", p->name);
		print_error(err, req.version);
	}
	nd_cni_req_clear(&req);
	return r < 0 ? 1 : 0;
}

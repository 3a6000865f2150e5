/* The CLI's side of the API: the daemon when it answers, the same routes in-process if not. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "base/state.h"
#include "cli.h"
#include "daemon.h"
#include "networks/apiclient.h"
#include "networks/network.h"

/* What lib/ reports in-process (a network skipped or quarantined): the daemon would log it. */
static void notify(enum nd_log_level level, const char *msg)
{
	(void)level;
	fprintf(stderr, "netd: %s\n", msg);
}

/* A daemon-less request: the API's own routes over the state dir, without HTTP. */
static int local_request(const char *method, const char *path, json_t *body, int *ret_status, json_t **ret_body)
{
	static struct nd_daemon d = { .lock = PTHREAD_MUTEX_INITIALIZER };
	char url[2048];
	char *q;
	unsigned int flags;
	struct nd_api_answer a;

	nd_ctx_from_env(&d.ctx);
	d.ctx.notify = notify;
	d.socket = nd_cli.socket;
	d.max_body = ND_BODY_MAX_DEFAULT;
	snprintf(url, sizeof(url), "%s", path);
	q = strchr(url, '?');
	flags = q ? nd_api_flags(strstr(q, "force=1") || strstr(q, "force=true") ? "1" : NULL,
				 strstr(q, "netnsDying=1") ? "1" : NULL)
		  : 0;
	if (q)
		*q = '\0';
	/* Paths were escaped for HTTP; names are validated to need no escaping, so undo only %XX. */
	for (char *r = url, *w = url; ; r++, w++) {
		unsigned int ch;

		if (r[0] == '%' && sscanf(r + 1, "%2x", &ch) == 1) {
			*w = (char)ch;
			r += 2;
		} else {
			*w = *r;
		}
		if (!*r)
			break;
	}
	a = nd_api_route(&d, method, url, body, flags);
	*ret_status = (int)a.status;
	*ret_body = a.body;
	return 0;
}

int nd_cli_request(const char *method, const char *path, json_t *body, bool allow_local, int *ret_status,
		   json_t **ret_body, bool *ret_local, struct nd_err **err)
{
	int r = nd_api_call(nd_cli.socket, method, path, body, ret_status, ret_body, err);

	if (ret_local)
		*ret_local = false;
	if (r != -ENOENT && r != -ECONNREFUSED)
		return r;
	if (!allow_local)
		return r;
	if (ret_local)
		*ret_local = true;
	return local_request(method, path, body, ret_status, ret_body);
}

/*
 * The REST API over libmicrohttpd: body limits, peer credentials, the listeners. The
 * routes are routes.c; each request runs them under the daemon's lock.
 */
#include "daemon.h"

#include <arpa/inet.h>
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/types.h>

#include <microhttpd.h>

#include "cleanup.h"
#include "json.h"
#include "log.h"

#define MAX_GROUPS 64
#define _cleanup_json_ _cleanup_(json_decrefp)
#define answer nd_api_answer

/* Per connection: the body as it arrives, and whether the peer may talk to us at all. */
struct req {
	char *body;
	size_t len;
	bool too_large, refused;
};

static enum MHD_Result send_answer(struct MHD_Connection *c, struct answer a)
{
	char *text = a.body ? json_dumps(a.body, JSON_COMPACT) : NULL;
	size_t len = text ? strlen(text) : 0;
	struct MHD_Response *resp;
	enum MHD_Result r;

	json_decref(a.body);
	if (text) {
		text[len++] = '\n'; /* the NUL becomes a newline: curl output ends its line */
		resp = MHD_create_response_from_buffer(len, text, MHD_RESPMEM_MUST_FREE);
	} else {
		resp = MHD_create_response_from_buffer(0, (void *)"", MHD_RESPMEM_PERSISTENT);
	}
	if (!resp) {
		free(text);
		return MHD_NO;
	}
	if (text)
		MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, "application/json");
	r = MHD_queue_response(c, a.status, resp);
	MHD_destroy_response(resp);
	return r;
}

/* SO_PEERCRED: root, or the socket's group as the peer's primary or supplementary group. */
static bool peer_allowed(const struct nd_daemon *d, struct MHD_Connection *c)
{
	const union MHD_ConnectionInfo *ci = MHD_get_connection_info(c, MHD_CONNECTION_INFO_CONNECTION_FD);
	struct ucred cred;
	socklen_t len = sizeof(cred);
	gid_t groups[MAX_GROUPS];
	socklen_t glen = sizeof(groups);

	if (!ci)
		return false;
	if (getsockopt(ci->connect_fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) < 0) {
		/* Not a unix socket: the TCP listener, which the operator asked for knowingly. */
		return errno == ENOPROTOOPT || errno == EOPNOTSUPP;
	}
	if (cred.uid == 0 || cred.gid == d->sock_gid)
		return true;
	if (getsockopt(ci->connect_fd, SOL_SOCKET, SO_PEERGROUPS, groups, &glen) == 0)
		for (size_t i = 0; i < glen / sizeof(gid_t); i++)
			if (groups[i] == d->sock_gid)
				return true;
	nd_log(ND_LOG_WARN, "refused peer uid %u gid %u (pid %d)", cred.uid, cred.gid, cred.pid);
	return false;
}

static bool body_fits(const struct nd_daemon *d, struct MHD_Connection *c)
{
	const char *cl = MHD_lookup_connection_value(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_LENGTH);

	return !cl || strtoull(cl, NULL, 10) <= d->max_body;
}

static void body_append(const struct nd_daemon *d, struct req *q, const char *data, size_t n)
{
	char *nb;

	if (q->too_large || q->len + n > d->max_body) {
		q->too_large = true;
		return;
	}
	if (!(nb = realloc(q->body, q->len + n + 1))) {
		q->too_large = true;
		return;
	}
	q->body = nb;
	memcpy(q->body + q->len, data, n);
	q->len += n;
	q->body[q->len] = '\0';
}

static struct answer serve(struct nd_daemon *d, struct MHD_Connection *c, const char *url, const char *method,
			   struct req *q)
{
	unsigned int flags = nd_api_flags(MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, "force"),
					  MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, "netnsDying"));
	_cleanup_json_ json_t *body = NULL;
	json_error_t jerr;
	struct answer a;

	if (q->too_large)
		return nd_api_fail(MHD_HTTP_CONTENT_TOO_LARGE, ND_ERR_REQUEST, "request body too large");
	if (q->len && !(body = json_loadb(q->body, q->len, JSON_REJECT_DUPLICATES, &jerr))) {
		char msg[256];

		snprintf(msg, sizeof(msg), "body is not JSON: %s", jerr.text);
		return nd_api_fail(MHD_HTTP_BAD_REQUEST, ND_CNI_DECODE, msg);
	}
	pthread_mutex_lock(&d->lock);
	a = nd_api_route(d, method, url, body, flags);
	pthread_mutex_unlock(&d->lock);
	nd_log(ND_LOG_DEBUG, "%s %s -> %u", method, url, a.status);
	return a;
}

static enum MHD_Result access_cb(void *cls, struct MHD_Connection *c, const char *url, const char *method,
				 const char *version, const char *upload, size_t *upload_size, void **con_cls)
{
	struct nd_daemon *d = cls;
	struct req *q = *con_cls;

	(void)version;
	if (!q) {
		if (!(q = calloc(1, sizeof(*q))))
			return MHD_NO;
		*con_cls = q;
		if (!peer_allowed(d, c))
			return send_answer(c, nd_api_fail(MHD_HTTP_FORBIDDEN, ND_ERR_REQUEST, "permission denied"));
		/* Refused before the body is read: a client must not make us buffer it. */
		if (!body_fits(d, c))
			return send_answer(c, nd_api_fail(MHD_HTTP_CONTENT_TOO_LARGE, ND_ERR_REQUEST,
							"request body too large"));
		return MHD_YES;
	}
	if (*upload_size) {
		body_append(d, q, upload, *upload_size);
		*upload_size = 0;
		return MHD_YES;
	}
	return send_answer(c, serve(d, c, url, method, q));
}

static void completed_cb(void *cls, struct MHD_Connection *c, void **con_cls, enum MHD_RequestTerminationCode toe)
{
	struct req *q = *con_cls;

	(void)cls, (void)c, (void)toe;
	if (q)
		free(q->body);
	free(q);
	*con_cls = NULL;
}

static struct MHD_Daemon *unix_mhd, *tcp_mhd;

static void log_cb(void *cls, const char *fmt, va_list ap)
{
	char msg[512];

	(void)cls;
	vsnprintf(msg, sizeof(msg), fmt, ap);
	msg[strcspn(msg, "\n")] = '\0';
	nd_log(ND_LOG_WARN, "http: %s", msg);
}

static struct MHD_Daemon *start(struct nd_daemon *d, int fd, const struct sockaddr_in *sa)
{
	unsigned int flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_POLL | MHD_USE_ERROR_LOG;

	/* Small per-connection pools: the RSS budget is 4 MiB with 1000 attachments. */
	if (fd >= 0)
		return MHD_start_daemon(flags, 0, NULL, NULL, access_cb, d, MHD_OPTION_EXTERNAL_LOGGER, log_cb, d,
					MHD_OPTION_LISTEN_SOCKET, fd, MHD_OPTION_NOTIFY_COMPLETED, completed_cb, d,
					MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)16384,
					MHD_OPTION_CONNECTION_LIMIT, 64u, MHD_OPTION_CONNECTION_TIMEOUT, 60u,
					MHD_OPTION_END);
	return MHD_start_daemon(flags, ntohs(sa->sin_port), NULL, NULL, access_cb, d, MHD_OPTION_EXTERNAL_LOGGER,
				log_cb, d, MHD_OPTION_SOCK_ADDR, sa, MHD_OPTION_NOTIFY_COMPLETED, completed_cb, d,
				MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)16384, MHD_OPTION_CONNECTION_LIMIT, 64u,
				MHD_OPTION_CONNECTION_TIMEOUT, 60u, MHD_OPTION_END);
}

/* Only "tcp://IPv4:PORT": an unauthenticated listener is meant for a loopback address. */
static int parse_listen(const char *s, struct sockaddr_in *sa, struct nd_err **err)
{
	char host[64];
	unsigned int port = 0;

	memset(sa, 0, sizeof(*sa));
	sa->sin_family = AF_INET;
	if (sscanf(s, "tcp://%63[0-9.]:%u", host, &port) != 2 || port == 0 || port > 65535 ||
	    inet_pton(AF_INET, host, &sa->sin_addr) != 1)
		return nd_err_set(err, ND_CNI_INVALID_CONFIG, EINVAL, "--listen '%s': want tcp://IPv4:PORT", s);
	sa->sin_port = htons((uint16_t)port);
	return 0;
}

int nd_api_start(struct nd_daemon *d, int unix_fd, struct nd_err **err)
{
	struct sockaddr_in sa;
	int r;

	if (!(unix_mhd = start(d, unix_fd, NULL)))
		return nd_err_set(err, ND_ERR_INTERNAL, EIO, "libmicrohttpd would not start on '%s'", d->socket);
	if (!d->listen)
		return 0;
	if ((r = parse_listen(d->listen, &sa, err)) < 0)
		return r;
	if (!(tcp_mhd = start(d, -1, &sa)))
		return nd_err_set(err, ND_ERR_INTERNAL, EADDRINUSE, "libmicrohttpd would not listen on '%s'", d->listen);
	nd_log(ND_LOG_WARN, "listening on %s: the TCP API has NO authentication, anyone who can connect "
			    "controls container networking", d->listen);
	return 0;
}

void nd_api_stop(void)
{
	if (tcp_mhd)
		MHD_stop_daemon(tcp_mhd);
	if (unix_mhd)
		MHD_stop_daemon(unix_mhd);
	tcp_mhd = unix_mhd = NULL;
}

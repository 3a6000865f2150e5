/*
 * The REST API over libmicrohttpd: who may connect, how long a request may take, body
 * limits, the listeners. The routes are routes.c; each request runs them under the
 * daemon's lock.
 *
 * Connections are judged when they open, not when their headers have arrived: libmicrohttpd
 * tells us (MHD_OPTION_NOTIFY_CONNECTION) right after accept, and its accept policy
 * callback cannot, since it sees only an address. There SO_PEERCRED gives the peer's uid:
 * non-root peers share CONN_NONROOT of the CONN_LIMIT slots, at most CONN_PER_UID each, so
 * the rest stays root's; a connection over its quota is shut down at once. A request must
 * arrive whole within REQUEST_TIMEOUT seconds of the connection (or of the previous answer
 * on it): a watchdog shuts down the ones that dribble, which libmicrohttpd's idle timeout
 * (IDLE_TIMEOUT) alone would keep forever.
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
#include <time.h>

#include <microhttpd.h>

#include "base/cleanup.h"
#include "base/json.h"
#include "base/log.h"

#define MAX_GROUPS 64
#define answer nd_api_answer

/* Per listener. The first three sum so that root always finds a free slot. */
#define CONN_LIMIT 256u   /* libmicrohttpd's own limit: beyond it, it closes at accept */
#define CONN_NONROOT 192u /* every non-root peer together */
#define CONN_PER_UID 32u  /* one non-root uid */
#define IDLE_TIMEOUT 5u   /* seconds without a byte moving */
#define REQUEST_TIMEOUT 5 /* seconds for a whole request (headers and body) to arrive */

/* Per connection (libmicrohttpd's socket context): who it is, and its deadline. */
struct conn {
	struct conn *next;
	int fd;
	uid_t uid;      /* (uid_t)-1 for TCP and unknown peers */
	bool allowed;   /* the peer may use the API; otherwise its requests get 403 */
	bool counted;   /* holds a non-root slot */
	bool cut;       /* shut down (over quota, or past its deadline): libmicrohttpd closes it */
	time_t deadline; /* monotonic seconds for the request being received; 0: none (serving, cut) */
};

/* Per listener: what the notify callback needs. */
struct listener {
	struct nd_daemon *d;
	bool tcp;
};

static struct {
	pthread_mutex_t lock;
	struct conn *head;
	unsigned int nonroot;
	pthread_t watchdog;
	bool watching, stop;
	pthread_cond_t wake;
} conns = { .lock = PTHREAD_MUTEX_INITIALIZER, .wake = PTHREAD_COND_INITIALIZER };

/* Per request: the body as it arrives. */
struct req {
	char *body;
	size_t len;
	bool too_large, oom; /* the body is dropped, and the answer says which */
};

static time_t now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec;
}

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
static bool peer_allowed(const struct nd_daemon *d, int fd, uid_t *ret_uid)
{
	struct ucred cred;
	socklen_t len = sizeof(cred);
	gid_t groups[MAX_GROUPS];
	socklen_t glen = sizeof(groups);

	*ret_uid = (uid_t)-1;
	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) < 0)
		return false;
	*ret_uid = cred.uid;
	if (cred.uid == 0 || cred.gid == d->sock_gid)
		return true;
	if (getsockopt(fd, SOL_SOCKET, SO_PEERGROUPS, groups, &glen) == 0)
		for (size_t i = 0; i < glen / sizeof(gid_t); i++)
			if (groups[i] == d->sock_gid)
				return true;
	nd_log(ND_LOG_WARN, "refused peer uid %u gid %u (pid %d)", cred.uid, cred.gid, cred.pid);
	return false;
}

/* Under conns.lock: whether a new connection of uid fits its quota. */
static bool quota_left(uid_t uid)
{
	unsigned int mine = 0;

	if (conns.nonroot >= CONN_NONROOT)
		return false;
	for (struct conn *k = conns.head; k; k = k->next)
		mine += k->counted && k->uid == uid;
	return mine < CONN_PER_UID;
}

static void conn_open(struct listener *l, struct MHD_Connection *c, void **socket_context)
{
	const union MHD_ConnectionInfo *ci = MHD_get_connection_info(c, MHD_CONNECTION_INFO_CONNECTION_FD);
	struct conn *k = calloc(1, sizeof(*k));
	bool admit;

	if (!ci || !k) {
		free(k);
		if (ci)
			shutdown(ci->connect_fd, SHUT_RDWR);
		return;
	}
	k->fd = ci->connect_fd;
	k->uid = (uid_t)-1;
	/* TCP is served on loopback only and every peer there is allowed (nd_api_start). */
	k->allowed = l->tcp || peer_allowed(l->d, k->fd, &k->uid);
	pthread_mutex_lock(&conns.lock);
	admit = l->tcp || k->uid == 0 || quota_left(k->uid);
	k->counted = admit && !l->tcp && k->uid != 0;
	conns.nonroot += k->counted;
	k->deadline = admit ? now_s() + REQUEST_TIMEOUT : 0;
	k->cut = !admit;
	k->next = conns.head;
	conns.head = k;
	pthread_mutex_unlock(&conns.lock);
	*socket_context = k;
	if (!admit) {
		nd_log(ND_LOG_DEBUG, "peer uid %u is over its connection quota", (unsigned int)k->uid);
		shutdown(k->fd, SHUT_RDWR);
	}
}

/* Called before libmicrohttpd closes the fd: the watchdog never touches a reused number. */
static void conn_close(void **socket_context)
{
	struct conn *k = *socket_context;

	if (!k)
		return;
	pthread_mutex_lock(&conns.lock);
	for (struct conn **p = &conns.head; *p; p = &(*p)->next)
		if (*p == k) {
			*p = k->next;
			break;
		}
	conns.nonroot -= k->counted;
	pthread_mutex_unlock(&conns.lock);
	free(k);
	*socket_context = NULL;
}

static void notify_cb(void *cls, struct MHD_Connection *c, void **socket_context,
		      enum MHD_ConnectionNotificationCode code)
{
	if (code == MHD_CONNECTION_NOTIFY_STARTED)
		conn_open(cls, c, socket_context);
	else if (code == MHD_CONNECTION_NOTIFY_CLOSED)
		conn_close(socket_context);
}

static struct conn *conn_of(struct MHD_Connection *c)
{
	const union MHD_ConnectionInfo *ci = MHD_get_connection_info(c, MHD_CONNECTION_INFO_SOCKET_CONTEXT);

	return ci ? ci->socket_context : NULL;
}

/* serving: the request is whole, no deadline while it runs; else the next one's starts. */
static void conn_deadline(struct MHD_Connection *c, bool serving)
{
	struct conn *k = conn_of(c);

	if (!k)
		return;
	pthread_mutex_lock(&conns.lock);
	if (!k->cut)
		k->deadline = serving ? 0 : now_s() + REQUEST_TIMEOUT;
	pthread_mutex_unlock(&conns.lock);
}

static void *watchdog(void *unused)
{
	(void)unused;
	pthread_mutex_lock(&conns.lock);
	while (!conns.stop) {
		struct timespec ts;
		time_t now = now_s();

		for (struct conn *k = conns.head; k; k = k->next)
			if (k->deadline && now >= k->deadline) {
				/* libmicrohttpd then reads EOF and closes it in its own thread. */
				shutdown(k->fd, SHUT_RDWR);
				k->deadline = 0;
				k->cut = true;
			}
		clock_gettime(CLOCK_REALTIME, &ts);
		ts.tv_sec += 1;
		pthread_cond_timedwait(&conns.wake, &conns.lock, &ts);
	}
	pthread_mutex_unlock(&conns.lock);
	return NULL;
}

static bool body_fits(const struct nd_daemon *d, struct MHD_Connection *c)
{
	const char *cl = MHD_lookup_connection_value(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_LENGTH);

	return !cl || strtoull(cl, NULL, 10) <= d->max_body;
}

static void body_append(const struct nd_daemon *d, struct req *q, const char *data, size_t n)
{
	char *nb;

	if (q->too_large || q->oom || q->len + n > d->max_body) {
		q->too_large = !q->oom;
		return;
	}
	if (!(nb = realloc(q->body, q->len + n + 1))) {
		q->oom = true;
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
	_cleanup_err_ struct nd_err *e = NULL;
	struct answer a;

	if (q->too_large)
		return nd_api_fail(ND_ERR_TOO_LARGE, "request body too large");
	if (q->oom)
		return nd_api_fail(ND_ERR_INTERNAL, "out of memory");
	/* Bounded before jansson recurses: a deep body is refused, never stored. */
	if (q->len && nd_json_parse_bounded(q->body, q->len, ND_JSON_MAX_DEPTH, &body, &e) < 0) {
		char msg[256];

		snprintf(msg, sizeof(msg), "body: %s", e->msg);
		return nd_api_fail(ND_CNI_DECODE, msg);
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
	struct listener *l = cls;
	struct conn *k = conn_of(c);
	struct req *q = *con_cls;

	(void)version;
	if (!q) {
		if (!(q = calloc(1, sizeof(*q))))
			return MHD_NO;
		*con_cls = q;
		if (!k || !k->allowed)
			return send_answer(c, nd_api_fail(ND_ERR_REFUSED, "permission denied"));
		/* Refused before the body is read: a client must not make us buffer it. */
		if (!body_fits(l->d, c))
			return send_answer(c, nd_api_fail(ND_ERR_TOO_LARGE, "request body too large"));
		return MHD_YES;
	}
	if (*upload_size) {
		body_append(l->d, q, upload, *upload_size);
		*upload_size = 0;
		return MHD_YES;
	}
	conn_deadline(c, true);
	return send_answer(c, serve(l->d, c, url, method, q));
}

static void completed_cb(void *cls, struct MHD_Connection *c, void **con_cls, enum MHD_RequestTerminationCode toe)
{
	struct req *q = *con_cls;

	(void)cls, (void)toe;
	if (q)
		free(q->body);
	free(q);
	*con_cls = NULL;
	/* Keep-alive: the next request on this connection gets a deadline of its own. */
	conn_deadline(c, false);
}

static struct MHD_Daemon *unix_mhd, *tcp_mhd;
static struct listener unix_l, tcp_l;

static void log_cb(void *cls, const char *fmt, va_list ap)
{
	char msg[512];

	(void)cls;
	vsnprintf(msg, sizeof(msg), fmt, ap);
	msg[strcspn(msg, "\n")] = '\0';
	nd_log(ND_LOG_WARN, "http: %s", msg);
}

/* Small per-connection pools: the RSS budget is 4 MiB with 1000 attachments. */
static struct MHD_Daemon *start(struct listener *l, int fd, const struct sockaddr *sa)
{
	unsigned int flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_POLL | MHD_USE_ERROR_LOG;
	uint16_t port = 0;

	if (sa && sa->sa_family == AF_INET6) {
		flags |= MHD_USE_IPv6;
		port = ntohs(((const struct sockaddr_in6 *)sa)->sin6_port);
	} else if (sa) {
		port = ntohs(((const struct sockaddr_in *)sa)->sin_port);
	}
	return MHD_start_daemon(flags, port, NULL, NULL, access_cb, l, MHD_OPTION_EXTERNAL_LOGGER, log_cb, l,
				fd >= 0 ? MHD_OPTION_LISTEN_SOCKET : MHD_OPTION_SOCK_ADDR,
				fd >= 0 ? (intptr_t)fd : (intptr_t)sa, MHD_OPTION_NOTIFY_COMPLETED, completed_cb, l,
				MHD_OPTION_NOTIFY_CONNECTION, notify_cb, l, MHD_OPTION_CONNECTION_MEMORY_LIMIT,
				(size_t)16384, MHD_OPTION_CONNECTION_LIMIT, CONN_LIMIT, MHD_OPTION_CONNECTION_TIMEOUT,
				IDLE_TIMEOUT, MHD_OPTION_END);
}

int nd_api_parse_listen(const char *s, struct sockaddr_storage *ret, struct nd_err **err)
{
	struct sockaddr_in *in = (struct sockaddr_in *)ret;
	struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)ret;
	char host[64], tail;
	unsigned int port = 0;

	memset(ret, 0, sizeof(*ret));
	if (sscanf(s, "tcp://[%63[0-9a-fA-F:]]:%u%c", host, &port, &tail) == 2 &&
	    inet_pton(AF_INET6, host, &in6->sin6_addr) == 1) {
		in6->sin6_family = AF_INET6;
		in6->sin6_port = htons((uint16_t)port);
	} else if (sscanf(s, "tcp://%63[0-9.]:%u%c", host, &port, &tail) == 2 &&
		   inet_pton(AF_INET, host, &in->sin_addr) == 1) {
		in->sin_family = AF_INET;
		in->sin_port = htons((uint16_t)port);
	} else {
		return nd_err_set(err, ND_CNI_INVALID_CONFIG, EINVAL, "--listen '%s': want tcp://127.0.0.1:PORT", s);
	}
	if (port == 0 || port > 65535)
		return nd_err_set(err, ND_CNI_INVALID_CONFIG, EINVAL, "--listen '%s': port out of 1..65535", s);
	/* Unauthenticated (as Docker's tcp://127.0.0.1:2375): never on an address others reach. */
	if (ret->ss_family == AF_INET ? ((const uint8_t *)&in->sin_addr)[0] != 127
				      : !IN6_IS_ADDR_LOOPBACK(&in6->sin6_addr))
		return nd_err_set(err, ND_CNI_INVALID_CONFIG, EINVAL,
				  "--listen '%s': only a loopback address (127.0.0.0/8, [::1]) may be served: the TCP "
				  "API has no authentication and TLS is not implemented", s);
	return 0;
}

int nd_api_start(struct nd_daemon *d, int unix_fd, struct nd_err **err)
{
	struct sockaddr_storage sa;
	int r;

	if (d->listen && (r = nd_api_parse_listen(d->listen, &sa, err)) < 0)
		return r;
	conns.stop = false;
	if (pthread_create(&conns.watchdog, NULL, watchdog, NULL) != 0)
		return nd_err_set(err, ND_ERR_INTERNAL, EAGAIN, "cannot start the connection watchdog");
	conns.watching = true;
	unix_l = (struct listener){ .d = d };
	if (!(unix_mhd = start(&unix_l, unix_fd, NULL)))
		return nd_err_set(err, ND_ERR_INTERNAL, EIO, "libmicrohttpd would not start on '%s'", d->socket);
	if (!d->listen)
		return 0;
	tcp_l = (struct listener){ .d = d, .tcp = true };
	if (!(tcp_mhd = start(&tcp_l, -1, (const struct sockaddr *)&sa)))
		return nd_err_set(err, ND_ERR_INTERNAL, EADDRINUSE, "libmicrohttpd would not listen on '%s'", d->listen);
	nd_log(ND_LOG_WARN, "listening on %s: the TCP API has NO authentication, anyone who can connect "
			    "to it controls container networking", d->listen);
	return 0;
}

void nd_api_stop(void)
{
	if (tcp_mhd)
		MHD_stop_daemon(tcp_mhd);
	if (unix_mhd)
		MHD_stop_daemon(unix_mhd);
	tcp_mhd = unix_mhd = NULL;
	if (conns.watching) {
		pthread_mutex_lock(&conns.lock);
		conns.stop = true;
		pthread_cond_signal(&conns.wake);
		pthread_mutex_unlock(&conns.lock);
		pthread_join(conns.watchdog, NULL);
		conns.watching = false;
	}
}

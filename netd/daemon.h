/*
 * The netd daemon (netd-daemon): its configuration and main loop (daemon.c), its REST API's
 * routes without HTTP (routes.c, which the CLI also calls in-process when no daemon runs)
 * and their HTTP server (httpd.c, the one user of libmicrohttpd).
 */
#pragma once

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <sys/socket.h>
#include <sys/types.h>

#include <jansson.h>

#include "networks/netops.h"

#define ND_VERSION "0.1.0"
#define ND_API_VERSION "1"
#define ND_BODY_MAX_DEFAULT (64u * 1024)
#define ND_DAEMON_CONFIG "/etc/netd/netd.json"

struct nd_daemon {
	struct nd_ctx ctx;
	const char *socket;  /* unix socket path */
	gid_t sock_gid;      /* peers in this group may talk to us, besides root */
	const char *listen;  /* "tcp://127.0.0.1:PORT" (loopback only) or NULL */
	size_t max_body;
	/* Every API request and reload runs under it: attaches are serialised by design. */
	pthread_mutex_t lock;
	/*
	 * Told after an attachment (added: true) or a detachment succeeded, and after a network
	 * was created or removed (id NULL), and after a GC or reload (network NULL: every
	 * network again), under lock: the DNS server's table follows (dnsglue.c).
	 * NULL in the CLI's in-process routes.
	 */
	void (*on_change)(struct nd_daemon *d, const char *network, const char *id, bool added);
	void *dns; /* struct nd_dns_server *, the daemon's only */
	/* The addresses a name has on a network's DNS (an array); NULL in the CLI's in-process routes. */
	json_t *(*dns_lookup)(struct nd_daemon *d, const char *network, const char *name);
};

struct nd_api_answer {
	unsigned int status; /* HTTP status */
	json_t *body;        /* NULL: no content */
};
/* An answer refusing a request: {"message": msg, "code": code}, the code's HTTP status. */
struct nd_api_answer nd_api_fail(int code, const char *msg);
/* Query flags: ?force=1 (network DELETE), ?netnsDying=1 (attachment DELETE, lib/networks/attach.h). */
enum { ND_API_FORCE = 1, ND_API_NETNS_DYING = 2 };
unsigned int nd_api_flags(const char *force, const char *netns_dying);
/*
 * One API request, without HTTP: the daemon's handler calls it under d->lock, and the CLI
 * calls it in-process when no daemon runs, so both give the same answers.
 */
struct nd_api_answer nd_api_route(struct nd_daemon *d, const char *method, const char *url, json_t *body,
				  unsigned int flags);

/*
 * d->listen ("tcp://127.0.0.1:PORT" or "tcp://[::1]:PORT") as an address; code 7 for any
 * other form and for a non-loopback address (no TLS, no authentication on TCP).
 */
int nd_api_parse_listen(const char *listen, struct sockaddr_storage *ret, struct nd_err **err);
/*
 * Serve the API (libmicrohttpd, one internal polling thread per listener) on the listening
 * unix socket fd, and on d->listen's TCP address when set. Stopped by nd_api_stop.
 */
int nd_api_start(struct nd_daemon *d, int unix_fd, struct nd_err **err);
void nd_api_stop(void);

/* `netd daemon [options]`: returns the exit status. */
int nd_daemon_main(int argc, char **argv);
/* Another firewall dropping forwarded traffic by policy, as a sentence; NULL when none. */
const char *nd_firewall_note(void);

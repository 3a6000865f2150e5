#include "dns/server.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "base/cleanup.h"
#include "dns/answer.h"
#include "dns/resolvconf.h"
#include "dns/zone.h"

#define MAX_NETS 256
#define MSG_MAX 65535

enum kind { K_QUEUE = 1, K_UDP, K_TCP_LISTEN, K_TCP, K_UP };

/* What an epoll event points at: every object starts with its kind. */
struct handle {
	enum kind kind;
	int fd;
};

struct net;
struct listener {
	struct handle h;
	struct net *net;
};

struct net {
	struct nd_dns_zone z;
	struct listener l[4]; /* udp4, tcp4, udp6, tcp6; fd -1 when not open */
};

struct tcpc {
	struct handle h;
	struct net *net;
	struct nd_ip src;
	uint8_t *buf;
	size_t have;
	int64_t deadline;
	unsigned int gen; /* changes when the slot is reused: a late upstream answer finds it gone */
};

struct pending {
	struct handle h;       /* the upstream socket; fd -1: slot free */
	struct net *net;
	struct nd_ip src;
	struct sockaddr_storage peer; /* a UDP asker */
	socklen_t peer_len;
	int reply_fd;          /* the UDP listener */
	struct tcpc *client;   /* or a TCP asker (with its gen) */
	unsigned int client_gen;
	uint8_t *query;        /* 2-byte length + the query, our id in it */
	size_t qlen;
	uint16_t orig_id;
	struct nd_ip up[ND_RESOLV_MAXNS];
	size_t n_up, at;
	bool tcp, sent;
	uint8_t *ans;          /* TCP: the answer so far (2-byte length first) */
	size_t ans_have;
	int64_t deadline;
};

struct change {
	struct change *next;
	enum { C_UP, C_DOWN, C_PUT, C_DEL, C_SYNC, C_LOOKUP, C_SET } op;
	char network[64];
	struct nd_dns_zone zone;   /* C_UP */
	struct nd_dns_entry entry; /* C_PUT */
	char id[129];              /* C_DEL; C_LOOKUP: the name */
	json_t *found;             /* C_LOOKUP: the caller's array, filled here */
	struct nd_dns_zone set;    /* C_SET: the entries only */
};

struct nd_dns_server {
	struct nd_dns_conf conf;
	struct handle q; /* the queue's pipe, read end */
	int q_write;
	int ep;
	pthread_t thread;
	pthread_mutex_t lock;
	pthread_cond_t synced;
	struct change *head, **tail;
	unsigned long long queued, applied;
	bool stop;
	struct net *nets[MAX_NETS];
	struct tcpc tcp[ND_DNS_TCP_MAX];
	struct pending pend[ND_DNS_PENDING_MAX];
	struct nd_resolv host;
	struct timespec host_mtime;
	int64_t host_checked;
	uint64_t rng;
	unsigned int rotate;
	uint8_t buf[MSG_MAX];
};

/* Who asked: where the answer goes. */
struct asker {
	struct net *net;
	struct nd_ip src;
	struct tcpc *client; /* TCP; else UDP to peer through fd */
	int fd;
	struct sockaddr_storage peer;
	socklen_t peer_len;
};

static int64_t now_ms(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (int64_t)t.tv_sec * 1000 + t.tv_nsec / 1000000;
}

static void note(struct nd_dns_server *s, enum nd_log_level level, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static void note(struct nd_dns_server *s, enum nd_log_level level, const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	if (!s->conf.notify)
		return;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	s->conf.notify(level, msg);
}

/* xorshift64*: query ids need to be unpredictable to an off-path spoofer, seeded by getrandom. */
static uint16_t new_id(struct nd_dns_server *s)
{
	s->rng ^= s->rng >> 12;
	s->rng ^= s->rng << 25;
	s->rng ^= s->rng >> 27;
	return (uint16_t)((s->rng * 0x2545F4914F6CDD1DULL) >> 48);
}

static void ip_of(const struct sockaddr_storage *sa, struct nd_ip *ret)
{
	memset(ret, 0, sizeof(*ret));
	if (sa->ss_family == AF_INET) {
		ret->family = AF_INET;
		memcpy(ret->a, &((const struct sockaddr_in *)sa)->sin_addr, 4);
	} else if (sa->ss_family == AF_INET6) {
		const struct in6_addr *a = &((const struct sockaddr_in6 *)sa)->sin6_addr;

		/* A v4-mapped peer is its IPv4 address. */
		if (IN6_IS_ADDR_V4MAPPED(a)) {
			ret->family = AF_INET;
			memcpy(ret->a, &a->s6_addr[12], 4);
		} else {
			ret->family = AF_INET6;
			memcpy(ret->a, a, 16);
		}
	}
}

static socklen_t sockaddr_of(const struct nd_ip *ip, unsigned short port, struct sockaddr_storage *ret)
{
	memset(ret, 0, sizeof(*ret));
	if (ip->family == AF_INET) {
		struct sockaddr_in *a = (struct sockaddr_in *)ret;

		a->sin_family = AF_INET;
		a->sin_port = htons(port);
		memcpy(&a->sin_addr, ip->a, 4);
		return sizeof(*a);
	}
	struct sockaddr_in6 *a6 = (struct sockaddr_in6 *)ret;

	a6->sin6_family = AF_INET6;
	a6->sin6_port = htons(port);
	memcpy(&a6->sin6_addr, ip->a, 16);
	return sizeof(*a6);
}

static int watch(struct nd_dns_server *s, struct handle *h, uint32_t events)
{
	struct epoll_event ev = { .events = events, .data.ptr = h };

	return epoll_ctl(s->ep, EPOLL_CTL_ADD, h->fd, &ev) < 0 ? -errno : 0;
}

static void close_handle(struct handle *h)
{
	if (h->fd >= 0)
		close(h->fd); /* leaves the epoll set with its last reference */
	h->fd = -1;
}

/* ---- listening: the gateway address(es) only ---- */

static int open_listener(struct nd_dns_server *s, const struct nd_ip *ip, bool tcp, int *ret_fd)
{
	struct sockaddr_storage sa;
	socklen_t len = sockaddr_of(ip, s->conf.port ? s->conf.port : 53, &sa);
	int fam = ip->family, one = 1;
	_cleanup_close_ int fd = socket(fam, (tcp ? SOCK_STREAM : SOCK_DGRAM) | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);

	if (fd < 0)
		return -errno;
	/* FREEBIND: the address may still be tentative (IPv6 DAD) or not yet on the bridge. */
	if ((fam == AF_INET6 && (setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one)) < 0 ||
				 setsockopt(fd, IPPROTO_IPV6, IPV6_FREEBIND, &one, sizeof(one)) < 0)) ||
	    (fam == AF_INET && setsockopt(fd, IPPROTO_IP, IP_FREEBIND, &one, sizeof(one)) < 0) ||
	    /* Beside a host DNS server on the wildcard address that allows it (aardvark-dns#13). */
	    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) < 0 ||
	    bind(fd, (struct sockaddr *)&sa, len) < 0 || (tcp && listen(fd, 64) < 0))
		return -errno;
	*ret_fd = TAKE_FD(fd);
	return 0;
}

static void listen_net(struct nd_dns_server *s, struct net *n)
{
	const struct nd_ip *gws[2] = { &n->z.gw, &n->z.gw6 };

	for (int i = 0; i < 4; i++) {
		const struct nd_ip *gw = gws[i / 2];
		struct listener *l = &n->l[i];
		char buf[ND_IP_STRLEN];
		int r;

		l->net = n;
		l->h = (struct handle){ i % 2 ? K_TCP_LISTEN : K_UDP, -1 };
		if (!gw->family)
			continue;
		if ((r = open_listener(s, gw, i % 2, &l->h.fd)) < 0 || (r = watch(s, &l->h, EPOLLIN)) < 0) {
			close_handle(&l->h);
			note(s, ND_LOG_ERR, "dns: network '%s': %s %s port %u: %s", n->z.network, i % 2 ? "tcp" : "udp",
			     nd_ip_fmt(gw, buf), s->conf.port ? s->conf.port : 53, strerror(-r));
		}
	}
}

static struct net **find_net(struct nd_dns_server *s, const char *name)
{
	for (size_t i = 0; i < MAX_NETS; i++)
		if (s->nets[i] && !strcmp(s->nets[i]->z.network, name))
			return &s->nets[i];
	return NULL;
}

/* Whatever was in flight for the network goes with it. */
static void drop_net_users(struct nd_dns_server *s, const struct net *n)
{
	for (size_t i = 0; i < ND_DNS_TCP_MAX; i++)
		if (s->tcp[i].h.fd >= 0 && s->tcp[i].net == n) {
			close_handle(&s->tcp[i].h);
			s->tcp[i].gen++;
		}
	for (size_t i = 0; i < ND_DNS_PENDING_MAX; i++)
		if (s->pend[i].h.fd >= 0 && s->pend[i].net == n) {
			close_handle(&s->pend[i].h);
			free(s->pend[i].query);
			free(s->pend[i].ans);
			s->pend[i].query = s->pend[i].ans = NULL;
		}
}

static void net_free(struct nd_dns_server *s, struct net *n)
{
	drop_net_users(s, n);
	for (int i = 0; i < 4; i++)
		close_handle(&n->l[i].h);
	nd_dns_zone_clear(&n->z);
	free(n);
}

static void apply_up(struct nd_dns_server *s, struct change *c)
{
	struct net **slot = find_net(s, c->network), *n;

	if (slot && nd_ip_equal(&(*slot)->z.gw, &c->zone.gw) && nd_ip_equal(&(*slot)->z.gw6, &c->zone.gw6)) {
		/* The same listeners: only the subnets and flags change; the names stay. */
		n = *slot;
		c->zone.entries = n->z.entries, c->zone.n = n->z.n, c->zone.cap = n->z.cap;
		n->z = c->zone;
		memset(&c->zone, 0, sizeof(c->zone));
		return;
	}
	if (!(n = calloc(1, sizeof(*n))))
		return note(s, ND_LOG_ERR, "dns: network '%s': out of memory", c->network);
	n->z = c->zone;
	memset(&c->zone, 0, sizeof(c->zone));
	if (slot) {
		/* New gateways: move the names over, then reopen. */
		n->z.entries = (*slot)->z.entries, n->z.n = (*slot)->z.n, n->z.cap = (*slot)->z.cap;
		(*slot)->z.entries = NULL;
		net_free(s, *slot);
		*slot = NULL;
	}
	for (size_t i = 0; i < MAX_NETS; i++)
		if (!s->nets[i]) {
			s->nets[i] = n;
			listen_net(s, n);
			return;
		}
	note(s, ND_LOG_ERR, "dns: network '%s': more than %d networks with DNS", n->z.network, MAX_NETS);
	net_free(s, n);
}

static void lookup_into(const struct nd_dns_zone *z, const char *name, json_t *found)
{
	const struct nd_dns_entry *ents[64];
	char lower[ND_DNS_NAME_MAX];
	size_t i = 0, n;

	for (; name[i] && i + 1 < sizeof(lower); i++)
		lower[i] = (char)(name[i] >= 'A' && name[i] <= 'Z' ? name[i] - 'A' + 'a' : name[i]);
	lower[i] = '\0';
	n = nd_dns_zone_find(z, lower, ents, 64);
	for (i = 0; i < n; i++)
		for (size_t k = 0; k < ents[i]->n_ips; k++) {
			char buf[ND_IP_STRLEN];

			json_array_append_new(found, json_string(nd_ip_fmt(&ents[i]->ips[k], buf)));
		}
}

static void apply(struct nd_dns_server *s, struct change *c)
{
	struct net **slot = c->op == C_UP || c->op == C_SYNC ? NULL : find_net(s, c->network);

	switch (c->op) {
	case C_UP: apply_up(s, c); break;
	case C_DOWN:
		if (slot) {
			net_free(s, *slot);
			*slot = NULL;
		}
		break;
	case C_PUT:
		if (slot && nd_dns_zone_put(&(*slot)->z, &c->entry) < 0)
			note(s, ND_LOG_ERR, "dns: network '%s': out of memory", c->network);
		break;
	case C_DEL:
		if (slot)
			nd_dns_zone_del(&(*slot)->z, c->id);
		break;
	case C_SYNC: break;
	case C_SET:
		if (slot) {
			/* Swap the entries: no query sees a half-filled table. */
			struct nd_dns_zone old = (*slot)->z;

			(*slot)->z.entries = c->set.entries, (*slot)->z.n = c->set.n, (*slot)->z.cap = c->set.cap;
			c->set.entries = old.entries, c->set.n = old.n, c->set.cap = old.cap;
		}
		break;
	case C_LOOKUP:
		if (slot)
			lookup_into(&(*slot)->z, c->id, c->found);
		json_decref(c->found);
		break;
	}
	nd_dns_zone_clear(&c->zone);
	nd_dns_zone_clear(&c->set);
	free(c);
}

static void drain_queue(struct nd_dns_server *s)
{
	uint8_t v[64];
	struct change *list;

	while (read(s->q.fd, v, sizeof(v)) == (ssize_t)sizeof(v))
		;
	pthread_mutex_lock(&s->lock);
	list = s->head;
	s->head = NULL;
	s->tail = &s->head;
	pthread_mutex_unlock(&s->lock);
	while (list) {
		struct change *next = list->next;

		apply(s, list);
		list = next;
		pthread_mutex_lock(&s->lock);
		s->applied++;
		pthread_cond_broadcast(&s->synced);
		pthread_mutex_unlock(&s->lock);
	}
}

/* ---- forwarding ---- */

/* The host's resolv.conf, read again when it changed (checked at most once a second). */
static void refresh_host(struct nd_dns_server *s)
{
	const char *path = s->conf.resolv_conf ? s->conf.resolv_conf : "/etc/resolv.conf";
	int64_t t = now_ms();
	struct stat st;

	if (t - s->host_checked < 1000 && s->host_checked)
		return;
	s->host_checked = t;
	if (stat(path, &st) < 0) {
		memset(&s->host, 0, sizeof(s->host));
		return;
	}
	if (st.st_mtim.tv_sec == s->host_mtime.tv_sec && st.st_mtim.tv_nsec == s->host_mtime.tv_nsec)
		return;
	s->host_mtime = st.st_mtim;
	if (nd_resolv_read(path, &s->host, NULL) < 0)
		memset(&s->host, 0, sizeof(s->host));
}

/* One of our own listening addresses: forwarding there would loop. */
static bool is_ours(struct nd_dns_server *s, const struct nd_ip *ip)
{
	for (size_t i = 0; i < MAX_NETS; i++)
		if (s->nets[i] && (nd_ip_equal(&s->nets[i]->z.gw, ip) || nd_ip_equal(&s->nets[i]->z.gw6, ip)))
			return true;
	return false;
}

static void add_up(struct nd_dns_server *s, struct pending *p, const struct nd_ip *ip)
{
	for (size_t i = 0; i < p->n_up; i++)
		if (nd_ip_equal(&p->up[i], ip))
			return;
	if (p->n_up < ND_RESOLV_MAXNS && !is_ours(s, ip))
		p->up[p->n_up++] = *ip;
}

/* The asker's own --dns servers first, then the host's: three at most. */
static void pick_upstreams(struct nd_dns_server *s, struct pending *p)
{
	const struct nd_dns_entry *e = nd_dns_zone_by_ip(&p->net->z, &p->src);

	refresh_host(s);
	p->n_up = p->at = 0;
	for (size_t i = 0; e && i < e->n_upstreams; i++)
		add_up(s, p, &e->upstreams[i]);
	for (size_t i = 0; i < s->host.n_ns; i++)
		add_up(s, p, &s->host.ns[i]);
}

static void pending_free(struct pending *p)
{
	close_handle(&p->h);
	free(p->query);
	free(p->ans);
	p->query = p->ans = NULL;
	p->client = NULL;
}

/* The TCP asker has a reply to read again. */
static void client_send(struct tcpc *c, const uint8_t *msg, size_t len)
{
	uint8_t hdr[2] = { (uint8_t)(len >> 8), (uint8_t)len };
	struct iovec iov[2] = { { hdr, 2 }, { (void *)msg, len } };
	struct msghdr mh = { .msg_iov = iov, .msg_iovlen = 2 };

	/* A client that does not read its answers is not waited for: dropped. */
	if (sendmsg(c->h.fd, &mh, MSG_NOSIGNAL | MSG_DONTWAIT) != (ssize_t)(len + 2)) {
		close_handle(&c->h);
		c->gen++;
	}
}

static void deliver(struct pending *p, uint8_t *msg, size_t len)
{
	msg[0] = (uint8_t)(p->orig_id >> 8);
	msg[1] = (uint8_t)p->orig_id;
	if (!p->client) {
		(void)sendto(p->reply_fd, msg, len, MSG_DONTWAIT, (struct sockaddr *)&p->peer, p->peer_len);
		return;
	}
	/* Answers may overtake each other on one connection: the asker matches them by id (RFC 7766 6.2.1.1). */
	if (p->client->gen == p->client_gen && p->client->h.fd >= 0)
		client_send(p->client, msg, len);
}

static void fail_pending(struct pending *p)
{
	struct nd_dns_reply r = { 0 };

	if (nd_dns_servfail(p->query + 2, p->qlen, &r) == ND_DNS_REPLY) {
		/* servfail echoes our id: deliver puts the asker's back. */
		deliver(p, r.wire, r.len);
		free(r.wire);
	}
	pending_free(p);
}

/* Ask p->up[p->at]; on to the next server when that fails at once. */
static void try_upstream(struct nd_dns_server *s, struct pending *p)
{
	for (; p->at < p->n_up; p->at++) {
		struct sockaddr_storage sa;
		socklen_t len = sockaddr_of(&p->up[p->at], 53, &sa);
		int fd = socket(p->up[p->at].family, (p->tcp ? SOCK_STREAM : SOCK_DGRAM) | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);

		close_handle(&p->h);
		p->sent = false;
		p->ans_have = 0;
		if (fd < 0)
			continue;
		p->h.fd = fd;
		if ((connect(fd, (struct sockaddr *)&sa, len) < 0 && errno != EINPROGRESS) ||
		    watch(s, &p->h, EPOLLIN | (p->tcp ? EPOLLOUT : 0)) < 0)
			continue;
		if (!p->tcp && send(fd, p->query + 2, p->qlen, MSG_DONTWAIT) != (ssize_t)p->qlen)
			continue;
		p->sent = !p->tcp;
		p->deadline = now_ms() + ND_DNS_UPSTREAM_MS;
		return;
	}
	fail_pending(p);
}

static size_t from_src(struct nd_dns_server *s, const struct nd_ip *src)
{
	size_t n = 0;

	for (size_t i = 0; i < ND_DNS_PENDING_MAX; i++)
		n += s->pend[i].h.fd >= 0 && nd_ip_equal(&s->pend[i].src, src);
	return n;
}

static struct pending *pending_new(struct nd_dns_server *s, const struct nd_ip *src)
{
	if (from_src(s, src) >= ND_DNS_PENDING_PER_SRC)
		return NULL;
	for (size_t i = 0; i < ND_DNS_PENDING_MAX; i++)
		if (s->pend[i].h.fd < 0 && !s->pend[i].query)
			return &s->pend[i];
	return NULL;
}

static void reply(const struct asker *a, const uint8_t *msg, size_t len)
{
	if (a->client)
		client_send(a->client, msg, len);
	else
		(void)sendto(a->fd, msg, len, MSG_DONTWAIT, (const struct sockaddr *)&a->peer, a->peer_len);
}

static void refuse_busy(const struct asker *a, const uint8_t *msg, size_t len)
{
	struct nd_dns_reply r = { 0 };

	if (nd_dns_servfail(msg, len, &r) == ND_DNS_REPLY)
		reply(a, r.wire, r.len);
	free(r.wire);
}

/* To an upstream; SERVFAIL at once over the bounds (the asker's own share, or all slots taken). */
static void forward(struct nd_dns_server *s, const struct asker *a, const uint8_t *msg, size_t len)
{
	struct pending *p = pending_new(s, &a->src);
	uint16_t id = new_id(s);

	if (!p || !(p->query = malloc(len + 2)))
		return refuse_busy(a, msg, len);
	p->h = (struct handle){ K_UP, -1 };
	p->net = a->net;
	p->src = a->src;
	p->peer = a->peer;
	p->peer_len = a->peer_len;
	p->reply_fd = a->fd;
	p->client = a->client;
	p->client_gen = a->client ? a->client->gen : 0;
	p->tcp = a->client != NULL;
	p->qlen = len;
	p->orig_id = (uint16_t)(msg[0] << 8 | msg[1]);
	p->query[0] = (uint8_t)(len >> 8);
	p->query[1] = (uint8_t)len;
	memcpy(p->query + 2, msg, len);
	p->query[2] = (uint8_t)(id >> 8);
	p->query[3] = (uint8_t)id;
	pick_upstreams(s, p);
	try_upstream(s, p);
}

static void handle(struct nd_dns_server *s, const struct asker *a, const uint8_t *msg, size_t len)
{
	struct nd_dns_reply r = { 0 };

	switch (nd_dns_answer(&a->net->z, &a->src, msg, len, a->client ? MSG_MAX : 0, s->rotate++, &r)) {
	case ND_DNS_REPLY:
		reply(a, r.wire, r.len);
		free(r.wire);
		break;
	case ND_DNS_FORWARD: forward(s, a, msg, len); break;
	case ND_DNS_DROP: break;
	}
}

/*
 * At most ND_DNS_BURST datagrams, then the other sockets' turn. No per-source drop here:
 * a closed-loop asker's next query often arrives within the same burst, and dropping it
 * would cost that asker a timeout (measured: 25 queries/s instead of 19000).
 */
static void on_udp(struct nd_dns_server *s, struct listener *l)
{
	for (int i = 0; i < ND_DNS_BURST; i++) {
		struct asker a = { .net = l->net, .fd = l->h.fd, .peer_len = sizeof(a.peer) };
		ssize_t n = recvfrom(l->h.fd, s->buf, sizeof(s->buf), MSG_DONTWAIT, (struct sockaddr *)&a.peer, &a.peer_len);

		if (n < 0)
			return;
		ip_of(&a.peer, &a.src);
		handle(s, &a, s->buf, (size_t)n);
	}
}

/* An upstream's answer, matched by our id; anything else on the socket is ignored. */
static void up_udp(struct nd_dns_server *s, struct pending *p)
{
	ssize_t n = recv(p->h.fd, s->buf, sizeof(s->buf), MSG_DONTWAIT);

	if (n < 0 && errno != EAGAIN) {
		p->at++;
		return try_upstream(s, p);
	}
	if (n < 12 || !(s->buf[2] & 0x80) || memcmp(s->buf, p->query + 2, 2))
		return;
	deliver(p, s->buf, (size_t)n);
	pending_free(p);
}

static void up_tcp(struct nd_dns_server *s, struct pending *p, uint32_t events)
{
	struct epoll_event ev = { .events = EPOLLIN, .data.ptr = &p->h };
	ssize_t n;

	if (!p->sent && (events & (EPOLLOUT | EPOLLERR | EPOLLHUP))) {
		if (send(p->h.fd, p->query, p->qlen + 2, MSG_NOSIGNAL | MSG_DONTWAIT) != (ssize_t)(p->qlen + 2) ||
		    epoll_ctl(s->ep, EPOLL_CTL_MOD, p->h.fd, &ev) < 0) {
			p->at++;
			return try_upstream(s, p);
		}
		p->sent = true;
		return;
	}
	if (!p->ans && !(p->ans = malloc(MSG_MAX + 2)))
		return fail_pending(p);
	n = recv(p->h.fd, p->ans + p->ans_have, MSG_MAX + 2 - p->ans_have, MSG_DONTWAIT);
	if (n <= 0) {
		if (n < 0 && errno == EAGAIN)
			return;
		p->at++;
		return try_upstream(s, p);
	}
	p->ans_have += (size_t)n;
	if (p->ans_have >= 2) {
		size_t want = (size_t)(p->ans[0] << 8 | p->ans[1]);

		if (p->ans_have >= want + 2 && want >= 12) {
			deliver(p, p->ans + 2, want);
			pending_free(p);
		}
	}
}

/* ---- TCP askers ---- */

static void on_accept(struct nd_dns_server *s, struct listener *l)
{
	for (int k = 0; k < 16; k++) {
		struct sockaddr_storage sa;
		socklen_t len = sizeof(sa);
		int fd = accept4(l->h.fd, (struct sockaddr *)&sa, &len, SOCK_NONBLOCK | SOCK_CLOEXEC);
		struct tcpc *slot = NULL;
		size_t same = 0;
		struct nd_ip src;

		if (fd < 0)
			return;
		ip_of(&sa, &src);
		for (size_t i = 0; i < ND_DNS_TCP_MAX; i++) {
			if (s->tcp[i].h.fd < 0 && !slot)
				slot = &s->tcp[i];
			same += s->tcp[i].h.fd >= 0 && nd_ip_equal(&s->tcp[i].src, &src);
		}
		/* Over the bounds: closed at once, so one asker cannot hold the others out. */
		if (!slot || same >= ND_DNS_TCP_PER_SRC || (!slot->buf && !(slot->buf = malloc(MSG_MAX + 2)))) {
			close(fd);
			continue;
		}
		slot->h = (struct handle){ K_TCP, fd };
		slot->net = l->net;
		slot->src = src;
		slot->have = 0;
		slot->gen++;
		slot->deadline = now_ms() + ND_DNS_TCP_IDLE_MS;
		if (watch(s, &slot->h, EPOLLIN) < 0)
			close_handle(&slot->h);
	}
}

/* Complete messages (2-byte length first, RFC 1035 4.2.2), answered in turn. */
static void on_tcp(struct nd_dns_server *s, struct tcpc *c)
{
	ssize_t n = recv(c->h.fd, c->buf + c->have, MSG_MAX + 2 - c->have, MSG_DONTWAIT);

	if (n <= 0) {
		if (n == 0 || errno != EAGAIN) {
			close_handle(&c->h);
			c->gen++;
		}
		return;
	}
	c->have += (size_t)n;
	while (c->h.fd >= 0 && c->have >= 2) {
		size_t len = (size_t)(c->buf[0] << 8 | c->buf[1]);
		struct asker a = { .net = c->net, .src = c->src, .client = c, .fd = -1 };

		if (c->have < len + 2)
			break;
		memcpy(s->buf, c->buf + 2, len);
		c->have -= len + 2;
		memmove(c->buf, c->buf + len + 2, c->have);
		c->deadline = now_ms() + ND_DNS_TCP_IDLE_MS;
		handle(s, &a, s->buf, len);
	}
}

/* ---- the thread ---- */

/* Upstreams that did not answer in time (the next one is asked), idle TCP askers; the next deadline. */
static int expire(struct nd_dns_server *s)
{
	int64_t t = now_ms(), next = t + 1000;

	for (size_t i = 0; i < ND_DNS_PENDING_MAX; i++) {
		struct pending *p = &s->pend[i];

		if (p->query && p->deadline <= t) {
			p->at++;
			try_upstream(s, p);
		}
		if (p->query && p->deadline < next)
			next = p->deadline;
	}
	for (size_t i = 0; i < ND_DNS_TCP_MAX; i++) {
		struct tcpc *c = &s->tcp[i];

		if (c->h.fd >= 0 && c->deadline <= t) {
			close_handle(&c->h);
			c->gen++;
		}
		if (c->h.fd >= 0 && c->deadline < next)
			next = c->deadline;
	}
	return (int)(next > t ? next - t : 0);
}

static void dispatch(struct nd_dns_server *s, struct handle *h, uint32_t events)
{
	switch (h->kind) {
	case K_QUEUE: drain_queue(s); break;
	case K_UDP: on_udp(s, (struct listener *)h); break;
	case K_TCP_LISTEN: on_accept(s, (struct listener *)h); break;
	case K_TCP: on_tcp(s, (struct tcpc *)h); break;
	case K_UP:
		if (((struct pending *)h)->tcp)
			up_tcp(s, (struct pending *)h, events);
		else
			up_udp(s, (struct pending *)h);
		break;
	}
}

static bool stopping(struct nd_dns_server *s)
{
	bool stop;

	pthread_mutex_lock(&s->lock);
	stop = s->stop;
	pthread_mutex_unlock(&s->lock);
	return stop;
}

static void *loop(void *arg)
{
	struct nd_dns_server *s = arg;
	struct epoll_event evs[64];

	while (!stopping(s)) {
		int n = epoll_wait(s->ep, evs, 64, expire(s));

		/*
		 * A handle closed while handling an earlier event of this batch has fd -1: its
		 * remaining events are skipped (slots are never freed, only reused).
		 */
		for (int i = 0; i < n; i++) {
			struct handle *h = evs[i].data.ptr;

			if (h->fd < 0)
				continue;
			dispatch(s, h, evs[i].events);
			/* Changes may have freed a network's listeners that later events point at. */
			if (h->kind == K_QUEUE)
				break;
		}
	}
	return NULL;
}

/* ---- the API, for any thread ---- */

static void push(struct nd_dns_server *s, struct change *c)
{
	pthread_mutex_lock(&s->lock);
	*s->tail = c;
	s->tail = &c->next;
	s->queued++;
	pthread_mutex_unlock(&s->lock);
	/* A full pipe is fine: the thread has a wake-up to read already. */
	(void)!write(s->q_write, "", 1);
}

static struct change *change_new(int op, const char *network, struct nd_err **err)
{
	struct change *c = calloc(1, sizeof(*c));

	if (!c) {
		nd_oom(err);
		return NULL;
	}
	c->op = op;
	if (network)
		snprintf(c->network, sizeof(c->network), "%s", network);
	return c;
}

int nd_dns_server_net_up(struct nd_dns_server *s, json_t *network, struct nd_err **err)
{
	struct change *c = change_new(C_UP, NULL, err);
	int r;

	if (!c)
		return -ENOMEM;
	if ((r = nd_dns_zone_init(&c->zone, network, err)) < 0) {
		free(c);
		return r;
	}
	snprintf(c->network, sizeof(c->network), "%s", c->zone.network);
	push(s, c);
	return 0;
}

int nd_dns_server_net_down(struct nd_dns_server *s, const char *network, struct nd_err **err)
{
	struct change *c = change_new(C_DOWN, network, err);

	if (!c)
		return -ENOMEM;
	push(s, c);
	return 0;
}

int nd_dns_server_put(struct nd_dns_server *s, const char *network, json_t *record, struct nd_err **err)
{
	struct change *c = change_new(C_PUT, network, err);
	int r;

	if (!c)
		return -ENOMEM;
	if ((r = nd_dns_entry_from_record(record, &c->entry, err)) < 0) {
		free(c);
		return r;
	}
	push(s, c);
	return 0;
}

int nd_dns_server_set(struct nd_dns_server *s, const char *network, json_t *records, struct nd_err **err)
{
	struct change *c = change_new(C_SET, network, err);
	json_t *rec;
	size_t i;

	if (!c)
		return -ENOMEM;
	json_array_foreach(records, i, rec) {
		struct nd_dns_entry e;

		if (strcmp(json_string_value(json_object_get(rec, "state")) ?: "", "ready") ||
		    nd_dns_entry_from_record(rec, &e, NULL) < 0)
			continue;
		if (nd_dns_zone_put(&c->set, &e) < 0) {
			nd_dns_zone_clear(&c->set);
			free(c);
			return nd_oom(err);
		}
	}
	push(s, c);
	return 0;
}

int nd_dns_server_del(struct nd_dns_server *s, const char *network, const char *id, struct nd_err **err)
{
	struct change *c = change_new(C_DEL, network, err);

	if (!c)
		return -ENOMEM;
	snprintf(c->id, sizeof(c->id), "%s", id);
	push(s, c);
	return 0;
}

void nd_dns_server_sync(struct nd_dns_server *s)
{
	struct change *c = change_new(C_SYNC, NULL, NULL);
	unsigned long long target;

	if (!c)
		return;
	push(s, c);
	pthread_mutex_lock(&s->lock);
	target = s->queued;
	while (s->applied < target && !s->stop)
		pthread_cond_wait(&s->synced, &s->lock);
	pthread_mutex_unlock(&s->lock);
}

json_t *nd_dns_server_lookup(struct nd_dns_server *s, const char *network, const char *name)
{
	struct change *c = change_new(C_LOOKUP, network, NULL);
	json_t *found = json_array();

	if (!c || !found) {
		free(c);
		json_decref(found);
		return NULL;
	}
	snprintf(c->id, sizeof(c->id), "%s", name);
	c->found = json_incref(found);
	push(s, c);
	/* The thread drops its reference when done; the array is complete once synced. */
	nd_dns_server_sync(s);
	return found;
}

static void server_free(struct nd_dns_server *s)
{
	for (size_t i = 0; i < MAX_NETS; i++)
		if (s->nets[i])
			net_free(s, s->nets[i]);
	for (size_t i = 0; i < ND_DNS_TCP_MAX; i++) {
		close_handle(&s->tcp[i].h);
		free(s->tcp[i].buf);
	}
	for (size_t i = 0; i < ND_DNS_PENDING_MAX; i++)
		pending_free(&s->pend[i]);
	while (s->head) {
		struct change *next = s->head->next;

		nd_dns_zone_clear(&s->head->zone);
		nd_dns_zone_clear(&s->head->set);
		json_decref(s->head->found);
		free(s->head);
		s->head = next;
	}
	close_handle(&s->q);
	if (s->q_write >= 0)
		close(s->q_write);
	if (s->ep >= 0)
		close(s->ep);
	pthread_mutex_destroy(&s->lock);
	pthread_cond_destroy(&s->synced);
	free(s);
}

int nd_dns_server_start(const struct nd_dns_conf *conf, struct nd_dns_server **ret, struct nd_err **err)
{
	struct nd_dns_server *s = calloc(1, sizeof(*s));
	int r;

	if (!s)
		return nd_oom(err);
	s->conf = *conf;
	s->tail = &s->head;
	pthread_mutex_init(&s->lock, NULL);
	pthread_cond_init(&s->synced, NULL);
	for (size_t i = 0; i < ND_DNS_TCP_MAX; i++)
		s->tcp[i].h = (struct handle){ K_TCP, -1 };
	for (size_t i = 0; i < ND_DNS_PENDING_MAX; i++)
		s->pend[i].h = (struct handle){ K_UP, -1 };
	int p[2] = { -1, -1 };

	(void)!pipe2(p, O_NONBLOCK | O_CLOEXEC);
	s->q = (struct handle){ K_QUEUE, p[0] };
	s->q_write = p[1];
	s->ep = epoll_create1(EPOLL_CLOEXEC);
	if (getrandom(&s->rng, sizeof(s->rng), 0) != sizeof(s->rng) || !s->rng)
		s->rng = (uint64_t)now_ms() | 1;
	if (s->q.fd < 0 || s->ep < 0 || (r = watch(s, &s->q, EPOLLIN)) < 0 ||
	    (r = -pthread_create(&s->thread, NULL, loop, s)) < 0) {
		r = nd_err_set(err, ND_ERR_INTERNAL, errno, "dns server: %s", strerror(errno));
		server_free(s);
		return r;
	}
	*ret = s;
	return 0;
}

void nd_dns_server_stop(struct nd_dns_server *s)
{
	if (!s)
		return;
	pthread_mutex_lock(&s->lock);
	s->stop = true;
	pthread_cond_broadcast(&s->synced);
	pthread_mutex_unlock(&s->lock);
	(void)!write(s->q_write, "", 1);
	pthread_join(s->thread, NULL);
	server_free(s);
}

#include "kernel/nftbatch.h"

#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <libnftnl/chain.h>
#include <libnftnl/common.h>
#include <libnftnl/expr.h>
#include <libnftnl/rule.h>
#include <libnftnl/set.h>
#include <libnftnl/table.h>
#include <libnftnl/udata.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nf_tables.h>
#include <linux/netfilter/nfnetlink.h>

/* Receive buffer room per acknowledgement: each is an skb of its own, overhead included. */
#define ND_NF_ACK_TRUESIZE 1024
#define ND_NFTB_WHAT 128

struct nd_nfsock {
	struct mnl_socket *nl;
	uint32_t portid;
	uint32_t seq;
	enum nd_nfsock_close close;
};

struct nd_nftb {
	struct nd_nfsock *s;
	char *buf;
	size_t len;            /* bytes of finished messages, batch-begin included */
	size_t cap;
	struct nlmsghdr *open; /* the message the caller is filling */
	int failed;            /* -errno from building; reported by commit */
	char (*what)[ND_NFTB_WHAT]; /* what[i] names message i + 1; message 0 is batch-begin */
	size_t n, what_cap;
};

static int sys_err(struct nd_err **err, int errnum, const char *what)
{
	return nd_err_set(err, ND_ERR_INTERNAL, errnum, "nftables: %s: %s", what, strerror(errnum));
}

static int sock_open(struct nd_nfsock *s, struct nd_err **err)
{
	int one = 1;

	s->nl = mnl_socket_open2(NETLINK_NETFILTER, SOCK_CLOEXEC);
	if (!s->nl)
		return sys_err(err, errno, "netlink socket");
	if (mnl_socket_bind(s->nl, 0, MNL_SOCKET_AUTOPID) < 0) {
		int e = errno;

		mnl_socket_close(s->nl);
		s->nl = NULL;
		return sys_err(err, e, "netlink bind");
	}
	/* Best effort: extack text makes errors readable; capped acks keep big batches cheap. */
	(void)mnl_socket_setsockopt(s->nl, NETLINK_EXT_ACK, &one, sizeof(one));
	(void)mnl_socket_setsockopt(s->nl, NETLINK_CAP_ACK, &one, sizeof(one));
	s->portid = mnl_socket_get_portid(s->nl);
	return 0;
}

int nd_nfsock_open(struct nd_nfsock **ret, enum nd_nfsock_close close, struct nd_err **err)
{
	_cleanup_free_ struct nd_nfsock *s = calloc(1, sizeof(*s));
	int r;

	if (!s)
		return nd_oom(err);
	r = sock_open(s, err);
	if (r < 0)
		return r;
	s->seq = (uint32_t)time(NULL);
	s->close = close;
	*ret = TAKE_PTR(s);
	return 0;
}

/* ND_NFSOCK_CLOSE_DEFERRED: a grandchild holds fd until the grace period has passed. */
static void close_deferred(int fd)
{
	pid_t pid;

	/*
	 * Twice forked, so the closer is nobody's child of ours to reap: it is adopted (by init
	 * or a subreaper) and we wait only for the intermediate one, which exits at once. Only
	 * async-signal-safe calls in the children: the caller may have threads (the daemon).
	 */
	pid = fork();
	if (pid == 0) {
		if (fork() == 0) {
			/*
			 * Closing while the kernel's deferred free is pending would wait for it with
			 * nftables' commit mutex held, stalling everyone's next transaction: let the
			 * grace period pass first, then the close finds nothing to wait for.
			 */
			struct timespec grace = { .tv_nsec = 200 * 1000 * 1000 };

			(void)dup2(fd, 0);
			(void)close_range(1, ~0U, 0);
			(void)nanosleep(&grace, NULL);
			(void)close(0);
		}
		_exit(0);
	}
	if (pid > 0)
		while (waitpid(pid, NULL, 0) < 0 && errno == EINTR)
			;
}

void nd_nfsock_free(struct nd_nfsock *s)
{
	if (!s)
		return;
	if (s->nl && s->close == ND_NFSOCK_CLOSE_DEFERRED)
		close_deferred(mnl_socket_get_fd(s->nl));
	/* Deferred: no longer the last reference (unless a fork failed: then this close waits). */
	if (s->nl)
		mnl_socket_close(s->nl);
	free(s);
}

/* After ENOBUFS the socket may hold half a dump; a fresh one is the only clean state. */
static int sock_reopen(struct nd_nfsock *s, struct nd_err **err)
{
	if (s->nl)
		mnl_socket_close(s->nl);
	s->nl = NULL;
	return sock_open(s, err);
}

/* The kernel doubles what it is given and compares against the doubled value. */
static void sock_grow(int fd, int opt, int force_opt, size_t want)
{
	int cur = 0, v;
	socklen_t l = sizeof(cur);

	if (getsockopt(fd, SOL_SOCKET, opt, &cur, &l) == 0 && cur > 0 && (size_t)cur >= want)
		return;
	v = want > INT_MAX / 2 ? INT_MAX / 2 : (int)want;
	/* FORCE needs CAP_NET_ADMIN, which changing nftables needs anyway. */
	if (setsockopt(fd, SOL_SOCKET, force_opt, &v, sizeof(v)) < 0)
		(void)setsockopt(fd, SOL_SOCKET, opt, &v, sizeof(v));
}

struct nd_nftb *nd_nftb_new(struct nd_nfsock *s)
{
	_cleanup_(nd_nftb_freep) struct nd_nftb *b = calloc(1, sizeof(*b));
	struct nlmsghdr *nlh;

	if (!b)
		return NULL;
	b->s = s;
	b->cap = 4 * ND_NFTB_MSG_ROOM;
	/* Zeroed, as is all growth: libmnl leaves attribute padding unwritten. */
	b->buf = calloc(1, b->cap);
	if (!b->buf)
		return NULL;
	/* Sequence numbers are given at commit; 0 here is a placeholder. */
	nlh = nftnl_batch_begin(b->buf, 0);
	b->len = NLMSG_ALIGN(nlh->nlmsg_len);
	return TAKE_PTR(b);
}

void nd_nftb_free(struct nd_nftb *b)
{
	if (!b)
		return;
	free(b->buf);
	free(b->what);
	free(b);
}

size_t nd_nftb_count(const struct nd_nftb *b)
{
	return b->n;
}

static int nftb_close_open(struct nd_nftb *b)
{
	size_t l;

	if (!b->open)
		return 0;
	l = b->open->nlmsg_len;
	b->open = NULL;
	/* libnftnl writes without bounds; a message past its room is a bug in the caller. */
	if (l > ND_NFTB_MSG_ROOM)
		return -EMSGSIZE;
	b->len += NLMSG_ALIGN(l);
	return 0;
}

static int nftb_reserve(struct nd_nftb *b, size_t room)
{
	size_t cap = b->cap;
	char *p;

	while (cap - b->len < room)
		cap *= 2;
	if (cap != b->cap) {
		p = realloc(b->buf, cap);
		if (!p)
			return -ENOMEM;
		memset(p + b->cap, 0, cap - b->cap);
		b->buf = p;
		b->cap = cap;
	}
	if (b->n == b->what_cap) {
		size_t ncap = b->what_cap ? 2 * b->what_cap : 16;
		void *w = reallocarray(b->what, ncap, sizeof(*b->what));

		if (!w)
			return -ENOMEM;
		b->what = w;
		b->what_cap = ncap;
	}
	return 0;
}

static __attribute__((format(printf, 5, 0))) struct nlmsghdr *
nftb_vmsg(struct nd_nftb *b, uint16_t type, uint16_t family, uint16_t flags, const char *what,
	  va_list ap)
{
	struct nlmsghdr *nlh;
	int r;

	if (b->failed)
		return NULL;
	r = nftb_close_open(b);
	if (r == 0)
		r = nftb_reserve(b, ND_NFTB_MSG_ROOM);
	if (r < 0) {
		b->failed = r;
		return NULL;
	}
	(void)vsnprintf(b->what[b->n], ND_NFTB_WHAT, what, ap);
	b->n++;
	nlh = nftnl_nlmsg_build_hdr(b->buf + b->len, type, family, flags | NLM_F_ACK, 0);
	b->open = nlh;
	return nlh;
}

struct nlmsghdr *nd_nftb_msg(struct nd_nftb *b, uint16_t type, uint16_t family, uint16_t flags,
			     const char *what, ...)
{
	struct nlmsghdr *nlh;
	va_list ap;

	va_start(ap, what);
	nlh = nftb_vmsg(b, type, family, flags, what, ap);
	va_end(ap);
	return nlh;
}

void nd_nftr_init(struct nd_nftr *rb, uint16_t family, const char *table, const char *chain)
{
	rb->oom = false;
	rb->r = nftnl_rule_alloc();
	if (!rb->r || nftnl_rule_set_str(rb->r, NFTNL_RULE_TABLE, table) < 0 ||
	    nftnl_rule_set_str(rb->r, NFTNL_RULE_CHAIN, chain) < 0) {
		rb->oom = true;
		return;
	}
	nftnl_rule_set_u32(rb->r, NFTNL_RULE_FAMILY, family);
}

struct nftnl_expr *nd_nftr_expr(struct nd_nftr *rb, const char *name)
{
	struct nftnl_expr *e;

	if (rb->oom)
		return NULL;
	e = nftnl_expr_alloc(name);
	if (!e) {
		rb->oom = true;
		return NULL;
	}
	nftnl_rule_add_expr(rb->r, e);
	return e;
}

void nd_nftr_meta(struct nd_nftr *rb, uint32_t key)
{
	struct nftnl_expr *e = nd_nftr_expr(rb, "meta");

	if (!e)
		return;
	nftnl_expr_set_u32(e, NFTNL_EXPR_META_KEY, key);
	nftnl_expr_set_u32(e, NFTNL_EXPR_META_DREG, NFT_REG_1);
}

void nd_nftr_payload(struct nd_nftr *rb, uint32_t base, uint32_t off, uint32_t len)
{
	struct nftnl_expr *e = nd_nftr_expr(rb, "payload");

	if (!e)
		return;
	nftnl_expr_set_u32(e, NFTNL_EXPR_PAYLOAD_DREG, NFT_REG_1);
	nftnl_expr_set_u32(e, NFTNL_EXPR_PAYLOAD_BASE, base);
	nftnl_expr_set_u32(e, NFTNL_EXPR_PAYLOAD_OFFSET, off);
	nftnl_expr_set_u32(e, NFTNL_EXPR_PAYLOAD_LEN, len);
}

void nd_nftr_and(struct nd_nftr *rb, const void *mask, uint32_t len)
{
	static const uint8_t zero[NFT_DATA_VALUE_MAXLEN];
	struct nftnl_expr *e = nd_nftr_expr(rb, "bitwise");

	if (!e)
		return;
	nftnl_expr_set_u32(e, NFTNL_EXPR_BITWISE_SREG, NFT_REG_1);
	nftnl_expr_set_u32(e, NFTNL_EXPR_BITWISE_DREG, NFT_REG_1);
	nftnl_expr_set_u32(e, NFTNL_EXPR_BITWISE_LEN, len);
	/* The kernel's bitwise is (reg & mask) ^ xor. */
	if (len > sizeof(zero) || nftnl_expr_set(e, NFTNL_EXPR_BITWISE_MASK, mask, len) < 0 ||
	    nftnl_expr_set(e, NFTNL_EXPR_BITWISE_XOR, zero, len) < 0)
		rb->oom = true;
}

void nd_nftr_cmp_eq(struct nd_nftr *rb, const void *data, uint32_t len)
{
	struct nftnl_expr *e = nd_nftr_expr(rb, "cmp");

	if (!e)
		return;
	nftnl_expr_set_u32(e, NFTNL_EXPR_CMP_SREG, NFT_REG_1);
	nftnl_expr_set_u32(e, NFTNL_EXPR_CMP_OP, NFT_CMP_EQ);
	if (nftnl_expr_set(e, NFTNL_EXPR_CMP_DATA, data, len) < 0)
		rb->oom = true;
}

void nd_nftr_verdict(struct nd_nftr *rb, int verdict)
{
	struct nftnl_expr *e = nd_nftr_expr(rb, "immediate");

	if (!e)
		return;
	nftnl_expr_set_u32(e, NFTNL_EXPR_IMM_DREG, NFT_REG_VERDICT);
	nftnl_expr_set_u32(e, NFTNL_EXPR_IMM_VERDICT, (uint32_t)verdict);
}

void nd_nftr_vmap(struct nd_nftr *rb, const char *map)
{
	struct nftnl_expr *e = nd_nftr_expr(rb, "lookup");

	if (!e)
		return;
	nftnl_expr_set_u32(e, NFTNL_EXPR_LOOKUP_SREG, NFT_REG_1);
	nftnl_expr_set_u32(e, NFTNL_EXPR_LOOKUP_DREG, NFT_REG_VERDICT);
	if (nftnl_expr_set_str(e, NFTNL_EXPR_LOOKUP_SET, map) < 0)
		rb->oom = true;
}

int nd_nftb_rule(struct nd_nftb *b, struct nd_nftr *rb, uint16_t type, uint16_t flags,
		 const char *what, ...)
{
	struct nftnl_rule *r = TAKE_PTR(rb->r);
	struct nlmsghdr *nlh = NULL;
	va_list ap;

	if (!rb->oom) {
		va_start(ap, what);
		nlh = nftb_vmsg(b, type, (uint16_t)nftnl_rule_get_u32(r, NFTNL_RULE_FAMILY), flags,
				what, ap);
		va_end(ap);
	}
	if (nlh)
		nftnl_rule_nlmsg_build_payload(nlh, r);
	if (r)
		nftnl_rule_free(r);
	return nlh ? 0 : -ENOMEM;
}

DEFINE_CLEANUP(struct nftnl_table, nftnl_table_free)
DEFINE_CLEANUP(struct nftnl_chain, nftnl_chain_free)
DEFINE_CLEANUP(struct nftnl_set, nftnl_set_free)
DEFINE_CLEANUP(struct nftnl_udata_buf, nftnl_udata_buf_free)

static const char *verb(uint16_t type)
{
	return type == NFT_MSG_NEWTABLE || type == NFT_MSG_NEWCHAIN ? "add" : "delete";
}

int nd_nftb_table(struct nd_nftb *b, uint16_t type, uint16_t family, const char *table, uint16_t flags)
{
	_cleanup_(nftnl_table_freep) struct nftnl_table *t = nftnl_table_alloc();
	struct nlmsghdr *nlh;

	if (!t || nftnl_table_set_str(t, NFTNL_TABLE_NAME, table) < 0)
		return -ENOMEM;
	nftnl_table_set_u32(t, NFTNL_TABLE_FAMILY, family);
	if (type == NFT_MSG_NEWTABLE)
		flags |= NLM_F_CREATE;
	nlh = nd_nftb_msg(b, type, family, flags, "%s table '%s'", verb(type), table);
	if (!nlh)
		return -ENOMEM;
	nftnl_table_nlmsg_build_payload(nlh, t);
	return 0;
}

int nd_nftb_chain(struct nd_nftb *b, uint16_t type, uint16_t family, const char *table, const char *name,
		  const struct nd_nft_hook *hook, uint16_t flags)
{
	_cleanup_(nftnl_chain_freep) struct nftnl_chain *c = nftnl_chain_alloc();
	struct nlmsghdr *nlh;

	if (!c || nftnl_chain_set_str(c, NFTNL_CHAIN_TABLE, table) < 0 ||
	    nftnl_chain_set_str(c, NFTNL_CHAIN_NAME, name) < 0)
		return -ENOMEM;
	nftnl_chain_set_u32(c, NFTNL_CHAIN_FAMILY, family);
	if (hook) {
		if (nftnl_chain_set_str(c, NFTNL_CHAIN_TYPE, hook->type) < 0)
			return -ENOMEM;
		nftnl_chain_set_u32(c, NFTNL_CHAIN_HOOKNUM, hook->hooknum);
		nftnl_chain_set_s32(c, NFTNL_CHAIN_PRIO, hook->prio);
		nftnl_chain_set_u32(c, NFTNL_CHAIN_POLICY, NF_ACCEPT);
	}
	if (type == NFT_MSG_NEWCHAIN)
		flags |= NLM_F_CREATE;
	nlh = nd_nftb_msg(b, type, family, flags, "%s chain '%s'", verb(type), name);
	if (!nlh)
		return -ENOMEM;
	nftnl_chain_nlmsg_build_payload(nlh, c);
	return 0;
}

int nd_nftb_vmap(struct nd_nftb *b, uint16_t family, const char *table, const char *name, uint32_t key_type,
		 uint32_t key_len, bool key_host_order, uint32_t id)
{
	_cleanup_(nftnl_set_freep) struct nftnl_set *s = nftnl_set_alloc();
	_cleanup_(nftnl_udata_buf_freep) struct nftnl_udata_buf *u = NULL;
	struct nlmsghdr *nlh;

	if (!s || nftnl_set_set_str(s, NFTNL_SET_TABLE, table) < 0 || nftnl_set_set_str(s, NFTNL_SET_NAME, name) < 0)
		return -ENOMEM;
	nftnl_set_set_u32(s, NFTNL_SET_FAMILY, family);
	nftnl_set_set_u32(s, NFTNL_SET_FLAGS, NFT_SET_MAP);
	nftnl_set_set_u32(s, NFTNL_SET_KEY_TYPE, key_type);
	nftnl_set_set_u32(s, NFTNL_SET_KEY_LEN, key_len);
	nftnl_set_set_u32(s, NFTNL_SET_DATA_TYPE, NFT_DATA_VERDICT);
	nftnl_set_set_u32(s, NFTNL_SET_ID, id);
	if (key_host_order) {
		/* nft's own encoding: NFTNL_UDATA_SET_KEYBYTEORDER = BYTEORDER_HOST_ENDIAN (1). */
		u = nftnl_udata_buf_alloc(NFT_USERDATA_MAXLEN);
		if (!u || !nftnl_udata_put_u32(u, NFTNL_UDATA_SET_KEYBYTEORDER, 1) ||
		    nftnl_set_set_data(s, NFTNL_SET_USERDATA, nftnl_udata_buf_data(u), nftnl_udata_buf_len(u)) < 0)
			return -ENOMEM;
	}
	nlh = nd_nftb_msg(b, NFT_MSG_NEWSET, family, NLM_F_CREATE, "add map '%s'", name);
	if (!nlh)
		return -ENOMEM;
	nftnl_set_nlmsg_build_payload(nlh, s);
	return 0;
}

int nd_nftb_flush(struct nd_nftb *b, uint16_t family, const char *table, const char *chain)
{
	struct nd_nftr rb;

	nd_nftr_init(&rb, family, table, chain);
	return nd_nftb_rule(b, &rb, NFT_MSG_DELRULE, 0, "flush chain '%s'", chain);
}

/* The outcome of one transaction as the acknowledgements tell it. */
struct acks {
	uint32_t first;   /* seq of batch-begin */
	size_t n;         /* messages that asked for an ack */
	size_t got;
	bool lost;
	int errnum;       /* first error, by message order, batch-begin last */
	size_t failed;    /* its message; 0 = the transaction itself */
	char ext[256];
};

/* errno and extack text of an NLMSG_ERROR; returns false for a malformed one. */
static bool ack_parse(const struct nlmsghdr *nlh, int *ret_errnum, char *ext, size_t extsz)
{
	const struct nlmsgerr *e = mnl_nlmsg_get_payload(nlh);
	const struct nlattr *attr;
	size_t off = sizeof(*e);

	if (mnl_nlmsg_get_payload_len(nlh) < sizeof(*e))
		return false;
	*ret_errnum = -e->error;
	ext[0] = '\0';
	if (!(nlh->nlmsg_flags & NLM_F_ACK_TLVS))
		return true;
	/* Without NETLINK_CAP_ACK the request is echoed before the TLVs. */
	if (!(nlh->nlmsg_flags & NLM_F_CAPPED) && e->msg.nlmsg_len >= sizeof(struct nlmsghdr))
		off += e->msg.nlmsg_len - sizeof(struct nlmsghdr);
	if (off > mnl_nlmsg_get_payload_len(nlh))
		return true;
	mnl_attr_for_each(attr, nlh, off) {
		if (mnl_attr_get_type(attr) == NLMSGERR_ATTR_MSG &&
		    mnl_attr_validate(attr, MNL_TYPE_NUL_STRING) == 0)
			(void)snprintf(ext, extsz, "%s", mnl_attr_get_str(attr));
	}
	return true;
}

static void acks_take(struct acks *a, const char *buf, size_t len, uint32_t portid)
{
	const struct nlmsghdr *nlh = (const struct nlmsghdr *)buf;
	int rest = (int)len;

	for (; mnl_nlmsg_ok(nlh, rest); nlh = mnl_nlmsg_next(nlh, &rest)) {
		uint32_t idx = nlh->nlmsg_seq - a->first;
		char ext[sizeof(a->ext)];
		int errnum;
		bool earlier;

		/* Nothing else talks on this socket; skip whatever is not an ack of ours. */
		if (!mnl_nlmsg_portid_ok(nlh, portid) || nlh->nlmsg_type != NLMSG_ERROR ||
		    idx > a->n)
			continue;
		if (!ack_parse(nlh, &errnum, ext, sizeof(ext)))
			continue;
		if (idx > 0)
			a->got++;
		if (!errnum)
			continue;
		/* The first failing message explains an abort better than the abort itself. */
		earlier = !a->errnum || (a->failed == 0 && idx > 0) || (idx > 0 && idx < a->failed);
		if (earlier) {
			a->errnum = errnum;
			a->failed = idx;
			memcpy(a->ext, ext, sizeof(a->ext));
		}
	}
}

static int nftb_send(struct nd_nftb *b, struct nd_err **err)
{
	struct nd_nfsock *s = b->s;
	int fd = mnl_socket_get_fd(s->nl);
	size_t off;
	ssize_t n;

	sock_grow(fd, SO_SNDBUF, SO_SNDBUFFORCE, b->len + 64);
	sock_grow(fd, SO_RCVBUF, SO_RCVBUFFORCE, (b->n + 1) * ND_NF_ACK_TRUESIZE);
	/* Number the messages now: batch-begin, the caller's, batch-end, consecutively. */
	for (off = 0; off < b->len;) {
		struct nlmsghdr *nlh = (struct nlmsghdr *)(b->buf + off);

		nlh->nlmsg_seq = s->seq++;
		off += NLMSG_ALIGN(nlh->nlmsg_len);
	}
	n = mnl_socket_sendto(s->nl, b->buf, b->len);
	if (n < 0)
		return sys_err(err, errno, "sending the transaction");
	if ((size_t)n != b->len)
		return sys_err(err, EMSGSIZE, "sending the transaction");
	return 0;
}

/*
 * nfnetlink runs the whole batch inside sendmsg(), so every ack is queued by the time it
 * returns: read until the socket is empty (nftables' mnl_batch_talk does the same).
 */
static int nftb_drain(struct nd_nftb *b, struct acks *a, struct nd_err **err)
{
	size_t bufsz = 2 * (size_t)MNL_SOCKET_BUFFER_SIZE;
	_cleanup_free_ char *buf = malloc(bufsz);
	int fd = mnl_socket_get_fd(b->s->nl);

	if (!buf)
		return nd_oom(err);
	for (;;) {
		struct sockaddr_nl from = { 0 };
		struct iovec iov = { .iov_base = buf, .iov_len = bufsz };
		struct msghdr msg = { .msg_name = &from, .msg_namelen = sizeof(from),
				      .msg_iov = &iov, .msg_iovlen = 1 };
		ssize_t n = recvmsg(fd, &msg, MSG_DONTWAIT);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN || errno == EWOULDBLOCK)
				return 0;
			if (errno == ENOBUFS) {
				a->lost = true;
				continue;
			}
			return sys_err(err, errno, "reading acknowledgements");
		}
		if (msg.msg_flags & MSG_TRUNC)
			return sys_err(err, EMSGSIZE, "reading acknowledgements");
		/* Any local process may unicast to our port id; only the kernel's word counts. */
		if (from.nl_pid != 0)
			continue;
		acks_take(a, buf, (size_t)n, b->s->portid);
	}
}

int nd_nftb_commit(struct nd_nftb *b, size_t *ret_failed, struct nd_err **err)
{
	struct acks a = { 0 };
	struct nlmsghdr *nlh;
	int r;

	if (ret_failed)
		*ret_failed = SIZE_MAX;
	r = b->failed ? b->failed : nftb_close_open(b);
	if (r == 0)
		r = nftb_reserve(b, ND_NFTB_MSG_ROOM);
	if (r < 0)
		return r == -ENOMEM ? nd_oom(err) : sys_err(err, -r, "building the transaction");
	nlh = nftnl_batch_end(b->buf + b->len, 0);
	b->len += NLMSG_ALIGN(nlh->nlmsg_len);

	a.first = b->s->seq;
	a.n = b->n;
	r = nftb_send(b, err);
	if (r < 0)
		return r;
	r = nftb_drain(b, &a, err);
	if (r < 0)
		return r;
	if (a.errnum) {
		if (ret_failed && a.failed > 0)
			*ret_failed = a.failed - 1;
		return nd_err_set(err, ND_ERR_INTERNAL, a.errnum, "nftables: %s: %s%s%s%s",
				  a.failed ? b->what[a.failed - 1] : "transaction",
				  strerror(a.errnum), a.ext[0] ? " (" : "", a.ext,
				  a.ext[0] ? ")" : "");
	}
	/* Lost acks leave the outcome unknown; every caller's transaction is safe to redo. */
	if (a.lost)
		return nd_err_set(err, ND_ERR_INTERNAL, ENOBUFS,
				  "nftables: acknowledgements lost (%zu of %zu read); the transaction "
				  "may or may not have been applied", a.got, a.n);
	if (a.got != a.n)
		return nd_err_set(err, ND_ERR_INTERNAL, EPROTO,
				  "nftables: the kernel acknowledged %zu of %zu messages", a.got, a.n);
	return 0;
}

/* How one request/answer exchange ended. */
enum xchg { XCHG_DONE, XCHG_RETRY, XCHG_REOPEN };

struct request {
	uint16_t type, family, flags;
	nd_nf_build_fn build;
	nd_nf_msg_fn cb;
	void *ud;
	const char *what;
	char *buf;
	size_t bufsz;
};

static int request_send(struct nd_nfsock *s, const struct request *q, uint32_t seq,
			struct nd_err **err)
{
	/* A get needs an ack to end it; a dump ends with NLMSG_DONE. */
	uint16_t flags = q->flags & NLM_F_DUMP ? q->flags : (uint16_t)(q->flags | NLM_F_ACK);
	struct nlmsghdr *nlh;

	/* The buffer held answers before; libmnl leaves attribute padding unwritten. */
	memset(q->buf, 0, ND_NFTB_MSG_ROOM);
	nlh = nftnl_nlmsg_build_hdr(q->buf, q->type, q->family, flags, seq);
	q->build(nlh, q->ud);
	if (mnl_socket_sendto(s->nl, nlh, nlh->nlmsg_len) < 0)
		return sys_err(err, errno, q->what);
	return 0;
}

/* What the answers said so far. */
struct answers {
	bool intr;    /* redo: the kernel's view changed while it answered */
	int cberr;
	bool have_gen;
	uint16_t gen;
};

/*
 * Every nf_tables answer carries the ruleset generation in nfgenmsg.res_id. The set element
 * dump resumes by position without setting NLM_F_DUMP_INTR, so a commit between two parts
 * can skip or repeat elements: a generation that moves within one dump is the sign of it.
 */
static void answers_gen(struct answers *a, const struct nlmsghdr *nlh)
{
	const struct nfgenmsg *g = mnl_nlmsg_get_payload(nlh);

	if (mnl_nlmsg_get_payload_len(nlh) < sizeof(*g))
		return;
	if (a->have_gen && a->gen != g->res_id)
		a->intr = true;
	a->have_gen = true;
	a->gen = g->res_id;
}

/* One answer message: 1 when it ends the exchange, 0 to go on, -errno on failure. */
static int request_take(const struct request *q, const struct nlmsghdr *nlh, struct answers *a,
			struct nd_err **err)
{
	char ext[256];
	int errnum;

	if (nlh->nlmsg_flags & NLM_F_DUMP_INTR)
		a->intr = true;
	switch (nlh->nlmsg_type) {
	case NLMSG_NOOP:
		return 0;
	case NLMSG_OVERRUN:
		a->intr = true;
		return 0;
	case NLMSG_DONE:
		/* A dump that failed midway says so in NLMSG_DONE's payload. */
		if (mnl_nlmsg_get_payload_len(nlh) >= sizeof(int)) {
			errnum = -*(const int *)mnl_nlmsg_get_payload(nlh);
			if (errnum > 0)
				return sys_err(err, errnum, q->what);
		}
		return 1;
	case NLMSG_ERROR:
		if (!ack_parse(nlh, &errnum, ext, sizeof(ext)))
			return sys_err(err, EBADMSG, q->what);
		if (!errnum)
			return 1;
		return nd_err_set(err, ND_ERR_INTERNAL, errnum, "nftables: %s: %s%s%s%s", q->what,
				  strerror(errnum), ext[0] ? " (" : "", ext, ext[0] ? ")" : "");
	default:
		answers_gen(a, nlh);
		/* Keep reading after a callback failure so the socket ends clean. */
		if (!a->cberr)
			a->cberr = q->cb(nlh, q->ud);
		return 0;
	}
}

static int request_once(struct nd_nfsock *s, const struct request *q, enum xchg *ret,
			struct nd_err **err)
{
	uint32_t seq = s->seq++;
	struct answers a = { 0 };
	int r;

	r = request_send(s, q, seq, err);
	if (r < 0)
		return r;
	for (;;) {
		const struct nlmsghdr *nlh = (const struct nlmsghdr *)q->buf;
		ssize_t n = mnl_socket_recvfrom(s->nl, q->buf, q->bufsz);
		int rest;

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno == ENOBUFS) {
			*ret = XCHG_REOPEN;
			return 0;
		}
		if (n < 0)
			return sys_err(err, errno, q->what);
		rest = (int)n;
		for (; mnl_nlmsg_ok(nlh, rest); nlh = mnl_nlmsg_next(nlh, &rest)) {
			if (!mnl_nlmsg_portid_ok(nlh, s->portid))
				return sys_err(err, EPROTO, q->what);
			/* Leftovers of an earlier, interrupted attempt. */
			if (nlh->nlmsg_seq != seq)
				continue;
			r = request_take(q, nlh, &a, err);
			if (r < 0)
				return r;
			if (r == 0)
				continue;
			if (a.intr) {
				*ret = XCHG_RETRY;
				return 0;
			}
			if (a.cberr == -ENOMEM)
				return nd_oom(err);
			if (a.cberr < 0)
				return nd_err_set(err, ND_ERR_INTERNAL, -a.cberr,
						  "nftables: %s: reading the answer: %s", q->what,
						  strerror(-a.cberr));
			*ret = XCHG_DONE;
			return 0;
		}
	}
}

int nd_nfsock_request(struct nd_nfsock *s, uint16_t type, uint16_t family, uint16_t flags,
		      nd_nf_build_fn build, nd_nf_msg_fn cb, void *ud, const char *what,
		      struct nd_err **err)
{
	/* The kernel sizes dump parts after our largest read (up to 32 KiB): fewer parts, fewer
	 * chances for a commit to fall between two of them. */
	size_t bufsz = 8 * (size_t)MNL_SOCKET_BUFFER_SIZE;
	_cleanup_free_ char *buf = malloc(bufsz);
	struct request q = { .type = type, .family = family, .flags = flags, .build = build,
			     .cb = cb, .ud = ud, .what = what, .buf = buf, .bufsz = bufsz };
	int attempt, r;

	if (!buf)
		return nd_oom(err);
	for (attempt = 0; attempt < ND_NF_ATTEMPTS; attempt++) {
		enum xchg x = XCHG_DONE;

		r = request_once(s, &q, &x, err);
		if (r < 0 || x == XCHG_DONE)
			return r;
		if (x == XCHG_REOPEN) {
			r = sock_reopen(s, err);
			if (r < 0)
				return r;
		}
	}
	return 0;
}

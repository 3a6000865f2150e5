#include "kernel/nl.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/netlink.h>
#include <netlink/attr.h>
#include <netlink/errno.h>
#include <netlink/handlers.h>
#include <netlink/socket.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "kernel/netns.h"

/* Room for a burst of full RTM_NEWLINK replies; the kernel caps it at net.core.rmem_max. */
#define ND_NL_RCVBUF (256 * 1024)
/* An inconsistent dump is retried this often before we give up with EAGAIN. */
#define ND_NL_DUMP_TRIES 5

DEFINE_CLEANUP(struct nl_cb, nl_cb_put)

/* libnl's codes and the errno each stands for; any other (NLE_FAILURE) lost the kernel's. */
static const struct {
	int nle, errnum;
} nle_errno[] = {
	{ NLE_SUCCESS, 0 },
	{ NLE_INTR, EINTR },
	{ NLE_BAD_SOCK, EBADF },
	{ NLE_AGAIN, EAGAIN },
	{ NLE_NOMEM, ENOMEM }, /* libnl also folds the kernel's ENOBUFS in here */
	{ NLE_EXIST, EEXIST },
	{ NLE_INVAL, EINVAL },
	{ NLE_MISSING_ATTR, EINVAL },
	{ NLE_OBJ_MISMATCH, EINVAL },
	{ NLE_PARSE_ERR, EINVAL },
	{ NLE_ATTRSIZE, EINVAL },
	{ NLE_RANGE, ERANGE },
	{ NLE_MSGSIZE, EMSGSIZE },
	{ NLE_MSG_TRUNC, EMSGSIZE },
	{ NLE_OPNOTSUPP, EOPNOTSUPP },
	{ NLE_SRCRT_NOSUPPORT, EOPNOTSUPP },
	{ NLE_MSGTYPE_NOSUPPORT, EOPNOTSUPP },
	{ NLE_AF_NOSUPPORT, EAFNOSUPPORT },
	{ NLE_AF_MISMATCH, EAFNOSUPPORT },
	{ NLE_OBJ_NOTFOUND, ENOENT }, /* the kernel said ENOENT or ESRCH */
	{ NLE_NOCACHE, ENOENT },
	{ NLE_PKTLOC_FILE, ENOENT },
	{ NLE_NOATTR, ENODATA },
	{ NLE_SEQ_MISMATCH, EPROTO },
	{ NLE_MSG_TOOSHORT, EPROTO },
	{ NLE_MSG_OVERFLOW, ENOBUFS },
	{ NLE_NOADDR, EADDRNOTAVAIL },
	{ NLE_BUSY, EBUSY },
	{ NLE_PROTO_MISMATCH, EPROTONOSUPPORT },
	{ NLE_NOACCESS, EACCES },
	{ NLE_PERM, EPERM },
	{ NLE_IMMUTABLE, EPERM },
	{ NLE_NODEV, ENODEV },
	{ NLE_DUMP_INTR, EAGAIN }, /* the dump raced a change: asking again is the cure */
};

int nd_nl_errno(int nle)
{
	for (size_t i = 0; i < ND_ARRAY_SIZE(nle_errno); i++)
		if (nle_errno[i].nle == abs(nle))
			return -nle_errno[i].errnum;
	return -EIO;
}

/* What failed, for the messages below: short (an interface, an address), so a buffer does. */
#define WHAT_LEN 256

int nd_nl_err(struct nd_err **err, int nle, const char *fmt, ...)
{
	char what[WHAT_LEN];
	va_list ap;

	va_start(ap, fmt);
	(void)vsnprintf(what, sizeof(what), fmt, ap);
	va_end(ap);
	return nd_err_set(err, ND_ERR_INTERNAL, -nd_nl_errno(nle), "%s: %s", what, nl_geterror(nle));
}

int nd_nl_kerr(struct nd_err **err, int code, int r, const char *extack, const char *fmt, ...)
{
	bool ext = extack && *extack;
	char what[WHAT_LEN];
	va_list ap;

	va_start(ap, fmt);
	(void)vsnprintf(what, sizeof(what), fmt, ap);
	va_end(ap);
	return nd_err_set(err, code, -r, "%s: %s%s%s%s", what, strerror(-r), ext ? " (kernel: " : "",
			  ext ? extack : "", ext ? ")" : "");
}

struct nl_msg *nd_nl_msg(int type, int flags, const void *hdr, size_t len)
{
	struct nl_msg *msg = nlmsg_alloc_simple(type, flags);

	if (msg && nlmsg_append(msg, (void *)hdr, len, NLMSG_ALIGNTO) < 0)
		nlmsg_free(TAKE_PTR(msg));
	return msg;
}

const void *nd_nl_header(const struct nlmsghdr *nlh, int type, size_t len)
{
	return nlh->nlmsg_type == type && nlh->nlmsg_len >= NLMSG_LENGTH(len) ? NLMSG_DATA(nlh) : NULL;
}

struct connect_ctx {
	struct nl_sock *sk;
	int nle;
};

static int connect_route(void *ud)
{
	struct connect_ctx *c = ud;

	c->nle = nl_connect(c->sk, NETLINK_ROUTE);
	return 0;
}

/* The socket's netns is fixed when socket() runs: connect there, use it from anywhere. */
static int connect_in(struct nl_sock *sk, int netns_fd, struct nd_err **err)
{
	struct connect_ctx c = { .sk = sk };
	int r = netns_fd < 0 ? connect_route(&c) : nd_netns_run(netns_fd, connect_route, &c, err);

	if (r < 0)
		return r;
	if (c.nle < 0)
		return nd_nl_err(err, c.nle, "netlink: connect");
	return 0;
}

/*
 * libnl 3.7 creates its socket with SOCK_CLOEXEC; older builds did not, and a netlink
 * socket of the host netns leaking into a container or a delegated plugin is a way out.
 */
static int ensure_cloexec(int fd)
{
	int fl = fcntl(fd, F_GETFD);

	if (fl < 0)
		return -errno;
	if (!(fl & FD_CLOEXEC) && fcntl(fd, F_SETFD, fl | FD_CLOEXEC) < 0)
		return -errno;
	return 0;
}

/* Extended acks give "why" text; capping keeps a failed request from being echoed back. */
static void enable_ext_ack(int fd)
{
	int one = 1;

	/* Best effort: kernels before 4.12 lack them and we only lose error detail. */
	(void)setsockopt(fd, SOL_NETLINK, NETLINK_EXT_ACK, &one, sizeof(one));
	(void)setsockopt(fd, SOL_NETLINK, NETLINK_CAP_ACK, &one, sizeof(one));
}

int nd_nl_open(int netns_fd, struct nl_sock **ret, struct nd_err **err)
{
	_cleanup_nl_sock_ struct nl_sock *sk = nl_socket_alloc();
	int r;

	if (!sk)
		return nd_oom(err);
	r = connect_in(sk, netns_fd, err);
	if (r < 0)
		return r;
	r = ensure_cloexec(nl_socket_get_fd(sk));
	if (r < 0)
		return nd_err_set(err, ND_ERR_INTERNAL, -r, "netlink: FD_CLOEXEC: %s", strerror(-r));
	enable_ext_ack(nl_socket_get_fd(sk));
	r = nl_socket_set_buffer_size(sk, ND_NL_RCVBUF, 0);
	if (r < 0)
		return nd_nl_err(err, r, "netlink: buffer size");
	*ret = TAKE_PTR(sk);
	return 0;
}

/* What one request's ack said. */
struct ack {
	int error; /* the kernel's -errno, 0 once acked */
	bool done;
	char *extack; /* ND_NL_EXTACK_LEN bytes, or NULL */
};

/* Where the extack TLVs start: after the nlmsgerr and, unless capped, the echoed request. */
static size_t ext_ack_offset(const struct nlmsghdr *nlh, const struct nlmsgerr *e)
{
	size_t payload = sizeof(*e);

	if (!(nlh->nlmsg_flags & NLM_F_CAPPED) && e->msg.nlmsg_len > NLMSG_HDRLEN)
		payload += e->msg.nlmsg_len - NLMSG_HDRLEN;
	return NLMSG_HDRLEN + NLMSG_ALIGN(payload);
}

static void copy_ext_ack(const struct nlmsghdr *nlh, const struct nlmsgerr *e, char *out)
{
	struct nlattr *tb[NLMSGERR_ATTR_MAX + 1];
	size_t off;

	if (!out || !(nlh->nlmsg_flags & NLM_F_ACK_TLVS))
		return;
	off = ext_ack_offset(nlh, e);
	if (off >= nlh->nlmsg_len)
		return;
	if (nla_parse(tb, NLMSGERR_ATTR_MAX, (struct nlattr *)((char *)nlh + off), (int)(nlh->nlmsg_len - off),
		      NULL) < 0 || !tb[NLMSGERR_ATTR_MSG])
		return;
	snprintf(out, ND_NL_EXTACK_LEN, "%.*s", (int)strnlen(nla_data(tb[NLMSGERR_ATTR_MSG]),
							    (size_t)nla_len(tb[NLMSGERR_ATTR_MSG])),
		 (const char *)nla_data(tb[NLMSGERR_ATTR_MSG]));
}

static int on_error(struct sockaddr_nl *who, struct nlmsgerr *e, void *arg)
{
	struct ack *a = arg;
	/* libnl hands us the payload; its header sits right before it in the receive buffer. */
	const struct nlmsghdr *nlh = (const struct nlmsghdr *)((const char *)e - NLMSG_HDRLEN);

	(void)who;
	a->error = e->error;
	a->done = true;
	copy_ext_ack(nlh, e, a->extack);
	return NL_STOP;
}

static int on_ack(struct nl_msg *msg, void *arg)
{
	struct ack *a = arg;

	(void)msg;
	a->done = true;
	return NL_STOP;
}

/* A clone of the socket's callbacks, so the socket's own stay untouched. */
static struct nl_cb *cb_clone(struct nl_sock *sk)
{
	_cleanup_(nl_cb_putp) struct nl_cb *base = nl_socket_get_cb(sk);

	return base ? nl_cb_clone(base) : NULL;
}

int nd_nl_talk(struct nl_sock *sk, struct nl_msg *msg, char extack[ND_NL_EXTACK_LEN])
{
	_cleanup_(nl_cb_putp) struct nl_cb *cb = cb_clone(sk);
	struct ack a = { .extack = extack };
	int r;

	if (extack)
		extack[0] = '\0';
	if (!cb)
		return -ENOMEM;
	nl_cb_err(cb, NL_CB_CUSTOM, on_error, &a);
	nl_cb_set(cb, NL_CB_ACK, NL_CB_CUSTOM, on_ack, &a);
	/* Ask for the ack ourselves: with libnl's auto-ack off we would wait for nothing. */
	nlmsg_hdr(msg)->nlmsg_flags |= NLM_F_ACK;
	r = nl_send_auto(sk, msg);
	if (r < 0)
		return nd_nl_errno(r);
	while (!a.done) {
		r = nl_recvmsgs_report(sk, cb);
		if (a.done)
			break;
		if (r < 0)
			return nd_nl_errno(r);
		if (r == 0) /* EOF on a blocking socket: no ack is coming */
			return -EIO;
	}
	return a.error;
}

struct dump {
	int (*fn)(const struct nlmsghdr *nlh, void *ud);
	void *ud;
	int r; /* first failure of fn, or of the request */
};

static int on_dump_msg(struct nl_msg *msg, void *arg)
{
	struct dump *d = arg;

	/* After a failure keep reading, so the reply is drained and the next request lines up. */
	if (d->r >= 0) {
		int r = d->fn(nlmsg_hdr(msg), d->ud);
		if (r < 0)
			d->r = r;
	}
	return NL_OK;
}

static int on_dump_error(struct sockaddr_nl *who, struct nlmsgerr *e, void *arg)
{
	struct dump *d = arg;

	(void)who;
	if (d->r >= 0)
		d->r = e->error;
	return NL_STOP;
}

static int dump_once(struct nl_sock *sk, struct nl_msg *msg, struct nl_cb *cb, struct dump *d)
{
	int r;

	d->r = 0;
	d->fn(NULL, d->ud);
	/* nl_send_auto only numbers a message whose sequence number is still 0. */
	nlmsg_hdr(msg)->nlmsg_seq = 0;
	r = nl_send_auto(sk, msg);
	if (r < 0)
		return nd_nl_errno(r);
	r = nl_recvmsgs(sk, cb);
	if (d->r < 0)
		return d->r;
	return r < 0 ? nd_nl_errno(r) : 0;
}

int nd_nl_dump(struct nl_sock *sk, int type, const void *hdr, size_t len,
	       int (*fn)(const struct nlmsghdr *nlh, void *ud), void *ud)
{
	_cleanup_(nl_cb_putp) struct nl_cb *cb = cb_clone(sk);
	_cleanup_nl_msg_ struct nl_msg *msg = nd_nl_msg(type, NLM_F_DUMP, hdr, len);
	struct dump d = { .fn = fn, .ud = ud };
	int r = -EAGAIN;

	if (!cb || !msg)
		return -ENOMEM;
	nl_cb_set(cb, NL_CB_VALID, NL_CB_CUSTOM, on_dump_msg, &d);
	nl_cb_err(cb, NL_CB_CUSTOM, on_dump_error, &d);
	/* libnl reports NLM_F_DUMP_INTR as NLE_DUMP_INTR (-EAGAIN) after draining the reply. */
	for (int i = 0; i < ND_NL_DUMP_TRIES && r == -EAGAIN; i++)
		r = dump_once(sk, msg, cb, &d);
	return r;
}

#include "portmap/ctflush.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#include <libmnl/libmnl.h>
#include <libnetfilter_conntrack/libnetfilter_conntrack.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/netfilter/nfnetlink_conntrack.h>

#include "base/cleanup.h"

DEFINE_CLEANUP(struct mnl_socket, mnl_socket_close)

/* A request is one small message; a dump answer fits what the kernel sends at once (NLMSG_GOODSIZE). */
#define REQ_BUF 4096
#define ANS_BUF 32768

struct victims {
	const struct nd_ct_match *m;
	size_t n;
	struct nf_conntrack **v;
	size_t nv, cap;
};

static void victims_done(struct victims *x)
{
	for (size_t i = 0; i < x->nv; i++)
		nfct_destroy(x->v[i]);
	free(x->v);
}

static bool addr_is(const struct nf_conntrack *ct, int af, const struct nd_ip *want, int a4, int a6)
{
	const void *got;

	if (want->family == 0)
		return true;
	if (want->family != af)
		return false;
	got = nfct_get_attr(ct, af == AF_INET ? a4 : a6);
	return got && !memcmp(got, want->a, af == AF_INET ? 4 : 16);
}

static bool matches(const struct nf_conntrack *ct, const struct nd_ct_match *m)
{
	int af = nfct_get_attr_u8(ct, ATTR_ORIG_L3PROTO);

	if (nfct_get_attr_u8(ct, ATTR_ORIG_L4PROTO) != m->proto ||
	    ntohs(nfct_get_attr_u16(ct, ATTR_ORIG_PORT_DST)) != m->port)
		return false;
	return addr_is(ct, af, &m->dst, ATTR_ORIG_IPV4_DST, ATTR_ORIG_IPV6_DST) &&
	       addr_is(ct, af, &m->reply_src, ATTR_REPL_IPV4_SRC, ATTR_REPL_IPV6_SRC);
}

static int take(const struct nlmsghdr *nlh, void *ud)
{
	struct victims *x = ud;
	struct nf_conntrack *ct = nfct_new();
	bool hit = false;

	if (!ct)
		return MNL_CB_ERROR;
	if (nfct_nlmsg_parse(nlh, ct) < 0) {
		nfct_destroy(ct);
		return MNL_CB_OK;
	}
	for (size_t i = 0; i < x->n && !hit; i++)
		hit = matches(ct, &x->m[i]);
	if (hit && x->nv == x->cap) {
		size_t cap = x->cap ? 2 * x->cap : 8;
		void *v = reallocarray(x->v, cap, sizeof(*x->v));

		if (!v) {
			nfct_destroy(ct);
			return MNL_CB_ERROR;
		}
		x->v = v;
		x->cap = cap;
	}
	if (hit)
		x->v[x->nv++] = ct;
	else
		nfct_destroy(ct);
	return MNL_CB_OK;
}

static struct nlmsghdr *msg_start(char *buf, uint16_t type, uint16_t flags, uint32_t seq, uint8_t family)
{
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
	struct nfgenmsg *g;

	nlh->nlmsg_type = (NFNL_SUBSYS_CTNETLINK << 8) | type;
	nlh->nlmsg_flags = NLM_F_REQUEST | flags;
	nlh->nlmsg_seq = seq;
	g = mnl_nlmsg_put_extra_header(nlh, sizeof(*g));
	g->nfgen_family = family;
	g->version = NFNETLINK_V0;
	g->res_id = 0;
	return nlh;
}

/* Send, then read answers until the dump's end or the ack; cb sees data messages. */
static int talk(struct mnl_socket *nl, struct nlmsghdr *nlh, mnl_cb_t cb, void *ud)
{
	char buf[ANS_BUF];
	uint32_t portid = mnl_socket_get_portid(nl);
	ssize_t len;
	int r;

	if (mnl_socket_sendto(nl, nlh, nlh->nlmsg_len) < 0)
		return -errno;
	do {
		len = mnl_socket_recvfrom(nl, buf, sizeof(buf));
		if (len < 0)
			return -errno;
		r = mnl_cb_run(buf, (size_t)len, nlh->nlmsg_seq, portid, cb, ud);
	} while (r > 0);
	return r < 0 ? -errno : 0;
}

static int dump(struct mnl_socket *nl, struct victims *x, uint32_t seq)
{
	char buf[REQ_BUF];
	int r = talk(nl, msg_start(buf, IPCTNL_MSG_CT_GET, NLM_F_DUMP, seq, AF_UNSPEC), take, x);

	/* An interrupted dump (EINTR: the table changed meanwhile) or lost answers: once more. */
	if (r == -EINTR || r == -ENOBUFS) {
		victims_done(x);
		x->v = NULL;
		x->nv = x->cap = 0;
		r = talk(nl, msg_start(buf, IPCTNL_MSG_CT_GET, NLM_F_DUMP, seq + 1, AF_UNSPEC), take, x);
	}
	return r;
}

int nd_ct_flush(const struct nd_ct_match *m, size_t n, struct nd_err **err)
{
	_cleanup_(mnl_socket_closep) struct mnl_socket *nl = NULL;
	_cleanup_(victims_done) struct victims x = { .m = m, .n = n };
	char buf[REQ_BUF];
	uint32_t seq = (uint32_t)time(NULL);
	int r;

	if (n == 0)
		return 0;
	nl = mnl_socket_open2(NETLINK_NETFILTER, SOCK_CLOEXEC);
	if (!nl || mnl_socket_bind(nl, 0, MNL_SOCKET_AUTOPID) < 0)
		return nd_err_set(err, ND_ERR_INTERNAL, errno, "conntrack: opening a netlink socket: %s", strerror(errno));
	r = dump(nl, &x, seq);
	if (r < 0)
		return nd_err_set(err, ND_ERR_INTERNAL, -r, "conntrack: listing entries: %s", strerror(-r));
	for (size_t i = 0; i < x.nv; i++) {
		struct nlmsghdr *nlh = msg_start(buf, IPCTNL_MSG_CT_DELETE, NLM_F_ACK, seq + 2 + (uint32_t)i,
						 nfct_get_attr_u8(x.v[i], ATTR_ORIG_L3PROTO));

		nfct_nlmsg_build(nlh, x.v[i]);
		r = talk(nl, nlh, NULL, NULL);
		/* Gone meanwhile (timed out, or another flush): what we wanted. */
		if (r < 0 && r != -ENOENT)
			return nd_err_set(err, ND_ERR_INTERNAL, -r, "conntrack: deleting an entry: %s", strerror(-r));
	}
	return 0;
}

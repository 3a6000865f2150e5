#include "kernel/nft.h"

#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include <libnftnl/chain.h>
#include <libnftnl/expr.h>
#include <libnftnl/rule.h>
#include <libnftnl/set.h>
#include <libnftnl/table.h>
#include <libnftnl/udata.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nf_tables.h>

#include "base/cleanup.h"
#include "base/shortname.h"
#include "kernel/nftbatch.h"

DEFINE_CLEANUP(struct nftnl_table, nftnl_table_free)
DEFINE_CLEANUP(struct nftnl_chain, nftnl_chain_free)
DEFINE_CLEANUP(struct nftnl_rule, nftnl_rule_free)
DEFINE_CLEANUP(struct nftnl_set, nftnl_set_free)
DEFINE_CLEANUP(struct nftnl_set_elem, nftnl_set_elem_free)
DEFINE_CLEANUP(struct nftnl_udata_buf, nftnl_udata_buf_free)

#define BASE_CHAIN "postrouting"
#define SUBNET_PREFIX "masq-"
#define CHAIN_NAMELEN (sizeof(SUBNET_PREFIX) + ND_CIDR_STRLEN)
/* nft refuses longer comments; bytes including the NUL. */
#define COMMENT_MAX NFTNL_UDATA_COMMENT_MAXLEN
_Static_assert(COMMENT_MAX == ND_NFT_COMMENT_MAX, "libnftnl's comment limit changed");

/* nftables' datatype ids (TYPE_IPADDR, TYPE_IP6ADDR): they make `nft list` print addresses. */
#define NFT_TYPE_IPADDR 7
#define NFT_TYPE_IP6ADDR 8
/* Messages per element in nd_nft_masq_add: ensure, delete, add. */
#define ELEM_MSGS 3

struct fam {
	int af;
	uint8_t nfproto;
	const char *map;
	const char *kw; /* nft's keyword, for messages */
	uint32_t key_type;
	uint32_t saddr_off, daddr_off, alen; /* in the network header */
	struct nd_cidr mcast;
};

static const struct fam fams[] = {
	{ AF_INET, NFPROTO_IPV4, "masq4", "ip", NFT_TYPE_IPADDR, 12, 16, 4,
	  { { AF_INET, { 224 } }, 4 } },
	{ AF_INET6, NFPROTO_IPV6, "masq6", "ip6", NFT_TYPE_IP6ADDR, 8, 24, 16,
	  { { AF_INET6, { 0xff } }, 8 } },
};

static const struct fam *fam_of(int af)
{
	return af == AF_INET ? &fams[0] : af == AF_INET6 ? &fams[1] : NULL;
}

static const char *str_or_empty(const char *s)
{
	return s ? s : "";
}

/* Hand an error collected in a local slot (to inspect it first) to the caller's slot. */
static int err_pass(struct nd_err **err, struct nd_err **local, int r)
{
	if (*local && err && !*err)
		*err = TAKE_PTR(*local);
	return r;
}

static int build_err(struct nd_err **err, int r)
{
	if (r == -ENOMEM)
		return nd_oom(err);
	return nd_err_set(err, ND_ERR_INTERNAL, -r, "nftables: building the transaction: %s",
			  strerror(-r));
}

static void subnet_chain(const struct nd_cidr *addr, char out[static CHAIN_NAMELEN])
{
	char buf[ND_CIDR_STRLEN];
	struct nd_cidr net;

	nd_cidr_network(addr, &net);
	nd_cidr_fmt(&net, buf);
	/* nft's parser cannot read ':' in a chain name: "masq-fd00_89__/64" stays listable. */
	for (char *p = buf; *p; p++)
		if (*p == ':')
			*p = '_';
	(void)snprintf(out, CHAIN_NAMELEN, SUBNET_PREFIX "%s", buf);
}

/* nft prints comments raw between quotes: keep to bytes that survive a re-read. */
static char comment_char(unsigned char c)
{
	return c > ' ' && c < 0x7f && c != '"' && c != '\\' ? (char)c : '_';
}

static size_t comment_put(char *out, size_t at, const char *s, size_t n)
{
	for (; *s && n && at < COMMENT_MAX - 1; s++, n--)
		out[at++] = comment_char((unsigned char)*s);
	return at;
}

void nd_nft_owner_names(const char *network, const char *id, const char *ifname, char ret_network[ND_NFT_COMMENT_MAX],
			char ret_id[ND_NFT_COMMENT_MAX])
{
	size_t nif = strnlen(str_or_empty(ifname), 15); /* CNI_IFNAME is checked to be at most 15 */

	network = str_or_empty(network);
	id = str_or_empty(id);
	if (strlen(network) + strlen(id) + nif + 2 <= COMMENT_MAX - 1) {
		snprintf(ret_network, ND_NFT_COMMENT_MAX, "%s", network);
		snprintf(ret_id, ND_NFT_COMMENT_MAX, "%s", id);
		return;
	}
	nd_short_name(network, ND_NFT_OWNER_NET_MAX, ret_network);
	nd_short_name(id, COMMENT_MAX - 1 - 2 - nif - strlen(ret_network), ret_id);
}

/*
 * "<network> <id> <ifname>", each name shortened rather than cut when that is too long
 * (nd_nft_owner_names): a cut ID or ifname reads back as another attachment, which GC then
 * takes for a stale one. Matching (del_owner, check) compares against this same output.
 */
static void owner_comment(const char *network, const char *id, const char *ifname,
			  char out[static COMMENT_MAX])
{
	char net[ND_NFT_COMMENT_MAX], oid[ND_NFT_COMMENT_MAX];
	size_t at;

	nd_nft_owner_names(network, id, ifname, net, oid);
	at = comment_put(out, 0, net, SIZE_MAX);
	if (at < COMMENT_MAX - 1)
		out[at++] = ' ';
	at = comment_put(out, at, oid, SIZE_MAX);
	if (at < COMMENT_MAX - 1)
		out[at++] = ' ';
	at = comment_put(out, at, str_or_empty(ifname), SIZE_MAX);
	out[at] = '\0';
}

void nd_nft_owner_comment(const char *network, const char *id, const char *ifname, char ret[ND_NFT_COMMENT_MAX])
{
	owner_comment(network, id, ifname, ret);
}

/* The reverse, in place; a comment not of that shape yields three empty strings. */
static void owner_parse(char *c, const char **network, const char **id, const char **ifname)
{
	char *sp1 = strchr(c, ' '), *sp2 = sp1 ? strchr(sp1 + 1, ' ') : NULL;

	*network = *id = *ifname = "";
	if (!sp2)
		return;
	*sp1 = *sp2 = '\0';
	*network = c;
	*id = sp1 + 1;
	*ifname = sp2 + 1;
}

static void rule_init(struct nd_nftr *rb, const char *chain)
{
	nd_nftr_init(rb, NFPROTO_INET, ND_NFT_TABLE, chain);
}

/*
 * An inet chain sees both families: like nft, guard a network-header load with the
 * protocol, which also lets `nft list` print "ip saddr" rather than "@nh,96,32".
 */
static void rule_load_addr(struct nd_nftr *rb, const struct fam *f, uint32_t off)
{
	nd_nftr_meta(rb, NFT_META_NFPROTO);
	nd_nftr_cmp_eq(rb, &f->nfproto, sizeof(f->nfproto));
	nd_nftr_payload(rb, NFT_PAYLOAD_NETWORK_HEADER, off, f->alen);
}

/* The loaded address within prefix p: mask (unless full length), then compare. */
static void rule_in_prefix(struct nd_nftr *rb, const struct fam *f, const struct nd_cidr *p)
{
	uint8_t mask[16] = { 0 }, val[16] = { 0 };
	uint32_t i;

	for (i = 0; i < f->alen; i++) {
		unsigned int bits = p->len > 8 * i ? p->len - 8 * i : 0;

		mask[i] = bits >= 8 ? 0xff : (uint8_t)(0xff00 >> bits);
		val[i] = p->ip.a[i] & mask[i];
	}
	if (p->len < 8 * f->alen)
		nd_nftr_and(rb, mask, f->alen);
	nd_nftr_cmp_eq(rb, val, f->alen);
}

static int rule_add(struct nd_nftb *b, struct nd_nftr *rb, const char *chain, const char *what)
{
	return nd_nftb_rule(b, rb, NFT_MSG_NEWRULE, NLM_F_CREATE | NLM_F_APPEND,
			    "add rule to chain '%s': %s", chain, what);
}

static int put_table(struct nd_nftb *b, uint16_t type)
{
	return nd_nftb_table(b, type, NFPROTO_INET, ND_NFT_TABLE, 0);
}

/* Without NLM_F_EXCL the kernel accepts a map that exists with these very properties. */
static int put_map(struct nd_nftb *b, const struct fam *f)
{
	return nd_nftb_vmap(b, NFPROTO_INET, ND_NFT_TABLE, f->map, f->key_type, f->alen, false,
			    (uint32_t)(f - fams) + 1);
}

static int put_chain(struct nd_nftb *b, const char *name, bool base)
{
	static const struct nd_nft_hook srcnat = { "nat", NF_INET_POST_ROUTING, 100 };

	return nd_nftb_chain(b, NFT_MSG_NEWCHAIN, NFPROTO_INET, ND_NFT_TABLE, name, base ? &srcnat : NULL, 0);
}

static int put_flush(struct nd_nftb *b, const char *chain)
{
	return nd_nftb_flush(b, NFPROTO_INET, ND_NFT_TABLE, chain);
}

/*
 * Table, maps and base chain, rules re-asserted by flush and re-add: the transaction has
 * the same size however many containers exist, and leaves exactly two rules however
 * many ADDs race (transactions are serialized by the kernel).
 */
static int put_base(struct nd_nftb *b)
{
	char what[64];
	size_t i;
	int r;

	r = put_table(b, NFT_MSG_NEWTABLE);
	for (i = 0; r == 0 && i < ND_ARRAY_SIZE(fams); i++)
		r = put_map(b, &fams[i]);
	if (r == 0)
		r = put_chain(b, BASE_CHAIN, true);
	if (r == 0)
		r = put_flush(b, BASE_CHAIN);
	for (i = 0; r == 0 && i < ND_ARRAY_SIZE(fams); i++) {
		const struct fam *f = &fams[i];
		struct nd_nftr rb;

		rule_init(&rb, BASE_CHAIN);
		rule_load_addr(&rb, f, f->saddr_off);
		nd_nftr_vmap(&rb, f->map);
		(void)snprintf(what, sizeof(what), "%s saddr vmap @%s", f->kw, f->map);
		r = rule_add(b, &rb, BASE_CHAIN, what);
	}
	return r;
}

/* Traffic within the subnet keeps its source; so does multicast (as the reference ipMasq). */
static int put_subnet(struct nd_nftb *b, const struct nd_cidr *addr)
{
	const struct fam *f = fam_of(addr->ip.family);
	const struct nd_cidr *dst[2];
	char chain[CHAIN_NAMELEN], cidr[ND_CIDR_STRLEN], what[96];
	struct nd_cidr net;
	struct nd_nftr rb;
	size_t i;
	int r;

	nd_cidr_network(addr, &net);
	dst[0] = &net;
	dst[1] = &f->mcast;
	subnet_chain(addr, chain);
	r = put_chain(b, chain, false);
	if (r == 0)
		r = put_flush(b, chain);
	for (i = 0; r == 0 && i < ND_ARRAY_SIZE(dst); i++) {
		rule_init(&rb, chain);
		rule_load_addr(&rb, f, f->daddr_off);
		rule_in_prefix(&rb, f, dst[i]);
		nd_nftr_verdict(&rb, NFT_RETURN);
		(void)snprintf(what, sizeof(what), "%s daddr %s return", f->kw,
			       nd_cidr_fmt(dst[i], cidr));
		r = rule_add(b, &rb, chain, what);
	}
	if (r < 0)
		return r;
	rule_init(&rb, chain);
	(void)nd_nftr_expr(&rb, "masq");
	return rule_add(b, &rb, chain, "masquerade");
}

/* nft's own element comment: a NUL-terminated NFTNL_UDATA_SET_ELEM_COMMENT TLV. */
static int elem_set_comment(struct nftnl_set_elem *e, const char *comment)
{
	_cleanup_(nftnl_udata_buf_freep) struct nftnl_udata_buf *u =
		nftnl_udata_buf_alloc(NFT_USERDATA_MAXLEN);

	if (!u || !nftnl_udata_put_strz(u, NFTNL_UDATA_SET_ELEM_COMMENT, comment))
		return -ENOMEM;
	if (nftnl_set_elem_set(e, NFTNL_SET_ELEM_USERDATA, nftnl_udata_buf_data(u),
			       nftnl_udata_buf_len(u)) < 0)
		return -ENOMEM;
	return 0;
}

/* One element per message, so that an error names its address. */
static int put_elem(struct nd_nftb *b, uint16_t type, uint16_t flags, const struct nd_ip *ip, const char *chain,
		    const char *comment)
{
	const struct fam *f = fam_of(ip->family);
	_cleanup_(nftnl_set_freep) struct nftnl_set *s = nftnl_set_alloc();
	_cleanup_(nftnl_set_elem_freep) struct nftnl_set_elem *e = nftnl_set_elem_alloc();
	char ipstr[ND_IP_STRLEN];
	bool add = type == NFT_MSG_NEWSETELEM;
	struct nlmsghdr *nlh;

	if (!s || !e || nftnl_set_set_str(s, NFTNL_SET_TABLE, ND_NFT_TABLE) < 0 ||
	    nftnl_set_set_str(s, NFTNL_SET_NAME, f->map) < 0 ||
	    nftnl_set_elem_set(e, NFTNL_SET_ELEM_KEY, ip->a, f->alen) < 0)
		return -ENOMEM;
	if (chain) {
		nftnl_set_elem_set_u32(e, NFTNL_SET_ELEM_VERDICT, (uint32_t)NFT_JUMP);
		if (nftnl_set_elem_set_str(e, NFTNL_SET_ELEM_CHAIN, chain) < 0)
			return -ENOMEM;
	}
	if (comment && elem_set_comment(e, comment) < 0)
		return -ENOMEM;
	nftnl_set_elem_add(s, TAKE_PTR(e));
	nlh = nd_nftb_msg(b, type, NFPROTO_INET, (uint16_t)((add ? NLM_F_CREATE : 0) | flags), "%s element %s %s map '%s'",
			  add ? "add" : "delete", nd_ip_fmt(ip, ipstr), add ? "to" : "from", f->map);
	if (!nlh)
		return -ENOMEM;
	nftnl_set_elems_nlmsg_build_payload(nlh, s);
	return 0;
}

/*
 * Ensure, delete, add: the kernel keeps an existing element's comment on a plain re-add,
 * so an address reused after a leaked DEL would keep naming its old owner. The first add
 * makes the delete safe when the element is absent, and fails with EEXIST if the address
 * jumps elsewhere. Constant size, one transaction, like everything else here.
 */
static int put_masq_elem(struct nd_nftb *b, const struct nd_masq *m)
{
	char chain[CHAIN_NAMELEN], comment[COMMENT_MAX];
	int r;

	subnet_chain(&m->addr, chain);
	owner_comment(m->network, m->id, m->ifname, comment);
	r = put_elem(b, NFT_MSG_NEWSETELEM, 0, &m->addr.ip, chain, comment);
	if (r == 0)
		r = put_elem(b, NFT_MSG_DELSETELEM, 0, &m->addr.ip, NULL, NULL);
	if (r == 0)
		r = put_elem(b, NFT_MSG_NEWSETELEM, 0, &m->addr.ip, chain, comment);
	return r;
}

static int masq_validate(const struct nd_masq *m, size_t n, struct nd_err **err)
{
	size_t i;

	for (i = 0; i < n; i++) {
		const struct fam *f = fam_of(m[i].addr.ip.family);

		if (!f || m[i].addr.len > 8 * f->alen)
			return nd_err_set(err, ND_ERR_INTERNAL, EINVAL,
					  "nftables: masquerade entry %zu: bad address family or "
					  "prefix length", i);
	}
	return 0;
}

static bool subnet_seen(const struct nd_masq *m, size_t i)
{
	struct nd_cidr x, y;
	size_t j;

	nd_cidr_network(&m[i].addr, &x);
	for (j = 0; j < i; j++) {
		nd_cidr_network(&m[j].addr, &y);
		if (x.len == y.len && nd_ip_equal(&x.ip, &y.ip))
			return true;
	}
	return false;
}

/*
 * The whole structure plus the elements, in one transaction: for the first container of a
 * subnet, after a flush of the ruleset, or when an element already exists. Re-asserting
 * chains makes the kernel defer freeing the old rules past an RCU grace period, which the
 * socket's close then waits for (~10 ms), so this is not the common path.
 */
static int masq_add_full(struct nd_nfsock *s, const struct nd_masq *m, size_t n, const struct nd_nft_extra *x,
			 struct nd_err **err)
{
	_cleanup_nftb_ struct nd_nftb *b = NULL;
	_cleanup_err_ struct nd_err *e = NULL;
	size_t i, first, failed;
	int r;

	b = nd_nftb_new(s);
	if (!b)
		return build_err(err, -ENOMEM);
	/* No masquerade wanted (only the extra): no table of ours either. */
	r = n ? put_base(b) : 0;
	for (i = 0; r == 0 && i < n; i++)
		if (!subnet_seen(m, i))
			r = put_subnet(b, &m[i].addr);
	first = nd_nftb_count(b);
	for (i = 0; r == 0 && i < n; i++)
		r = put_masq_elem(b, &m[i]);
	if (r == 0 && x)
		r = x->put(b, true, x->ud);
	if (r < 0)
		return build_err(err, r);

	r = nd_nftb_commit(b, &failed, &e);
	if (r == -EEXIST && failed != SIZE_MAX && failed >= first && failed < first + n * ELEM_MSGS &&
	    (failed - first) % ELEM_MSGS == 0) {
		const struct nd_masq *dup = &m[(failed - first) / ELEM_MSGS];
		char ipstr[ND_IP_STRLEN];

		return nd_err_set(err, ND_ERR_ADDR_IN_USE, EEXIST,
				  "nftables: address %s is already masqueraded through another "
				  "subnet's chain in map '%s'",
				  nd_ip_fmt(&dup->addr.ip, ipstr), fam_of(dup->addr.ip.family)->map);
	}
	return r < 0 ? err_pass(err, &e, r) : 0;
}

/*
 * The common path: only new elements (NLM_F_EXCL), which the kernel frees no RCU grace
 * period later. ENOENT (no table, map or subnet chain yet) and EEXIST (a stale element)
 * send the caller to masq_add_full.
 */
static int masq_add_elems(struct nd_nfsock *s, const struct nd_masq *m, size_t n, const struct nd_nft_extra *x)
{
	_cleanup_nftb_ struct nd_nftb *b = nd_nftb_new(s);
	char chain[CHAIN_NAMELEN], comment[COMMENT_MAX];
	int r = b ? 0 : -ENOMEM;

	for (size_t i = 0; r == 0 && i < n; i++) {
		subnet_chain(&m[i].addr, chain);
		owner_comment(m[i].network, m[i].id, m[i].ifname, comment);
		r = put_elem(b, NFT_MSG_NEWSETELEM, NLM_F_EXCL, &m[i].addr.ip, chain, comment);
	}
	if (r == 0 && x)
		r = x->put(b, false, x->ud);
	return r < 0 ? r : nd_nftb_commit(b, NULL, NULL);
}

int nd_nft_masq_add(struct nd_nfsock *s, const struct nd_masq *m, size_t n, const struct nd_nft_extra *x,
		    struct nd_err **err)
{
	int r = masq_validate(m, n, err);

	if (r < 0 || (n == 0 && !x))
		return r;
	r = masq_add_elems(s, m, n, x);
	/* EBUSY: an extra's element exists with another verdict; the full path names it. */
	if (r == -ENOENT || r == -EEXIST || r == -EBUSY)
		return masq_add_full(s, m, n, x, err);
	return r < 0 ? nd_err_set(err, ND_ERR_INTERNAL, -r, "nftables: adding masquerade elements") : 0;
}

static int del_batch(struct nd_nfsock *s, const struct nd_ip *ips, size_t n, struct nd_err **err)
{
	_cleanup_nftb_ struct nd_nftb *b = nd_nftb_new(s);
	size_t i;
	int r = b ? 0 : -ENOMEM;

	for (i = 0; r == 0 && i < n; i++)
		r = put_elem(b, NFT_MSG_DELSETELEM, 0, &ips[i], NULL, NULL);
	if (r < 0)
		return build_err(err, r);
	return nd_nftb_commit(b, NULL, err);
}

static int del_ips(struct nd_nfsock *s, const struct nd_ip *ips, size_t n, struct nd_err **err)
{
	_cleanup_err_ struct nd_err *e = NULL;
	size_t i;
	int r;

	r = del_batch(s, ips, n, &e);
	if (r != -ENOENT)
		return r < 0 ? err_pass(err, &e, r) : 0;
	/*
	 * One absent element (or map, or table) aborts the whole transaction; the kernel has
	 * no "delete if present" before Linux 6.3. Then go one by one: absent is done.
	 */
	for (i = 0; i < n; i++) {
		nd_err_freep(&e);
		r = del_batch(s, &ips[i], 1, &e);
		if (r < 0 && r != -ENOENT)
			return err_pass(err, &e, r);
	}
	return 0;
}

static int ips_validate(const struct nd_ip *ips, size_t n, struct nd_err **err)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (!fam_of(ips[i].family))
			return nd_err_set(err, ND_ERR_INTERNAL, EINVAL,
					  "nftables: address %zu: bad address family", i);
	return 0;
}

int nd_nft_masq_del(struct nd_nfsock *s, const struct nd_ip *ips, size_t n, struct nd_err **err)
{
	int r = ips_validate(ips, n, err);

	if (r < 0 || n == 0)
		return r;
	return del_ips(s, ips, n, err);
}

/* Elements read back from the kernel. */
struct elem {
	struct nd_ip ip;
	size_t seen; /* order of arrival: a repeated dump's later sighting is the newer */
	uint32_t verdict; /* only NFT_JUMP matters; 0 also when there is none */
	char chain[CHAIN_NAMELEN];
	char comment[COMMENT_MAX];
};

struct elems {
	const struct fam *f;
	const struct nd_ip *key; /* get this one element; NULL dumps the map */
	struct elem *v;
	size_t n, cap, mark; /* this map's elements start at mark */
	int errnum;
};

static void elems_done(struct elems *es)
{
	free(es->v);
}

static int udata_comment(const struct nftnl_udata *attr, void *data)
{
	const char *v = nftnl_udata_get(attr);
	uint8_t len = nftnl_udata_len(attr);

	/* nft itself ignores a comment that is not NUL-terminated. */
	if (nftnl_udata_type(attr) == NFTNL_UDATA_SET_ELEM_COMMENT && len > 0 && !v[len - 1])
		*(const char **)data = v;
	return 0;
}

static int elem_take(struct nftnl_set_elem *se, void *ud)
{
	struct elems *es = ud;
	const char *comment = NULL, *chain;
	uint32_t klen = 0, ulen = 0;
	const void *key = nftnl_set_elem_get(se, NFTNL_SET_ELEM_KEY, &klen);
	const void *udata = nftnl_set_elem_get(se, NFTNL_SET_ELEM_USERDATA, &ulen);
	struct elem *x;

	if (!key || klen != es->f->alen)
		return 0;
	if (es->n == es->cap) {
		size_t cap = es->cap ? 2 * es->cap : 16;
		void *v = reallocarray(es->v, cap, sizeof(*es->v));

		if (!v) {
			es->errnum = ENOMEM;
			return -1;
		}
		es->v = v;
		es->cap = cap;
	}
	x = &es->v[es->n];
	memset(x, 0, sizeof(*x));
	x->seen = es->n++;
	x->ip.family = es->f->af;
	memcpy(x->ip.a, key, klen);
	if (nftnl_set_elem_is_set(se, NFTNL_SET_ELEM_VERDICT))
		x->verdict = nftnl_set_elem_get_u32(se, NFTNL_SET_ELEM_VERDICT);
	chain = nftnl_set_elem_get_str(se, NFTNL_SET_ELEM_CHAIN);
	(void)snprintf(x->chain, sizeof(x->chain), "%s", str_or_empty(chain));
	if (udata)
		(void)nftnl_udata_parse(udata, ulen, udata_comment, &comment);
	(void)snprintf(x->comment, sizeof(x->comment), "%s", str_or_empty(comment));
	return 0;
}

static int elems_take(const struct nlmsghdr *nlh, void *ud)
{
	struct elems *es = ud;
	_cleanup_(nftnl_set_freep) struct nftnl_set *s = NULL;

	if ((nlh->nlmsg_type & 0xff) != NFT_MSG_NEWSETELEM)
		return 0;
	s = nftnl_set_alloc();
	if (!s)
		return -ENOMEM;
	if (nftnl_set_elems_nlmsg_parse(nlh, s) < 0)
		return -EBADMSG;
	es->errnum = 0;
	if (nftnl_set_elem_foreach(s, elem_take, es) < 0)
		return es->errnum ? -es->errnum : -EBADMSG;
	return 0;
}

/* Written directly: these requests carry nothing libnftnl would need to allocate for. */
static void elems_build(struct nlmsghdr *nlh, void *ud)
{
	const struct elems *es = ud;
	struct nlattr *list, *el, *key;

	mnl_attr_put_strz(nlh, NFTA_SET_ELEM_LIST_TABLE, ND_NFT_TABLE);
	mnl_attr_put_strz(nlh, NFTA_SET_ELEM_LIST_SET, es->f->map);
	if (!es->key)
		return;
	list = mnl_attr_nest_start(nlh, NFTA_SET_ELEM_LIST_ELEMENTS);
	el = mnl_attr_nest_start(nlh, NFTA_LIST_ELEM);
	key = mnl_attr_nest_start(nlh, NFTA_SET_ELEM_KEY);
	mnl_attr_put(nlh, NFTA_DATA_VALUE, es->f->alen, es->key->a);
	mnl_attr_nest_end(nlh, key);
	mnl_attr_nest_end(nlh, el);
	mnl_attr_nest_end(nlh, list);
}

/* Get one element (es->key) or dump a map into es; -ENOENT (err unset) when absent. */
static int elems_read(struct nd_nfsock *s, struct elems *es, struct nd_err **err)
{
	_cleanup_err_ struct nd_err *e = NULL;
	char what[64];
	int r;

	(void)snprintf(what, sizeof(what), "%s map '%s'", es->key ? "get element from" : "list",
		       es->f->map);
	es->mark = es->n;
	r = nd_nfsock_request(s, NFT_MSG_GETSETELEM, NFPROTO_INET, es->key ? 0 : NLM_F_DUMP,
			      elems_build, elems_take, es, what, &e);
	if (r == -ENOENT)
		return r;
	return r < 0 ? err_pass(err, &e, r) : 0;
}

static int elem_key_cmp(const struct elem *a, const struct elem *b)
{
	return memcmp(a->ip.a, b->ip.a, sizeof(a->ip.a));
}

static int elem_cmp(const void *x, const void *y)
{
	const struct elem *a = x, *b = y;
	int c = elem_key_cmp(a, b);

	return c ? c : a->seen < b->seen ? 1 : a->seen > b->seen ? -1 : 0;
}

/*
 * A repeated dump (nftbatch repeats interrupted ones) brings elements twice; so does a
 * plain one, as the kernel resumes a set dump by position, counting elements a transaction
 * in flight has inserted. Keep each address once, as last seen; the order suits GC too.
 */
static void elems_unique(struct elems *es)
{
	size_t i, k;

	if (es->n - es->mark < 2)
		return;
	qsort(es->v + es->mark, es->n - es->mark, sizeof(*es->v), elem_cmp);
	for (i = k = es->mark + 1; i < es->n; i++)
		if (elem_key_cmp(&es->v[i], &es->v[k - 1]))
			es->v[k++] = es->v[i];
	es->n = k;
}

/* Every element of both maps; absent table or map contribute none. */
static int elems_dump(struct nd_nfsock *s, struct elems *es, struct nd_err **err)
{
	size_t i;
	int r;

	for (i = 0; i < ND_ARRAY_SIZE(fams); i++) {
		es->f = &fams[i];
		es->key = NULL;
		r = elems_read(s, es, err);
		if (r < 0 && r != -ENOENT)
			return r;
		elems_unique(es);
	}
	return 0;
}

int nd_nft_masq_del_owner(struct nd_nfsock *s, const char *network, const char *id, const char *ifname,
			  struct nd_err **err)
{
	_cleanup_(elems_done) struct elems es = { 0 };
	_cleanup_free_ struct nd_ip *ips = NULL;
	char want[COMMENT_MAX];
	size_t i, k = 0;
	int r;

	owner_comment(network, id, ifname, want);
	r = elems_dump(s, &es, err);
	if (r < 0 || es.n == 0)
		return r;
	ips = calloc(es.n, sizeof(*ips));
	if (!ips)
		return build_err(err, -ENOMEM);
	for (i = 0; i < es.n; i++)
		if (!strcmp(es.v[i].comment, want))
			ips[k++] = es.v[i].ip;
	return k ? del_ips(s, ips, k, err) : 0;
}

/* What a chain's rules hold, as far as CHECK cares. */
struct chain_seen {
	const char *chain;
	bool vmap[ND_ARRAY_SIZE(fams)];
	bool masq;
};

static int rule_expr_take(struct nftnl_expr *e, void *ud)
{
	struct chain_seen *cs = ud;
	const char *name = str_or_empty(nftnl_expr_get_str(e, NFTNL_EXPR_NAME));
	size_t i;

	if (!strcmp(name, "masq"))
		cs->masq = true;
	if (strcmp(name, "lookup"))
		return 0;
	for (i = 0; i < ND_ARRAY_SIZE(fams); i++)
		if (!strcmp(str_or_empty(nftnl_expr_get_str(e, NFTNL_EXPR_LOOKUP_SET)), fams[i].map))
			cs->vmap[i] = true;
	return 0;
}

static int rules_take(const struct nlmsghdr *nlh, void *ud)
{
	_cleanup_(nftnl_rule_freep) struct nftnl_rule *r = NULL;

	if ((nlh->nlmsg_type & 0xff) != NFT_MSG_NEWRULE)
		return 0;
	r = nftnl_rule_alloc();
	if (!r)
		return -ENOMEM;
	if (nftnl_rule_nlmsg_parse(nlh, r) < 0)
		return -EBADMSG;
	return nftnl_expr_foreach(r, rule_expr_take, ud) < 0 ? -EBADMSG : 0;
}

static void rules_build(struct nlmsghdr *nlh, void *ud)
{
	const struct chain_seen *cs = ud;

	mnl_attr_put_strz(nlh, NFTA_RULE_TABLE, ND_NFT_TABLE);
	mnl_attr_put_strz(nlh, NFTA_RULE_CHAIN, cs->chain);
}

/* -ENOENT (err unset) when the table is absent. */
static int chain_read(struct nd_nfsock *s, struct chain_seen *cs, struct nd_err **err)
{
	_cleanup_err_ struct nd_err *e = NULL;
	char what[CHAIN_NAMELEN + 32];
	int r;

	(void)snprintf(what, sizeof(what), "list chain '%s'", cs->chain);
	r = nd_nfsock_request(s, NFT_MSG_GETRULE, NFPROTO_INET, NLM_F_DUMP, rules_build,
			      rules_take, cs, what, &e);
	if (r == -ENOENT)
		return r;
	return r < 0 ? err_pass(err, &e, r) : 0;
}

#define check_failed(err, errnum, fmt, ...) \
	nd_err_set(err, ND_ERR_CHECK_FAILED, errnum, "nftables: " fmt, __VA_ARGS__)

static int check_elem(struct nd_nfsock *s, const struct nd_masq *m, struct nd_err **err)
{
	_cleanup_(elems_done) struct elems es = { .f = fam_of(m->addr.ip.family), .key = &m->addr.ip };
	char ipstr[ND_IP_STRLEN], chain[CHAIN_NAMELEN], comment[COMMENT_MAX];
	int r;

	nd_ip_fmt(&m->addr.ip, ipstr);
	r = elems_read(s, &es, err);
	if (r < 0 && r != -ENOENT)
		return r;
	if (r == -ENOENT || es.n != 1)
		return check_failed(err, ENOENT, "no element for %s in map '%s'", ipstr, es.f->map);
	subnet_chain(&m->addr, chain);
	if (es.v[0].verdict != (uint32_t)NFT_JUMP || strcmp(es.v[0].chain, chain))
		return check_failed(err, EINVAL, "element %s jumps to '%s', expected chain '%s'",
				    ipstr, es.v[0].chain, chain);
	owner_comment(m->network, m->id, m->ifname, comment);
	if (strcmp(es.v[0].comment, comment))
		return check_failed(err, EINVAL, "element %s has owner \"%s\", expected \"%s\"", ipstr,
				    es.v[0].comment, comment);
	return 0;
}

static int check_subnet(struct nd_nfsock *s, const struct nd_cidr *addr, struct nd_err **err)
{
	char chain[CHAIN_NAMELEN];
	struct chain_seen cs = { .chain = chain };
	int r;

	subnet_chain(addr, chain);
	r = chain_read(s, &cs, err);
	if (r < 0 && r != -ENOENT)
		return r;
	if (!cs.masq)
		return check_failed(err, ENOENT, "chain '%s' has no masquerade rule", chain);
	return 0;
}

/* Elements with their owners, every subnet chain masquerading, the base chain using the maps. */
int nd_nft_masq_check(struct nd_nfsock *s, const struct nd_masq *m, size_t n, struct nd_err **err)
{
	struct chain_seen base = { .chain = BASE_CHAIN };
	size_t i;
	int r;

	r = masq_validate(m, n, err);
	if (r < 0)
		return r;
	for (i = 0; i < n; i++) {
		r = check_elem(s, &m[i], err);
		if (r == 0 && !subnet_seen(m, i))
			r = check_subnet(s, &m[i].addr, err);
		if (r < 0)
			return r;
	}
	r = chain_read(s, &base, err);
	if (r < 0 && r != -ENOENT)
		return r;
	for (i = 0; i < ND_ARRAY_SIZE(fams); i++)
		if (!base.vmap[i])
			return check_failed(err, ENOENT, "chain '%s' does not look up map '%s'",
					    BASE_CHAIN, fams[i].map);
	return 0;
}

int nd_nft_masq_foreach(struct nd_nfsock *s, nd_nft_visit_fn cb, void *ud, struct nd_err **err)
{
	_cleanup_(elems_done) struct elems es = { 0 };
	size_t i;
	int r;

	/* Everything is read before the first visit: the visitor may change nftables itself. */
	r = elems_dump(s, &es, err);
	if (r < 0)
		return r;
	for (i = 0; i < es.n; i++) {
		const char *network, *id, *ifname;
		char ipstr[ND_IP_STRLEN];

		owner_parse(es.v[i].comment, &network, &id, &ifname);
		r = cb(&es.v[i].ip, network, id, ifname, ud);
		if (r < 0)
			return nd_err_set(err, ND_ERR_INTERNAL, -r,
					  "nftables: visiting element %s: %s",
					  nd_ip_fmt(&es.v[i].ip, ipstr), strerror(-r));
		if (r > 0)
			return r;
	}
	return 0;
}

/* A transaction deleting the table, or one subnet chain; absent is what the caller wants. */
static int del_object(struct nd_nfsock *s, const char *chain, struct nd_err **err)
{
	_cleanup_nftb_ struct nd_nftb *b = nd_nftb_new(s);
	_cleanup_err_ struct nd_err *e = NULL;
	int r = !b	 ? -ENOMEM
		: chain ? nd_nftb_chain(b, NFT_MSG_DELCHAIN, NFPROTO_INET, ND_NFT_TABLE, chain, NULL, 0)
			: put_table(b, NFT_MSG_DELTABLE);

	if (r < 0)
		return build_err(err, r);
	r = nd_nftb_commit(b, NULL, &e);
	if (r == -ENOENT)
		return 0;
	return r < 0 ? err_pass(err, &e, r) : 0;
}

int nd_nft_table_del(struct nd_nfsock *s, struct nd_err **err)
{
	return del_object(s, NULL, err);
}

int nd_nft_subnet_del(struct nd_nfsock *s, const struct nd_cidr *subnet, struct nd_err **err)
{
	char chain[CHAIN_NAMELEN];

	subnet_chain(subnet, chain);
	return del_object(s, chain, err);
}

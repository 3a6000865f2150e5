/* Isolation between bridges (iso.h): sets and verdict maps keyed by bridge name. */
#include "kernel/iso.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <libnftnl/expr.h>
#include <libnftnl/set.h>
#include <libnftnl/udata.h>
#include <linux/if.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nf_conntrack_common.h>
#include <linux/netfilter/nf_tables.h>
#include <linux/netfilter_bridge.h>

#include "base/cleanup.h"

#define TABLE "netd" /* the masquerade's inet table (nft.h), the spoof check's bridge table (spoof.h) */
#define SET_BRIDGES "iso_bridges"
#define MAP_PAIR "iso_pair"
#define MAP_TO "iso_to"
#define MAP_FROM "iso_from"
#define SET_NOICC "iso_noicc"
#define CHAIN_BASE "isolation"
#define CHAIN_FROM "iso-from"
#define CHAIN_BR "iso-forward"
/* nftables' datatype id TYPE_IFNAME, and its concatenation with itself (6 bits per type). */
#define NFT_TYPE_IFNAME 41
#define NFT_TYPE_IFNAME_PAIR ((NFT_TYPE_IFNAME << 6) | NFT_TYPE_IFNAME)
#define NO_VERDICT 0x7fff /* an element of a set, not of a map */
/* Transaction-local set ids: apart from the masquerade's (1, 2) and the spoof map's (1). */
#define SET_ID_BASE 40

DEFINE_CLEANUP(struct nftnl_set, nftnl_set_free)
DEFINE_CLEANUP(struct nftnl_set_elem, nftnl_set_elem_free)
DEFINE_CLEANUP(struct nftnl_udata_buf, nftnl_udata_buf_free)

/* One element: which set, keyed by the bridge's name (once or twice) or the port's, with what verdict. */
struct elem {
	uint16_t family;
	const char *set;
	bool pair;
	int verdict;
	const char *chain;
	bool port;
};

/* What the bridge's settings ask for (at most 5 elements). */
static size_t elems_of(const struct nd_iso *x, struct elem out[5])
{
	size_t n = 0;

	if (x->isolate || x->internal) {
		out[n++] = (struct elem){ NFPROTO_INET, SET_BRIDGES, false, NO_VERDICT, NULL };
		out[n++] = (struct elem){ NFPROTO_INET, MAP_PAIR, true, x->icc ? NF_ACCEPT : NF_DROP, NULL };
		if (x->internal)
			out[n++] = (struct elem){ NFPROTO_INET, MAP_TO, false, NF_DROP, NULL };
		out[n++] = x->internal ? (struct elem){ NFPROTO_INET, MAP_FROM, false, NF_DROP, NULL }
				       : (struct elem){ NFPROTO_INET, MAP_FROM, false, NFT_JUMP, CHAIN_FROM };
	}
	if (!x->icc && x->host_if)
		out[n++] = (struct elem){ NFPROTO_BRIDGE, SET_NOICC, false, NO_VERDICT, NULL, true };
	return n;
}

/* Every element a bridge can have, for removal: verdicts do not matter there. */
static const struct elem all_elems[] = {
	{ NFPROTO_INET, SET_BRIDGES, false, NO_VERDICT, NULL }, { NFPROTO_INET, MAP_PAIR, true, NO_VERDICT, NULL },
	{ NFPROTO_INET, MAP_TO, false, NO_VERDICT, NULL },      { NFPROTO_INET, MAP_FROM, false, NO_VERDICT, NULL },
};
static const struct elem port_elem = { NFPROTO_BRIDGE, SET_NOICC, false, NO_VERDICT, NULL, true };

static int put_elem(struct nd_nftb *b, uint16_t type, const struct elem *el, const char *bridge)
{
	_cleanup_(nftnl_set_freep) struct nftnl_set *s = nftnl_set_alloc();
	_cleanup_(nftnl_set_elem_freep) struct nftnl_set_elem *e = nftnl_set_elem_alloc();
	/* The kernel compares whole IFNAMSIZ registers, NUL padding included. */
	char key[2 * IFNAMSIZ] = { 0 };
	bool add = type == NFT_MSG_NEWSETELEM;
	struct nlmsghdr *nlh;

	strncpy(key, bridge, IFNAMSIZ - 1);
	if (el->pair)
		strncpy(key + IFNAMSIZ, bridge, IFNAMSIZ - 1);
	if (!s || !e || nftnl_set_set_str(s, NFTNL_SET_TABLE, TABLE) < 0 || nftnl_set_set_str(s, NFTNL_SET_NAME, el->set) < 0 ||
	    nftnl_set_elem_set(e, NFTNL_SET_ELEM_KEY, key, el->pair ? 2 * IFNAMSIZ : IFNAMSIZ) < 0)
		return -ENOMEM;
	if (add && el->verdict != NO_VERDICT) {
		nftnl_set_elem_set_u32(e, NFTNL_SET_ELEM_VERDICT, (uint32_t)el->verdict);
		if (el->chain && nftnl_set_elem_set_str(e, NFTNL_SET_ELEM_CHAIN, el->chain) < 0)
			return -ENOMEM;
	}
	nftnl_set_elem_add(s, TAKE_PTR(e));
	nlh = nd_nftb_msg(b, type, el->family, add ? NLM_F_CREATE : 0, "%s element '%s' %s set '%s'",
			  add ? "add" : "delete", bridge, add ? "to" : "from", el->set);
	if (!nlh)
		return -ENOMEM;
	nftnl_set_elems_nlmsg_build_payload(nlh, s);
	return 0;
}

/* A plain set of interface names (nd_nftb_vmap makes the maps). */
static int put_set(struct nd_nftb *b, uint16_t family, const char *name, uint32_t id)
{
	_cleanup_(nftnl_set_freep) struct nftnl_set *s = nftnl_set_alloc();
	_cleanup_(nftnl_udata_buf_freep) struct nftnl_udata_buf *u = nftnl_udata_buf_alloc(NFT_USERDATA_MAXLEN);
	struct nlmsghdr *nlh;

	if (!s || !u || nftnl_set_set_str(s, NFTNL_SET_TABLE, TABLE) < 0 || nftnl_set_set_str(s, NFTNL_SET_NAME, name) < 0)
		return -ENOMEM;
	nftnl_set_set_u32(s, NFTNL_SET_FAMILY, family);
	nftnl_set_set_u32(s, NFTNL_SET_KEY_TYPE, NFT_TYPE_IFNAME);
	nftnl_set_set_u32(s, NFTNL_SET_KEY_LEN, IFNAMSIZ);
	nftnl_set_set_u32(s, NFTNL_SET_ID, id);
	/* nft's encoding of a host-order key (BYTEORDER_HOST_ENDIAN): `nft list` prints names. */
	if (!nftnl_udata_put_u32(u, NFTNL_UDATA_SET_KEYBYTEORDER, 1) ||
	    nftnl_set_set_data(s, NFTNL_SET_USERDATA, nftnl_udata_buf_data(u), nftnl_udata_buf_len(u)) < 0)
		return -ENOMEM;
	nlh = nd_nftb_msg(b, NFT_MSG_NEWSET, family, NLM_F_CREATE, "add set '%s'", name);
	if (!nlh)
		return -ENOMEM;
	nftnl_set_nlmsg_build_payload(nlh, s);
	return 0;
}

static void rule_meta(struct nd_nftr *rb, uint32_t key, uint32_t reg)
{
	struct nftnl_expr *e = nd_nftr_expr(rb, "meta");

	if (!e)
		return;
	nftnl_expr_set_u32(e, NFTNL_EXPR_META_KEY, key);
	nftnl_expr_set_u32(e, NFTNL_EXPR_META_DREG, reg);
}

/* Register 1 (or 1 and 2 for a pair key) in the set; verdict map: its verdict; set: continue. */
static void rule_lookup(struct nd_nftr *rb, const char *set, bool map)
{
	struct nftnl_expr *e = nd_nftr_expr(rb, "lookup");

	if (!e)
		return;
	nftnl_expr_set_u32(e, NFTNL_EXPR_LOOKUP_SREG, NFT_REG_1);
	if (map)
		nftnl_expr_set_u32(e, NFTNL_EXPR_LOOKUP_DREG, NFT_REG_VERDICT);
	if (nftnl_expr_set_str(e, NFTNL_EXPR_LOOKUP_SET, set) < 0)
		rb->oom = true;
}

static int rule_add(struct nd_nftb *b, struct nd_nftr *rb, const char *chain, const char *what)
{
	return nd_nftb_rule(b, rb, NFT_MSG_NEWRULE, NLM_F_CREATE | NLM_F_APPEND, "add rule to chain '%s': %s", chain,
			    what);
}

/* ct status dnat accept: a published port (DNAT on a host address) reaches any network. */
static int put_dnat_accept(struct nd_nftb *b)
{
	const uint32_t mask = IPS_DST_NAT, zero = 0;
	struct nftnl_expr *e;
	struct nd_nftr rb;

	nd_nftr_init(&rb, NFPROTO_INET, TABLE, CHAIN_FROM);
	if ((e = nd_nftr_expr(&rb, "ct"))) {
		nftnl_expr_set_u32(e, NFTNL_EXPR_CT_KEY, NFT_CT_STATUS);
		nftnl_expr_set_u32(e, NFTNL_EXPR_CT_DREG, NFT_REG_1);
	}
	nd_nftr_and(&rb, &mask, sizeof(mask));
	if ((e = nd_nftr_expr(&rb, "cmp"))) {
		nftnl_expr_set_u32(e, NFTNL_EXPR_CMP_SREG, NFT_REG_1);
		nftnl_expr_set_u32(e, NFTNL_EXPR_CMP_OP, NFT_CMP_NEQ);
		if (nftnl_expr_set(e, NFTNL_EXPR_CMP_DATA, &zero, sizeof(zero)) < 0)
			rb.oom = true;
	}
	nd_nftr_verdict(&rb, NF_ACCEPT);
	return rule_add(b, &rb, CHAIN_FROM, "ct status dnat accept");
}

/* A rule "<meta key> @set drop" in chain. */
static int put_drop_in(struct nd_nftb *b, uint16_t family, const char *chain, uint32_t key, const char *set,
		       const char *what)
{
	struct nd_nftr rb;

	nd_nftr_init(&rb, family, TABLE, chain);
	rule_meta(&rb, key, NFT_REG_1);
	rule_lookup(&rb, set, false);
	nd_nftr_verdict(&rb, NF_DROP);
	return rule_add(b, &rb, chain, what);
}

/* A rule "<meta key> vmap @map" (both names for the pair map) in the base chain. */
static int put_dispatch(struct nd_nftb *b, const char *map, uint32_t key, bool pair, const char *what)
{
	struct nd_nftr rb;

	nd_nftr_init(&rb, NFPROTO_INET, TABLE, CHAIN_BASE);
	rule_meta(&rb, key, NFT_REG_1);
	if (pair)
		rule_meta(&rb, NFT_META_OIFNAME, NFT_REG_2);
	rule_lookup(&rb, map, true);
	return rule_add(b, &rb, CHAIN_BASE, what);
}

/* Chains re-asserted by flush and re-add: the same rules however many ADDs race. */
static int put_inet_base(struct nd_nftb *b)
{
	static const struct nd_nft_hook fwd = { "filter", NF_INET_FORWARD, 0 };
	int r = nd_nftb_table(b, NFT_MSG_NEWTABLE, NFPROTO_INET, TABLE, 0);

	if (r == 0)
		r = put_set(b, NFPROTO_INET, SET_BRIDGES, SET_ID_BASE);
	if (r == 0)
		r = nd_nftb_vmap(b, NFPROTO_INET, TABLE, MAP_PAIR, NFT_TYPE_IFNAME_PAIR, 2 * IFNAMSIZ, false,
				 SET_ID_BASE + 1);
	if (r == 0)
		r = nd_nftb_vmap(b, NFPROTO_INET, TABLE, MAP_TO, NFT_TYPE_IFNAME, IFNAMSIZ, true, SET_ID_BASE + 2);
	if (r == 0)
		r = nd_nftb_vmap(b, NFPROTO_INET, TABLE, MAP_FROM, NFT_TYPE_IFNAME, IFNAMSIZ, true, SET_ID_BASE + 3);
	if (r == 0)
		r = nd_nftb_chain(b, NFT_MSG_NEWCHAIN, NFPROTO_INET, TABLE, CHAIN_FROM, NULL, 0);
	if (r == 0)
		r = nd_nftb_flush(b, NFPROTO_INET, TABLE, CHAIN_FROM);
	if (r == 0)
		r = put_dnat_accept(b);
	if (r == 0)
		r = put_drop_in(b, NFPROTO_INET, CHAIN_FROM, NFT_META_OIFNAME, SET_BRIDGES, "oifname @" SET_BRIDGES " drop");
	if (r == 0)
		r = nd_nftb_chain(b, NFT_MSG_NEWCHAIN, NFPROTO_INET, TABLE, CHAIN_BASE, &fwd, 0);
	if (r == 0)
		r = nd_nftb_flush(b, NFPROTO_INET, TABLE, CHAIN_BASE);
	if (r == 0)
		r = put_dispatch(b, MAP_PAIR, NFT_META_IIFNAME, true, "iifname . oifname vmap @" MAP_PAIR);
	if (r == 0)
		r = put_dispatch(b, MAP_TO, NFT_META_OIFNAME, false, "oifname vmap @" MAP_TO);
	if (r == 0)
		r = put_dispatch(b, MAP_FROM, NFT_META_IIFNAME, false, "iifname vmap @" MAP_FROM);
	return r;
}

/*
 * Only once some bridge turns icc off: every other bridged frame skips the hook. Keyed by
 * the container's port, as `meta ibrname` needs CONFIG_NFT_BRIDGE_META, which kernels lack.
 */
static int put_bridge_base(struct nd_nftb *b)
{
	static const struct nd_nft_hook fwd = { "filter", NF_BR_FORWARD, 0 };
	int r = nd_nftb_table(b, NFT_MSG_NEWTABLE, NFPROTO_BRIDGE, TABLE, 0);

	if (r == 0)
		r = put_set(b, NFPROTO_BRIDGE, SET_NOICC, SET_ID_BASE + 4);
	if (r == 0)
		r = nd_nftb_chain(b, NFT_MSG_NEWCHAIN, NFPROTO_BRIDGE, TABLE, CHAIN_BR, &fwd, 0);
	if (r == 0)
		r = nd_nftb_flush(b, NFPROTO_BRIDGE, TABLE, CHAIN_BR);
	if (r == 0)
		r = put_drop_in(b, NFPROTO_BRIDGE, CHAIN_BR, NFT_META_IIFNAME, SET_NOICC, "iifname @" SET_NOICC " drop");
	return r;
}

int nd_iso_put(struct nd_nftb *b, bool full, void *ud)
{
	const struct nd_iso *x = ud;
	struct elem el[5];
	size_t n = elems_of(x, el);
	int r = 0;

	if (full && (x->isolate || x->internal))
		r = put_inet_base(b);
	if (r == 0 && full && !x->icc && x->host_if)
		r = put_bridge_base(b);
	for (size_t i = 0; r == 0 && i < n; i++)
		r = put_elem(b, NFT_MSG_NEWSETELEM, &el[i], el[i].port ? x->host_if : x->bridge);
	return r;
}

int nd_iso_apply(struct nd_nfsock *s, const struct nd_iso *iso, struct nd_err **err)
{
	_cleanup_nftb_ struct nd_nftb *b = nd_nftb_new(s);
	int r = b ? nd_iso_put(b, true, (void *)iso) : -ENOMEM;

	if (r < 0)
		return nd_err_set(err, ND_ERR_INTERNAL, -r, "nftables: building the isolation of bridge '%s'", iso->bridge);
	return nd_nftb_commit(b, NULL, err);
}

/* Delete elements [from, to) of v in one transaction. */
static int del_range(struct nd_nfsock *s, const struct elem *v, const char *bridge, size_t from, size_t to,
		     struct nd_err **err)
{
	_cleanup_nftb_ struct nd_nftb *b = nd_nftb_new(s);
	int r = b ? 0 : -ENOMEM;

	for (size_t i = from; r == 0 && i < to; i++)
		r = put_elem(b, NFT_MSG_DELSETELEM, &v[i], bridge);
	if (r < 0)
		return nd_err_set(err, ND_ERR_INTERNAL, -r, "nftables: building the isolation removal of '%s'", bridge);
	return nd_nftb_commit(b, NULL, err);
}

static int del_elems(struct nd_nfsock *s, const struct elem *v, size_t n, const char *bridge, struct nd_err **err)
{
	int r = del_range(s, v, bridge, 0, n, NULL);

	if (r != -ENOENT)
		return r < 0 ? nd_err_set(err, ND_ERR_INTERNAL, -r, "nftables: removing the isolation of '%s'", bridge) : 0;
	/* One absent element (or set, or table) aborts the transaction: then one by one. */
	for (size_t i = 0; i < n; i++) {
		_cleanup_err_ struct nd_err *e = NULL;

		r = del_range(s, v, bridge, i, i + 1, &e);
		if (r < 0 && r != -ENOENT) {
			if (err && !*err)
				*err = TAKE_PTR(e);
			return r;
		}
	}
	return 0;
}

int nd_iso_del(struct nd_nfsock *s, const char *bridge, struct nd_err **err)
{
	return del_elems(s, all_elems, ND_ARRAY_SIZE(all_elems), bridge, err);
}

int nd_iso_port_del(struct nd_nfsock *s, const char *host_if, struct nd_err **err)
{
	return del_elems(s, &port_elem, 1, host_if, err);
}

/* A get of one element: the request names the set and the key; any answer means present. */
struct probe {
	const struct elem *el;
	const char *name;
	bool found;
};

static void probe_build(struct nlmsghdr *nlh, void *ud)
{
	const struct probe *p = ud;
	char key[2 * IFNAMSIZ] = { 0 };
	struct nlattr *list, *el, *k;

	strncpy(key, p->name, IFNAMSIZ - 1);
	if (p->el->pair)
		strncpy(key + IFNAMSIZ, p->name, IFNAMSIZ - 1);
	mnl_attr_put_strz(nlh, NFTA_SET_ELEM_LIST_TABLE, TABLE);
	mnl_attr_put_strz(nlh, NFTA_SET_ELEM_LIST_SET, p->el->set);
	list = mnl_attr_nest_start(nlh, NFTA_SET_ELEM_LIST_ELEMENTS);
	el = mnl_attr_nest_start(nlh, NFTA_LIST_ELEM);
	k = mnl_attr_nest_start(nlh, NFTA_SET_ELEM_KEY);
	mnl_attr_put(nlh, NFTA_DATA_VALUE, p->el->pair ? 2 * IFNAMSIZ : IFNAMSIZ, key);
	mnl_attr_nest_end(nlh, k);
	mnl_attr_nest_end(nlh, el);
	mnl_attr_nest_end(nlh, list);
}

static int probe_take(const struct nlmsghdr *nlh, void *ud)
{
	if ((nlh->nlmsg_type & 0xff) == NFT_MSG_NEWSETELEM)
		((struct probe *)ud)->found = true;
	return 0;
}

int nd_iso_check(struct nd_nfsock *s, const struct nd_iso *iso, struct nd_err **err)
{
	struct elem el[5];
	size_t n = elems_of(iso, el);

	for (size_t i = 0; i < n; i++) {
		_cleanup_err_ struct nd_err *e = NULL;
		struct probe p = { &el[i], el[i].port ? iso->host_if : iso->bridge, false };
		int r = nd_nfsock_request(s, NFT_MSG_GETSETELEM, el[i].family, 0, probe_build, probe_take, &p,
					  "get isolation element", &e);

		if (r < 0 && r != -ENOENT) {
			if (err && !*err)
				*err = TAKE_PTR(e);
			return r;
		}
		if (!p.found)
			return nd_err_set(err, ND_ERR_CHECK_FAILED, ENOENT, "nftables: no element '%s' in set '%s' (isolation)",
					  p.name, el[i].set);
	}
	return 0;
}

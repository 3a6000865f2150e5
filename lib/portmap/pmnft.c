#include "portmap/pmnft.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include <libnftnl/expr.h>
#include <libnftnl/rule.h>
#include <libnftnl/set.h>
#include <libnftnl/udata.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nf_conntrack_common.h>
#include <linux/netfilter/nf_tables.h>
#include <linux/rtnetlink.h>

#include "base/cleanup.h"
#include "kernel/nft.h"

DEFINE_CLEANUP(struct nftnl_set, nftnl_set_free)
DEFINE_CLEANUP(struct nftnl_set_elem, nftnl_set_elem_free)
DEFINE_CLEANUP(struct nftnl_udata_buf, nftnl_udata_buf_free)

#define T ND_NFT_TABLE
#define CH_DNAT "pm-dnat"
#define CH_PRE "pm-prerouting"
#define CH_OUT "pm-output"
#define CH_POST "pm-postrouting"
#define CH_GUARD "pm-guard"
#define HP_PREFIX "pmhp-"
#define HP_CHAIN_LEN (sizeof(HP_PREFIX) + ND_CIDR_STRLEN)

/* nftables' datatype ids; a concatenation is their 6-bit-shifted sequence (nft's concat_type). */
enum { TY_IPADDR = 7, TY_IP6ADDR = 8, TY_PROTO = 12, TY_SERVICE = 13 };
#define CAT2(a, b) (((a) << 6) | (b))
#define CAT3(a, b, c) (((((a) << 6) | (b)) << 6) | (c))

/*
 * One port map. Keys and data are concatenations, each field padded to 32 bits in the
 * registers (and so in the element): addr . proto . port, and addr . port.
 */
struct pmap {
	const char *name;
	int af;
	bool any;       /* keyed by (proto, port) alone */
	uint32_t alen;  /* address bytes */
	uint32_t klen, dlen, ktype, dtype;
	uint32_t id;    /* NFTA_SET_ID within a transaction */
};

static const struct pmap pmaps[] = {
	{ "pm4", AF_INET, false, 4, 12, 8, CAT3(TY_IPADDR, TY_PROTO, TY_SERVICE), CAT2(TY_IPADDR, TY_SERVICE), 101 },
	{ "pm4any", AF_INET, true, 4, 8, 8, CAT2(TY_PROTO, TY_SERVICE), CAT2(TY_IPADDR, TY_SERVICE), 102 },
	{ "pm6", AF_INET6, false, 16, 24, 20, CAT3(TY_IP6ADDR, TY_PROTO, TY_SERVICE), CAT2(TY_IP6ADDR, TY_SERVICE), 103 },
	{ "pm6any", AF_INET6, true, 16, 8, 20, CAT2(TY_PROTO, TY_SERVICE), CAT2(TY_IP6ADDR, TY_SERVICE), 104 },
};

/* The hairpin maps: container address -> jump to its subnet's masquerade chain. */
struct hmap {
	const char *name;
	int af;
	uint8_t nfproto;
	uint32_t alen, ktype, saddr_off, daddr_off, id;
};
static const struct hmap hmaps[] = {
	{ "pmhp4", AF_INET, NFPROTO_IPV4, 4, TY_IPADDR, 12, 16, 105 },
	{ "pmhp6", AF_INET6, NFPROTO_IPV6, 16, TY_IP6ADDR, 8, 24, 106 },
};

static const struct pmap *pmap_of(int af, bool any)
{
	for (size_t i = 0; i < ND_ARRAY_SIZE(pmaps); i++)
		if (pmaps[i].af == af && pmaps[i].any == any)
			return &pmaps[i];
	return NULL;
}

static const struct hmap *hmap_of(int af)
{
	return af == AF_INET ? &hmaps[0] : &hmaps[1];
}

static int build_err(struct nd_err **err, int r)
{
	if (r == -ENOMEM)
		return nd_oom(err);
	return nd_err_set(err, ND_ERR_INTERNAL, -r, "nftables: building the port transaction: %s", strerror(-r));
}

/* ---- rules ---- */

static void rinit(struct nd_nftr *rb, const char *chain)
{
	nd_nftr_init(rb, NFPROTO_INET, T, chain);
}

static void r_load(struct nd_nftr *rb, const char *kind, uint32_t key_attr, uint32_t key, uint32_t dreg_attr,
		   uint32_t dreg)
{
	struct nftnl_expr *e = nd_nftr_expr(rb, kind);

	if (!e)
		return;
	nftnl_expr_set_u32(e, key_attr, key);
	nftnl_expr_set_u32(e, dreg_attr, dreg);
}

static void r_payload(struct nd_nftr *rb, uint32_t base, uint32_t off, uint32_t len, uint32_t dreg)
{
	struct nftnl_expr *e = nd_nftr_expr(rb, "payload");

	if (!e)
		return;
	nftnl_expr_set_u32(e, NFTNL_EXPR_PAYLOAD_DREG, dreg);
	nftnl_expr_set_u32(e, NFTNL_EXPR_PAYLOAD_BASE, base);
	nftnl_expr_set_u32(e, NFTNL_EXPR_PAYLOAD_OFFSET, off);
	nftnl_expr_set_u32(e, NFTNL_EXPR_PAYLOAD_LEN, len);
}

static void r_cmp(struct nd_nftr *rb, uint32_t op, const void *data, uint32_t len)
{
	struct nftnl_expr *e = nd_nftr_expr(rb, "cmp");

	if (!e)
		return;
	nftnl_expr_set_u32(e, NFTNL_EXPR_CMP_SREG, NFT_REG_1);
	nftnl_expr_set_u32(e, NFTNL_EXPR_CMP_OP, op);
	if (nftnl_expr_set(e, NFTNL_EXPR_CMP_DATA, data, len) < 0)
		rb->oom = true;
}

static void r_nfproto(struct nd_nftr *rb, uint8_t nfproto)
{
	nd_nftr_meta(rb, NFT_META_NFPROTO);
	nd_nftr_cmp_eq(rb, &nfproto, 1);
}

static void r_jump(struct nd_nftr *rb, const char *chain)
{
	struct nftnl_expr *e = nd_nftr_expr(rb, "immediate");

	if (!e)
		return;
	nftnl_expr_set_u32(e, NFTNL_EXPR_IMM_DREG, NFT_REG_VERDICT);
	nftnl_expr_set_u32(e, NFTNL_EXPR_IMM_VERDICT, (uint32_t)NFT_JUMP);
	if (nftnl_expr_set_str(e, NFTNL_EXPR_IMM_CHAIN, chain) < 0)
		rb->oom = true;
}

static int radd(struct nd_nftb *b, struct nd_nftr *rb, const char *chain, const char *what)
{
	return nd_nftb_rule(b, rb, NFT_MSG_NEWRULE, NLM_F_CREATE | NLM_F_APPEND, "add rule to chain '%s': %s",
			    chain, what);
}

/* fib daddr type local jump pm-dnat */
static int rule_local_jump(struct nd_nftb *b, const char *chain)
{
	uint32_t local = RTN_LOCAL;
	struct nd_nftr rb;
	struct nftnl_expr *e;

	rinit(&rb, chain);
	if ((e = nd_nftr_expr(&rb, "fib"))) {
		nftnl_expr_set_u32(e, NFTNL_EXPR_FIB_DREG, NFT_REG_1);
		nftnl_expr_set_u32(e, NFTNL_EXPR_FIB_RESULT, NFT_FIB_RESULT_ADDRTYPE);
		nftnl_expr_set_u32(e, NFTNL_EXPR_FIB_FLAGS, NFTA_FIB_F_DADDR);
	}
	r_cmp(&rb, NFT_CMP_EQ, &local, sizeof(local));
	r_jump(&rb, CH_DNAT);
	return radd(b, &rb, chain, "fib daddr type local jump " CH_DNAT);
}

/*
 * dnat to <key> map @m: the key's fields land in consecutive 32-bit registers from
 * NFT_REG_1, and so does the data (address, then port), which nat reads from there.
 */
static int rule_dnat(struct nd_nftb *b, const struct pmap *m)
{
	uint32_t reg = NFT_REG32_00, areg32 = m->alen / 4;
	struct nd_nftr rb;
	struct nftnl_expr *e;
	char what[96];

	rinit(&rb, CH_DNAT);
	r_nfproto(&rb, m->af == AF_INET ? NFPROTO_IPV4 : NFPROTO_IPV6);
	if (!m->any) {
		r_payload(&rb, NFT_PAYLOAD_NETWORK_HEADER, m->af == AF_INET ? 16 : 24, m->alen, reg);
		reg += areg32;
	}
	r_load(&rb, "meta", NFTNL_EXPR_META_KEY, NFT_META_L4PROTO, NFTNL_EXPR_META_DREG, reg++);
	r_payload(&rb, NFT_PAYLOAD_TRANSPORT_HEADER, 2, 2, reg);
	if ((e = nd_nftr_expr(&rb, "lookup"))) {
		nftnl_expr_set_u32(e, NFTNL_EXPR_LOOKUP_SREG, NFT_REG_1);
		nftnl_expr_set_u32(e, NFTNL_EXPR_LOOKUP_DREG, NFT_REG_1);
		if (nftnl_expr_set_str(e, NFTNL_EXPR_LOOKUP_SET, m->name) < 0)
			rb.oom = true;
	}
	if ((e = nd_nftr_expr(&rb, "nat"))) {
		nftnl_expr_set_u32(e, NFTNL_EXPR_NAT_TYPE, NFT_NAT_DNAT);
		nftnl_expr_set_u32(e, NFTNL_EXPR_NAT_FAMILY, m->af == AF_INET ? NFPROTO_IPV4 : NFPROTO_IPV6);
		nftnl_expr_set_u32(e, NFTNL_EXPR_NAT_REG_ADDR_MIN, NFT_REG32_00);
		nftnl_expr_set_u32(e, NFTNL_EXPR_NAT_REG_PROTO_MIN, NFT_REG32_00 + areg32);
	}
	(void)snprintf(what, sizeof(what), "dnat to map @%s", m->name);
	return radd(b, &rb, CH_DNAT, what);
}

/* ct status & dnat != 0 */
static void r_ct_dnat(struct nd_nftr *rb)
{
	uint32_t mask = IPS_DST_NAT, zero = 0;

	r_load(rb, "ct", NFTNL_EXPR_CT_KEY, NFT_CT_STATUS, NFTNL_EXPR_CT_DREG, NFT_REG_1);
	nd_nftr_and(rb, &mask, sizeof(mask));
	r_cmp(rb, NFT_CMP_NEQ, &zero, sizeof(zero));
}

static const uint8_t lo8[4] = { 127, 0, 0, 0 }, mask8[4] = { 255, 0, 0, 0 };

/* ct status dnat ip saddr 127.0.0.0/8 masquerade: the host's 127.0.0.1 cannot be the source out there. */
static int rule_localhost_masq(struct nd_nftb *b)
{
	struct nd_nftr rb;

	rinit(&rb, CH_POST);
	r_ct_dnat(&rb);
	r_nfproto(&rb, NFPROTO_IPV4);
	r_payload(&rb, NFT_PAYLOAD_NETWORK_HEADER, 12, 4, NFT_REG_1);
	nd_nftr_and(&rb, mask8, 4);
	nd_nftr_cmp_eq(&rb, lo8, 4);
	(void)nd_nftr_expr(&rb, "masq");
	return radd(b, &rb, CH_POST, "ct status dnat ip saddr 127.0.0.0/8 masquerade");
}

static int rule_hairpin_vmap(struct nd_nftb *b, const struct hmap *h)
{
	struct nd_nftr rb;
	char what[64];

	rinit(&rb, CH_POST);
	r_ct_dnat(&rb);
	r_nfproto(&rb, h->nfproto);
	r_payload(&rb, NFT_PAYLOAD_NETWORK_HEADER, h->daddr_off, h->alen, NFT_REG_1);
	nd_nftr_vmap(&rb, h->name);
	(void)snprintf(what, sizeof(what), "ct status dnat daddr vmap @%s", h->name);
	return radd(b, &rb, CH_POST, what);
}

/* CVE-2020-8558: route_localnet on a bridge must not open 127.0.0.0/8 to the network. */
static int rule_guard(struct nd_nftb *b)
{
	char lo[16] = "lo";
	struct nd_nftr rb;

	rinit(&rb, CH_GUARD);
	nd_nftr_meta(&rb, NFT_META_IIFNAME);
	r_cmp(&rb, NFT_CMP_NEQ, lo, sizeof(lo));
	r_nfproto(&rb, NFPROTO_IPV4);
	r_payload(&rb, NFT_PAYLOAD_NETWORK_HEADER, 16, 4, NFT_REG_1);
	nd_nftr_and(&rb, mask8, 4);
	nd_nftr_cmp_eq(&rb, lo8, 4);
	nd_nftr_verdict(&rb, NF_DROP);
	return radd(b, &rb, CH_GUARD, "iifname != lo ip daddr 127.0.0.0/8 drop");
}

/* ---- structure ---- */

static int put_pmap(struct nd_nftb *b, const struct pmap *m)
{
	_cleanup_(nftnl_set_freep) struct nftnl_set *s = nftnl_set_alloc();
	struct nlmsghdr *nlh;

	if (!s || nftnl_set_set_str(s, NFTNL_SET_TABLE, T) < 0 || nftnl_set_set_str(s, NFTNL_SET_NAME, m->name) < 0)
		return -ENOMEM;
	nftnl_set_set_u32(s, NFTNL_SET_FAMILY, NFPROTO_INET);
	nftnl_set_set_u32(s, NFTNL_SET_FLAGS, NFT_SET_MAP);
	nftnl_set_set_u32(s, NFTNL_SET_KEY_TYPE, m->ktype);
	nftnl_set_set_u32(s, NFTNL_SET_KEY_LEN, m->klen);
	nftnl_set_set_u32(s, NFTNL_SET_DATA_TYPE, m->dtype);
	nftnl_set_set_u32(s, NFTNL_SET_DATA_LEN, m->dlen);
	nftnl_set_set_u32(s, NFTNL_SET_ID, m->id);
	nlh = nd_nftb_msg(b, NFT_MSG_NEWSET, NFPROTO_INET, NLM_F_CREATE, "add map '%s'", m->name);
	if (!nlh)
		return -ENOMEM;
	nftnl_set_nlmsg_build_payload(nlh, s);
	return 0;
}

static int put_chain(struct nd_nftb *b, const char *name, const char *type, uint32_t hook, int32_t prio)
{
	struct nd_nft_hook h = { type, hook, prio };
	int r = nd_nftb_chain(b, NFT_MSG_NEWCHAIN, NFPROTO_INET, T, name, type ? &h : NULL, 0);

	return r < 0 ? r : nd_nftb_flush(b, NFPROTO_INET, T, name);
}

/*
 * Everything but the elements, (re)asserted: chains are flushed and their rules re-added,
 * so the transaction has the same size however many ports exist and races leave one copy.
 */
static int put_base(struct nd_nftb *b)
{
	size_t i;
	int r = nd_nftb_table(b, NFT_MSG_NEWTABLE, NFPROTO_INET, T, 0);

	for (i = 0; r == 0 && i < ND_ARRAY_SIZE(pmaps); i++)
		r = put_pmap(b, &pmaps[i]);
	for (i = 0; r == 0 && i < ND_ARRAY_SIZE(hmaps); i++)
		r = nd_nftb_vmap(b, NFPROTO_INET, T, hmaps[i].name, hmaps[i].ktype, hmaps[i].alen, false, hmaps[i].id);
	if (r == 0)
		r = put_chain(b, CH_DNAT, NULL, 0, 0);
	for (i = 0; r == 0 && i < ND_ARRAY_SIZE(pmaps); i++)
		r = rule_dnat(b, &pmaps[i]);
	if (r == 0 && (r = put_chain(b, CH_PRE, "nat", NF_INET_PRE_ROUTING, -100)) == 0)
		r = rule_local_jump(b, CH_PRE);
	/* nft 1.0.6 refuses "priority dstnat" on output; -100 is the same number. */
	if (r == 0 && (r = put_chain(b, CH_OUT, "nat", NF_INET_LOCAL_OUT, -100)) == 0)
		r = rule_local_jump(b, CH_OUT);
	if (r == 0 && (r = put_chain(b, CH_POST, "nat", NF_INET_POST_ROUTING, 100)) == 0)
		r = rule_localhost_masq(b);
	for (i = 0; r == 0 && i < ND_ARRAY_SIZE(hmaps); i++)
		r = rule_hairpin_vmap(b, &hmaps[i]);
	if (r == 0 && (r = put_chain(b, CH_GUARD, "filter", NF_INET_PRE_ROUTING, -300)) == 0)
		r = rule_guard(b);
	return r;
}

static void hp_chain(const struct nd_cidr *addr, char out[static HP_CHAIN_LEN])
{
	char buf[ND_CIDR_STRLEN];
	struct nd_cidr net;

	nd_cidr_network(addr, &net);
	nd_cidr_fmt(&net, buf);
	for (char *p = buf; *p; p++)
		if (*p == ':')
			*p = '_'; /* nft cannot read ':' in a chain name */
	(void)snprintf(out, HP_CHAIN_LEN, HP_PREFIX "%s", buf);
}

/* chain "pmhp-<subnet>" { ip saddr <subnet> masquerade } */
static int put_hp_chain(struct nd_nftb *b, const struct nd_cidr *addr)
{
	const struct hmap *h = hmap_of(addr->ip.family);
	char chain[HP_CHAIN_LEN];
	uint8_t mask[16] = { 0 }, val[16] = { 0 };
	struct nd_cidr net;
	struct nd_nftr rb;
	int r;

	hp_chain(addr, chain);
	nd_cidr_network(addr, &net);
	for (uint32_t i = 0; i < h->alen; i++) {
		unsigned int bits = net.len > 8 * i ? net.len - 8 * i : 0;

		mask[i] = bits >= 8 ? 0xff : (uint8_t)(0xff00 >> bits);
		val[i] = net.ip.a[i] & mask[i];
	}
	if ((r = put_chain(b, chain, NULL, 0, 0)) < 0)
		return r;
	rinit(&rb, chain);
	r_nfproto(&rb, h->nfproto);
	r_payload(&rb, NFT_PAYLOAD_NETWORK_HEADER, h->saddr_off, h->alen, NFT_REG_1);
	nd_nftr_and(&rb, mask, h->alen);
	nd_nftr_cmp_eq(&rb, val, h->alen);
	(void)nd_nftr_expr(&rb, "masq");
	return radd(b, &rb, chain, "saddr <subnet> masquerade");
}

/* ---- elements ---- */

struct ekey {
	const struct pmap *m;
	uint8_t k[24], d[20];
};

static void ekey_build(const struct nd_pm *pm, const struct nd_ip *ctr, struct ekey *ret)
{
	const struct pmap *m = pmap_of(ctr->family, nd_pm_any(pm, ctr->family));
	uint32_t at = 0;

	memset(ret, 0, sizeof(*ret));
	ret->m = m;
	if (!m->any) {
		memcpy(ret->k, pm->host_ip.a, m->alen);
		at = m->alen;
	}
	ret->k[at] = pm->proto;
	ret->k[at + 4] = (uint8_t)(pm->host_port >> 8);
	ret->k[at + 5] = (uint8_t)pm->host_port;
	memcpy(ret->d, ctr->a, m->alen);
	ret->d[m->alen] = (uint8_t)(pm->ctr_port >> 8);
	ret->d[m->alen + 1] = (uint8_t)pm->ctr_port;
}

static int elem_comment(struct nftnl_set_elem *e, const char *comment)
{
	_cleanup_(nftnl_udata_buf_freep) struct nftnl_udata_buf *u = nftnl_udata_buf_alloc(NFT_USERDATA_MAXLEN);

	if (!u || !nftnl_udata_put_strz(u, NFTNL_UDATA_SET_ELEM_COMMENT, comment) ||
	    nftnl_set_elem_set(e, NFTNL_SET_ELEM_USERDATA, nftnl_udata_buf_data(u), nftnl_udata_buf_len(u)) < 0)
		return -ENOMEM;
	return 0;
}

/*
 * One element per message, so that a failure names its key. data NULL for a delete;
 * chain for a verdict map's jump.
 */
static int put_elem(struct nd_nftb *b, uint16_t type, uint16_t flags, const char *map, const void *key, uint32_t klen,
		    const void *data, uint32_t dlen, const char *chain, const char *comment, const char *what)
{
	_cleanup_(nftnl_set_freep) struct nftnl_set *s = nftnl_set_alloc();
	_cleanup_(nftnl_set_elem_freep) struct nftnl_set_elem *e = nftnl_set_elem_alloc();
	bool add = type == NFT_MSG_NEWSETELEM;
	struct nlmsghdr *nlh;

	if (!s || !e || nftnl_set_set_str(s, NFTNL_SET_TABLE, T) < 0 || nftnl_set_set_str(s, NFTNL_SET_NAME, map) < 0 ||
	    nftnl_set_elem_set(e, NFTNL_SET_ELEM_KEY, key, klen) < 0)
		return -ENOMEM;
	if (data && nftnl_set_elem_set(e, NFTNL_SET_ELEM_DATA, data, dlen) < 0)
		return -ENOMEM;
	if (chain) {
		nftnl_set_elem_set_u32(e, NFTNL_SET_ELEM_VERDICT, (uint32_t)NFT_JUMP);
		if (nftnl_set_elem_set_str(e, NFTNL_SET_ELEM_CHAIN, chain) < 0)
			return -ENOMEM;
	}
	if (comment && elem_comment(e, comment) < 0)
		return -ENOMEM;
	nftnl_set_elem_add(s, TAKE_PTR(e));
	nlh = nd_nftb_msg(b, type, NFPROTO_INET, (uint16_t)((add ? NLM_F_CREATE : 0) | flags), "%s element %s %s map '%s'",
			  add ? "add" : "delete", what, add ? "to" : "from", map);
	if (!nlh)
		return -ENOMEM;
	nftnl_set_elems_nlmsg_build_payload(nlh, s);
	return 0;
}

static const struct nd_ip *ctr_of(const struct nd_pm_target *t, int af)
{
	for (size_t i = 0; i < t->nctr; i++)
		if (t->ctr[i].ip.family == af)
			return &t->ctr[i].ip;
	return NULL;
}

/* The port elements, in a fixed order (mapping, then family) that ekey_at reproduces. */
static int put_ports(struct nd_nftb *b, const struct nd_pm_target *t, const char *comment)
{
	static const int afs[] = { AF_INET, AF_INET6 };
	char what[ND_PM_STRLEN];
	struct ekey k;
	int r = 0;

	for (size_t i = 0; r == 0 && i < t->n; i++)
		for (size_t j = 0; r == 0 && j < ND_ARRAY_SIZE(afs); j++) {
			const struct nd_ip *ctr = ctr_of(t, afs[j]);

			if (!ctr || !nd_pm_covers(&t->m[i], afs[j]))
				continue;
			ekey_build(&t->m[i], ctr, &k);
			r = put_elem(b, NFT_MSG_NEWSETELEM, NLM_F_EXCL, k.m->name, k.k, k.m->klen, k.d, k.m->dlen, NULL,
				     comment, nd_pm_host_fmt(&t->m[i], what));
		}
	return r;
}

/* Which (mapping, family) the idx-th port element was; false when idx is past them. */
static bool ekey_at(const struct nd_pm_target *t, size_t idx, size_t *ret_i, int *ret_af)
{
	static const int afs[] = { AF_INET, AF_INET6 };

	for (size_t i = 0; i < t->n; i++)
		for (size_t j = 0; j < ND_ARRAY_SIZE(afs); j++)
			if (ctr_of(t, afs[j]) && nd_pm_covers(&t->m[i], afs[j]) && idx-- == 0) {
				*ret_i = i;
				*ret_af = afs[j];
				return true;
			}
	return false;
}

/*
 * Hairpin elements: new only on the common path; on the full path ensure, delete, add (a
 * stale element of a leaked DEL would otherwise keep its old owner's comment).
 */
static int put_hairpins(struct nd_nftb *b, const struct nd_pm_target *t, const char *comment, bool full)
{
	char chain[HP_CHAIN_LEN], ip[ND_IP_STRLEN];
	int r = 0;

	for (size_t i = 0; r == 0 && t->hairpin && i < t->nctr; i++) {
		const struct hmap *h = hmap_of(t->ctr[i].ip.family);
		const uint8_t *k = t->ctr[i].ip.a;

		hp_chain(&t->ctr[i], chain);
		nd_ip_fmt(&t->ctr[i].ip, ip);
		if (full && ((r = put_hp_chain(b, &t->ctr[i])) < 0 ||
			     (r = put_elem(b, NFT_MSG_NEWSETELEM, 0, h->name, k, h->alen, NULL, 0, chain, comment, ip)) < 0 ||
			     (r = put_elem(b, NFT_MSG_DELSETELEM, 0, h->name, k, h->alen, NULL, 0, NULL, NULL, ip)) < 0))
			break;
		r = put_elem(b, NFT_MSG_NEWSETELEM, full ? 0 : NLM_F_EXCL, h->name, k, h->alen, NULL, 0, chain, comment, ip);
	}
	return r;
}

/* ---- reading elements back ---- */

struct elist {
	const struct pmap *m;
	const struct hmap *h;
	struct nd_pm_elem *v;
	size_t n, cap;
	int errnum;
};

static int udata_comment(const struct nftnl_udata *attr, void *data)
{
	const char *v = nftnl_udata_get(attr);
	uint8_t len = nftnl_udata_len(attr);

	if (nftnl_udata_type(attr) == NFTNL_UDATA_SET_ELEM_COMMENT && len > 0 && !v[len - 1])
		*(const char **)data = v;
	return 0;
}

static void elem_decode(const struct pmap *m, const uint8_t *k, const uint8_t *d, struct nd_pm_elem *x)
{
	uint32_t at = m->any ? 0 : m->alen;

	x->af = m->af;
	x->any = m->any;
	if (!m->any) {
		x->host_ip.family = m->af;
		memcpy(x->host_ip.a, k, m->alen);
	}
	x->proto = k[at];
	x->host_port = (uint16_t)(k[at + 4] << 8 | k[at + 5]);
	x->ctr.family = m->af;
	memcpy(x->ctr.a, d, m->alen);
	x->ctr_port = (uint16_t)(d[m->alen] << 8 | d[m->alen + 1]);
}

static int elem_take(struct nftnl_set_elem *se, void *ud)
{
	struct elist *l = ud;
	uint32_t klen = 0, dlen = 0, ulen = 0;
	const uint8_t *k = nftnl_set_elem_get(se, NFTNL_SET_ELEM_KEY, &klen);
	const uint8_t *d = nftnl_set_elem_get(se, NFTNL_SET_ELEM_DATA, &dlen);
	const void *u = nftnl_set_elem_get(se, NFTNL_SET_ELEM_USERDATA, &ulen);
	const char *comment = NULL;
	struct nd_pm_elem *x;

	if (!k || klen != (l->m ? l->m->klen : l->h->alen) || (l->m && (!d || dlen != l->m->dlen)))
		return 0;
	if (l->n == l->cap) {
		size_t cap = l->cap ? 2 * l->cap : 16;
		void *v = reallocarray(l->v, cap, sizeof(*l->v));

		if (!v) {
			l->errnum = ENOMEM;
			return -1;
		}
		l->v = v;
		l->cap = cap;
	}
	x = &l->v[l->n++];
	memset(x, 0, sizeof(*x));
	if (l->m) {
		elem_decode(l->m, k, d, x);
	} else {
		x->af = x->ctr.family = l->h->af;
		memcpy(x->ctr.a, k, l->h->alen);
	}
	if (u)
		(void)nftnl_udata_parse(u, ulen, udata_comment, &comment);
	(void)snprintf(x->comment, sizeof(x->comment), "%s", comment ? comment : "");
	return 0;
}

static int elems_take(const struct nlmsghdr *nlh, void *ud)
{
	struct elist *l = ud;
	_cleanup_(nftnl_set_freep) struct nftnl_set *s = NULL;

	if ((nlh->nlmsg_type & 0xff) != NFT_MSG_NEWSETELEM)
		return 0;
	if (!(s = nftnl_set_alloc()))
		return -ENOMEM;
	if (nftnl_set_elems_nlmsg_parse(nlh, s) < 0)
		return -EBADMSG;
	l->errnum = 0;
	if (nftnl_set_elem_foreach(s, elem_take, l) < 0)
		return l->errnum ? -l->errnum : -EBADMSG;
	return 0;
}

static void elems_build(struct nlmsghdr *nlh, void *ud)
{
	const struct elist *l = ud;

	mnl_attr_put_strz(nlh, NFTA_SET_ELEM_LIST_TABLE, T);
	mnl_attr_put_strz(nlh, NFTA_SET_ELEM_LIST_SET, l->m ? l->m->name : l->h->name);
}

/* Dump one map into l (appending); absent table or map: nothing. */
static int elems_dump(struct nd_nfsock *s, struct elist *l, struct nd_err **err)
{
	_cleanup_err_ struct nd_err *e = NULL;
	char what[64];
	int r;

	(void)snprintf(what, sizeof(what), "list map '%s'", l->m ? l->m->name : l->h->name);
	r = nd_nfsock_request(s, NFT_MSG_GETSETELEM, NFPROTO_INET, NLM_F_DUMP, elems_build, elems_take, l, what, &e);
	if (r == -ENOENT)
		return 0;
	return r < 0 ? nd_err_move(err, &e, r) : 0;
}

/* ---- the operations ---- */

static bool comment_in(const char *c, const char *const *v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (!strcmp(c, v[i]))
			return true;
	return false;
}

static int owner_of(struct nd_nfsock *s, const struct pmap *m, const struct ekey *k, char ret[128])
{
	struct elist l = { .m = m };
	int r = elems_dump(s, &l, NULL);

	snprintf(ret, 128, "unknown");
	for (size_t i = 0; r >= 0 && i < l.n; i++) {
		struct ekey x;
		struct nd_pm pm = { .host_ip = l.v[i].host_ip, .proto = l.v[i].proto, .host_port = l.v[i].host_port };

		if (l.v[i].any)
			pm.host_ip.family = 0;
		ekey_build(&pm, &l.v[i].ctr, &x);
		if (!memcmp(x.k, k->k, m->klen)) {
			snprintf(ret, 128, "%s", l.v[i].comment);
			break;
		}
	}
	free(l.v);
	return r;
}

static int conflict(struct nd_nfsock *s, const struct nd_pm_target *t, size_t idx, struct nd_err **err)
{
	char owner[128], what[ND_PM_STRLEN];
	size_t i;
	int af;
	struct ekey k;

	if (!ekey_at(t, idx, &i, &af))
		return 0;
	ekey_build(&t->m[i], ctr_of(t, af), &k);
	(void)owner_of(s, k.m, &k, owner);
	return nd_err_set(err, ND_ERR_PORT_IN_USE, EEXIST, "host port %s (%s) is already published by \"%s\"",
			  nd_pm_host_fmt(&t->m[i], what), af == AF_INET ? "IPv4" : "IPv6", owner);
}

static int add_once(struct nd_nfsock *s, const struct nd_pm_target *t, const char *comment, bool full,
		    size_t *ret_failed, struct nd_err **err)
{
	_cleanup_nftb_ struct nd_nftb *b = nd_nftb_new(s);
	size_t first = 0;
	int r = b ? 0 : -ENOMEM;

	if (r == 0 && full)
		r = put_base(b);
	if (r == 0)
		first = nd_nftb_count(b);
	if (r == 0)
		r = put_ports(b, t, comment);
	if (r == 0)
		r = put_hairpins(b, t, comment, full);
	if (r < 0)
		return build_err(err, r);
	r = nd_nftb_commit(b, ret_failed, err);
	if (ret_failed && *ret_failed != SIZE_MAX)
		*ret_failed = *ret_failed >= first ? *ret_failed - first : SIZE_MAX;
	return r;
}

int nd_pmnft_add(struct nd_nfsock *s, const struct nd_pm_owner *o, const struct nd_pm_target *t,
		 struct nd_err **err)
{
	_cleanup_err_ struct nd_err *e = NULL;
	char comment[ND_NFT_COMMENT_MAX];
	size_t failed = SIZE_MAX;
	int r;

	nd_nft_owner_comment(o->network, o->id, o->ifname, comment);
	/* Common path: new elements only. The structure missing (ENOENT) or a stale hairpin element sends us on. */
	r = add_once(s, t, comment, false, &failed, &e);
	if (r == -ENOENT || r == -EEXIST) {
		nd_err_freep(&e);
		r = add_once(s, t, comment, true, &failed, &e);
	}
	if (r == -EEXIST && failed != SIZE_MAX && conflict(s, t, failed, err) < 0)
		return r;
	return r < 0 ? nd_err_move(err, &e, r) : 0;
}

int nd_pmnft_foreach(struct nd_nfsock *s, nd_pm_visit_fn cb, void *ud, struct nd_err **err)
{
	int r = 0;

	for (size_t i = 0; r >= 0 && i < ND_ARRAY_SIZE(pmaps); i++) {
		struct elist l = { .m = &pmaps[i] };

		r = elems_dump(s, &l, err);
		for (size_t j = 0; r >= 0 && j < l.n; j++)
			r = cb(&l.v[j], ud);
		free(l.v);
	}
	return r < 0 ? r : 0;
}

static int put_del(struct nd_nftb *b, const struct pmap *m, const struct hmap *h, const struct nd_pm_elem *x)
{
	struct nd_pm pm = { .host_ip = x->host_ip, .proto = x->proto, .host_port = x->host_port };
	char what[ND_PM_STRLEN];
	struct ekey k;

	if (h)
		return put_elem(b, NFT_MSG_DELSETELEM, 0, h->name, x->ctr.a, h->alen, NULL, 0, NULL, NULL,
				nd_ip_fmt(&x->ctr, what));
	if (x->any)
		pm.host_ip.family = 0;
	ekey_build(&pm, &x->ctr, &k);
	return put_elem(b, NFT_MSG_DELSETELEM, 0, m->name, k.k, m->klen, NULL, 0, NULL, NULL, nd_pm_host_fmt(&pm, what));
}

/* Delete the owned elements of one map in one transaction; -ENOENT if one vanished meanwhile. */
static int del_list(struct nd_nfsock *s, const struct elist *l, const char *const *comments, size_t n,
		    struct nd_err **err)
{
	_cleanup_nftb_ struct nd_nftb *b = nd_nftb_new(s);
	int r = b ? 0 : -ENOMEM;

	for (size_t i = 0; r == 0 && i < l->n; i++)
		if (comment_in(l->v[i].comment, comments, n))
			r = put_del(b, l->m, l->h, &l->v[i]);
	if (r < 0)
		return build_err(err, r);
	return nd_nftb_count(b) ? nd_nftb_commit(b, NULL, err) : 0;
}

static int del_map(struct nd_nfsock *s, struct elist *l, const char *const *comments, size_t n, nd_pm_visit_fn cb,
		   void *ud, struct nd_err **err)
{
	_cleanup_err_ struct nd_err *e = NULL;
	int r = elems_dump(s, l, err);

	if (r < 0)
		return r;
	r = del_list(s, l, comments, n, &e);
	/* A concurrent DEL took one: read again and delete what is still there. */
	for (int tries = 0; r == -ENOENT && tries < 3; tries++) {
		nd_err_freep(&e);
		l->n = 0;
		if ((r = elems_dump(s, l, err)) < 0)
			return r;
		r = del_list(s, l, comments, n, &e);
	}
	if (r < 0)
		return nd_err_move(err, &e, r);
	for (size_t i = 0; cb && l->m && i < l->n; i++)
		if (comment_in(l->v[i].comment, comments, n) && (r = cb(&l->v[i], ud)) < 0)
			return r;
	return 0;
}

int nd_pmnft_del_owners(struct nd_nfsock *s, const char *const *comments, size_t n, nd_pm_visit_fn cb, void *ud,
			struct nd_err **err)
{
	int r = 0;

	for (size_t i = 0; r >= 0 && i < ND_ARRAY_SIZE(pmaps) + ND_ARRAY_SIZE(hmaps); i++) {
		struct elist l = { 0 };

		if (i < ND_ARRAY_SIZE(pmaps))
			l.m = &pmaps[i];
		else
			l.h = &hmaps[i - ND_ARRAY_SIZE(pmaps)];
		r = del_map(s, &l, comments, n, cb, ud, err);
		free(l.v);
	}
	return r < 0 ? r : 0;
}

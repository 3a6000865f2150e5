#include "kernel/spoof.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libnftnl/set.h>
#include <linux/if.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nf_tables.h>
#include <linux/netfilter_bridge.h>

#include "base/cleanup.h"

#define BASE "prerouting"
#define MAP "spoof"
#define PORT_PREFIX "spoof-"
/* nftables' datatype id TYPE_IFNAME: `nft list` then prints interface names. */
#define NFT_TYPE_IFNAME 41

DEFINE_CLEANUP(struct nftnl_set, nftnl_set_free)
DEFINE_CLEANUP(struct nftnl_set_elem, nftnl_set_elem_free)

static int parse_mac(const char *s, uint8_t mac[6])
{
	unsigned int v[6];

	if (sscanf(s, "%2x:%2x:%2x:%2x:%2x:%2x", &v[0], &v[1], &v[2], &v[3], &v[4], &v[5]) != 6)
		return -EINVAL;
	for (int i = 0; i < 6; i++)
		mac[i] = (uint8_t)v[i];
	return 0;
}

static int put_elem(struct nd_nftb *b, uint16_t type, uint16_t flags, const char *host_if, const char *chain)
{
	_cleanup_(nftnl_set_freep) struct nftnl_set *s = nftnl_set_alloc();
	_cleanup_(nftnl_set_elem_freep) struct nftnl_set_elem *e = nftnl_set_elem_alloc();
	char key[IFNAMSIZ] = { 0 };
	struct nlmsghdr *nlh;

	/* The kernel compares the whole IFNAMSIZ register, NUL padding included. */
	strncpy(key, host_if, sizeof(key) - 1);
	if (!s || !e || nftnl_set_set_str(s, NFTNL_SET_TABLE, ND_SPOOF_TABLE) < 0 ||
	    nftnl_set_set_str(s, NFTNL_SET_NAME, MAP) < 0 || nftnl_set_elem_set(e, NFTNL_SET_ELEM_KEY, key, sizeof(key)) < 0)
		return -ENOMEM;
	if (chain) {
		nftnl_set_elem_set_u32(e, NFTNL_SET_ELEM_VERDICT, (uint32_t)NFT_JUMP);
		if (nftnl_set_elem_set_str(e, NFTNL_SET_ELEM_CHAIN, chain) < 0)
			return -ENOMEM;
	}
	nftnl_set_elem_add(s, TAKE_PTR(e));
	if (type == NFT_MSG_NEWSETELEM)
		flags |= NLM_F_CREATE;
	nlh = nd_nftb_msg(b, type, NFPROTO_BRIDGE, flags, "%s element '%s' of map '" MAP "'",
			  type == NFT_MSG_NEWSETELEM ? "add" : "delete", host_if);
	if (!nlh)
		return -ENOMEM;
	nftnl_set_elems_nlmsg_build_payload(nlh, s);
	return 0;
}

/* The port's chain: its own MAC passes, anything else is dropped. */
static int put_port(struct nd_nftb *b, const char *chain, const uint8_t mac[6], uint16_t flags)
{
	struct nd_nftr rb;
	int r = nd_nftb_chain(b, NFT_MSG_NEWCHAIN, NFPROTO_BRIDGE, ND_SPOOF_TABLE, chain, NULL, flags);

	if (r == 0 && !(flags & NLM_F_EXCL))
		r = nd_nftb_flush(b, NFPROTO_BRIDGE, ND_SPOOF_TABLE, chain);
	if (r < 0)
		return r;
	nd_nftr_init(&rb, NFPROTO_BRIDGE, ND_SPOOF_TABLE, chain);
	nd_nftr_payload(&rb, NFT_PAYLOAD_LL_HEADER, 6, 6);
	nd_nftr_cmp_eq(&rb, mac, 6);
	nd_nftr_verdict(&rb, NFT_RETURN);
	r = nd_nftb_rule(b, &rb, NFT_MSG_NEWRULE, NLM_F_CREATE | NLM_F_APPEND, "ether saddr return in '%s'", chain);
	if (r < 0)
		return r;
	nd_nftr_init(&rb, NFPROTO_BRIDGE, ND_SPOOF_TABLE, chain);
	nd_nftr_verdict(&rb, NF_DROP);
	return nd_nftb_rule(b, &rb, NFT_MSG_NEWRULE, NLM_F_CREATE | NLM_F_APPEND, "drop in '%s'", chain);
}

/* Table, map and base chain, the latter's one rule re-asserted (flush and re-add). */
static int put_base(struct nd_nftb *b)
{
	static const struct nd_nft_hook pre = { "filter", NF_BR_PRE_ROUTING, -300 };
	struct nd_nftr rb;
	int r = nd_nftb_table(b, NFT_MSG_NEWTABLE, NFPROTO_BRIDGE, ND_SPOOF_TABLE, 0);

	if (r == 0)
		r = nd_nftb_vmap(b, NFPROTO_BRIDGE, ND_SPOOF_TABLE, MAP, NFT_TYPE_IFNAME, IFNAMSIZ, true, 1);
	if (r == 0)
		r = nd_nftb_chain(b, NFT_MSG_NEWCHAIN, NFPROTO_BRIDGE, ND_SPOOF_TABLE, BASE, &pre, 0);
	if (r == 0)
		r = nd_nftb_flush(b, NFPROTO_BRIDGE, ND_SPOOF_TABLE, BASE);
	if (r < 0)
		return r;
	nd_nftr_init(&rb, NFPROTO_BRIDGE, ND_SPOOF_TABLE, BASE);
	nd_nftr_meta(&rb, NFT_META_IIFNAME);
	nd_nftr_vmap(&rb, MAP);
	return nd_nftb_rule(b, &rb, NFT_MSG_NEWRULE, NLM_F_CREATE | NLM_F_APPEND, "iifname vmap @" MAP);
}

int nd_spoof_put(struct nd_nftb *b, bool full, void *ud)
{
	const struct nd_spoof *sp = ud;
	uint16_t excl = full ? 0 : NLM_F_EXCL;
	char chain[sizeof(PORT_PREFIX) + IFNAMSIZ];
	uint8_t mac[6];
	int r = parse_mac(sp->mac, mac);

	snprintf(chain, sizeof(chain), PORT_PREFIX "%s", sp->host_if);
	if (r == 0 && full)
		r = put_base(b);
	if (r == 0)
		r = put_port(b, chain, mac, excl);
	if (r == 0)
		r = put_elem(b, NFT_MSG_NEWSETELEM, excl, sp->host_if, chain);
	return r;
}

static int del_once(struct nd_nfsock *s, const char *host_if, const char *chain, int step, struct nd_err **err)
{
	_cleanup_nftb_ struct nd_nftb *b = nd_nftb_new(s);
	int r = b ? 0 : -ENOMEM;

	if (r == 0 && (step < 0 || step == 0))
		r = put_elem(b, NFT_MSG_DELSETELEM, 0, host_if, NULL);
	if (r == 0 && (step < 0 || step == 1))
		r = nd_nftb_flush(b, NFPROTO_BRIDGE, ND_SPOOF_TABLE, chain);
	if (r == 0 && (step < 0 || step == 2))
		r = nd_nftb_chain(b, NFT_MSG_DELCHAIN, NFPROTO_BRIDGE, ND_SPOOF_TABLE, chain, NULL, 0);
	if (r < 0)
		return nd_err_set(err, ND_ERR_INTERNAL, -r, "nftables: building the spoof check removal");
	return nd_nftb_commit(b, NULL, err);
}

int nd_spoof_del(struct nd_nfsock *s, const char *host_if, struct nd_err **err)
{
	char chain[sizeof(PORT_PREFIX) + IFNAMSIZ];
	int r;

	snprintf(chain, sizeof(chain), PORT_PREFIX "%s", host_if);
	r = del_once(s, host_if, chain, -1, NULL);
	if (r != -ENOENT)
		return r < 0 ? nd_err_set(err, ND_ERR_INTERNAL, -r, "nftables: removing the spoof check of '%s'",
					  host_if) : 0;
	/* One absent object aborts the transaction: then step by step, absent is done. */
	for (int step = 0; step < 3; step++) {
		_cleanup_err_ struct nd_err *e = NULL;

		r = del_once(s, host_if, chain, step, &e);
		if (r < 0 && r != -ENOENT) {
			if (err && !*err)
				*err = TAKE_PTR(e);
			return r;
		}
	}
	return 0;
}

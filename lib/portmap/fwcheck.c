#include "portmap/fwcheck.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <libnftnl/chain.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nf_tables.h>

#include "base/cleanup.h"
#include "kernel/nft.h"

DEFINE_CLEANUP(struct nftnl_chain, nftnl_chain_free)

struct found {
	char *what;
	int hit;
};

static const char *family_name(uint32_t f)
{
	return f == NFPROTO_IPV4 ? "ip" : f == NFPROTO_IPV6 ? "ip6" : f == NFPROTO_INET ? "inet" : "?";
}

static int chain_take(const struct nlmsghdr *nlh, void *ud)
{
	_cleanup_(nftnl_chain_freep) struct nftnl_chain *c = NULL;
	struct found *f = ud;
	const char *table;

	if ((nlh->nlmsg_type & 0xff) != NFT_MSG_NEWCHAIN || f->hit)
		return 0;
	if (!(c = nftnl_chain_alloc()))
		return -ENOMEM;
	if (nftnl_chain_nlmsg_parse(nlh, c) < 0)
		return -EBADMSG;
	table = nftnl_chain_get_str(c, NFTNL_CHAIN_TABLE);
	if (!nftnl_chain_is_set(c, NFTNL_CHAIN_HOOKNUM) || !nftnl_chain_is_set(c, NFTNL_CHAIN_POLICY) ||
	    nftnl_chain_get_u32(c, NFTNL_CHAIN_HOOKNUM) != NF_INET_FORWARD ||
	    nftnl_chain_get_u32(c, NFTNL_CHAIN_POLICY) != NF_DROP || (table && !strcmp(table, ND_NFT_TABLE)))
		return 0;
	f->hit = 1;
	(void)snprintf(f->what, ND_FW_WHAT_MAX, "%s %s %s", family_name(nftnl_chain_get_u32(c, NFTNL_CHAIN_FAMILY)),
		       table ? table : "?", nftnl_chain_get_str(c, NFTNL_CHAIN_NAME) ?: "?");
	return 0;
}

static void chains_build(struct nlmsghdr *nlh, void *ud)
{
	(void)nlh;
	(void)ud;
}

int nd_fw_forward_drop(struct nd_nfsock *s, char ret_what[ND_FW_WHAT_MAX], struct nd_err **err)
{
	struct found f = { ret_what, 0 };
	int r = nd_nfsock_request(s, NFT_MSG_GETCHAIN, NFPROTO_UNSPEC, NLM_F_DUMP, chains_build, chain_take, &f,
				  "list chains", err);

	return r < 0 ? r : f.hit;
}

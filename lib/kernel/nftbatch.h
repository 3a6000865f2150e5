/*
 * The nftables conversation under lib/kernel/nft.c: a NETLINK_NETFILTER socket in the caller's
 * netns, transactions (one batch, every message acknowledged, each error attributed to the
 * message that caused it, as nftables' mnl_batch_talk does) and dumps/gets that survive
 * NLM_F_DUMP_INTR and ENOBUFS. No global state: everything lives in the socket object.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <libmnl/libmnl.h>
#include <linux/netlink.h>

#include "base/cleanup.h"
#include "base/err.h"

struct nd_nfsock;
struct nd_nftb;
struct nftnl_expr;
struct nftnl_rule;

/*
 * Who makes the socket's last close. After a transaction that deleted or replaced
 * something, that close waits out an RCU grace period (~10 ms, lib/kernel/nft.h); the
 * caller says, where it opens the socket, whether it sits through it:
 * - ND_NFSOCK_CLOSE_NOW: nd_nfsock_free closes in the caller. A plugin's choice always (its
 *   runtime expects no process to outlive it), and the right one when the caller waits
 *   anyway (a DEL that deletes a veth afterwards has waited out the grace period by then).
 * - ND_NFSOCK_CLOSE_DEFERRED: nd_nfsock_free hands the last close to a short-lived
 *   grandchild that sleeps out the grace period first, so neither the caller nor the next
 *   transaction (the close would hold nftables' commit mutex) waits. For netd's own commands
 *   and daemon only: the closer outlives them, adopted by init or a subreaper.
 */
enum nd_nfsock_close { ND_NFSOCK_CLOSE_NOW, ND_NFSOCK_CLOSE_DEFERRED };

/* Opened SOCK_CLOEXEC in the calling thread's current network namespace. */
int nd_nfsock_open(struct nd_nfsock **ret, enum nd_nfsock_close close, struct nd_err **err);
/* Closes as nd_nfsock_open was told. */
void nd_nfsock_free(struct nd_nfsock *s);
DEFINE_CLEANUP(struct nd_nfsock, nd_nfsock_free)
#define _cleanup_nfsock_ _cleanup_(nd_nfsock_freep)

/* A transaction under construction on s (it takes its sequence numbers from s). */
struct nd_nftb *nd_nftb_new(struct nd_nfsock *s);
void nd_nftb_free(struct nd_nftb *b);
DEFINE_CLEANUP(struct nd_nftb, nd_nftb_free)
#define _cleanup_nftb_ _cleanup_(nd_nftb_freep)

/*
 * Append a message (type is an NFT_MSG_*; NLM_F_REQUEST|NLM_F_ACK are added) and return its
 * header for nftnl_*_nlmsg_build_payload, which may write up to ND_NFTB_MSG_ROOM bytes; the
 * message ends at the next nd_nftb_msg or at commit. what names the message in errors, e.g.
 * "add element 10.88.0.2 to map 'masq4'". NULL when out of memory.
 */
struct nlmsghdr *nd_nftb_msg(struct nd_nftb *b, uint16_t type, uint16_t family, uint16_t flags,
			     const char *what, ...) __attribute__((format(printf, 5, 6)));
#define ND_NFTB_MSG_ROOM ((size_t)MNL_SOCKET_BUFFER_SIZE)
size_t nd_nftb_count(const struct nd_nftb *b);

/*
 * A rule under construction. Expressions work on register 1, as nft's own do; the first
 * allocation failure marks the rule failed and later calls do nothing.
 */
struct nd_nftr {
	struct nftnl_rule *r;
	bool oom;
};
void nd_nftr_init(struct nd_nftr *rb, uint16_t family, const char *table, const char *chain);
struct nftnl_expr *nd_nftr_expr(struct nd_nftr *rb, const char *name); /* NULL: failed */
void nd_nftr_meta(struct nd_nftr *rb, uint32_t key);                    /* NFT_META_* */
void nd_nftr_payload(struct nd_nftr *rb, uint32_t base, uint32_t off, uint32_t len);
void nd_nftr_and(struct nd_nftr *rb, const void *mask, uint32_t len);
void nd_nftr_cmp_eq(struct nd_nftr *rb, const void *data, uint32_t len);
void nd_nftr_verdict(struct nd_nftr *rb, int verdict);                  /* NFT_RETURN, ... */
void nd_nftr_vmap(struct nd_nftr *rb, const char *map);                 /* verdict = map[reg] */
/* Append rb as a message (NFT_MSG_NEWRULE, DELRULE) and free it; -ENOMEM if it failed. */
int nd_nftb_rule(struct nd_nftb *b, struct nd_nftr *rb, uint16_t type, uint16_t flags,
		 const char *what, ...) __attribute__((format(printf, 5, 6)));

/*
 * Objects. Without NLM_F_EXCL (flags 0) the kernel accepts an object that exists with the
 * same properties; with it, an existing one fails the transaction with EEXIST (which also
 * spares the kernel an "update" that it frees only after an RCU grace period).
 */
int nd_nftb_table(struct nd_nftb *b, uint16_t type, uint16_t family, const char *table, uint16_t flags);
struct nd_nft_hook {
	const char *type; /* "nat", "filter" */
	uint32_t hooknum;
	int32_t prio;
};
/* hook NULL: a regular chain. type is NFT_MSG_NEWCHAIN or NFT_MSG_DELCHAIN. */
int nd_nftb_chain(struct nd_nftb *b, uint16_t type, uint16_t family, const char *table, const char *name,
		  const struct nd_nft_hook *hook, uint16_t flags);
/*
 * A verdict map; id names it within the transaction (mandatory for NEWSET). key_host_order
 * for keys the kernel compares in host order (strings such as ifname): nft reads that from
 * the set's userdata, and without it prints such keys reversed (as "").
 */
int nd_nftb_vmap(struct nd_nftb *b, uint16_t family, const char *table, const char *name, uint32_t key_type,
		 uint32_t key_len, bool key_host_order, uint32_t id);
/* DELRULE naming a chain but no handle: every rule of the chain. */
int nd_nftb_flush(struct nd_nftb *b, uint16_t family, const char *table, const char *chain);

/*
 * Send b as one transaction and read every acknowledgement. On failure the error is
 * "nftables: <what of the failing message>: <strerror> (<kernel extack text>)", the return
 * is -errno of the first failing message, and *ret_failed (when not NULL) is that message's
 * index (0 for the first nd_nftb_msg), or SIZE_MAX when the transaction as a whole failed.
 * A batch is committed once.
 */
int nd_nftb_commit(struct nd_nftb *b, size_t *ret_failed, struct nd_err **err);

/* Fills the request payload after nd_nfsock_request has written the header. */
typedef void (*nd_nf_build_fn)(struct nlmsghdr *nlh, void *ud);
/* One answer message; a negative return fails the request with that errno. */
typedef int (*nd_nf_msg_fn)(const struct nlmsghdr *nlh, void *ud);

/*
 * A get (flags 0) or dump (NLM_F_DUMP) of type (NFT_MSG_GET*): build the request, hand each
 * answer to cb. A dump that a concurrent commit interrupted, or whose answers were lost, is
 * repeated without undoing what cb saw: cb must take an entry more than once, and ends with
 * the union of the attempts, i.e. every entry present throughout plus perhaps some that came
 * or went meanwhile. After ND_NF_ATTEMPTS interrupted attempts that union is the answer
 * (best effort; an always-changing ruleset could make every attempt skip one entry). what
 * names the request in errors ("list map 'masq4'").
 */
#define ND_NF_ATTEMPTS 8
int nd_nfsock_request(struct nd_nfsock *s, uint16_t type, uint16_t family, uint16_t flags,
		      nd_nf_build_fn build, nd_nf_msg_fn cb, void *ud, const char *what,
		      struct nd_err **err);

/* A libnl route socket bound to one network namespace, and libnl error mapping. */
#pragma once

#include <netlink/msg.h>
#include <netlink/netlink.h>

#include "base/cleanup.h"
#include "base/err.h"

/*
 * netns_fd < 0 means the caller's own namespace. The socket stays in that netns. It is
 * close-on-exec and asks the kernel for extended acks (NETLINK_EXT_ACK, NETLINK_CAP_ACK).
 */
int nd_nl_open(int netns_fd, struct nl_sock **ret, struct nd_err **err);
DEFINE_CLEANUP(struct nl_sock, nl_socket_free)
#define _cleanup_nl_sock_ _cleanup_(nl_socket_freep)
DEFINE_CLEANUP(struct nl_msg, nlmsg_free)
#define _cleanup_nl_msg_ _cleanup_(nlmsg_freep)

/* Turn a negative libnl code into -errno (the one place that knows the mapping). */
int nd_nl_errno(int nle);
/* nd_err_set for a libnl failure: "what: libnl text" with the mapped errno. */
int nd_nl_err(struct nd_err **err, int nle, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/* A request of type with its fixed header (struct ifinfomsg, ifaddrmsg, rtmsg); NULL: no memory. */
struct nl_msg *nd_nl_msg(int type, int flags, const void *hdr, size_t len);

/* A dump's message of type with a fixed header of len bytes: that header, else NULL. */
const void *nd_nl_header(const struct nlmsghdr *nlh, int type, size_t len);

/* Room for the kernel's extack text; "" when it sent none. */
#define ND_NL_EXTACK_LEN 160

/*
 * Send one request built with libnl's message API (NLM_F_REQUEST|NLM_F_ACK are added) and
 * wait for its ack. Returns 0 or a negative errno: the kernel's own (EXFULL, ENETUNREACH,
 * EADDRNOTAVAIL... survive, which libnl's NLE_* mapping loses) or a mapped libnl one.
 * Sets no nd_err: whether EEXIST or ENODEV is a failure is the caller's call. extack may
 * be NULL.
 */
int nd_nl_talk(struct nl_sock *sk, struct nl_msg *msg, char extack[ND_NL_EXTACK_LEN]);

/*
 * Send a dump request of type (RTM_GET*) with its fixed header hdr of len bytes (struct
 * ifaddrmsg, rtmsg: what it filters on) and call fn(nlh, ud) for every message of the reply. fn(NULL, ud)
 * comes before each attempt so the caller can reset: when the kernel flags the dump
 * inconsistent (NLM_F_DUMP_INTR) it is redone (5 tries, then -EAGAIN). fn returns < 0 to
 * fail the dump with that errno (the reply is still drained). Sets no nd_err.
 */
int nd_nl_dump(struct nl_sock *sk, int type, const void *hdr, size_t len,
	       int (*fn)(const struct nlmsghdr *nlh, void *ud), void *ud);

/* nd_err_set for a failed nd_nl_talk/nd_nl_dump: "what: strerror (kernel: extack)". */
int nd_nl_kerr(struct nd_err **err, int code, int r, const char *extack, const char *fmt, ...)
	__attribute__((format(printf, 5, 6)));

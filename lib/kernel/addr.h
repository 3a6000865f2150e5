/* Addresses on links. */
#pragma once

#include <netlink/netlink.h>
#include <stdbool.h>

#include "base/err.h"
#include "base/ip.h"

/*
 * Add addr to ifindex; EEXIST is success. nodad sets IFA_F_NODAD (IPv6). Returns 1 when
 * this call added it, 0 when it was there already (so an undo removes only its own).
 */
int nd_addr_add(struct nl_sock *sk, int ifindex, const struct nd_cidr *addr, bool nodad, struct nd_err **err);
/* Remove addr from ifindex; an address (or link) already gone is success. */
int nd_addr_del(struct nl_sock *sk, int ifindex, const struct nd_cidr *addr, struct nd_err **err);
/* True when ifindex holds exactly this address and prefix length. */
int nd_addr_has(struct nl_sock *sk, int ifindex, const struct nd_cidr *addr, bool *ret, struct nd_err **err);
/*
 * The addresses of ifindex in addr's family whose prefix overlaps addr's (either contains
 * the other), addr itself excepted: what the reference bridge's forceAddress replaces. At
 * most max go to ret; *ret_n counts them all.
 */
int nd_addr_overlapping(struct nl_sock *sk, int ifindex, const struct nd_cidr *addr, struct nd_cidr *ret, size_t max,
			size_t *ret_n, struct nd_err **err);

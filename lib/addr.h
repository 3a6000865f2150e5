/* Addresses on links. */
#pragma once

#include <netlink/netlink.h>
#include <stdbool.h>

#include "err.h"
#include "ip.h"

/* Add addr to ifindex; EEXIST is success. nodad sets IFA_F_NODAD (IPv6). */
int nd_addr_add(struct nl_sock *sk, int ifindex, const struct nd_cidr *addr, bool nodad, struct nd_err **err);
/* True when ifindex holds exactly this address and prefix length. */
int nd_addr_has(struct nl_sock *sk, int ifindex, const struct nd_cidr *addr, bool *ret, struct nd_err **err);

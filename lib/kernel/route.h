/* Routes in the main table. */
#pragma once

#include <netlink/netlink.h>
#include <stdbool.h>

#include "base/err.h"
#include "base/ip.h"

/* Add dst via gw (gw may be NULL or unset: on-link) out of ifindex; EEXIST is success. */
int nd_route_add(struct nl_sock *sk, int ifindex, const struct nd_cidr *dst, const struct nd_ip *gw,
		 int priority, struct nd_err **err);
/* True when a main-table route to dst (via gw when set) exists out of ifindex. */
int nd_route_has(struct nl_sock *sk, int ifindex, const struct nd_cidr *dst, const struct nd_ip *gw, bool *ret,
		 struct nd_err **err);

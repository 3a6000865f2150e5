/* A libnl route socket bound to one network namespace, and libnl error mapping. */
#pragma once

#include <netlink/netlink.h>

#include "cleanup.h"
#include "err.h"

/* netns_fd < 0 means the caller's own namespace. The socket stays in that netns. */
int nd_nl_open(int netns_fd, struct nl_sock **ret, struct nd_err **err);
DEFINE_CLEANUP(struct nl_sock, nl_socket_free)
#define _cleanup_nl_sock_ _cleanup_(nl_socket_freep)

/* Turn a negative libnl code into -errno (the one place that knows the mapping). */
int nd_nl_errno(int nle);
/* nd_err_set for a libnl failure: "what: libnl text" with the mapped errno. */
int nd_nl_err(struct nd_err **err, int nle, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

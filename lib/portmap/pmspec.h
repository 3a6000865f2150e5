/*
 * Docker's -p/--publish syntax, [HOSTIP:][HOSTPORT[-END]:]CONTAINERPORT[-END][/PROTO]
 * (an IPv6 HOSTIP in brackets), into mappings; an omitted host port is 0 until
 * nd_pm_ephemeral gives it a free one. Ranges map port by port and must have equal
 * lengths. Errors are usage errors (ND_ERR_BAD_SPEC) quoting the argument.
 */
#pragma once

#include <stddef.h>

#include "base/err.h"
#include "portmap/pmconf.h"

/* Append the mappings of one -p argument to *v (n entries, realloc'd). */
int nd_pm_parse_publish(const char *arg, struct nd_pm **v, size_t *n, struct nd_err **err);
/*
 * A free host port for each mapping with host port 0: the kernel's choice for a socket
 * bound to port 0 on that address and protocol, never one of v's own ports.
 */
int nd_pm_ephemeral(struct nd_pm *v, size_t n, struct nd_err **err);
/* The canonical -p form of one mapping, which nd_pm_parse_publish reads back. */
#define ND_PM_PUBLISH_STRLEN (ND_IP_STRLEN + 32)
char *nd_pm_publish_fmt(const struct nd_pm *m, char buf[static ND_PM_PUBLISH_STRLEN]);
/* A portMappings JSON array (the CNI shape) of v; NULL when out of memory. */
json_t *nd_pm_to_json(const struct nd_pm *v, size_t n);

/*
 * Port mappings as the CNI "portMappings" capability hands them
 * (runtimeConfig.portMappings: [{hostPort, containerPort, protocol, hostIP}]), parsed and
 * checked before anything is touched. Untrusted input: tests/fuzz/fuzz_portmap.c.
 */
#pragma once

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#include "base/err.h"
#include "base/ip.h"

/* More would be a config error rather than a use: Docker's -p ranges stay far below. */
#define ND_PM_MAX 4096

struct nd_pm {
	/*
	 * family 0: every host address of both families ("hostIP" absent or "");
	 * an all-zero address ("0.0.0.0", "::"): every host address of that family;
	 * otherwise that one address.
	 */
	struct nd_ip host_ip;
	uint8_t proto; /* IPPROTO_TCP, IPPROTO_UDP, IPPROTO_SCTP */
	uint16_t host_port, ctr_port;
};

/* "tcp", "udp", "sctp" (any case); 0 when unknown. */
uint8_t nd_pm_proto_parse(const char *s);
const char *nd_pm_proto_name(uint8_t proto);
/* Whether the mapping listens on every host address of its family (or both). */
bool nd_pm_host_any(const struct nd_pm *m);
/* Whether the mapping listens on every address of family af (AF_INET/AF_INET6). */
bool nd_pm_any(const struct nd_pm *m, int af);
/* Whether m applies to family af at all. */
bool nd_pm_covers(const struct nd_pm *m, int af);

/*
 * Parse a portMappings array (NULL or absent: none). Code 7 naming the entry for a port
 * outside 1-65535, an unknown protocol, a malformed hostIP, a non-object entry, or the
 * same (hostIP, protocol, hostPort) twice (an "every address" mapping overlaps each
 * address of its families). *ret is malloc'd (NULL when n is 0).
 */
int nd_pm_parse(json_t *arr, struct nd_pm **ret, size_t *ret_n, struct nd_err **err);
/* The duplicate check alone, over mappings built elsewhere (netd run -p). */
int nd_pm_check_dups(const struct nd_pm *m, size_t n, struct nd_err **err);
/* "8080/tcp" or "192.0.2.1:8080/tcp" or "[2001:db8::1]:8080/tcp", for messages. */
#define ND_PM_STRLEN (ND_IP_STRLEN + 16)
char *nd_pm_host_fmt(const struct nd_pm *m, char buf[static ND_PM_STRLEN]);

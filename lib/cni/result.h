/* The in-memory form of a CNI result, independent of its JSON version. */
#pragma once

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#include "base/ip.h"

#define ND_MAX_IFACES 4
#define ND_MAX_IPS 16
#define ND_MAX_ROUTES 64
#define ND_IFNAMSIZ 16
#define ND_MACSTRLEN 18

struct nd_iface {
	char name[ND_IFNAMSIZ];
	char mac[ND_MACSTRLEN]; /* "" when unknown */
	unsigned int mtu;       /* 0 when unknown; emitted for 1.1.0 only */
	char *sandbox;          /* netns path for container interfaces, else NULL */
};

struct nd_ipconf {
	struct nd_cidr addr;
	struct nd_ip gw; /* family 0 when none */
	int iface;       /* index into ifaces, -1 when none */
};

struct nd_route {
	struct nd_cidr dst;
	struct nd_ip gw; /* family 0 when none */
	int priority;    /* 0 when unset */
};

struct nd_result {
	struct nd_iface ifaces[ND_MAX_IFACES];
	size_t n_ifaces;
	struct nd_ipconf ips[ND_MAX_IPS];
	size_t n_ips;
	struct nd_route routes[ND_MAX_ROUTES];
	size_t n_routes;
	json_t *dns; /* passed through as given (owned reference), may be NULL */
};

void nd_result_init(struct nd_result *r);
void nd_result_clear(struct nd_result *r); /* frees sandbox strings and dns */

/* Emit the result in the JSON layout of cni_version (0.3.0 ... 1.1.0); NULL: out of memory. */
json_t *nd_result_to_json(const struct nd_result *r, const char *cni_version);
/* Parse any supported result version (prevResult, a delegated plugin's stdout). */
int nd_result_from_json(json_t *j, struct nd_result *ret, struct nd_err **err);

/*
 * Published ports of a netd network's attachment (issue 10): the in-process netd-portmap
 * (lib/portmap) run after the bridge, with the mappings the attachment record keeps as
 * "ports" ([{hostIP, hostPort, containerPort, protocol}], the CNI portMappings shape).
 */
#pragma once

#include <jansson.h>

#include "base/err.h"
#include "cni/result.h"

/* Validate before anything is made: code 7 as the plugin gives it. NULL or [] is fine. */
int nd_netports_check(json_t *ports, struct nd_err **err);
/* Whether a record's ports (or a request's) hold any mapping. */
bool nd_netports_any(json_t *ports);
/* Publish ports towards the attachment's addresses (res): one transaction, nothing on failure. */
int nd_netports_publish(const char *network, const char *id, const char *ifname, const char *netns,
			const struct nd_result *res, json_t *ports, struct nd_err **err);
/* Remove whatever (network, id, ifname) publishes; absent is fine. */
int nd_netports_unpublish(const char *network, const char *id, const char *ifname, struct nd_err **err);
/* A flushed ruleset or a reboot: remove and publish again a ready record's ports. */
int nd_netports_reapply(const char *network, json_t *rec, struct nd_err **err);

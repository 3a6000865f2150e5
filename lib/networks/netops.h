/*
 * Operations on netd networks and their attachments: the daemon serves its API with them
 * in-process, and lib/networks/attach.c runs them directly when no daemon answers. Every change
 * holds the state dir's lock, so a daemon and a direct caller never interleave.
 *
 * State dir layout:
 *   networks/<name>.json                   the definition (lib/networks/network.h), written whole
 *   networks/<name>.json.broken-<time>     a definition that could not be used, moved aside
 *   networks/<name>.reserved               what it still said: its name and subnets stay taken
 *   attachments/<network>/<containerID>.json
 *       {"containerID","ifname","netns","state":"pending"|"ready"|"detaching","result":{CNI 1.0.0}}
 *   lock                                   flock'ed for every change
 * A record is "pending" before the kernel is touched and "ready" (with its result) before
 * the caller hears of success; a detach writes "detaching" before it touches anything. So
 * a process killed at any point leaves a record that recovery (nd_op_gc) rolls back or
 * finishes; addresses live in the netd-ipam lease store only, so nothing in memory can
 * hand one out twice.
 *
 * Every network is loaded, re-applied and collected on its own: one that fails is reported
 * ("errors" in the report, and c->notify) and skipped; one whose file cannot be used is
 * quarantined ("quarantined"). Neither stops the others.
 */
#pragma once

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#include "base/err.h"
#include "base/log.h"
#include "cni/result.h"
#include "networks/network.h"

/* What the CLI, the runtime and the API ask of an attach or detach. */
struct nd_attach_req {
	const char *network;   /* "bridge" is the default network */
	const char *netns;     /* a path, or a name under /var/run/netns */
	const char *id;        /* container ID; NULL: derived from the netns */
	const char *ifname;    /* NULL: "eth0" */
	const char *ip;        /* requested address, or NULL */
	const char *mac;       /* or NULL */
	bool netns_dying;      /* detach: the caller destroys the netns next (bridge.h) */
	json_t *ports;         /* ports to publish, [{hostIP, hostPort, containerPort, protocol}], or NULL */
	/* For the network's DNS server (lib/dns), kept in the record; each may be NULL. */
	const char *name;           /* the container's name */
	const char *const *aliases; /* more names, NULL-terminated */
	const char *const *dns;     /* upstream servers for this container's other queries */
};

#define ND_CNI_CACHE_DIR "/var/lib/cni/results"
/* Container IDs name the records' files: longer ones are refused on attach (detach succeeds). */
#define ND_OP_ID_MAX 128

struct nd_ctx {
	const char *state_dir;
	const char *ipam_dir;      /* NULL: netd-ipam's default store, shared with the plugins */
	const char *cni_conf_dir;  /* NULL: write no conflists */
	const char *cni_cache_dir; /* libcni's result cache: attachments GC must keep */
	const char *cni_path;      /* only for a delegated IPAM; may be NULL */
	/* Path prefixes (root's allowNetnsPaths) whose netns may be attached besides named ones. */
	const char *const *netns_allow;
	/* How lib/ reports what the edge should log (a network quarantined or skipped); may be NULL. */
	void (*notify)(enum nd_log_level level, const char *msg);
};

/* NETD_STATE_DIR, NETD_IPAM_DIR, NETD_CNI_CACHE_DIR, CNI_PATH, or the defaults. */
void nd_ctx_from_env(struct nd_ctx *c);

/* The container ID used when none is given: the netns name, else "ns" + a hash of its path. */
void nd_attach_default_id(const char *netns, char ret[65]);

/* Validate spec, pick a free subnet when none is given, save; ND_ERR_BUSY when taken. */
int nd_op_network_create(const struct nd_ctx *c, json_t *spec, struct nd_network *ret, struct nd_err **err);
/* Load the default network "bridge", creating it (netd0, 172.17.0.0/16 or the next pool). */
int nd_op_network_default(const struct nd_ctx *c, struct nd_network *ret, struct nd_err **err);
/* Load a network under the state lock; an unusable file is quarantined (code ND_ERR_NOT_FOUND). */
int nd_op_network_get(const struct nd_ctx *c, const char *name, struct nd_network *ret, struct nd_err **err);
/* Names of the usable networks, sorted, after quarantining unusable ones (nd_strv_free). */
int nd_op_network_names(const struct nd_ctx *c, char ***ret, struct nd_err **err);
/*
 * ND_ERR_BUSY while attachments exist unless force (then they are detached first). The
 * bridge is removed only when netd created it; from an adopted bridge only the gateway
 * addresses netd added are.
 */
int nd_op_network_delete(const struct nd_ctx *c, const char *name, bool force, struct nd_err **err);

/* ret initialised by the caller (nd_result_init). ND_ERR_EXISTS when id is attached already. */
int nd_op_attach(const struct nd_ctx *c, const struct nd_attach_req *req, struct nd_result *ret,
		 struct nd_err **err);
/* Idempotent; ND_ERR_NOT_FOUND only when the network does not exist. */
int nd_op_detach(const struct nd_ctx *c, const char *network, const char *id, bool netns_dying,
		 struct nd_err **err);
/* The records of a network, as an array of objects (see above), sorted by containerID. */
int nd_op_attachments(const struct nd_ctx *c, const char *network, json_t **ret, struct nd_err **err);
size_t nd_op_count(const struct nd_ctx *c, const char *network);
/* One attachment record (as nd_op_attachments lists them); -ENOENT when there is none. */
int nd_op_attachment(const struct nd_ctx *c, const char *network, const char *id, json_t **ret, struct nd_err **err);
/* Whether (network, id) has a record, pending or ready: the daemon's, or a direct caller's. */
bool nd_op_attached(const struct nd_ctx *c, const char *network, const char *id);

/*
 * For every network (only the one named when only is set): bridge, gateway addresses,
 * forwarding, and the masquerade elements of every ready attachment, so a flushed ruleset
 * or a reboot is repaired. Idempotent. Report: {"networks","masquerade","errors":[{network,
 * message}],"quarantined":[{network,file,message}]}; fails only when nothing could be tried.
 */
int nd_op_reapply(const struct nd_ctx *c, const char *only, json_t **ret_report, struct nd_err **err);
/*
 * Roll back pending records, release attachments whose netns is gone, then per network
 * release leases, masquerade elements and veths that no attachment owns (attachments in
 * libcni's result cache count as owners), finishing interrupted detaches. Report:
 * {"released","veths","errors","quarantined"} as for nd_op_reapply.
 */
int nd_op_gc(const struct nd_ctx *c, json_t **ret_report, struct nd_err **err);

/* The CNI protocol: environment, config, names, versions, error output (the plugin main: plugin.h). */
#pragma once

#include <jansson.h>
#include <stdbool.h>

#include "base/err.h"

enum nd_cni_cmd { ND_CMD_ADD, ND_CMD_DEL, ND_CMD_CHECK, ND_CMD_VERSION, ND_CMD_GC, ND_CMD_STATUS };

/* Everything a runtime hands a plugin. Strings point into the environment or conf. */
struct nd_cni_req {
	enum nd_cni_cmd cmd;
	const char *container_id; /* NULL for VERSION, GC, STATUS */
	const char *netns;        /* "" or NULL allowed on DEL */
	const char *ifname;
	const char *args;         /* CNI_ARGS, may be NULL */
	const char *path;         /* CNI_PATH */
	json_t *conf;             /* the whole network config (owned) */
	const char *version;      /* conf's cniVersion, validated */
	const char *name;         /* conf's name */
	const char *type;         /* conf's type */
	json_t *prev_result;      /* borrowed from conf, may be NULL */
};

extern const char *const nd_cni_versions[]; /* NULL-terminated, oldest first */
bool nd_cni_version_supported(const char *v);
/* 0.3.x and 0.4.0: the pre-1.0 result layout. */
bool nd_cni_version_is_0x(const char *v);
/* -1, 0, 1 like strcmp, for supported versions only. */
int nd_cni_version_cmp(const char *a, const char *b);

/* Spec section "Parameters": ^[a-zA-Z0-9][a-zA-Z0-9_.\-]*$ */
bool nd_cni_valid_id(const char *s);
/*
 * The spec sets no length; ours is 16 times Docker's and Kubernetes' 64 hex digits. Longer
 * IDs are refused on ADD and CHECK (code 4), and their DEL succeeds at once: nothing can
 * have been added for them. (Up to it, no file name holds an ID whole: store.h, nft.h.)
 */
#define ND_CNI_ID_MAX 1024
/* 1..15 printable bytes, not ".", "..", "all" or "default", no '/', ':', '%' or whitespace. */
bool nd_cni_valid_ifname(const char *s);

/*
 * CNI_ARGS "K=V;K=V". Looks up key; unknown keys (outside known[]) are an error
 * (code 2) unless IgnoreUnknown=1|true is present. *ret_value is malloc'd or NULL.
 */
int nd_cni_args_validate(const char *args, const char *const known[], struct nd_err **err);
int nd_cni_args_get(const char *args, const char *key, char **ret_value);

/* Read env + stdin for cmd-specific requirements; code 4 for env, 6 decode, 7 config. */
int nd_cni_req_parse(const char *stdin_buf, size_t len, struct nd_cni_req *ret, struct nd_err **err);
void nd_cni_req_clear(struct nd_cni_req *r);

/* {"cniVersion","code","msg","details"} */
json_t *nd_cni_error_json(const struct nd_err *e, const char *cni_version);

/* One (container ID, ifname) pair of a GC request; both borrowed. */
struct nd_attachment {
	const char *id;
	const char *ifname;
};
/* GC: the "cni.dev/valid-attachments" list; *ret is malloc'd, entries borrow from conf. */
int nd_cni_valid_attachments(json_t *conf, struct nd_attachment **ret, size_t *ret_n, struct nd_err **err);

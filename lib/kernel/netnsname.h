/*
 * Named network namespaces as `ip netns` keeps them: a bind mount of the namespace on
 * /var/run/netns/<name>, on a shared mount so that other mount namespaces see it.
 */
#pragma once

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>

#include "base/err.h"

#define ND_NETNS_RUN_DIR "/var/run/netns"

/* Not empty, not "." or "..", no '/', at most 64 bytes of visible ASCII. */
bool nd_netns_valid_name(const char *s);
/*
 * "netd-" and 12 lowercase hex digits: the names `netd run` gives its containers' netns,
 * which `netd gc` deletes when no container record owns them. Refused for named netns.
 */
bool nd_netns_runtime_name(const char *s);
/* A path (it has a '/') is kept; a name becomes ND_NETNS_RUN_DIR/<name>. Code 7 if invalid. */
int nd_netns_resolve(const char *name_or_path, char ret[PATH_MAX], struct nd_err **err);
/*
 * The netns the daemon's API accepts for an attachment (docs/daemon.md, "Which netns"):
 * named under /var/run/netns (or /run/netns), opened without following a symlink there,
 * or under one of allow[] (NULL-terminated, root's allowNetnsPaths; may be NULL); in both
 * cases a real network namespace (nsfs), and neither the caller's own netns nor the
 * initial one (pid 1's), compared by device and inode. Codes: ND_ERR_REFUSED (EPERM) for
 * a path outside the rule or the host's netns, ND_ERR_NOT_FOUND when absent,
 * ND_CNI_INVALID_ENV when it is no network namespace.
 */
int nd_netns_check_attachable(const char *path, const char *const *allow, struct nd_err **err);
/* An absolute path without empty, "." or ".." components: a prefix match on it means what it says. */
bool nd_path_is_clean(const char *path);

/* Create a new empty netns under name; code ND_ERR_BUSY/-EEXIST when the name is taken. */
int nd_netns_create(const char *name, struct nd_err **err);
/* Unmount and remove; code ND_ERR_NOT_FOUND/-ENOENT when absent. */
int nd_netns_delete(const char *name, struct nd_err **err);
/* Sorted names (nd_strv_free, base/strv.h). */
int nd_netns_list(char ***ret, size_t *ret_n, struct nd_err **err);
/*
 * Move the calling (single-threaded) process into the named netns as `ip netns exec`
 * does: setns, a private mount namespace, /sys remounted to show the netns's devices.
 */
int nd_netns_enter(const char *name, struct nd_err **err);

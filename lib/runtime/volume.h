/*
 * Named volumes, as Docker's local driver keeps them: <state>/volumes/<name>/_data, a
 * directory a container mounts (-v NAME:/path, --mount type=volume). A volume outlives
 * its containers; it goes only when asked (netd volume rm, prune), and never while a
 * container's record (running or not) names it. Every change holds <state>/volumes/.lock.
 */
#pragma once

#include <jansson.h>

#include "base/err.h"

/* <state>/volumes/<name>/_data (malloc'd), or NULL when out of memory. */
char *nd_vol_data(const char *state, const char *name);
/*
 * The volume, made when missing (atomically: a new directory renamed into place); an
 * existing one is fine. *ret_created (may be NULL) tells which. Code ND_ERR_BAD_SPEC for
 * an invalid name.
 */
int nd_vol_create(const char *state, const char *name, bool *ret_created, struct nd_err **err);
/* The names of every volume, sorted (NULL-terminated, nd_strv_free). */
int nd_vol_list(const char *state, char ***ret, struct nd_err **err);
/* Docker's volume inspect object: Name, Driver, Mountpoint, CreatedAt, Scope, Labels, Options, and UsedBy. */
int nd_vol_inspect(const char *state, const char *name, json_t **ret, struct nd_err **err);
/* Remove it: code ND_ERR_NOT_FOUND when there is none, ND_ERR_BUSY while a container names it. */
int nd_vol_remove(const char *state, const char *name, struct nd_err **err);
/* Remove every volume no container names; *ret the names removed (NULL-terminated). */
int nd_vol_prune(const char *state, char ***ret, struct nd_err **err);

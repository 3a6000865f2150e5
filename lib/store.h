/*
 * The on-disk lease store, layout-compatible with host-local:
 *   <dir>/<network>/<ip>            "containerID\r\nifname" (one file per lease)
 *   <dir>/<network>/last_reserved_ip.<rangeset-index>
 *   <dir>/<network>/lock            flock()ed for every operation
 * plus netd's index for O(1) release:
 *   <dir>/<network>/attach/<containerID>.<ifname>   one leased IP per line
 * Every file appears whole: written to a temporary name, then link()/rename()d.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#include "err.h"
#include "ip.h"

struct nd_store; /* an open, locked network directory */

/* Opens (creating) <dir>/<network> and takes its lock; blocks until it has it. */
int nd_store_open(const char *dir, const char *network, struct nd_store **ret, struct nd_err **err);
void nd_store_close(struct nd_store *s); /* releases the lock */

/* Atomically claim ip for (id, ifname). -EEXIST (no err set) when already taken. */
int nd_store_reserve(struct nd_store *s, const struct nd_ip *ip, const char *id, const char *ifname,
		     struct nd_err **err);
bool nd_store_is_reserved(struct nd_store *s, const struct nd_ip *ip);
/* Write the (id, ifname) index listing ips; replaces an earlier one whole. */
int nd_store_index_write(struct nd_store *s, const char *id, const char *ifname,
			 const struct nd_ip *ips, size_t n, struct nd_err **err);
/* Read the index; -ENOENT (no err set) when there is none. */
int nd_store_index_read(struct nd_store *s, const char *id, const char *ifname, struct nd_ip *ret_ips,
			size_t max, size_t *ret_n, struct nd_err **err);
/* Release everything of (id, ifname): each lease file still owned by it, then the index. */
int nd_store_release(struct nd_store *s, const char *id, const char *ifname, struct nd_err **err);

int nd_store_last_get(struct nd_store *s, unsigned int set, struct nd_ip *ret);  /* -ENOENT if none */
int nd_store_last_set(struct nd_store *s, unsigned int set, const struct nd_ip *ip, struct nd_err **err);

/* Visit every lease (scan; for GC and STATUS only). Stop early when cb returns non-zero. */
typedef int (*nd_store_visit_fn)(const struct nd_ip *ip, const char *id, const char *ifname, void *ud);
int nd_store_foreach(struct nd_store *s, nd_store_visit_fn cb, void *ud, struct nd_err **err);

/*
 * The on-disk lease store, layout-compatible with host-local:
 *   <dir>/<network>/<ip>            "containerID\r\nifname" (one file per lease, no newline;
 *                                   <ip> in canonical text form, RFC 5952 for IPv6)
 *   <dir>/<network>/last_reserved_ip.<rangeset-index>   the address text, no newline
 *   <dir>/<network>/lock            flock()ed for every operation
 * plus netd's index for O(1) release:
 *   <dir>/<network>/attach/<containerID>:<ifname>   one leased IP per line
 * ':' separates because neither a CNI container ID nor an interface name may hold one,
 * while both may hold '.' ("a.b" + "c" and "a" + "b.c" must not share a file). An ID of
 * more than 200 bytes is shortened there (its first 183 bytes, '~', a 16-hex-digit hash:
 * shortname.h), so that the name fits NAME_MAX; the leases hold it whole, as host-local's do.
 * Files are written in place under the lock, in an order that makes a torn one harmless:
 * the index before the leases it names, each lease O_EXCL (fails if taken). An empty lease
 * is therefore a crash leftover, released by its owner's DEL or by GC (store.c, write_file).
 *
 * The store validates every name it turns into a path: network, container ID and ifname
 * must be non-empty, free of '/', control characters and whitespace, and not "." or "..";
 * an ID must not start with '.' nor hold ':'. Violations fail with -EINVAL, code 7.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#include "base/err.h"
#include "base/ip.h"

struct nd_store; /* an open, locked network directory */

/* Opens (creating, mode 0755) <dir>/<network> and takes its lock; blocks until it has it. */
int nd_store_open(const char *dir, const char *network, struct nd_store **ret, struct nd_err **err);
void nd_store_close(struct nd_store *s); /* releases the lock */

/* Atomically claim ip for (id, ifname). -EEXIST (no err set) when already taken. */
int nd_store_reserve(struct nd_store *s, const struct nd_ip *ip, const char *id, const char *ifname,
		     struct nd_err **err);
/* Remove the lease of ip if (id, ifname) still owns it: 1 when removed, 0 when gone or not ours. */
int nd_store_unreserve(struct nd_store *s, const struct nd_ip *ip, const char *id, const char *ifname,
		       struct nd_err **err);
bool nd_store_is_reserved(struct nd_store *s, const struct nd_ip *ip);
/*
 * Whether the lease of ip names (id, ifname). A legacy lease holding only an ID (written
 * by host-local before 0.7) is owned by that ID whatever the ifname, as host-local has it.
 */
bool nd_store_owns(struct nd_store *s, const struct nd_ip *ip, const char *id, const char *ifname);

/* Write the (id, ifname) index listing ips; replaces an earlier one whole. */
int nd_store_index_write(struct nd_store *s, const char *id, const char *ifname,
			 const struct nd_ip *ips, size_t n, struct nd_err **err);
/* Read the index; -ENOENT (no err set) when there is none. */
int nd_store_index_read(struct nd_store *s, const char *id, const char *ifname, struct nd_ip *ret_ips,
			size_t max, size_t *ret_n, struct nd_err **err);
/* Remove the index; 0 when there is none. */
int nd_store_index_remove(struct nd_store *s, const char *id, const char *ifname, struct nd_err **err);
/* Visit every index file (for GC). The callback may remove the index it is given. */
typedef int (*nd_store_index_fn)(const char *id, const char *ifname, const struct nd_ip *ips, size_t n,
				 void *ud);
int nd_store_index_foreach(struct nd_store *s, nd_store_index_fn cb, void *ud, struct nd_err **err);

/*
 * Scan every lease file for those owned by (id, ifname): O(leases). For leases without an
 * index (written by host-local) only; *ret_n counts all matches, at most max are stored.
 */
int nd_store_find(struct nd_store *s, const char *id, const char *ifname, struct nd_ip *ret_ips,
		  size_t max, size_t *ret_n, struct nd_err **err);
/*
 * Release everything of (id, ifname): each lease file listed in the index and still owned
 * by it, then the index. Without a readable index, falls back to nd_store_find().
 */
int nd_store_release(struct nd_store *s, const char *id, const char *ifname, struct nd_err **err);

int nd_store_last_get(struct nd_store *s, unsigned int set, struct nd_ip *ret);  /* -ENOENT if none */
int nd_store_last_set(struct nd_store *s, unsigned int set, const struct nd_ip *ip, struct nd_err **err);

/*
 * Visit every lease (scan; for GC and STATUS only). Stop early when cb returns non-zero
 * and return that value. ifname is "" for a legacy ID-only lease; an empty or unreadable
 * lease file is visited with id "".
 */
typedef int (*nd_store_visit_fn)(const struct nd_ip *ip, const char *id, const char *ifname, void *ud);
int nd_store_foreach(struct nd_store *s, nd_store_visit_fn cb, void *ud, struct nd_err **err);


/*
 * A container's extra mounts (runtime/mounts.h) made real: the monitor plans them (bind
 * sources checked, volumes made), the container's init mounts them on its root before it
 * pivots. A target is resolved inside the root with openat2(RESOLVE_IN_ROOT), so a symlink
 * in an image (absolute or "..") can never lead a mount, or a created directory, out of
 * it; the mount is attached to that very file descriptor with the new mount API
 * (open_tree/fsmount + move_mount), never through a path the kernel would walk again.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#include "base/err.h"
#include "runtime/mounts.h"

struct nd_ctr_mount {
	struct nd_mnt m;
	char *host;     /* bind: its source; volume: the volume's _data; tmpfs: NULL */
	bool seed;      /* a volume: copy the image's content at the target into it while it is empty */
};

/*
 * The record's mounts (--mount form) ready for the init: a bind source that does not
 * exist is code ND_ERR_BAD_SPEC ("bind source path does not exist"); named volumes are
 * made when missing. *ret is NULL (and *ret_n 0) for none.
 */
int nd_ctr_mounts_plan(const char *state, char *const *mounts, struct nd_ctr_mount **ret, size_t *ret_n,
		       struct nd_err **err);
void nd_ctr_mounts_free(struct nd_ctr_mount *v, size_t n);
/*
 * In the container's mount namespace, before pivot_root: each mount on root in order, its
 * target (and missing parents) made inside root. -errno with a message in msg.
 */
int nd_ctr_mounts_apply(const char *root, const struct nd_ctr_mount *v, size_t n, char *msg, size_t msg_size);

/*
 * overlayfs: the mount of read-only layers under a writable one, and the on-disk form of
 * its whiteouts (a 0/0 character device hides a lower entry; an opaque directory carries
 * trusted.overlay.opaque=y and hides the lower directory's entries).
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <sys/stat.h>

#include "base/err.h"

#define ND_OVL_OPAQUE_XATTR "trusted.overlay.opaque"

/*
 * "lowerdir=TOP:...:BOTTOM,upperdir=U,workdir=W" (lower[0] is the top layer). Paths with
 * ',' or ':' or '\\' are refused (code ND_ERR_BAD_SPEC), and so is data longer than a page, the most
 * mount(2) passes on.
 */
int nd_ovl_opts(const char *const *lower, size_t n_lower, const char *upper, const char *work, char **ret,
		struct nd_err **err);
/* flags: mount(2)'s, e.g. MS_NODEV for a container's root. */
int nd_ovl_mount(const char *target, const char *opts, unsigned long flags, struct nd_err **err);

bool nd_ovl_is_whiteout(const struct stat *st);
/* A whiteout named name in dirfd; an existing entry of that name is left alone (0). */
int nd_ovl_make_whiteout(int dirfd, const char *name);
int nd_ovl_make_opaque(int dirfd);
bool nd_ovl_is_opaque(int dirfd);

/* rm -rf that stays on one file system and never follows a symlink; absent is success. */
int nd_rmtree(const char *path, struct nd_err **err);

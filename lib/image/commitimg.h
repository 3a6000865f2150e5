/*
 * netd commit ID REPO[:TAG]: a container's writable layer as a new image of the store:
 * its image's manifest and config plus the layer (an uncompressed tar, so its digest is
 * its diff_id), the config's rootfs and history extended, the reference set last.
 * Only for containers of a store image (what `netd run IMAGE` starts).
 */
#pragma once

#include "base/err.h"
#include "image/imgstore.h"
#include "runtime/image.h"

int nd_commit_image(const char *state, struct nd_imgstore *st, const char *ctr, const struct nd_image_ops *images,
		    const char *name, char ret_id[72], struct nd_err **err);

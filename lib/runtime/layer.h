/*
 * The layer store: each layer unpacked once under <store>/<hex of its diff_id> and shared
 * by every image and container that stacks it. A layer is checked while it is unpacked,
 * in one pass: the blob against its digest, the uncompressed tar against the diff_id.
 * OCI whiteouts become overlay ones; members are never written through a symlink or
 * "..", and of their extended attributes only harmless ones are kept. Over libarchive
 * and libcrypto: only what handles images (bin/netd-oci) links it.
 */
#pragma once

#include <stdbool.h>

#include "base/err.h"

/*
 * An OCI whiteout, given a tar member path: 1 for ".wh.NAME" (ret_dir/ret_name name the
 * hidden entry), 2 for an opaque marker ".wh..wh..opq" (ret_dir is the directory), 0 when
 * not a whiteout. Paths with ".." components are refused (code ND_ERR_BAD_IMAGE).
 * Outputs malloc'd.
 */
int nd_oci_whiteout(const char *path, char **ret_dir, char **ret_name, struct nd_err **err);

/*
 * May an extended attribute from a layer tar be set on the extracted file? user.* (the
 * image's own data) and security.capability (file capabilities, which Docker keeps; no
 * effect under no_new_privs, bounded by the bounding set otherwise). Everything else is
 * dropped: trusted.overlay.* would forge overlayfs metadata (opaque directories,
 * redirects, metacopy) in the layer store, other trusted.* and security.* are the host's
 * (LSM labels, IMA/EVM), system.* are ACLs Docker does not carry either.
 */
bool nd_layer_xattr_kept(const char *name);

/*
 * The layer with this diff_id, unpacked under <store>/<hex of diff_id>: unpacked from
 * blob (gzip, zstd or plain tar) when absent, verifying blob_digest (may be NULL: not a
 * content-addressed blob) and the diff_id of the uncompressed stream. Each layer appears
 * whole (unpacked aside, then renamed into place). *ret_dir is malloc'd.
 */
int nd_layer_ensure(const char *store, const char *blob, const char *blob_digest, const char *diff_id,
		    char **ret_dir, struct nd_err **err);

/* libarchive's error on a as an error of code code: "what: libarchive's text". */
struct archive;
int nd_archive_err(struct nd_err **err, int code, struct archive *a, const char *what);

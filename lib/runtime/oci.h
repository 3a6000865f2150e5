/*
 * OCI images (image-spec v1.1): a layout directory read through index.json -> manifest ->
 * config + layers, every blob checked against its sha256 digest; a layer store where each
 * layer is unpacked once, keyed by its diff_id, with OCI whiteouts turned into overlay
 * ones; and the reverse, an overlay upper directory saved as a layer tar.
 * Needs libarchive and libcrypto: only the netd binary links this module.
 */
#pragma once

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "base/err.h"

#include "runtime/image.h" /* ND_DIGEST_LEN */

/* "sha256:" followed by 64 lowercase hex digits. */
bool nd_oci_digest_valid(const char *d);

struct nd_oci_image {
	char **env;        /* NULL-terminated; "K=V" */
	char **entrypoint; /* NULL-terminated, NULL when unset */
	char **cmd;        /* NULL-terminated, NULL when unset */
	char *workdir;     /* NULL when unset */
	char *user;        /* NULL when unset */
	size_t n_layers;   /* bottom layer first */
	char **layer_digests;
	char **diff_ids;
};
void nd_oci_image_clear(struct nd_oci_image *img);

/*
 * The manifest descriptor of index for tag (annotation org.opencontainers.image.ref.name);
 * tag NULL takes the only manifest, or the one tagged "latest". A nested index is
 * returned as is (the caller follows it). *ret is a borrowed reference. Code ND_ERR_NO_IMAGE if none.
 */
int nd_oci_pick_manifest(json_t *index, const char *tag, json_t **ret, struct nd_err **err);
/* Env, Entrypoint, Cmd, WorkingDir, User and rootfs.diff_ids of a config blob. */
int nd_oci_parse_config(json_t *config, struct nd_oci_image *img, struct nd_err **err);
/* The layer descriptors of a manifest; checks they match the config's diff_ids in number. */
int nd_oci_parse_manifest(json_t *manifest, struct nd_oci_image *img, struct nd_err **err);

/*
 * The command to run: the image's Entrypoint followed by args when args is non-empty,
 * else Entrypoint + Cmd (Docker's rule). Code ND_ERR_BAD_SPEC when the result is empty.
 */
int nd_oci_argv(const struct nd_oci_image *img, char *const *args, size_t n_args, char ***ret, struct nd_err **err);

/*
 * "DIR:TAG" -> DIR and TAG when the text after the last ':' has no '/'; else the whole
 * text is the directory. Both malloc'd; *ret_tag NULL when no tag.
 */
int nd_oci_split_ref(const char *ref, char **ret_dir, char **ret_tag, struct nd_err **err);

/* Read and verify <layout>/index.json, the manifest and the config blobs. */
int nd_oci_load(const char *layout, const char *tag, struct nd_oci_image *ret, struct nd_err **err);

/*
 * An OCI whiteout, given a tar member path: 1 for ".wh.NAME" (ret_dir/ret_name name the
 * hidden entry), 2 for an opaque marker ".wh..wh..opq" (ret_dir is the directory), 0 when
 * not a whiteout. Paths with ".." components are refused (code ND_ERR_BAD_IMAGE). Outputs malloc'd.
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
/* sha256 of a file's bytes, as "sha256:<hex>". */
int nd_sha256_file(const char *path, char ret[ND_DIGEST_LEN + 1], struct nd_err **err);
/*
 * An overlay upper directory as a layer tar at out (written aside, renamed into place):
 * overlay whiteouts become ".wh." files, opaque directories get ".wh..wh..opq", owners
 * are shifted down by id_shift (a user-namespaced container's files). ret_diff_id is the
 * tar's sha256.
 */
int nd_layer_commit(const char *upper, const char *out, uid_t id_shift, char ret_diff_id[ND_DIGEST_LEN + 1],
		    struct nd_err **err);

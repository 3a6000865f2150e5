/*
 * The image store, in <state>/images: an OCI image layout (skopeo inspect oci:DIR reads
 * it) holding blobs by digest, and references ("registry/repo:tag" -> the platform
 * manifest's descriptor, annotation org.opencontainers.image.ref.name) in index.json,
 * rewritten whole under a lock (rename: a crash leaves the old or the new index).
 * Unpacked layers stay in the runtime's layer store, <state>/layers, by diff_id.
 * Blobs appear by rename only after their digest was checked; a download in progress
 * is blobs/sha256/.partial-HEX (kept for a resume, never counted as a blob).
 * A pull holds gc.lock shared, rmi's garbage collection holds it exclusive.
 */
#pragma once

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#include "base/err.h"

#define ND_ANN_REF "org.opencontainers.image.ref.name"
#define ND_ANN_ID "io.netd.image.id"             /* the config's digest: the image ID */
#define ND_ANN_REPO_DIGEST "io.netd.repo.digest" /* the digest the registry named (an index's) */

struct nd_imgstore {
	char *root;   /* <state>/images */
	char *layers; /* <state>/layers */
	int gc_fd;    /* gc.lock, held shared or exclusive; -1 when not held */
};
/* Creates the layout when missing. */
int nd_imgstore_open(const char *state, struct nd_imgstore *ret, struct nd_err **err);
void nd_imgstore_close(struct nd_imgstore *st);
/* gc.lock: shared for a pull or a tag, exclusive for rmi's collection. */
int nd_imgstore_hold(struct nd_imgstore *st, bool exclusive, struct nd_err **err);

/* <root>/blobs/sha256/HEX (malloc'd), and ".partial-HEX" beside it. */
char *nd_imgstore_blob_path(const struct nd_imgstore *st, const char *digest);
char *nd_imgstore_partial_path(const struct nd_imgstore *st, const char *digest);
bool nd_imgstore_has_blob(const struct nd_imgstore *st, const char *digest);
/* data as the blob digest, checked first (code ND_ERR_BAD_IMAGE when it does not match). */
int nd_imgstore_put_blob(const struct nd_imgstore *st, const char *digest, const void *data, size_t len,
		      struct nd_err **err);
/* A stored JSON blob, its digest checked again (size <= 4 MiB). */
int nd_imgstore_read_json(const struct nd_imgstore *st, const char *digest, json_t **ret, struct nd_err **err);

/* index.json's manifests array (a new reference). */
int nd_imgstore_index(const struct nd_imgstore *st, json_t **ret, struct nd_err **err);
/* Point name at desc (a manifest descriptor; annotations added), replacing what it named. */
int nd_imgstore_ref_set(const struct nd_imgstore *st, const char *name, json_t *desc, struct nd_err **err);
/* Drop name; -ENOENT (code ND_ERR_NO_IMAGE) when it names nothing. */
int nd_imgstore_ref_del(const struct nd_imgstore *st, const char *name, struct nd_err **err);
/*
 * The descriptor of what (a canonical reference, or an image ID or a unique prefix of
 * at least 4 hex digits, with or without "sha256:"); *ret_name its reference (malloc'd).
 * Code ND_ERR_NO_IMAGE when none.
 */
int nd_imgstore_find(const struct nd_imgstore *st, const char *what, json_t **ret_desc, char **ret_name,
		  struct nd_err **err);

/*
 * Free what no reference needs any more: blobs, and layers of the layer store that were
 * in an image (diff_ids in dropped) and are in no remaining image and no container's
 * lower directories (in_use). Needs the exclusive hold. Returns the layers freed.
 */
int nd_imgstore_gc(struct nd_imgstore *st, json_t *dropped, bool (*in_use)(const char *dir, void *ud), void *ud,
		struct nd_err **err);

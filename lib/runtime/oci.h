/*
 * OCI image layouts (image-spec v1.1): a layout directory read through index.json ->
 * manifest -> config + layers, every metadata blob checked against its sha256 digest.
 * The layers themselves go to the layer store (runtime/layer.h). Needs libcrypto: only
 * bin/netd-oci links this module.
 */
#pragma once

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "base/err.h"

struct nd_oci_image {
	char **env;        /* NULL-terminated; "K=V" */
	char **entrypoint; /* NULL-terminated, NULL when unset */
	char **cmd;        /* NULL-terminated, NULL when unset */
	char *workdir;     /* NULL when unset */
	char *user;        /* NULL when unset */
	size_t n_layers;   /* bottom layer first */
	char **layer_digests; /* NULL-terminated, n_layers of them */
	char **diff_ids;      /* NULL-terminated, n_layers of them */
	char **exposed;       /* config.ExposedPorts' keys ("80/tcp"), NULL when none */
};
void nd_oci_image_clear(struct nd_oci_image *img);

/*
 * The manifest descriptor of index for tag (annotation org.opencontainers.image.ref.name);
 * tag NULL takes the only manifest, or the one tagged "latest"; a tag "sha256:..." matches
 * the descriptor's digest. A nested index is
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
 * text is the directory; "DIR@sha256:HEX" -> DIR and the digest. Both malloc'd; *ret_tag
 * NULL when no tag.
 */
int nd_oci_split_ref(const char *ref, char **ret_dir, char **ret_tag, struct nd_err **err);

/* Read and verify <layout>/index.json, the manifest and the config blobs. */
int nd_oci_load(const char *layout, const char *tag, struct nd_oci_image *ret, struct nd_err **err);

/*
 * netd save and netd load: images of the store as one tar. save writes an OCI image
 * layout (oci-layout, index.json naming each image, blobs/sha256/) plus the manifest.json
 * `docker load` reads; load takes that, any OCI archive, or a Docker archive (what
 * `docker save` writes: manifest.json with Config, RepoTags and Layers paths). Loaded
 * blobs are checked against their digests before they enter the store.
 */
#pragma once

#include <jansson.h>

#include "base/err.h"
#include "image/imgstore.h"

int nd_image_save(const struct nd_imgstore *st, char *const *names, const char *out, struct nd_err **err);
/* *ret: the references loaded. */
int nd_image_load(struct nd_imgstore *st, const char *in, json_t **ret, struct nd_err **err);

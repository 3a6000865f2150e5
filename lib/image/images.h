/*
 * What the image commands do to the store (netd images, image inspect, tag, rmi) and how
 * `netd run IMAGE` finds its image: each takes a user's name for an image (a reference,
 * short or canonical, or an image ID prefix) and answers in JSON for the CLI to print.
 */
#pragma once

#include <jansson.h>
#include <stdbool.h>

#include "base/err.h"
#include "image/pull.h"
#include "image/imgstore.h"

/* The canonical reference of name (parsed as a reference), or a copy of name (an ID). */
int nd_image_key(const char *name, char **ret, struct nd_err **err);

/* [{name, repository, tag, digest, id, created, size}] for every reference. */
int nd_images_list(const struct nd_imgstore *st, json_t **ret, struct nd_err **err);
/* Docker's inspect fields: Id, RepoTags, RepoDigests, Created, Os, Architecture, Config, RootFS, Size. */
int nd_image_inspect(const struct nd_imgstore *st, const char *name, json_t **ret, struct nd_err **err);
/* dst (a reference) names what src names. */
int nd_image_tag(const struct nd_imgstore *st, const char *src, const char *dst, struct nd_err **err);
/*
 * Drop name's reference (all of an image's references when name is an ID, which needs
 * force if there are several); refused (code ND_ERR_BUSY) while a container of state uses
 * the image, unless force. Then blobs and layers nothing needs any more are freed.
 * *ret: {untagged: [...], deleted: id or null, layers_freed: n}.
 */
int nd_image_rm(const char *state, struct nd_imgstore *st, const char *name, bool force, json_t **ret,
		struct nd_err **err);
/*
 * `netd run IMAGE`: an OCI layout directory ("DIR" or "DIR:TAG", DIR existing) stays as it
 * is (*ret NULL); a reference becomes "<store>@<manifest digest>", pulled first when the
 * store lacks it (events told through o).
 */
int nd_image_resolve(const char *state, const char *image, const struct nd_pull_opts *o, char **ret,
		     struct nd_err **err);

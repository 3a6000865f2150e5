/*
 * netd pull: a reference fetched from its registry into the image store (image/imgstore.h)
 * as Docker does it: the manifest (an index or manifest list picks the platform), then
 * the config by its digest, then every layer whose diff_id is not already unpacked,
 * each blob checked against its digest and each layer against its diff_id as it is
 * unpacked into the layer store; the reference is set last, so an interrupted pull
 * leaves no image, only verified blobs and the partial download to resume.
 */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include "base/err.h"
#include "image/ref.h"
#include "image/imgstore.h"

struct nd_pull_opts {
	const char *platform; /* "os/arch[/variant]"; NULL: linux and the host's architecture */
	/* Told of each step (may be NULL): id is a layer's short digest or NULL, status the text. */
	void (*event)(void *ud, const char *id, const char *status);
	void *ud;
};

struct nd_pull_result {
	char *name;          /* the canonical reference set, malloc'd */
	char digest[72];     /* the digest the registry named (an index's for a multi-platform image) */
	char manifest[72];   /* the platform manifest's */
	int blobs_fetched;   /* blobs transferred (0 when everything was present) */
	int64_t bytes_fetched;
};
void nd_pull_result_clear(struct nd_pull_result *r);

/* Check "os/arch[/variant]" (code ND_ERR_BAD_SPEC). */
int nd_platform_check(const char *platform, struct nd_err **err);
/* The host's platform, "linux/amd64" style. */
const char *nd_platform_host(void);

int nd_pull(struct nd_imgstore *st, const struct nd_ref *ref, const struct nd_pull_opts *o, struct nd_pull_result *ret,
	    struct nd_err **err);

/*
 * sha256 digests as OCI writes them ("sha256:" and 64 lowercase hex digits): the check of
 * a digest's form, a streaming hash for blobs and layers, and the digest of a file.
 * Over libcrypto: only what handles images (bin/netd-oci) links the functions.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#include "base/cleanup.h"
#include "base/err.h"

#define ND_DIGEST_LEN 71 /* "sha256:" + 64 hex */

/* "sha256:" followed by 64 lowercase hex digits. */
bool nd_digest_valid(const char *d);

struct nd_sha256;
int nd_sha256_new(struct nd_sha256 **ret, struct nd_err **err);
void nd_sha256_update(struct nd_sha256 *h, const void *data, size_t len);
/* The digest of everything hashed so far. */
void nd_sha256_done(struct nd_sha256 *h, char ret[ND_DIGEST_LEN + 1]);
void nd_sha256_free(struct nd_sha256 *h);
DEFINE_CLEANUP(struct nd_sha256, nd_sha256_free)

/* The digest of a file's bytes (code ND_ERR_NO_IMAGE when it is not there). */
int nd_sha256_file(const char *path, char ret[ND_DIGEST_LEN + 1], struct nd_err **err);

/*
 * netd push and netd login/logout: an image of the store uploaded to the registry and
 * repository its reference names (only blobs the registry lacks, checked with HEAD; a
 * cross-repository mount when another name of the image is on the same registry), then
 * its manifest, byte for byte, so the digest is the same on both sides. Credentials in
 * the Docker config.json format ({"auths": {HOST: {"auth": base64(user:password)}}}),
 * written atomically with mode 0600.
 */
#pragma once

#include <stdbool.h>

#include "base/err.h"
#include "image/imgstore.h"
#include "image/pull.h"

struct nd_push_result {
	char digest[72];
	int uploaded, mounted, present;
};

int nd_push(const struct nd_imgstore *st, const char *name, const struct nd_pull_opts *o,
	    struct nd_push_result *ret, struct nd_err **err);

/* Check user:password against registry, then store them. */
int nd_login(const char *registry, const char *user, const char *password, struct nd_err **err);
/* Drop registry's credentials; *ret_found tells whether there were any. */
int nd_logout(const char *registry, bool *ret_found, struct nd_err **err);

/*
 * Image references as Docker reads them (distribution/reference's grammar):
 * [REGISTRY[:PORT]/]REPO[:TAG][@sha256:DIGEST]. No registry means docker.io, and a
 * one-part name there means library/NAME; the first part is a registry when it is
 * "localhost" or has a '.', a ':' or an upper-case letter. No tag and no digest means
 * "latest". Pure: no I/O, fuzzed (tests/fuzz/fuzz_imgref.c).
 */
#pragma once

#include <stdbool.h>

#include "base/err.h"

#define ND_REF_NAME_MAX 255
#define ND_REF_TAG_MAX 128

struct nd_ref {
	char registry[ND_REF_NAME_MAX + 1]; /* "docker.io", "localhost:5000" */
	char repo[ND_REF_NAME_MAX + 1];     /* "library/busybox" */
	char tag[ND_REF_TAG_MAX + 1];       /* "" when only a digest was given */
	char digest[72];                    /* "sha256:..." or "" */
};

/* Parse s; code ND_ERR_BAD_SPEC ("invalid reference format") when it is not one. */
int nd_ref_parse(const char *s, struct nd_ref *ret, struct nd_err **err);

/* "registry/repo:tag", or "registry/repo@digest" when there is no tag. malloc'd, NULL on OOM. */
char *nd_ref_canonical(const struct nd_ref *r);
/* "registry/repo". malloc'd. */
char *nd_ref_repository(const struct nd_ref *r);
/*
 * The short form `docker images` shows of a canonical "registry/repo": without
 * "docker.io/" and "library/". Points into name.
 */
const char *nd_ref_familiar(const char *name);
/* Is s a valid tag ([A-Za-z0-9_][A-Za-z0-9_.-]{0,127})? */
bool nd_ref_tag_valid(const char *s);

/*
 * The runtime's commands of the netd CLI (netd/main.c dispatches to them):
 * netd run|ps|stop|rm|logs|exec|commit (their nd_cmd_* are in cli.h with the others).
 * The work is lib/runtime's.
 */
#pragma once

#include <jansson.h>

#include "base/err.h"
#include "runtime/image.h"

/*
 * The image operations (runtime/image.h) of this executable: NULL in bin/netd, which
 * execs bin/netd-oci for images, layer tars and commit; bin/netd-oci sets them.
 */
extern const struct nd_image_ops *nd_run_images;

/* netd gc's runtime part (runtime/ctrgc.h): adds "containers" and "netns" counts to report. */
int nd_run_gc(json_t *report, struct nd_err **err);

/*
 * How bin/netd-oci turns run's image into what the runtime opens (an image reference of
 * the store, pulled when missing, becomes "<store>@<manifest digest>"); *ret NULL: as is.
 * NULL in bin/netd.
 */
extern int (*nd_run_resolve)(const char *image, char **ret, struct nd_err **err);
/* bin/netd-oci's `netd commit ID REPO[:TAG]` into the image store; the exit status. NULL in bin/netd. */
extern int (*nd_run_commit_image)(const char *ctr, const char *name);

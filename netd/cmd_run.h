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

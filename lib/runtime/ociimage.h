/*
 * OCI images for a container start (runtime/image.h's operations): an OCI layout
 * "DIR[:TAG]" read and verified by runtime/oci.h, its layers unpacked once into the layer
 * store, its Entrypoint, Cmd, Env, WorkingDir and User; layer tars from netd commit; and
 * commit itself. Links libarchive and libcrypto: only bin/netd-oci refers to it.
 */
#pragma once

#include "runtime/image.h"

extern const struct nd_image_ops nd_oci_images;

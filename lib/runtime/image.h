/*
 * Images as a container start sees them: the layers an image stacks, its command and its
 * config (struct nd_image), and the operations that read images, unpack layer tars and
 * save a container's writable layer (struct nd_image_ops). The one implementation,
 * nd_oci_images (runtime/ociimage.h), needs libarchive and libcrypto, whose loading
 * costs every process start about 1.5 ms: only bin/netd-oci links it and hands it to the
 * runtime explicitly, and bin/netd, without it, runs --rootfs containers alone.
 */
#pragma once

#include <stddef.h>
#include <sys/types.h>

#include "base/err.h"
#include "runtime/digest.h" /* ND_DIGEST_LEN */

struct nd_image {
	char **lower;         /* the layers' directories in the layer store, bottom first */
	char **argv;          /* the command: Entrypoint, then the given args or else Cmd */
	char **env;           /* "K=V", may be NULL */
	char *workdir, *user; /* NULL when the image sets none */
	char **exposed;       /* ExposedPorts' keys ("80/tcp"), NULL when none (for -P) */
};
void nd_image_clear(struct nd_image *img);
/*
 * A file of an image, a layer or a rootfs that cannot be opened: code ND_ERR_NO_IMAGE
 * when it is not there, else ND_ERR_INTERNAL; "'path': reason".
 */
int nd_image_file_err(struct nd_err **err, int errnum, const char *path);

struct nd_image_ops {
	/*
	 * The image ref ("DIR[:TAG]") names, its layers unpacked (once) into the layer store
	 * store; args (n_args of them) replace its Cmd.
	 */
	int (*open)(const char *ref, const char *store, char *const *args, size_t n_args, struct nd_image *ret,
		    struct nd_err **err);
	/* A layer tar (from netd commit) unpacked (once) into store: its directory, malloc'd. */
	int (*layer)(const char *tar, const char *store, char **ret_dir, struct nd_err **err);
	/* The overlay upper directory as the layer tar out, owners shifted down by id_shift. */
	int (*commit)(const char *upper, const char *out, uid_t id_shift, char ret_diff_id[ND_DIGEST_LEN + 1],
		      struct nd_err **err);
};

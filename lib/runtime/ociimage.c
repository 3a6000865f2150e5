#include "runtime/ociimage.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "base/cleanup.h"
#include "base/strv.h"
#include "runtime/commit.h"
#include "runtime/digest.h"
#include "runtime/layer.h"
#include "runtime/oci.h"

/* ref's layout directory, resolved, and its tag (NULL: none). */
static int layout_of(const char *ref, char ret_dir[PATH_MAX], char **ret_tag, struct nd_err **err)
{
	_cleanup_free_ char *dir = NULL;
	struct stat st;
	int r;

	/* A directory whose name has a ':' is a directory, not DIR:TAG. */
	if (stat(ref, &st) == 0 && S_ISDIR(st.st_mode)) {
		if (!(dir = strdup(ref)))
			return nd_oom(err);
	} else if ((r = nd_oci_split_ref(ref, &dir, ret_tag, err)) < 0) {
		return r;
	}
	if (!realpath(dir, ret_dir))
		return nd_image_file_err(err, errno, ref) < 0 ? nd_err_wrap(err, "--image") : 0;
	return 0;
}

/* Each layer of img unpacked into store (once: the store keeps them by diff_id), bottom first. */
static int layers_of(const struct nd_oci_image *img, const char *layout, const char *store, char ***ret,
		     struct nd_err **err)
{
	struct nd_strv lower = { 0 };
	int r = 0;

	for (size_t i = 0; r >= 0 && i < img->n_layers; i++) {
		_cleanup_free_ char *blob = NULL, *dir = NULL;

		if (asprintf(&blob, "%s/blobs/sha256/%s", layout, img->layer_digests[i] + 7) < 0)
			r = nd_oom(err);
		else if ((r = nd_layer_ensure(store, blob, img->layer_digests[i], img->diff_ids[i], &dir, err)) >= 0 &&
			 nd_strv_push(&lower, dir) < 0)
			r = nd_oom(err);
	}
	if (r < 0 || !(*ret = nd_strv_take(&lower))) {
		nd_strv_clear(&lower);
		return r < 0 ? r : nd_oom(err);
	}
	return 0;
}

static int oci_open(const char *ref, const char *store, char *const *args, size_t n_args, struct nd_image *ret,
		    struct nd_err **err)
{
	_cleanup_(nd_oci_image_clear) struct nd_oci_image img = { 0 };
	_cleanup_free_ char *tag = NULL;
	char layout[PATH_MAX];
	int r;

	if ((r = layout_of(ref, layout, &tag, err)) < 0 || (r = nd_oci_load(layout, tag, &img, err)) < 0)
		return r;
	if (img.n_layers == 0)
		return nd_err_set(err, ND_ERR_BAD_IMAGE, EINVAL, "image '%s' has no layers", ref);
	if ((r = layers_of(&img, layout, store, &ret->lower, err)) < 0 ||
	    (r = nd_oci_argv(&img, args, n_args, &ret->argv, err)) < 0)
		return r;
	ret->env = TAKE_PTR(img.env);
	ret->workdir = TAKE_PTR(img.workdir);
	ret->user = TAKE_PTR(img.user);
	ret->exposed = TAKE_PTR(img.exposed);
	return 0;
}

/* A tar from netd commit: not content-addressed, so its diff_id is its own sha256. */
static int oci_layer(const char *tar, const char *store, char **ret_dir, struct nd_err **err)
{
	char diff_id[ND_DIGEST_LEN + 1];
	int r = nd_sha256_file(tar, diff_id, err);

	return r < 0 ? r : nd_layer_ensure(store, tar, NULL, diff_id, ret_dir, err);
}

const struct nd_image_ops nd_oci_images = {
	.open = oci_open,
	.layer = oci_layer,
	.commit = nd_layer_commit,
};

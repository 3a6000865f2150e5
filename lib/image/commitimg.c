#include "image/commitimg.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "base/cleanup.h"
#include "base/json.h"
#include "image/ref.h"
#include "runtime/ctrops.h"
#include "runtime/ctrstate.h"
#include "runtime/digest.h"
#include "runtime/overlay.h"

#define MT_OCI_MANIFEST "application/vnd.oci.image.manifest.v1+json"
#define MT_OCI_CONFIG "application/vnd.oci.image.config.v1+json"
#define MT_OCI_TAR "application/vnd.oci.image.layer.v1.tar"

/* The store manifest digest a container was started from ("<store>@sha256:..."). */
static int base_of(const struct nd_imgstore *st, const char *state, const char *ctr, char ret[72], struct nd_err **err)
{
	_cleanup_(nd_ctr_clear) struct nd_ctr c = { 0 };
	size_t n = strlen(st->root);
	int r = nd_ctr_find(state, ctr, &c, err);

	if (r < 0)
		return r;
	if (!c.image || strncmp(c.image, st->root, n) || c.image[n] != '@' || !nd_digest_valid(c.image + n + 1))
		return nd_err_set(err, ND_ERR_BAD_SPEC, EINVAL,
				  "container '%s' was not started from an image of the store: commit it to a directory", ctr);
	snprintf(ret, 72, "%s", c.image + n + 1);
	return 0;
}

static char *now_rfc3339(void)
{
	char buf[64];
	time_t t = time(NULL);
	struct tm tm;

	gmtime_r(&t, &tm);
	strftime(buf, sizeof(buf), "%Y-%m-%dT%H:%M:%SZ", &tm);
	return strdup(buf);
}

/* JSON into the store as a blob; its descriptor. */
static int put_json(const struct nd_imgstore *st, json_t *j, const char *mt, json_t **ret_desc, struct nd_err **err)
{
	_cleanup_free_ char *text = json_dumps(j, JSON_COMPACT);
	_cleanup_(nd_sha256_freep) struct nd_sha256 *h = NULL;
	char digest[ND_DIGEST_LEN + 1];
	int r;

	if (!text || (r = nd_sha256_new(&h, err)) < 0)
		return text ? r : nd_oom(err);
	nd_sha256_update(h, text, strlen(text));
	nd_sha256_done(h, digest);
	if ((r = nd_imgstore_put_blob(st, digest, text, strlen(text), err)) < 0)
		return r;
	*ret_desc = json_pack("{s:s, s:s, s:I}", "mediaType", mt, "digest", digest, "size", (json_int_t)strlen(text));
	return *ret_desc ? 0 : nd_oom(err);
}

/* The config with the new layer's diff_id, a history line and today's date. */
static json_t *new_config(json_t *base, const char *diff_id, const char *ctr)
{
	json_t *c = json_deep_copy(base), *rootfs, *diffs, *hist;
	_cleanup_free_ char *now = now_rfc3339();

	if (!c || !now)
		return json_decref(c), NULL;
	if (!json_is_object(rootfs = json_object_get(c, "rootfs")))
		json_object_set_new(c, "rootfs", rootfs = json_pack("{s:s, s:[]}", "type", "layers", "diff_ids"));
	if (!json_is_array(diffs = json_object_get(rootfs, "diff_ids")))
		json_object_set_new(rootfs, "diff_ids", diffs = json_array());
	if (!json_is_array(hist = json_object_get(c, "history")))
		json_object_set_new(c, "history", hist = json_array());
	if (json_array_append_new(diffs, json_string(diff_id)) < 0 || json_object_set_new(c, "created", json_string(now)) < 0 ||
	    json_array_append_new(hist, json_pack("{s:s, s:s}", "created", now, "created_by", "netd commit")) < 0)
		return json_decref(c), NULL;
	(void)ctr;
	return c;
}

/* The writable layer as a tar in a directory of the store (same filesystem: renamed into blobs). */
static int layer_blob(const char *state, struct nd_imgstore *st, const char *ctr, const struct nd_image_ops *images,
		      char diff_id[ND_DIGEST_LEN + 1], json_t **ret_desc, struct nd_err **err)
{
	_cleanup_free_ char *tmp = NULL, *tar = NULL, *blob = NULL;
	struct stat sb;
	int r;

	if (asprintf(&tmp, "%s/.commit-XXXXXX", st->root) < 0)
		return nd_oom(err);
	if (!mkdtemp(tmp))
		return nd_err_set(err, ND_ERR_INTERNAL, errno, "commit: '%s': %s", tmp, strerror(errno));
	if ((r = nd_run_commit(state, ctr, images, tmp, diff_id, err)) >= 0) {
		if (asprintf(&tar, "%s/layer.tar", tmp) < 0 || !(blob = nd_imgstore_blob_path(st, diff_id)))
			r = nd_oom(err);
		else if (stat(tar, &sb) < 0 || rename(tar, blob) < 0)
			r = nd_err_set(err, ND_ERR_INTERNAL, errno, "commit: '%s': %s", blob, strerror(errno));
		else if (!(*ret_desc = json_pack("{s:s, s:s, s:I}", "mediaType", MT_OCI_TAR, "digest", diff_id, "size",
						 (json_int_t)sb.st_size)))
			r = nd_oom(err);
	}
	(void)nd_rmtree(tmp, NULL);
	return r;
}

int nd_commit_image(const char *state, struct nd_imgstore *st, const char *ctr, const struct nd_image_ops *images,
		    const char *name, char ret_id[72], struct nd_err **err)
{
	_cleanup_json_ json_t *man = NULL, *cfg = NULL, *layer = NULL, *ncfg = NULL, *cdesc = NULL, *mdesc = NULL;
	_cleanup_free_ char *canon = NULL;
	char base[72], diff_id[ND_DIGEST_LEN + 1];
	struct nd_ref ref;
	int r;

	if ((r = nd_ref_parse(name, &ref, err)) < 0)
		return r;
	if (*ref.digest || !(canon = nd_ref_canonical(&ref)))
		return *ref.digest ? nd_err_set(err, ND_ERR_BAD_SPEC, EINVAL, "commit: name a tag, not a digest") : nd_oom(err);
	if ((r = nd_imgstore_hold(st, false, err)) < 0 || (r = base_of(st, state, ctr, base, err)) < 0 ||
	    (r = nd_imgstore_read_json(st, base, &man, err)) < 0 ||
	    (r = nd_imgstore_read_json(st, json_string_value(json_object_get(json_object_get(man, "config"), "digest")),
				       &cfg, err)) < 0 ||
	    (r = layer_blob(state, st, ctr, images, diff_id, &layer, err)) < 0)
		return r;
	if (!(ncfg = new_config(cfg, diff_id, ctr)))
		return nd_oom(err);
	if ((r = put_json(st, ncfg, MT_OCI_CONFIG, &cdesc, err)) < 0)
		return r;
	if (json_object_set_new(man, "mediaType", json_string(MT_OCI_MANIFEST)) < 0 ||
	    json_object_set(man, "config", cdesc) < 0 || json_array_append(json_object_get(man, "layers"), layer) < 0)
		return nd_oom(err);
	if ((r = put_json(st, man, MT_OCI_MANIFEST, &mdesc, err)) < 0)
		return r;
	snprintf(ret_id, 72, "%s", json_string_value(json_object_get(cdesc, "digest")));
	if (json_object_set_new(mdesc, "annotations", json_pack("{s:s}", ND_ANN_ID, ret_id)) < 0)
		return nd_oom(err);
	return nd_imgstore_ref_set(st, canon, mdesc, err);
}

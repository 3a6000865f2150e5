#include "runtime/oci.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>

#include "base/cleanup.h"
#include "base/fdio.h"
#include "base/json.h"
#include "base/strv.h"
#include "runtime/digest.h"
#include "runtime/image.h"

#define MAX_META_BLOB (4u << 20) /* index, manifest and config blobs are small */
#define MAX_LAYERS 120
#define REF_NAME "org.opencontainers.image.ref.name"
#define MT_INDEX "application/vnd.oci.image.index.v1+json"
#define MT_MANIFEST "application/vnd.oci.image.manifest.v1+json"
#define MT_DOCKER_MANIFEST "application/vnd.docker.distribution.manifest.v2+json"


void nd_oci_image_clear(struct nd_oci_image *img)
{
	nd_strv_free(img->env);
	nd_strv_free(img->entrypoint);
	nd_strv_free(img->cmd);
	nd_strv_free(img->layer_digests);
	nd_strv_free(img->diff_ids);
	free(img->workdir);
	free(img->user);
	nd_strv_free(img->exposed);
	*img = (struct nd_oci_image){ 0 };
}

/* ---- pure parts: refs, descriptors, configs ---- */

int nd_oci_split_ref(const char *ref, char **ret_dir, char **ret_tag, struct nd_err **err)
{
	const char *c;
	char *dir, *tag = NULL;

	if (!ref || !*ref)
		return nd_err_set(err, ND_ERR_BAD_SPEC, EINVAL, "image reference is empty");
	/* "DIR@sha256:HEX" names a manifest by its digest (the image store's references). */
	if ((c = strstr(ref, "@sha256:")) && c != ref && nd_digest_valid(c + 1)) {
		dir = strndup(ref, (size_t)(c - ref));
		tag = strdup(c + 1);
		if (!dir || !tag) {
			free(dir);
			free(tag);
			return nd_oom(err);
		}
		*ret_dir = dir;
		*ret_tag = tag;
		return 0;
	}
	c = strrchr(ref, ':');
	if (c && c != ref && c[1] && !strchr(c, '/')) {
		dir = strndup(ref, (size_t)(c - ref));
		tag = strdup(c + 1);
		if (!dir || !tag) {
			free(dir);
			free(tag);
			return nd_oom(err);
		}
	} else if (!(dir = strdup(ref))) {
		return nd_oom(err);
	}
	*ret_dir = dir;
	*ret_tag = tag;
	return 0;
}

static const char *goarch(void)
{
	static struct utsname u;

	if (uname(&u) < 0)
		return "amd64";
	if (!strcmp(u.machine, "x86_64"))
		return "amd64";
	if (!strcmp(u.machine, "aarch64"))
		return "arm64";
	return u.machine;
}

static bool platform_ok(json_t *desc)
{
	json_t *p = json_object_get(desc, "platform");
	const char *os = json_string_value(json_object_get(p, "os"));
	const char *arch = json_string_value(json_object_get(p, "architecture"));

	return !p || ((!os || !strcmp(os, "linux")) && (!arch || !strcmp(arch, goarch())));
}

int nd_oci_pick_manifest(json_t *index, const char *tag, json_t **ret, struct nd_err **err)
{
	json_t *m = json_object_get(index, "manifests"), *d, *found = NULL;
	size_t i, n_ok = 0;

	if (!json_is_array(m) || json_array_size(m) == 0)
		return nd_err_set(err, ND_ERR_BAD_IMAGE, EINVAL, "index has no manifests");
	json_array_foreach(m, i, d) {
		const char *name = json_string_value(json_object_get(json_object_get(d, "annotations"), REF_NAME));

		if (!json_is_object(d))
			return nd_err_set(err, ND_ERR_BAD_IMAGE, EINVAL, "index: manifest %zu is not an object", i);
		if (tag) {
			const char *digest = json_string_value(json_object_get(d, "digest"));

			if (((name && !strcmp(name, tag)) || (digest && !strcmp(digest, tag))) && platform_ok(d)) {
				*ret = d;
				return 0;
			}
			continue;
		}
		if (platform_ok(d)) {
			n_ok++;
			if (!found)
				found = d;
			if (name && !strcmp(name, "latest")) {
				*ret = d;
				return 0;
			}
		}
	}
	if (tag)
		return nd_err_set(err, ND_ERR_NO_IMAGE, ENOENT, "tag '%s' is not in the image index", tag);
	if (n_ok == 1) {
		*ret = found;
		return 0;
	}
	if (n_ok == 0)
		return nd_err_set(err, ND_ERR_NO_IMAGE, ENOENT, "no manifest for linux/%s in the image index",
				  goarch());
	return nd_err_set(err, ND_ERR_BAD_SPEC, EINVAL, "the image index has %zu manifests: name a tag", n_ok);
}

/* A JSON array of strings as a NULL-terminated vector; absent or null gives NULL. */
static int strv_of(json_t *a, const char *what, char ***ret, struct nd_err **err)
{
	int r = nd_json_to_strv(a, ret);

	if (r == -ENOMEM)
		return nd_oom(err);
	if (r < 0)
		return nd_err_set(err, ND_ERR_BAD_IMAGE, EINVAL, "image config: %s is not an array of strings", what);
	return 0;
}

static int opt_str(json_t *o, const char *key, char **ret, struct nd_err **err)
{
	json_t *v = json_object_get(o, key);

	*ret = NULL;
	if (!v || json_is_null(v) || (json_is_string(v) && !*json_string_value(v)))
		return 0;
	if (!json_is_string(v))
		return nd_err_set(err, ND_ERR_BAD_IMAGE, EINVAL, "image config: %s is not a string", key);
	if (!(*ret = strdup(json_string_value(v))))
		return nd_oom(err);
	return 0;
}

/* ExposedPorts {"80/tcp": {}, ...}: its keys, checked when -P publishes them (portmap/pmspec.h). */
static int exposed_of(json_t *v, char ***ret, struct nd_err **err)
{
	const char *key;
	json_t *val;
	size_t i = 0;

	*ret = NULL;
	if (!v || json_is_null(v))
		return 0;
	if (!json_is_object(v) || json_object_size(v) > 4096)
		return nd_err_set(err, ND_ERR_BAD_IMAGE, EINVAL, "image config: ExposedPorts is not an object of ports");
	if (!(*ret = calloc(json_object_size(v) + 1, sizeof(char *))))
		return nd_oom(err);
	json_object_foreach(v, key, val)
		if (!((*ret)[i++] = strdup(key)))
			return nd_oom(err);
	return 0;
}

int nd_oci_parse_config(json_t *config, struct nd_oci_image *img, struct nd_err **err)
{
	json_t *c = json_object_get(config, "config"), *rootfs = json_object_get(config, "rootfs");
	json_t *ids = json_object_get(rootfs, "diff_ids"), *d;
	const char *type = json_string_value(json_object_get(rootfs, "type"));
	size_t i;
	int r;

	if (!json_is_object(config))
		return nd_err_set(err, ND_ERR_BAD_IMAGE, EINVAL, "image config is not an object");
	if ((r = strv_of(json_object_get(c, "Env"), "Env", &img->env, err)) < 0 ||
	    (r = strv_of(json_object_get(c, "Entrypoint"), "Entrypoint", &img->entrypoint, err)) < 0 ||
	    (r = strv_of(json_object_get(c, "Cmd"), "Cmd", &img->cmd, err)) < 0 ||
	    (r = opt_str(c, "WorkingDir", &img->workdir, err)) < 0 || (r = opt_str(c, "User", &img->user, err)) < 0 ||
	    (r = exposed_of(json_object_get(c, "ExposedPorts"), &img->exposed, err)) < 0)
		return r;
	if (!type || strcmp(type, "layers") || !json_is_array(ids))
		return nd_err_set(err, ND_ERR_BAD_IMAGE, EINVAL, "image config: rootfs must be {\"type\":\"layers\"} with diff_ids");
	if (json_array_size(ids) > MAX_LAYERS)
		return nd_err_set(err, ND_ERR_BAD_IMAGE, E2BIG, "image config: more than %d layers", MAX_LAYERS);
	if (img->n_layers && img->n_layers != json_array_size(ids))
		return nd_err_set(err, ND_ERR_BAD_IMAGE, EINVAL, "image: %zu layers in the manifest, %zu diff_ids in the config",
				  img->n_layers, json_array_size(ids));
	img->n_layers = json_array_size(ids);
	nd_strv_free(img->diff_ids);
	img->diff_ids = calloc(img->n_layers + 1, sizeof(char *));
	if (!img->diff_ids)
		return nd_oom(err);
	json_array_foreach(ids, i, d) {
		if (!nd_digest_valid(json_string_value(d)))
			return nd_err_set(err, ND_ERR_BAD_IMAGE, EINVAL, "image config: diff_id %zu is not a sha256 digest", i);
		if (!(img->diff_ids[i] = strdup(json_string_value(d))))
			return nd_oom(err);
	}
	return 0;
}

static bool layer_type_ok(const char *t)
{
	static const char *const ok[] = {
		"application/vnd.oci.image.layer.v1.tar",
		"application/vnd.oci.image.layer.v1.tar+gzip",
		"application/vnd.oci.image.layer.v1.tar+zstd",
		"application/vnd.oci.image.layer.nondistributable.v1.tar",
		"application/vnd.oci.image.layer.nondistributable.v1.tar+gzip",
		"application/vnd.docker.image.rootfs.diff.tar.gzip",
	};

	for (size_t i = 0; t && i < ND_ARRAY_SIZE(ok); i++)
		if (!strcmp(t, ok[i]))
			return true;
	return false;
}

int nd_oci_parse_manifest(json_t *manifest, struct nd_oci_image *img, struct nd_err **err)
{
	json_t *layers = json_object_get(manifest, "layers"), *d;
	size_t i, n;

	if (!json_is_array(layers))
		return nd_err_set(err, ND_ERR_BAD_IMAGE, EINVAL, "image manifest has no layers array");
	n = json_array_size(layers);
	if (n > MAX_LAYERS)
		return nd_err_set(err, ND_ERR_BAD_IMAGE, E2BIG, "image manifest: more than %d layers", MAX_LAYERS);
	if (img->diff_ids && img->n_layers != n)
		return nd_err_set(err, ND_ERR_BAD_IMAGE, EINVAL, "image: %zu layers in the manifest, %zu diff_ids in the config",
				  n, img->n_layers);
	img->layer_digests = calloc(n + 1, sizeof(char *));
	if (!img->layer_digests)
		return nd_oom(err);
	img->n_layers = n;
	json_array_foreach(layers, i, d) {
		const char *t = json_string_value(json_object_get(d, "mediaType"));
		const char *dg = json_string_value(json_object_get(d, "digest"));

		if (!layer_type_ok(t))
			return nd_err_set(err, ND_ERR_BAD_IMAGE, EINVAL, "image layer %zu: media type '%s' is not supported",
					  i, t ? t : "");
		if (!nd_digest_valid(dg))
			return nd_err_set(err, ND_ERR_BAD_IMAGE, EINVAL, "image layer %zu: digest is not sha256", i);
		if (!(img->layer_digests[i] = strdup(dg)))
			return nd_oom(err);
	}
	return 0;
}

int nd_oci_argv(const struct nd_oci_image *img, char *const *args, size_t n_args, char ***ret, struct nd_err **err)
{
	size_t n = 0, i = 0;
	char *const *tail = n_args ? args : img->cmd;
	char **v;

	for (char **p = img->entrypoint; p && *p; p++)
		n++;
	if (n_args)
		n += n_args;
	else
		for (char **p = img->cmd; p && *p; p++)
			n++;
	if (n == 0)
		return nd_err_set(err, ND_ERR_BAD_SPEC, EINVAL, "no command: the image has no Entrypoint or Cmd");
	v = calloc(n + 1, sizeof(*v));
	if (!v)
		return nd_oom(err);
	for (char **p = img->entrypoint; p && *p; p++)
		v[i++] = *p;
	for (size_t k = 0; tail && i < n; k++)
		v[i++] = tail[k];
	for (i = 0; i < n; i++)
		if (!(v[i] = strdup(v[i]))) {
			while (i--)
				free(v[i]);
			free(v);
			return nd_oom(err);
		}
	*ret = v;
	return 0;
}

/* ---- blobs ---- */

static int blob_path(const char *layout, const char *digest, char *buf, size_t size, struct nd_err **err)
{
	if (!nd_digest_valid(digest))
		return nd_err_set(err, ND_ERR_BAD_IMAGE, EINVAL, "digest '%s' is not a sha256 digest", digest ? digest : "");
	if ((size_t)snprintf(buf, size, "%s/blobs/sha256/%s", layout, digest + 7) >= size)
		return nd_err_set(err, ND_ERR_BAD_IMAGE, ENAMETOOLONG, "image path is too long");
	return 0;
}

static int read_small(const char *path, char **ret, size_t *ret_len, struct nd_err **err)
{
	_cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC);
	int r = fd < 0 ? -errno : nd_read_all(fd, MAX_META_BLOB, ret, ret_len);

	if (r == -ENOMEM)
		return nd_oom(err);
	if (r == -EFBIG)
		return nd_err_set(err, ND_ERR_BAD_IMAGE, EFBIG, "'%s' is too large", path);
	if (r < 0)
		return nd_image_file_err(err, -r, path);
	return 0;
}

/* A metadata blob named by a descriptor: digest and size verified, JSON parsed. */
static int load_blob(const char *layout, json_t *desc, const char *what, json_t **ret, struct nd_err **err)
{
	const char *digest = json_string_value(json_object_get(desc, "digest"));
	json_t *jsize = json_object_get(desc, "size");
	_cleanup_(nd_sha256_freep) struct nd_sha256 *hash = NULL;
	_cleanup_free_ char *data = NULL;
	char path[4096], got[ND_DIGEST_LEN + 1];
	json_error_t je;
	size_t len;
	int r;

	if ((r = blob_path(layout, digest, path, sizeof(path), err)) < 0 || (r = read_small(path, &data, &len, err)) < 0)
		return nd_err_wrap(err, "image %s", what);
	if (json_is_integer(jsize) && (json_int_t)len != json_integer_value(jsize))
		return nd_err_set(err, ND_ERR_BAD_IMAGE, EBADMSG, "image %s %s: size %zu, the descriptor says %lld", what,
				  digest, len, (long long)json_integer_value(jsize));
	if ((r = nd_sha256_new(&hash, err)) < 0)
		return r;
	nd_sha256_update(hash, data, len);
	nd_sha256_done(hash, got);
	if (strcmp(got, digest))
		return nd_err_set(err, ND_ERR_BAD_IMAGE, EBADMSG, "image %s: blob %s has digest %s", what, digest, got);
	if (!(*ret = json_loadb(data, len, 0, &je)))
		return nd_err_set(err, ND_ERR_BAD_IMAGE, EBADMSG, "image %s %s: %s", what, digest, je.text);
	return 0;
}

/* A small JSON file of the layout itself (oci-layout, index.json), parsed. */
static int load_json(const char *layout, const char *name, json_t **ret, struct nd_err **err)
{
	_cleanup_free_ char *data = NULL;
	char path[4096];
	json_error_t je;
	size_t len;
	int r;

	snprintf(path, sizeof(path), "%s/%s", layout, name);
	if ((r = read_small(path, &data, &len, err)) < 0)
		return r;
	if (!(*ret = json_loadb(data, len, 0, &je)))
		return nd_err_set(err, ND_ERR_BAD_IMAGE, EBADMSG, "%s: %s", name, je.text);
	return 0;
}

/*
 * The manifest descriptor for tag, following a platform index when the index points at
 * one (one level is what layouts use; two are allowed). *ret_inner holds the last index
 * loaded, which *ret_desc may point into.
 */
static int manifest_desc(const char *layout, json_t *index, const char *tag, json_t **ret_inner, json_t **ret_desc,
			 struct nd_err **err)
{
	json_t *desc = NULL, *next;
	int r = nd_oci_pick_manifest(index, tag, &desc, err);

	for (int depth = 0; r >= 0; depth++) {
		const char *mt = json_string_value(json_object_get(desc, "mediaType"));

		if (!mt || !strcmp(mt, MT_MANIFEST) || !strcmp(mt, MT_DOCKER_MANIFEST)) {
			*ret_desc = desc;
			return 0;
		}
		if (strcmp(mt, MT_INDEX))
			return nd_err_set(err, ND_ERR_BAD_IMAGE, EINVAL, "media type '%s' is not supported", mt);
		if (depth == 2)
			return nd_err_set(err, ND_ERR_BAD_IMAGE, ELOOP, "indexes nested too deep");
		if ((r = load_blob(layout, desc, "index", &next, err)) < 0)
			return r;
		json_decref(*ret_inner);
		*ret_inner = next;
		r = nd_oci_pick_manifest(next, NULL, &desc, err);
	}
	return r;
}

int nd_oci_load(const char *layout, const char *tag, struct nd_oci_image *ret, struct nd_err **err)
{
	_cleanup_json_ json_t *marker = NULL, *index = NULL, *inner = NULL, *manifest = NULL, *config = NULL;
	_cleanup_(nd_oci_image_clear) struct nd_oci_image img = { 0 };
	json_t *desc = NULL;
	int r;

	if ((r = load_json(layout, "oci-layout", &marker, err)) < 0)
		return nd_err_wrap(err, "image '%s' is not an OCI layout", layout);
	if (!json_is_string(json_object_get(marker, "imageLayoutVersion")))
		return nd_err_set(err, ND_ERR_BAD_IMAGE, EINVAL, "image '%s': oci-layout has no imageLayoutVersion", layout);
	if ((r = load_json(layout, "index.json", &index, err)) < 0 ||
	    (r = manifest_desc(layout, index, tag, &inner, &desc, err)) < 0 ||
	    (r = load_blob(layout, desc, "manifest", &manifest, err)) < 0 ||
	    (r = load_blob(layout, json_object_get(manifest, "config"), "config", &config, err)) < 0 ||
	    (r = nd_oci_parse_manifest(manifest, &img, err)) < 0 || (r = nd_oci_parse_config(config, &img, err)) < 0)
		return nd_err_wrap(err, "image '%s'", layout);
	*ret = img;
	img = (struct nd_oci_image){ 0 };
	return 0;
}

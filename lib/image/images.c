#include "image/images.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "base/cleanup.h"
#include "base/json.h"
#include "base/strv.h"
#include "image/ref.h"
#include "runtime/ctrstate.h"
#include "runtime/oci.h"

int nd_image_key(const char *name, char **ret, struct nd_err **err)
{
	_cleanup_err_ struct nd_err *e = NULL;
	struct nd_ref ref;

	if (!name || !*name)
		return nd_err_set(err, ND_ERR_BAD_SPEC, EINVAL, "image name is empty");
	if (nd_ref_parse(name, &ref, &e) < 0) {
		/* Not a reference: an image ID (prefix) when it looks like one. */
		size_t hex = strspn(!strncmp(name, "sha256:", 7) ? name + 7 : name, "0123456789abcdef");

		if (hex < 4 || (!strncmp(name, "sha256:", 7) ? name + 7 : name)[hex]) {
			*err = TAKE_PTR(e);
			return -EINVAL;
		}
		return (*ret = strdup(name)) ? 0 : nd_oom(err);
	}
	return (*ret = nd_ref_canonical(&ref)) ? 0 : nd_oom(err);
}

/* The entry of what, tried as a canonical reference first, then as an ID. */
static int find(const struct nd_imgstore *st, const char *what, json_t **ret, char **ret_name, struct nd_err **err)
{
	_cleanup_free_ char *key = NULL;
	int r = nd_image_key(what, &key, err);

	if (r < 0)
		return r;
	r = nd_imgstore_find(st, key, ret, ret_name, NULL);
	if (r < 0 && strcmp(key, what))
		r = nd_imgstore_find(st, what, ret, ret_name, NULL);
	if (r < 0)
		return nd_err_set(err, ND_ERR_NO_IMAGE, ENOENT, "No such image: %s", what);
	return 0;
}

static const char *ann(json_t *d, const char *key)
{
	return json_string_value(json_object_get(json_object_get(d, "annotations"), key));
}

/* Manifest and config of an entry. */
static int load_pair(const struct nd_imgstore *st, json_t *d, json_t **man, json_t **cfg, struct nd_err **err)
{
	int r = nd_imgstore_read_json(st, json_string_value(json_object_get(d, "digest")), man, err);

	if (r < 0)
		return r;
	return nd_imgstore_read_json(st, json_string_value(json_object_get(json_object_get(*man, "config"), "digest")), cfg,
				  err);
}

static json_int_t size_of(json_t *man)
{
	json_int_t n = json_integer_value(json_object_get(json_object_get(man, "config"), "size"));
	json_t *l;
	size_t i;

	json_array_foreach(json_object_get(man, "layers"), i, l)
		n += json_integer_value(json_object_get(l, "size"));
	return n;
}

/* "registry/repo:tag" or "registry/repo@digest" into repository and tag ("<none>"). */
static json_t *split_name(const char *name)
{
	const char *at = strchr(name, '@'), *slash = strrchr(name, '/'), *colon = strrchr(name, ':');
	size_t n = at ? (size_t)(at - name) : colon && colon > slash ? (size_t)(colon - name) : strlen(name);

	return json_pack("{s:s%, s:s}", "repository", name, n, "tag",
			 at ? "<none>" : colon && colon > slash ? colon + 1 : "<none>");
}

int nd_images_list(const struct nd_imgstore *st, json_t **ret, struct nd_err **err)
{
	_cleanup_json_ json_t *m = NULL, *out = json_array();
	json_t *d;
	size_t i;
	int r = nd_imgstore_index(st, &m, err);

	if (r < 0 || !out)
		return r < 0 ? r : nd_oom(err);
	json_array_foreach(m, i, d) {
		_cleanup_json_ json_t *man = NULL, *cfg = NULL;
		json_t *row;

		if (load_pair(st, d, &man, &cfg, NULL) < 0 || !ann(d, ND_ANN_REF))
			continue;
		if (!(row = split_name(ann(d, ND_ANN_REF))) ||
		    json_object_update_new(row, json_pack("{s:s, s:s?, s:s?, s:s?, s:I}", "name", ann(d, ND_ANN_REF),
						      "digest", ann(d, ND_ANN_REPO_DIGEST), "id", ann(d, ND_ANN_ID),
						      "created", json_string_value(json_object_get(cfg, "created")),
						      "size", size_of(man))) < 0 ||
		    json_array_append_new(out, row) < 0)
			return nd_oom(err);
	}
	*ret = TAKE_PTR(out);
	return 0;
}

/* The references of image id, and their repo digests. */
static int names_of(const struct nd_imgstore *st, const char *id, json_t *tags, json_t *digests, struct nd_err **err)
{
	_cleanup_json_ json_t *m = NULL;
	json_t *d;
	size_t i;
	int r = nd_imgstore_index(st, &m, err);

	if (r < 0)
		return r;
	json_array_foreach(m, i, d) {
		const char *n = ann(d, ND_ANN_REF), *rd = ann(d, ND_ANN_REPO_DIGEST);
		_cleanup_free_ char *dg = NULL;

		if (!n || !ann(d, ND_ANN_ID) || strcmp(ann(d, ND_ANN_ID), id))
			continue;
		if (!strchr(n, '@') && json_array_append_new(tags, json_string(n)) < 0)
			return nd_oom(err);
		if (rd) {
			/* repo@digest: the tag, if any, is not part of it. */
			size_t len = strcspn(n, "@");
			const char *colon = memrchr(n, ':', len), *slash = memrchr(n, '/', len);

			if (colon && (!slash || colon > slash))
				len = (size_t)(colon - n);
			if (asprintf(&dg, "%.*s@%s", (int)len, n, rd) < 0 ||
			    json_array_append_new(digests, json_string(dg)) < 0)
				return nd_oom(err);
		}
	}
	return 0;
}

int nd_image_inspect(const struct nd_imgstore *st, const char *name, json_t **ret, struct nd_err **err)
{
	_cleanup_json_ json_t *d = NULL, *man = NULL, *cfg = NULL, *tags = json_array(), *digests = json_array();
	_cleanup_free_ char *n = NULL;
	const char *id;
	int r;

	if ((r = find(st, name, &d, &n, err)) < 0 || (r = load_pair(st, d, &man, &cfg, err)) < 0)
		return r;
	id = ann(d, ND_ANN_ID);
	if (!tags || !digests || !id || (r = names_of(st, id, tags, digests, err)) < 0)
		return r < 0 ? r : nd_oom(err);
	*ret = json_pack("{s:s, s:O, s:O, s:s, s:O?, s:O?, s:O?, s:O?, s:O?, s:I, s:s}", "Id", id, "RepoTags", tags,
			 "RepoDigests", digests, "Manifest", json_string_value(json_object_get(d, "digest")), "Created",
			 json_object_get(cfg, "created"), "Os", json_object_get(cfg, "os"), "Architecture",
			 json_object_get(cfg, "architecture"), "Config", json_object_get(cfg, "config"), "RootFS",
			 json_object_get(cfg, "rootfs"), "Size", size_of(man), "Name", n);
	return *ret ? 0 : nd_oom(err);
}

int nd_image_tag(const struct nd_imgstore *st, const char *src, const char *dst, struct nd_err **err)
{
	_cleanup_json_ json_t *d = NULL;
	_cleanup_free_ char *n = NULL, *to = NULL;
	struct nd_ref ref;
	int r;

	if ((r = nd_ref_parse(dst, &ref, err)) < 0)
		return r;
	if (*ref.digest)
		return nd_err_set(err, ND_ERR_BAD_SPEC, EINVAL, "tag '%s': a tag cannot name a digest", dst);
	if ((r = find(st, src, &d, &n, err)) < 0)
		return r;
	if (!(to = nd_ref_canonical(&ref)))
		return nd_oom(err);
	return nd_imgstore_ref_set(st, to, d, err);
}

/* ---- rmi ---- */

/* Every container's lower directories (layer store paths), and the first container per dir. */
struct users {
	struct nd_strv dirs, ids;
};

static void users_clear(struct users *u)
{
	nd_strv_clear(&u->dirs);
	nd_strv_clear(&u->ids);
}

static int users_load(const char *state, struct users *u, struct nd_err **err)
{
	_cleanup_(nd_strv_freep) char **ids = NULL;
	int r = nd_ctr_list(state, &ids, err);

	if (r < 0)
		return r;
	for (char **id = ids; id && *id; id++) {
		_cleanup_(nd_ctr_clear) struct nd_ctr c = { 0 };

		if (nd_ctr_load(state, *id, &c, NULL) < 0)
			continue;
		for (char **l = c.lower; l && *l; l++)
			if (nd_strv_push(&u->dirs, *l) < 0 || nd_strv_push(&u->ids, *id) < 0)
				return nd_oom(err);
	}
	return 0;
}

static const char *user_of(const struct users *u, const char *dir)
{
	for (size_t i = 0; u->dirs.v && u->dirs.v[i]; i++)
		if (!strcmp(u->dirs.v[i], dir))
			return u->ids.v[i];
	return NULL;
}

static bool in_use(const char *dir, void *ud)
{
	return user_of(ud, dir) != NULL;
}

/* A container whose lower directories hold one of the image's layers, or NULL. */
static const char *image_user(const struct nd_imgstore *st, const struct users *u, json_t *diff_ids)
{
	json_t *d;
	size_t i;

	json_array_foreach(diff_ids, i, d) {
		_cleanup_free_ char *dir = NULL;
		const char *who;

		if (json_string_length(d) == 71 && asprintf(&dir, "%s/%s", st->layers, json_string_value(d) + 7) >= 0 &&
		    (who = user_of(u, dir)))
			return who;
	}
	return NULL;
}

/* Every reference of image id into out. */
static int refs_of_id(const struct nd_imgstore *st, const char *id, json_t *out, struct nd_err **err)
{
	_cleanup_json_ json_t *m = NULL;
	json_t *d;
	size_t i;
	int r = nd_imgstore_index(st, &m, err);

	if (r < 0)
		return r;
	json_array_foreach(m, i, d)
		if (ann(d, ND_ANN_REF) && ann(d, ND_ANN_ID) && !strcmp(ann(d, ND_ANN_ID), id) &&
		    json_array_append_new(out, json_string(ann(d, ND_ANN_REF))) < 0)
			return nd_oom(err);
	return 0;
}

/* The references to drop for what: its own, or every reference of an ID. */
static int names_to_drop(const struct nd_imgstore *st, const char *what, const char *name, const char *id,
			 bool force, json_t *out, struct nd_err **err)
{
	_cleanup_free_ char *key = NULL;
	int r;

	if ((r = nd_image_key(what, &key, err)) < 0)
		return r;
	if (!strcmp(key, name))
		return json_array_append_new(out, json_string(name)) < 0 ? nd_oom(err) : 0;
	if ((r = refs_of_id(st, id, out, err)) < 0)
		return r;
	if (json_array_size(out) > 1 && !force)
		return nd_err_set(err, ND_ERR_BUSY, EBUSY,
				  "image %.19s is referenced by %zu names: remove them by name, or use -f", id,
				  json_array_size(out));
	return 0;
}

/* After dropping names, does any reference of id remain? */
static int id_remains(const struct nd_imgstore *st, const char *id, json_t *names, bool *ret, struct nd_err **err)
{
	_cleanup_json_ json_t *all = json_array();
	int r;

	if (!all)
		return nd_oom(err);
	if ((r = refs_of_id(st, id, all, err)) < 0)
		return r;
	*ret = json_array_size(all) > json_array_size(names);
	return 0;
}

int nd_image_rm(const char *state, struct nd_imgstore *st, const char *name, bool force, json_t **ret,
		struct nd_err **err)
{
	_cleanup_json_ json_t *d = NULL, *man = NULL, *cfg = NULL, *names = json_array();
	_cleanup_(users_clear) struct users u = { 0 };
	_cleanup_free_ char *n = NULL;
	json_t *diffs, *x;
	const char *id, *who;
	bool remains = false;
	size_t i;
	int r, freed;

	if (!names)
		return nd_oom(err);
	if ((r = nd_imgstore_hold(st, true, err)) < 0 || (r = find(st, name, &d, &n, err)) < 0 ||
	    (r = load_pair(st, d, &man, &cfg, err)) < 0 || !(id = ann(d, ND_ANN_ID)) ||
	    (r = names_to_drop(st, name, n, id, force, names, err)) < 0 ||
	    (r = id_remains(st, id, names, &remains, err)) < 0 || (r = users_load(state, &u, err)) < 0)
		return r < 0 ? r : nd_err_set(err, ND_ERR_BAD_IMAGE, EINVAL, "image store entry '%s' has no ID", n);
	diffs = json_object_get(json_object_get(cfg, "rootfs"), "diff_ids");
	if (!remains && !force && (who = image_user(st, &u, diffs)))
		return nd_err_set(err, ND_ERR_BUSY, EBUSY, "image %s is used by container %.12s (stop and rm it, or rmi -f)",
				  name, who);
	json_array_foreach(names, i, x)
		if ((r = nd_imgstore_ref_del(st, json_string_value(x), err)) < 0)
			return r;
	if ((freed = nd_imgstore_gc(st, remains ? NULL : diffs, in_use, &u, err)) < 0)
		return freed;
	*ret = json_pack("{s:O, s:s?, s:i}", "untagged", names, "deleted", remains ? NULL : id, "layers_freed", freed);
	return *ret ? 0 : nd_oom(err);
}

/* ---- netd run IMAGE ---- */

/* "DIR" or "DIR:TAG" or "DIR@sha256:..." with DIR an existing directory: a layout, as before. */
static bool is_layout(const char *image)
{
	_cleanup_free_ char *dir = NULL, *tag = NULL;
	struct stat sb;

	if (image[0] == '/' || image[0] == '.')
		return true; /* a path, even a missing one: its error stays the layout's */
	if (stat(image, &sb) == 0 && S_ISDIR(sb.st_mode))
		return true;
	return nd_oci_split_ref(image, &dir, &tag, NULL) >= 0 && stat(dir, &sb) == 0 && S_ISDIR(sb.st_mode);
}

int nd_image_resolve(const char *state, const char *image, const struct nd_pull_opts *o, char **ret,
		     struct nd_err **err)
{
	_cleanup_(nd_imgstore_close) struct nd_imgstore st = { .gc_fd = -1 };
	_cleanup_(nd_pull_result_clear) struct nd_pull_result res = { 0 };
	_cleanup_json_ json_t *d = NULL;
	_cleanup_free_ char *n = NULL;
	struct nd_ref ref;
	int r;

	*ret = NULL;
	if (is_layout(image))
		return 0;
	if ((r = nd_imgstore_open(state, &st, err)) < 0 || (r = nd_imgstore_hold(&st, false, err)) < 0)
		return r;
	if (find(&st, image, &d, &n, NULL) < 0) {
		if ((r = nd_ref_parse(image, &ref, err)) < 0)
			return r;
		if (o->event)
			o->event(o->ud, NULL, "Unable to find image locally");
		if ((r = nd_pull(&st, &ref, o, &res, err)) < 0 || (r = nd_imgstore_find(&st, res.name, &d, &n, err)) < 0)
			return r;
	}
	if (asprintf(ret, "%s@%s", st.root, json_string_value(json_object_get(d, "digest"))) < 0)
		return nd_oom(err);
	return 0;
}

#include "image/imgstore.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/cleanup.h"
#include "base/fdio.h"
#include "base/json.h"
#include "base/state.h"
#include "runtime/digest.h"
#include "runtime/overlay.h"

#define MAX_META (4 << 20)

static int sys_err(struct nd_err **err, const char *what, const char *path)
{
	return nd_err_set(err, ND_ERR_INTERNAL, errno, "image store: %s '%s': %s", what, path, strerror(errno));
}

int nd_imgstore_open(const char *state, struct nd_imgstore *ret, struct nd_err **err)
{
	_cleanup_free_ char *root = NULL, *layers = NULL, *blobs = NULL, *marker = NULL, *index = NULL;
	static const char layout[] = "{\"imageLayoutVersion\":\"1.0.0\"}";
	static const char empty[] = "{\"schemaVersion\":2,\"manifests\":[]}";
	int r;

	if (asprintf(&root, "%s/images", state) < 0 || asprintf(&layers, "%s/layers", state) < 0 ||
	    asprintf(&blobs, "%s/images/blobs/sha256", state) < 0 || asprintf(&marker, "%s/oci-layout", root) < 0 ||
	    asprintf(&index, "%s/index.json", root) < 0)
		return nd_oom(err);
	if ((r = nd_state_mkdirs(blobs, 0700, err)) < 0)
		return r;
	/* Absolute: a layer unpacker changes the working directory while a download goes on. */
	if (state[0] != '/') {
		char *abs = realpath(state, NULL);

		free(root), free(layers), free(marker), free(index);
		root = layers = marker = index = NULL;
		if (!abs || asprintf(&root, "%s/images", abs) < 0 || asprintf(&layers, "%s/layers", abs) < 0 ||
		    asprintf(&marker, "%s/oci-layout", root) < 0 || asprintf(&index, "%s/index.json", root) < 0) {
			free(abs);
			return nd_oom(err);
		}
		free(abs);
	}
	if (access(marker, F_OK) < 0 && (r = nd_state_write(marker, layout, strlen(layout), err)) < 0)
		return r;
	if (access(index, F_OK) < 0 && (r = nd_state_write(index, empty, strlen(empty), err)) < 0)
		return r;
	ret->root = TAKE_PTR(root);
	ret->layers = TAKE_PTR(layers);
	ret->gc_fd = -1;
	return 0;
}

void nd_imgstore_close(struct nd_imgstore *st)
{
	free(st->root);
	free(st->layers);
	if (st->gc_fd >= 0)
		close(st->gc_fd);
	*st = (struct nd_imgstore){ .gc_fd = -1 };
}

int nd_imgstore_hold(struct nd_imgstore *st, bool exclusive, struct nd_err **err)
{
	_cleanup_free_ char *path = NULL;

	if (st->gc_fd >= 0)
		return 0;
	if (asprintf(&path, "%s/gc.lock", st->root) < 0)
		return nd_oom(err);
	if ((st->gc_fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600)) < 0)
		return sys_err(err, "open", path);
	while (flock(st->gc_fd, exclusive ? LOCK_EX : LOCK_SH) < 0)
		if (errno != EINTR)
			return sys_err(err, "lock", path);
	return 0;
}

char *nd_imgstore_blob_path(const struct nd_imgstore *st, const char *digest)
{
	char *p = NULL;

	return asprintf(&p, "%s/blobs/sha256/%s", st->root, digest + 7) < 0 ? NULL : p;
}

char *nd_imgstore_partial_path(const struct nd_imgstore *st, const char *digest)
{
	char *p = NULL;

	return asprintf(&p, "%s/blobs/sha256/.partial-%s", st->root, digest + 7) < 0 ? NULL : p;
}

bool nd_imgstore_has_blob(const struct nd_imgstore *st, const char *digest)
{
	_cleanup_free_ char *p = nd_digest_valid(digest) ? nd_imgstore_blob_path(st, digest) : NULL;

	return p && access(p, F_OK) == 0;
}

static int check_digest(const char *digest, const void *data, size_t len, struct nd_err **err)
{
	_cleanup_(nd_sha256_freep) struct nd_sha256 *h = NULL;
	char got[ND_DIGEST_LEN + 1];
	int r;

	if (!nd_digest_valid(digest))
		return nd_err_set(err, ND_ERR_BAD_IMAGE, EINVAL, "'%s' is not a sha256 digest", digest);
	if ((r = nd_sha256_new(&h, err)) < 0)
		return r;
	nd_sha256_update(h, data, len);
	nd_sha256_done(h, got);
	if (strcmp(got, digest))
		return nd_err_set(err, ND_ERR_BAD_IMAGE, EBADMSG, "digest mismatch: expected %s, got %s", digest, got);
	return 0;
}

int nd_imgstore_put_blob(const struct nd_imgstore *st, const char *digest, const void *data, size_t len,
		      struct nd_err **err)
{
	_cleanup_free_ char *p = NULL;
	int r = check_digest(digest, data, len, err);

	if (r < 0)
		return r;
	if (!(p = nd_imgstore_blob_path(st, digest)))
		return nd_oom(err);
	return access(p, F_OK) == 0 ? 0 : nd_state_write(p, data, len, err);
}

int nd_imgstore_read_json(const struct nd_imgstore *st, const char *digest, json_t **ret, struct nd_err **err)
{
	_cleanup_free_ char *p = nd_digest_valid(digest) ? nd_imgstore_blob_path(st, digest) : NULL, *data = NULL;
	_cleanup_close_ int fd = p ? open(p, O_RDONLY | O_CLOEXEC) : -1;
	size_t len;
	int r;

	if (fd < 0)
		return nd_err_set(err, ND_ERR_NO_IMAGE, ENOENT, "blob %s is not in the image store", digest);
	if ((r = nd_read_all(fd, MAX_META, &data, &len)) < 0)
		return nd_err_set(err, ND_ERR_BAD_IMAGE, -r, "blob %s: %s", digest, strerror(-r));
	if ((r = check_digest(digest, data, len, err)) < 0)
		return nd_err_wrap(err, "image store");
	return nd_json_parse_bounded(data, len, 32, ret, err);
}

int nd_imgstore_index(const struct nd_imgstore *st, json_t **ret, struct nd_err **err)
{
	_cleanup_free_ char *p = NULL, *data = NULL;
	_cleanup_json_ json_t *idx = NULL;
	json_t *m;
	size_t len;
	int r;

	if (asprintf(&p, "%s/index.json", st->root) < 0)
		return nd_oom(err);
	if ((r = nd_state_read(p, &data, &len, err)) < 0)
		return r == -ENOENT ? nd_err_set(err, ND_ERR_INTERNAL, ENOENT, "image store: no index.json") : r;
	if ((r = nd_json_parse_bounded(data, len, 32, &idx, err)) < 0)
		return nd_err_wrap(err, "image store index");
	if (!json_is_array(m = json_object_get(idx, "manifests")))
		return nd_err_set(err, ND_ERR_INTERNAL, EINVAL, "image store index: no manifests array");
	*ret = json_incref(m);
	return 0;
}

static const char *ref_of(json_t *d)
{
	return json_string_value(json_object_get(json_object_get(d, "annotations"), ND_ANN_REF));
}

static int write_index(const struct nd_imgstore *st, json_t *manifests, struct nd_err **err)
{
	_cleanup_json_ json_t *idx = json_pack("{s:i, s:s, s:O}", "schemaVersion", 2, "mediaType",
					      "application/vnd.oci.image.index.v1+json", "manifests", manifests);
	_cleanup_free_ char *p = NULL, *text = idx ? json_dumps(idx, JSON_COMPACT) : NULL;

	if (!text || asprintf(&p, "%s/index.json", st->root) < 0)
		return nd_oom(err);
	return nd_state_write(p, text, strlen(text), err);
}

/* The index without name's entry; *ret_found tells whether it had one. */
static int index_without(const struct nd_imgstore *st, const char *name, json_t **ret, bool *ret_found,
			 struct nd_err **err)
{
	_cleanup_json_ json_t *m = NULL, *out = json_array();
	json_t *d;
	size_t i;
	int r = nd_imgstore_index(st, &m, err);

	if (r < 0)
		return r;
	if (!out)
		return nd_oom(err);
	*ret_found = false;
	json_array_foreach(m, i, d) {
		const char *n = ref_of(d);

		if (n && !strcmp(n, name))
			*ret_found = true;
		else if (json_array_append(out, d) < 0)
			return nd_oom(err);
	}
	*ret = TAKE_PTR(out);
	return 0;
}

/* Does the index hold name pointing at exactly d? */
static bool ref_is(const struct nd_imgstore *st, const char *name, json_t *d)
{
	_cleanup_json_ json_t *m = NULL;
	json_t *x;
	size_t i;

	if (nd_imgstore_index(st, &m, NULL) < 0)
		return false;
	json_array_foreach(m, i, x)
		if (ref_of(x) && !strcmp(ref_of(x), name))
			return json_equal(x, d);
	return false;
}

int nd_imgstore_ref_set(const struct nd_imgstore *st, const char *name, json_t *desc, struct nd_err **err)
{
	_cleanup_close_ int lock = -1;
	_cleanup_json_ json_t *m = NULL, *d = json_deep_copy(desc);
	json_t *ann;
	bool found;
	int r;

	if (!d)
		return nd_oom(err);
	if (!json_is_object(ann = json_object_get(d, "annotations"))) {
		if (json_object_set_new(d, "annotations", ann = json_object()) < 0 || !ann)
			return nd_oom(err);
	}
	if (json_object_set_new(ann, ND_ANN_REF, json_string(name)) < 0)
		return nd_oom(err);
	if ((r = nd_state_lock(st->root, &lock, err)) < 0 || (r = index_without(st, name, &m, &found, err)) < 0)
		return r;
	/* Pointing where it points already (a re-pull): nothing to write, nothing to sync. */
	if (found && ref_is(st, name, d))
		return 0;
	if (json_array_append(m, d) < 0)
		return nd_oom(err);
	return write_index(st, m, err);
}

int nd_imgstore_ref_del(const struct nd_imgstore *st, const char *name, struct nd_err **err)
{
	_cleanup_close_ int lock = -1;
	_cleanup_json_ json_t *m = NULL;
	bool found;
	int r;

	if ((r = nd_state_lock(st->root, &lock, err)) < 0 || (r = index_without(st, name, &m, &found, err)) < 0)
		return r;
	if (!found)
		return nd_err_set(err, ND_ERR_NO_IMAGE, ENOENT, "No such image: %s", name);
	return write_index(st, m, err);
}

/* Does the image ID (the config's digest) start with what ("sha256:" optional, >= 4 hex)? */
static bool id_matches(json_t *d, const char *what)
{
	const char *id = json_string_value(json_object_get(json_object_get(d, "annotations"), ND_ANN_ID));
	const char *hex = !strncmp(what, "sha256:", 7) ? what + 7 : what;
	size_t n = strlen(hex);

	if (!id || n < 4 || n > 64 || strspn(hex, "0123456789abcdef") != n)
		return false;
	return !strncmp(id + 7, hex, n);
}

int nd_imgstore_find(const struct nd_imgstore *st, const char *what, json_t **ret_desc, char **ret_name,
		  struct nd_err **err)
{
	_cleanup_json_ json_t *m = NULL;
	json_t *d, *hit = NULL;
	const char *first_id = NULL;
	bool by_name;
	size_t i;
	int r = nd_imgstore_index(st, &m, err);

	if (r < 0)
		return r;
	json_array_foreach(m, i, d) {
		const char *n = ref_of(d);

		if (n && !strcmp(n, what)) {
			hit = d;
			break;
		}
	}
	/* An ID names one image, which may have several references: any of them will do. */
	by_name = hit != NULL;
	json_array_foreach(m, i, d) {
		const char *id = json_string_value(json_object_get(json_object_get(d, "annotations"), ND_ANN_ID));

		if (by_name || !id_matches(d, what))
			continue;
		if (first_id && strcmp(first_id, id))
			return nd_err_set(err, ND_ERR_BAD_SPEC, EINVAL, "image ID prefix '%s' is ambiguous", what);
		first_id = id;
		if (!hit)
			hit = d;
	}
	if (!hit)
		return nd_err_set(err, ND_ERR_NO_IMAGE, ENOENT, "No such image: %s", what);
	if (!(*ret_name = strdup(ref_of(hit) ?: "")))
		return nd_oom(err);
	*ret_desc = json_incref(hit);
	return 0;
}

/* ---- garbage collection ---- */

static int add_str(json_t *set, const char *s)
{
	return s ? json_object_set_new(set, s, json_true()) : 0;
}

/* Every digest and diff_id one reference needs, into live. Unreadable blobs add nothing. */
static int live_of(const struct nd_imgstore *st, json_t *desc, json_t *live)
{
	_cleanup_json_ json_t *man = NULL, *cfg = NULL;
	json_t *ann = json_object_get(desc, "annotations"), *l, *diffs;
	const char *cd;
	size_t i;

	if (add_str(live, json_string_value(json_object_get(desc, "digest"))) < 0 ||
	    add_str(live, json_string_value(json_object_get(ann, ND_ANN_REPO_DIGEST))) < 0)
		return -ENOMEM;
	if (nd_imgstore_read_json(st, json_string_value(json_object_get(desc, "digest")), &man, NULL) < 0)
		return 0;
	cd = json_string_value(json_object_get(json_object_get(man, "config"), "digest"));
	if (add_str(live, cd) < 0)
		return -ENOMEM;
	json_array_foreach(json_object_get(man, "layers"), i, l)
		if (add_str(live, json_string_value(json_object_get(l, "digest"))) < 0)
			return -ENOMEM;
	if (!cd || nd_imgstore_read_json(st, cd, &cfg, NULL) < 0)
		return 0;
	diffs = json_object_get(json_object_get(cfg, "rootfs"), "diff_ids");
	json_array_foreach(diffs, i, l)
		if (add_str(live, json_string_value(l)) < 0)
			return -ENOMEM;
	return 0;
}

static int drop_blobs(const struct nd_imgstore *st, json_t *live, struct nd_err **err)
{
	_cleanup_free_ char *dir = NULL;
	DIR *d;
	struct dirent *e;

	if (asprintf(&dir, "%s/blobs/sha256", st->root) < 0)
		return nd_oom(err);
	if (!(d = opendir(dir)))
		return sys_err(err, "open", dir);
	while ((e = readdir(d))) {
		char digest[ND_DIGEST_LEN + 1];

		if (e->d_name[0] == '.' || strlen(e->d_name) != 64)
			continue;
		snprintf(digest, sizeof(digest), "sha256:%.64s", e->d_name);
		if (!json_object_get(live, digest))
			(void)unlinkat(dirfd(d), e->d_name, 0);
	}
	closedir(d);
	return 0;
}

int nd_imgstore_gc(struct nd_imgstore *st, json_t *dropped, bool (*in_use)(const char *dir, void *ud), void *ud,
		struct nd_err **err)
{
	_cleanup_json_ json_t *m = NULL, *live = json_object();
	json_t *d;
	size_t i;
	int r, freed = 0;

	if (!live)
		return nd_oom(err);
	if ((r = nd_imgstore_hold(st, true, err)) < 0 || (r = nd_imgstore_index(st, &m, err)) < 0)
		return r;
	json_array_foreach(m, i, d)
		if (live_of(st, d, live) < 0)
			return nd_oom(err);
	if ((r = drop_blobs(st, live, err)) < 0)
		return r;
	json_array_foreach(dropped, i, d) {
		const char *diff = json_string_value(d);
		_cleanup_free_ char *dir = NULL, *gone = NULL;
		struct stat sb;

		if (!diff || !nd_digest_valid(diff) || json_object_get(live, diff))
			continue;
		if (asprintf(&dir, "%s/%s", st->layers, diff + 7) < 0)
			return nd_oom(err);
		if (stat(dir, &sb) < 0 || (in_use && in_use(dir, ud)))
			continue;
		/* Out of its name first: a half-removed layer must never pass for a whole one. */
		if (asprintf(&gone, "%s/.gc-%s", st->layers, diff + 7) < 0)
			return nd_oom(err);
		if (rename(dir, gone) < 0 || (r = nd_rmtree(gone, err)) < 0)
			return r < 0 ? r : sys_err(err, "rename", dir);
		freed++;
	}
	return freed;
}

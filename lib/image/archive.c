#include "image/archive.h"

#include <archive.h>
#include <archive_entry.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/cleanup.h"
#include "base/fdio.h"
#include "base/json.h"
#include "image/images.h"
#include "image/ref.h"
#include "runtime/digest.h"
#include "runtime/layer.h"
#include "runtime/overlay.h"

#define MT_OCI_MANIFEST "application/vnd.oci.image.manifest.v1+json"
#define MT_OCI_CONFIG "application/vnd.oci.image.config.v1+json"

DEFINE_CLEANUP(struct archive, archive_write_free)
DEFINE_CLEANUP(struct archive, archive_read_free)

/* ---- save ---- */

static int add_bytes(struct archive *a, const char *name, const void *data, size_t len, struct nd_err **err)
{
	struct archive_entry *e = archive_entry_new();
	int r = 0;

	if (!e)
		return nd_oom(err);
	archive_entry_set_pathname(e, name);
	archive_entry_set_filetype(e, AE_IFREG);
	archive_entry_set_perm(e, 0644);
	archive_entry_set_size(e, (la_int64_t)len);
	if (archive_write_header(a, e) < ARCHIVE_OK || (len && archive_write_data(a, data, len) < 0))
		r = nd_archive_err(err, ND_ERR_INTERNAL, a, name);
	archive_entry_free(e);
	return r;
}

/* A blob streamed into the archive as blobs/sha256/HEX (once). */
static int add_blob(struct archive *a, const struct nd_imgstore *st, const char *digest, json_t *done,
		    struct nd_err **err)
{
	_cleanup_free_ char *path = digest ? nd_imgstore_blob_path(st, digest) : NULL, *name = NULL;
	_cleanup_close_ int fd = path ? open(path, O_RDONLY | O_CLOEXEC) : -1;
	struct archive_entry *e;
	char buf[65536];
	struct stat sb;
	ssize_t n;
	int r = 0;

	if (digest && json_object_get(done, digest))
		return 0;
	if (fd < 0 || fstat(fd, &sb) < 0)
		return nd_err_set(err, ND_ERR_NO_IMAGE, ENOENT, "blob %s is not in the image store", digest ? digest : "");
	if (asprintf(&name, "blobs/sha256/%s", digest + 7) < 0 || !(e = archive_entry_new()))
		return nd_oom(err);
	archive_entry_set_pathname(e, name);
	archive_entry_set_filetype(e, AE_IFREG);
	archive_entry_set_perm(e, 0644);
	archive_entry_set_size(e, (la_int64_t)sb.st_size);
	if (archive_write_header(a, e) < ARCHIVE_OK)
		r = nd_archive_err(err, ND_ERR_INTERNAL, a, name);
	while (r >= 0 && (n = read(fd, buf, sizeof(buf))) > 0)
		if (archive_write_data(a, buf, (size_t)n) < 0)
			r = nd_archive_err(err, ND_ERR_INTERNAL, a, name);
	archive_entry_free(e);
	if (r >= 0 && json_object_set_new(done, digest, json_true()) < 0)
		r = nd_oom(err);
	return r;
}

/* One image into the archive: its blobs, its index entry and its docker manifest.json entry. */
static int save_one(struct archive *a, const struct nd_imgstore *st, const char *name, json_t *index, json_t *docker,
		    json_t *done, struct nd_err **err)
{
	_cleanup_json_ json_t *d = NULL, *man = NULL, *layers = json_array(), *entry = NULL;
	_cleanup_free_ char *key = NULL, *n = NULL, *cfgpath = NULL;
	const char *cfg;
	json_t *l;
	size_t i;
	int r;

	if (!layers)
		return nd_oom(err);
	if ((r = nd_image_key(name, &key, err)) < 0 || (r = nd_imgstore_find(st, key, &d, &n, err)) < 0 ||
	    (r = nd_imgstore_read_json(st, json_string_value(json_object_get(d, "digest")), &man, err)) < 0)
		return r;
	cfg = json_string_value(json_object_get(json_object_get(man, "config"), "digest"));
	if ((r = add_blob(a, st, json_string_value(json_object_get(d, "digest")), done, err)) < 0 ||
	    (r = add_blob(a, st, cfg, done, err)) < 0)
		return r;
	json_array_foreach(json_object_get(man, "layers"), i, l) {
		const char *ld = json_string_value(json_object_get(l, "digest"));
		char p[96];

		if ((r = add_blob(a, st, ld, done, err)) < 0)
			return r;
		snprintf(p, sizeof(p), "blobs/sha256/%s", ld + 7);
		if (json_array_append_new(layers, json_string(p)) < 0)
			return nd_oom(err);
	}
	if (asprintf(&cfgpath, "blobs/sha256/%s", cfg + 7) < 0 ||
	    json_array_append_new(index, json_pack("{s:O, s:O, s:O, s:{s:s, s:s}}", "mediaType",
						   json_object_get(d, "mediaType"), "digest", json_object_get(d, "digest"),
						   "size", json_object_get(d, "size"), "annotations", "org.opencontainers.image.ref.name",
						   n, "io.containerd.image.name", n)) < 0 ||
	    json_array_append_new(docker, json_pack("{s:s, s:[s], s:O}", "Config", cfgpath, "RepoTags",
						    nd_ref_familiar(n), "Layers", layers)) < 0)
		return nd_oom(err);
	return 0;
}

static int save_meta(struct archive *a, json_t *index, json_t *docker, struct nd_err **err)
{
	static const char layout[] = "{\"imageLayoutVersion\":\"1.0.0\"}";
	_cleanup_json_ json_t *idx = json_pack("{s:i, s:s, s:O}", "schemaVersion", 2, "mediaType",
					       "application/vnd.oci.image.index.v1+json", "manifests", index);
	_cleanup_free_ char *it = idx ? json_dumps(idx, JSON_COMPACT) : NULL;
	_cleanup_free_ char *dt = json_dumps(docker, JSON_COMPACT);
	int r;

	if (!it || !dt)
		return nd_oom(err);
	if ((r = add_bytes(a, "oci-layout", layout, strlen(layout), err)) < 0 ||
	    (r = add_bytes(a, "index.json", it, strlen(it), err)) < 0)
		return r;
	return add_bytes(a, "manifest.json", dt, strlen(dt), err);
}

int nd_image_save(const struct nd_imgstore *st, char *const *names, const char *out, struct nd_err **err)
{
	_cleanup_(archive_write_freep) struct archive *a = archive_write_new();
	_cleanup_json_ json_t *index = json_array(), *docker = json_array(), *done = json_object();
	_cleanup_free_ char *tmp = NULL;
	int r = 0;

	if (!a || !index || !docker || !done || asprintf(&tmp, "%s.tmp-netd", out) < 0)
		return nd_oom(err);
	archive_write_set_format_pax_restricted(a);
	if (archive_write_open_filename(a, tmp) != ARCHIVE_OK)
		return nd_archive_err(err, ND_ERR_INTERNAL, a, out);
	for (char *const *n = names; r >= 0 && *n; n++)
		r = save_one(a, st, *n, index, docker, done, err);
	if (r >= 0)
		r = save_meta(a, index, docker, err);
	if (archive_write_close(a) != ARCHIVE_OK && r >= 0)
		r = nd_archive_err(err, ND_ERR_INTERNAL, a, out);
	/* The archive appears whole or not at all. */
	if (r >= 0 && rename(tmp, out) < 0)
		r = nd_err_set(err, ND_ERR_INTERNAL, errno, "save: '%s': %s", out, strerror(errno));
	if (r < 0)
		(void)unlink(tmp);
	return r;
}

/* ---- load ---- */

static int copy_entry(struct archive *in, struct archive *out, const char *name, struct nd_err **err)
{
	const void *buf;
	size_t size;
	la_int64_t off;
	int r;

	while ((r = archive_read_data_block(in, &buf, &size, &off)) == ARCHIVE_OK)
		if (archive_write_data_block(out, buf, size, off) < ARCHIVE_WARN)
			return nd_archive_err(err, ND_ERR_INTERNAL, out, name);
	return r == ARCHIVE_EOF ? 0 : nd_archive_err(err, ND_ERR_BAD_IMAGE, in, name);
}

/* The archive's regular files and directories under dir (nothing through symlinks or ".."). */
static int extract_to(const char *in, const char *dir, struct nd_err **err)
{
	_cleanup_(archive_read_freep) struct archive *a = archive_read_new();
	_cleanup_(archive_write_freep) struct archive *out = archive_write_disk_new();
	_cleanup_close_ int home = open(".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	struct archive_entry *e;
	int r = 0, ar;

	if (!a || !out)
		return nd_oom(err);
	archive_read_support_filter_all(a);
	archive_read_support_format_tar(a);
	archive_write_disk_set_options(out, ARCHIVE_EXTRACT_SECURE_SYMLINKS | ARCHIVE_EXTRACT_SECURE_NODOTDOT |
						    ARCHIVE_EXTRACT_SECURE_NOABSOLUTEPATHS);
	if (archive_read_open_filename(a, in, 65536) != ARCHIVE_OK)
		return nd_archive_err(err, ND_ERR_NO_IMAGE, a, in);
	if (home < 0 || chdir(dir) < 0)
		return nd_err_set(err, ND_ERR_INTERNAL, errno, "load: '%s': %s", dir, strerror(errno));
	while (r >= 0 && (ar = archive_read_next_header(a, &e)) != ARCHIVE_EOF) {
		if (ar < ARCHIVE_WARN) {
			r = nd_archive_err(err, ND_ERR_BAD_IMAGE, a, in);
			break;
		}
		if (archive_entry_filetype(e) != AE_IFREG && archive_entry_filetype(e) != AE_IFDIR)
			continue;
		archive_entry_set_perm(e, archive_entry_filetype(e) == AE_IFDIR ? 0700 : 0600);
		if (archive_write_header(out, e) < ARCHIVE_WARN)
			r = nd_archive_err(err, ND_ERR_BAD_IMAGE, out, archive_entry_pathname(e));
		else if (archive_entry_size(e) > 0)
			r = copy_entry(a, out, archive_entry_pathname(e), err);
	}
	if (fchdir(home) < 0)
		abort(); /* every relative path after this would be wrong */
	return r;
}

/* dir/path, checked against digest when given (else its digest), moved into the store. */
static int import_blob(const struct nd_imgstore *st, const char *dir, const char *path, const char *digest,
		       char ret[ND_DIGEST_LEN + 1], struct nd_err **err)
{
	_cleanup_free_ char *src = NULL, *dst = NULL;
	char got[ND_DIGEST_LEN + 1];
	int r;

	if (!path || strstr(path, "..") || asprintf(&src, "%s/%s", dir, path) < 0)
		return path && !strstr(path, "..") ? nd_oom(err)
						    : nd_err_set(err, ND_ERR_BAD_IMAGE, EINVAL, "archive: bad path '%s'", path ? path : "");
	if ((r = nd_sha256_file(src, got, err)) < 0)
		return nd_err_wrap(err, "archive");
	if (digest && strcmp(digest, got))
		return nd_err_set(err, ND_ERR_BAD_IMAGE, EBADMSG, "archive: blob %s: digest mismatch (got %s)", digest, got);
	if (!(dst = nd_imgstore_blob_path(st, got)))
		return nd_oom(err);
	if (access(dst, F_OK) < 0 && rename(src, dst) < 0)
		return nd_err_set(err, ND_ERR_INTERNAL, errno, "load: '%s': %s", dst, strerror(errno));
	if (ret)
		memcpy(ret, got, sizeof(got));
	return 0;
}

static int name_it(struct nd_imgstore *st, const char *name, json_t *desc, json_t *loaded, struct nd_err **err)
{
	_cleanup_free_ char *canon = NULL;
	struct nd_ref ref;
	int r;

	if (!name || nd_ref_parse(name, &ref, NULL) < 0 || !(canon = nd_ref_canonical(&ref)))
		return 0; /* an unnamed image: its blobs are in, no reference names it (as docker load) */
	if ((r = nd_imgstore_ref_set(st, canon, desc, err)) < 0)
		return r;
	return json_array_append_new(loaded, json_string(canon)) < 0 ? nd_oom(err) : 0;
}

/* One manifest of an OCI layout: its blobs verified into the store, then named. */
static int load_oci_one(struct nd_imgstore *st, const char *dir, json_t *d, json_t *loaded, struct nd_err **err)
{
	_cleanup_json_ json_t *man = NULL, *rec = NULL;
	const char *md = json_string_value(json_object_get(d, "digest"));
	json_t *ann = json_object_get(d, "annotations"), *l;
	const char *name = json_string_value(json_object_get(ann, "io.containerd.image.name"));
	char path[96];
	size_t i;
	int r;

	if (!md || !nd_digest_valid(md))
		return nd_err_set(err, ND_ERR_BAD_IMAGE, EINVAL, "archive: index entry without a sha256 digest");
	snprintf(path, sizeof(path), "blobs/sha256/%s", md + 7);
	if ((r = import_blob(st, dir, path, md, NULL, err)) < 0 || (r = nd_imgstore_read_json(st, md, &man, err)) < 0)
		return r;
	if (!json_is_array(json_object_get(man, "layers")))
		return nd_err_set(err, ND_ERR_BAD_IMAGE, EINVAL, "archive: %s is not an image manifest", md);
	json_array_append(json_object_get(man, "layers"), json_object_get(man, "config"));
	json_array_foreach(json_object_get(man, "layers"), i, l) {
		const char *ld = json_string_value(json_object_get(l, "digest"));

		if (!ld || !nd_digest_valid(ld))
			return nd_err_set(err, ND_ERR_BAD_IMAGE, EINVAL, "archive: bad descriptor in %s", md);
		snprintf(path, sizeof(path), "blobs/sha256/%s", ld + 7);
		if (!nd_imgstore_has_blob(st, ld) && (r = import_blob(st, dir, path, ld, NULL, err)) < 0)
			return r;
	}
	rec = json_pack("{s:O?, s:s, s:O, s:{s:O?}}", "mediaType", json_object_get(d, "mediaType"), "digest", md, "size",
			json_object_get(d, "size"), "annotations", ND_ANN_ID,
			json_object_get(json_object_get(man, "config"), "digest"));
	if (!rec)
		return nd_oom(err);
	return name_it(st, name ? name : json_string_value(json_object_get(ann, ND_ANN_REF)), rec, loaded, err);
}

/* The descriptor of a stored blob: its size, and gzip or plain tar for a layer. */
static json_t *desc_of(const struct nd_imgstore *st, const char *digest, const char *mt)
{
	_cleanup_free_ char *p = nd_imgstore_blob_path(st, digest);
	_cleanup_close_ int fd = p ? open(p, O_RDONLY | O_CLOEXEC) : -1;
	unsigned char magic[2] = { 0 };
	struct stat sb;

	if (fd < 0 || fstat(fd, &sb) < 0)
		return NULL;
	if (!mt)
		mt = read(fd, magic, 2) == 2 && magic[0] == 0x1f && magic[1] == 0x8b
			     ? "application/vnd.oci.image.layer.v1.tar+gzip"
			     : "application/vnd.oci.image.layer.v1.tar";
	return json_pack("{s:s, s:s, s:I}", "mediaType", mt, "digest", digest, "size", (json_int_t)sb.st_size);
}

/* One entry of a Docker archive's manifest.json: an OCI manifest made for it, then named. */
static int load_docker_one(struct nd_imgstore *st, const char *dir, json_t *ent, json_t *loaded, struct nd_err **err)
{
	_cleanup_json_ json_t *layers = json_array(), *man = NULL, *rec = NULL;
	_cleanup_free_ char *text = NULL;
	_cleanup_(nd_sha256_freep) struct nd_sha256 *h = NULL;
	char cfg[ND_DIGEST_LEN + 1], md[ND_DIGEST_LEN + 1], ld[ND_DIGEST_LEN + 1];
	json_t *l;
	size_t i;
	int r;

	if (!layers || (r = nd_sha256_new(&h, err)) < 0)
		return layers ? r : nd_oom(err);
	if ((r = import_blob(st, dir, json_string_value(json_object_get(ent, "Config")), NULL, cfg, err)) < 0)
		return r;
	json_array_foreach(json_object_get(ent, "Layers"), i, l)
		if ((r = import_blob(st, dir, json_string_value(l), NULL, ld, err)) < 0 ||
		    json_array_append_new(layers, desc_of(st, ld, NULL)) < 0)
			return r < 0 ? r : nd_oom(err);
	if (!(man = json_pack("{s:i, s:s, s:o, s:O}", "schemaVersion", 2, "mediaType", MT_OCI_MANIFEST, "config",
			      desc_of(st, cfg, MT_OCI_CONFIG), "layers", layers)) ||
	    !(text = json_dumps(man, JSON_COMPACT)))
		return nd_oom(err);
	nd_sha256_update(h, text, strlen(text));
	nd_sha256_done(h, md);
	if ((r = nd_imgstore_put_blob(st, md, text, strlen(text), err)) < 0)
		return r;
	if (!(rec = json_pack("{s:s, s:s, s:I, s:{s:s}}", "mediaType", MT_OCI_MANIFEST, "digest", md, "size",
			      (json_int_t)strlen(text), "annotations", ND_ANN_ID, cfg)))
		return nd_oom(err);
	json_array_foreach(json_object_get(ent, "RepoTags"), i, l)
		if ((r = name_it(st, json_string_value(l), rec, loaded, err)) < 0)
			return r;
	return 0;
}

static int read_json_file(const char *dir, const char *name, json_t **ret)
{
	_cleanup_free_ char *p = NULL, *data = NULL;
	_cleanup_close_ int fd = -1;
	size_t len;

	if (asprintf(&p, "%s/%s", dir, name) < 0 || (fd = open(p, O_RDONLY | O_CLOEXEC)) < 0 ||
	    nd_read_all(fd, 4 << 20, &data, &len) < 0)
		return -ENOENT;
	return nd_json_parse_bounded(data, len, 32, ret, NULL);
}

/* OCI layout first (index.json); else a Docker archive (manifest.json). */
static int load_dir(struct nd_imgstore *st, const char *dir, json_t *loaded, struct nd_err **err)
{
	_cleanup_json_ json_t *idx = NULL, *dm = NULL;
	json_t *d;
	size_t i;
	int r;

	if (read_json_file(dir, "index.json", &idx) == 0 && json_is_array(json_object_get(idx, "manifests"))) {
		json_array_foreach(json_object_get(idx, "manifests"), i, d)
			if ((r = load_oci_one(st, dir, d, loaded, err)) < 0)
				return r;
		return 0;
	}
	if (read_json_file(dir, "manifest.json", &dm) == 0 && json_is_array(dm)) {
		json_array_foreach(dm, i, d)
			if ((r = load_docker_one(st, dir, d, loaded, err)) < 0)
				return r;
		return 0;
	}
	return nd_err_set(err, ND_ERR_BAD_IMAGE, EINVAL, "the archive is neither an OCI layout nor a docker save archive");
}

int nd_image_load(struct nd_imgstore *st, const char *in, json_t **ret, struct nd_err **err)
{
	_cleanup_json_ json_t *loaded = json_array();
	_cleanup_free_ char *tmp = NULL;
	int r;

	if (!loaded || asprintf(&tmp, "%s/.load-XXXXXX", st->root) < 0)
		return nd_oom(err);
	if ((r = nd_imgstore_hold(st, false, err)) < 0)
		return r;
	if (!mkdtemp(tmp))
		return nd_err_set(err, ND_ERR_INTERNAL, errno, "load: '%s': %s", tmp, strerror(errno));
	if ((r = extract_to(in, tmp, err)) >= 0)
		r = load_dir(st, tmp, loaded, err);
	(void)nd_rmtree(tmp, NULL);
	if (r < 0)
		return r;
	*ret = TAKE_PTR(loaded);
	return 0;
}

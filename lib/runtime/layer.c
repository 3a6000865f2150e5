#include "runtime/layer.h"

#include <archive.h>
#include <archive_entry.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "base/cleanup.h"
#include "runtime/digest.h"
#include "runtime/image.h"
#include "runtime/overlay.h"

DEFINE_CLEANUP(struct archive, archive_write_free)

int nd_archive_err(struct nd_err **err, int code, struct archive *a, const char *what)
{
	int e = archive_errno(a) > 0 ? archive_errno(a) : EIO;

	return nd_err_set(err, code, e, "%s: %s", what, archive_error_string(a) ? archive_error_string(a) : strerror(e));
}

/* ---- member names and attributes ---- */

/* path without a leading "./" or "/" and without empty or "." components; ".." refused. */
static int normalise(const char *path, char **ret, struct nd_err **err)
{
	char *p = malloc(strlen(path) + 1), *w = p;

	if (!p)
		return nd_oom(err);
	for (const char *s = path; *s;) {
		size_t len = strcspn(s, "/");

		if (len == 2 && !strncmp(s, "..", 2)) {
			free(p);
			return nd_err_set(err, ND_ERR_BAD_IMAGE, EINVAL, "layer member '%s' leaves the layer", path);
		}
		if (len && !(len == 1 && *s == '.')) {
			if (w != p)
				*w++ = '/';
			memcpy(w, s, len);
			w += len;
		}
		s += len;
		while (*s == '/')
			s++;
	}
	*w = 0;
	*ret = p;
	return 0;
}

int nd_oci_whiteout(const char *path, char **ret_dir, char **ret_name, struct nd_err **err)
{
	_cleanup_free_ char *p = NULL;
	char *base;
	int kind, r;

	if ((r = normalise(path, &p, err)) < 0)
		return r;
	base = strrchr(p, '/');
	base = base ? base + 1 : p;
	if (strncmp(base, ".wh.", 4))
		return 0;
	if (!strcmp(base, ".wh..wh..opq"))
		kind = 2;
	else if (base[4] && strcmp(base + 4, ".") && strcmp(base + 4, ".."))
		kind = 1;
	else
		return nd_err_set(err, ND_ERR_BAD_IMAGE, EINVAL, "layer member '%s' is an invalid whiteout", path);
	*ret_name = kind == 1 ? strdup(base + 4) : NULL;
	base[base == p ? 0 : -1] = 0; /* cut "/.wh.x" (or ".wh.x" at the top) */
	*ret_dir = strdup(p);
	if (!*ret_dir || (kind == 1 && !*ret_name)) {
		free(*ret_dir);
		free(*ret_name);
		return nd_oom(err);
	}
	return kind;
}

bool nd_layer_xattr_kept(const char *name)
{
	return name && (!strncmp(name, "user.", 5) || !strcmp(name, "security.capability"));
}

struct xattr {
	char *name;
	void *value;
	size_t size;
};

static void xattrs_free(struct xattr *v, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free(v[i].name);
		free(v[i].value);
	}
}

/* Keep only the extended attributes nd_layer_xattr_kept allows on e. */
static int filter_xattrs(struct archive_entry *e)
{
	struct xattr kept[64];
	size_t n = 0, dropped = 0, size;
	const char *name;
	const void *value;
	int r = 0;

	if (archive_entry_xattr_reset(e) == 0)
		return 0;
	while (r == 0 && archive_entry_xattr_next(e, &name, &value, &size) == ARCHIVE_OK) {
		if (!nd_layer_xattr_kept(name)) {
			dropped++;
		} else if (n == ND_ARRAY_SIZE(kept)) {
			r = -E2BIG;
		} else {
			struct xattr *x = &kept[n++];

			*x = (struct xattr){ .name = strdup(name), .value = size ? malloc(size) : NULL, .size = size };
			if (!x->name || (size && !x->value))
				r = -ENOMEM;
			else if (size)
				memcpy(x->value, value, size);
		}
	}
	if (r == 0 && dropped) {
		archive_entry_xattr_clear(e);
		for (size_t i = 0; i < n; i++)
			archive_entry_xattr_add_entry(e, kept[i].name, kept[i].value, kept[i].size);
	}
	xattrs_free(kept, n);
	return r;
}

/* ---- whiteouts: collected while a layer is unpacked, made after ---- */

struct whs {
	struct wh {
		char *dir, *name; /* name NULL: opaque */
	} *v;
	size_t n;
};

static void whs_clear(struct whs *w)
{
	for (size_t i = 0; i < w->n; i++) {
		free(w->v[i].dir);
		free(w->v[i].name);
	}
	free(w->v);
	*w = (struct whs){ 0 };
}

/* Takes dir and name (freed on failure). */
static int whs_take(struct whs *w, char *dir, char *name)
{
	struct wh *nv = realloc(w->v, (w->n + 1) * sizeof(*nv));

	if (!nv) {
		free(dir);
		free(name);
		return -ENOMEM;
	}
	w->v = nv;
	nv[w->n++] = (struct wh){ .dir = dir, .name = name };
	return 0;
}

static long openat2_sys(int dirfd, const char *path, int flags)
{
	struct open_how how = { .flags = (uint64_t)(flags | O_CLOEXEC | O_NOFOLLOW),
				.resolve = RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS };

	return syscall(SYS_openat2, dirfd, path, &how, sizeof(how));
}

/* Open (creating on the way) dir below root, never through a symlink. */
static int open_dir_beneath(int root, const char *dir)
{
	_cleanup_free_ char *copy = strdup(dir);
	_cleanup_close_ int fd = -1;
	char *save = NULL;

	if (!copy)
		return -ENOMEM;
	if ((fd = (int)openat2_sys(root, ".", O_RDONLY | O_DIRECTORY)) < 0)
		return -errno;
	for (char *c = strtok_r(copy, "/", &save); c; c = strtok_r(NULL, "/", &save)) {
		int next;

		if (mkdirat(fd, c, 0755) < 0 && errno != EEXIST)
			return -errno;
		if ((next = (int)openat2_sys(fd, c, O_RDONLY | O_DIRECTORY)) < 0)
			return -errno;
		nd_closep(&fd);
		fd = next;
	}
	return TAKE_FD(fd);
}

static int apply_whiteouts(const char *root, const struct whs *w, struct nd_err **err)
{
	_cleanup_close_ int rfd = open(root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

	if (rfd < 0)
		return nd_err_set(err, ND_ERR_INTERNAL, errno, "layer '%s': %s", root, strerror(errno));
	for (size_t i = 0; i < w->n; i++) {
		const struct wh *h = &w->v[i];
		_cleanup_close_ int d = open_dir_beneath(rfd, h->dir);
		int r;

		if (d < 0)
			return nd_err_set(err, ND_ERR_BAD_IMAGE, -d, "layer whiteout in '%s': %s", h->dir, strerror(-d));
		r = h->name ? nd_ovl_make_whiteout(d, h->name) : nd_ovl_make_opaque(d);
		if (r < 0)
			return nd_err_set(err, ND_ERR_INTERNAL, -r, "layer whiteout '%s/%s': %s", h->dir,
					  h->name ? h->name : ".wh..wh..opq", strerror(-r));
	}
	return 0;
}

/* ---- a blob read through its two digests ---- */

struct layer_src {
	int fd;
	struct nd_sha256 *blob_hash; /* the blob as stored (compressed): its digest */
	struct nd_sha256 *tar_hash;  /* the tar stream: the diff_id */
	struct archive *raw;         /* the blob, decompressed by whatever filter it needs */
	struct archive *tar;         /* the tar read from raw */
	bool hashed;                 /* both streams were read to their end */
	char blob_buf[65536], tar_buf[65536];
};

static la_ssize_t blob_read(struct archive *a, void *ud, const void **buf)
{
	struct layer_src *s = ud;
	ssize_t n;

	do
		n = read(s->fd, s->blob_buf, sizeof(s->blob_buf));
	while (n < 0 && errno == EINTR);
	if (n < 0) {
		archive_set_error(a, errno, "read: %s", strerror(errno));
		return -1;
	}
	nd_sha256_update(s->blob_hash, s->blob_buf, (size_t)n);
	*buf = s->blob_buf;
	return n;
}

/* The tar reader pulls from the raw (decompressed) stream, hashing it for the diff_id. */
static la_ssize_t tar_read(struct archive *a, void *ud, const void **buf)
{
	struct layer_src *s = ud;
	la_ssize_t n = archive_read_data(s->raw, s->tar_buf, sizeof(s->tar_buf));

	if (n < 0) {
		archive_set_error(a, archive_errno(s->raw), "%s", archive_error_string(s->raw));
		return -1;
	}
	nd_sha256_update(s->tar_hash, s->tar_buf, (size_t)n);
	*buf = s->tar_buf;
	return n;
}

static void src_free(struct layer_src *s)
{
	if (!s)
		return;
	if (s->tar)
		archive_read_free(s->tar);
	if (s->raw)
		archive_read_free(s->raw);
	nd_sha256_free(s->blob_hash);
	nd_sha256_free(s->tar_hash);
	nd_closep(&s->fd);
	free(s);
}
DEFINE_CLEANUP(struct layer_src, src_free)

static int src_new(const char *blob, struct layer_src **ret, struct nd_err **err)
{
	_cleanup_(src_freep) struct layer_src *s = calloc(1, sizeof(*s));
	int r;

	if (!s)
		return nd_oom(err);
	s->fd = -1;
	if ((r = nd_sha256_new(&s->blob_hash, err)) < 0 || (r = nd_sha256_new(&s->tar_hash, err)) < 0)
		return r;
	if ((s->fd = open(blob, O_RDONLY | O_CLOEXEC)) < 0)
		return nd_image_file_err(err, errno, blob);
	if (!(s->raw = archive_read_new()) || !(s->tar = archive_read_new()))
		return nd_oom(err);
	*ret = TAKE_PTR(s);
	return 0;
}

/* gzip, zstd or no compression, whichever the blob has; a tar inside. */
static int src_start(struct layer_src *s, struct nd_err **err)
{
	struct archive_entry *e;

	archive_read_support_filter_all(s->raw);
	archive_read_support_format_raw(s->raw);
	if (archive_read_open(s->raw, s, NULL, blob_read, NULL) != ARCHIVE_OK ||
	    archive_read_next_header(s->raw, &e) != ARCHIVE_OK)
		return nd_archive_err(err, ND_ERR_BAD_IMAGE, s->raw, "layer");
	archive_read_support_format_tar(s->tar);
	if (archive_read_open(s->tar, s, NULL, tar_read, NULL) != ARCHIVE_OK)
		return nd_archive_err(err, ND_ERR_BAD_IMAGE, s->tar, "layer");
	return 0;
}

/* The digests cover every byte: read the rest of the tar stream and of the blob, then check. */
static int src_finish(struct layer_src *s, const char *blob, const char *blob_digest, const char *diff_id,
		      struct nd_err **err)
{
	char got[ND_DIGEST_LEN + 1];
	la_ssize_t n;

	while ((n = tar_read(s->tar, s, &(const void *){ NULL })) > 0)
		;
	if (n < 0)
		return nd_archive_err(err, ND_ERR_BAD_IMAGE, s->raw, "layer");
	while ((n = blob_read(s->raw, s, &(const void *){ NULL })) > 0)
		;
	if (n < 0)
		return nd_err_set(err, ND_ERR_INTERNAL, errno, "layer '%s': %s", blob, strerror(errno));
	s->hashed = true;
	nd_sha256_done(s->blob_hash, got);
	if (blob_digest && strcmp(got, blob_digest))
		return nd_err_set(err, ND_ERR_BAD_IMAGE, EBADMSG, "layer blob %s has digest %s", blob_digest, got);
	nd_sha256_done(s->tar_hash, got);
	if (diff_id && strcmp(got, diff_id))
		return nd_err_set(err, ND_ERR_BAD_IMAGE, EBADMSG, "layer %s: uncompressed digest is %s, the config says %s",
				  blob_digest ? blob_digest : blob, got, diff_id);
	return 0;
}

/*
 * A corrupt blob fails to decompress before its digest is known: when its digest is not
 * blob_digest, that is the cause worth telling, and it replaces the error r came with.
 */
static int blame_blob(struct layer_src *s, const char *blob_digest, int r, struct nd_err **err)
{
	char got[ND_DIGEST_LEN + 1];

	if (s->hashed || !blob_digest)
		return r;
	while (blob_read(s->raw, s, &(const void *){ NULL }) > 0)
		;
	nd_sha256_done(s->blob_hash, got);
	if (!strcmp(got, blob_digest) || !err)
		return r;
	nd_err_freep(err);
	return nd_err_set(err, ND_ERR_BAD_IMAGE, EBADMSG, "layer blob %s has digest %s", blob_digest, got);
}

/* ---- unpacking ---- */

static int copy_data(struct archive *out, struct archive *tar, struct archive_entry *e, struct nd_err **err)
{
	const void *buf;
	size_t size;
	la_int64_t off;
	int r;

	while ((r = archive_read_data_block(tar, &buf, &size, &off)) == ARCHIVE_OK)
		if (archive_write_data_block(out, buf, size, off) < ARCHIVE_WARN)
			return nd_archive_err(err, ND_ERR_BAD_IMAGE, out, archive_entry_pathname(e));
	if (r != ARCHIVE_EOF)
		return nd_archive_err(err, ND_ERR_BAD_IMAGE, tar, "layer");
	return 0;
}

/* One tar member onto the disk; a whiteout is collected into w instead. */
static int extract_entry(struct archive *out, struct archive *tar, struct archive_entry *e, struct whs *w,
			 struct nd_err **err)
{
	char *dir = NULL, *name = NULL;
	int r = nd_oci_whiteout(archive_entry_pathname(e), &dir, &name, err);

	if (r > 0)
		return whs_take(w, dir, name) < 0 ? nd_oom(err) : 0;
	if (r < 0)
		return r;
	if ((r = filter_xattrs(e)) < 0)
		return nd_err_set(err, ND_ERR_BAD_IMAGE, -r, "layer entry '%s': extended attributes: %s",
				  archive_entry_pathname(e), strerror(-r));
	if (archive_write_header(out, e) < ARCHIVE_WARN)
		return nd_archive_err(err, ND_ERR_BAD_IMAGE, out, archive_entry_pathname(e));
	if (archive_entry_size(e) > 0 && (r = copy_data(out, tar, e, err)) < 0)
		return r;
	if (archive_write_finish_entry(out) < ARCHIVE_WARN)
		return nd_archive_err(err, ND_ERR_BAD_IMAGE, out, archive_entry_pathname(e));
	return 0;
}

/* The tar into the current directory, its whiteouts into w. */
static int extract(struct archive *tar, struct whs *w, struct nd_err **err)
{
	_cleanup_(archive_write_freep) struct archive *out = archive_write_disk_new();
	struct archive_entry *e;
	int r;

	if (!out)
		return nd_oom(err);
	/* Numeric owners (no lookup in the host's passwd); never through a symlink or "..". */
	archive_write_disk_set_options(out, ARCHIVE_EXTRACT_OWNER | ARCHIVE_EXTRACT_PERM | ARCHIVE_EXTRACT_TIME |
						    ARCHIVE_EXTRACT_XATTR | ARCHIVE_EXTRACT_SECURE_SYMLINKS |
						    ARCHIVE_EXTRACT_SECURE_NODOTDOT |
						    ARCHIVE_EXTRACT_SECURE_NOABSOLUTEPATHS | ARCHIVE_EXTRACT_UNLINK);
	while ((r = archive_read_next_header(tar, &e)) != ARCHIVE_EOF) {
		if (r < ARCHIVE_WARN)
			return nd_archive_err(err, ND_ERR_BAD_IMAGE, tar, "layer");
		if ((r = extract_entry(out, tar, e, w, err)) < 0)
			return r;
	}
	if (archive_write_close(out) < ARCHIVE_WARN)
		return nd_archive_err(err, ND_ERR_BAD_IMAGE, out, "layer");
	return 0;
}

/* extract() in dir: libarchive's disk writer works relative to the current directory. */
static int extract_in(const char *dir, struct archive *tar, struct whs *w, struct nd_err **err)
{
	_cleanup_close_ int home = open(".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	int r;

	if (home < 0 || chdir(dir) < 0)
		return nd_err_set(err, ND_ERR_INTERNAL, errno, "layer '%s': %s", dir, strerror(errno));
	r = extract(tar, w, err);
	if (fchdir(home) < 0)
		abort(); /* every relative path after this would be wrong */
	return r;
}

/* Unpack blob into dir (which exists, empty), checking both digests. */
static int unpack(const char *blob, const char *blob_digest, const char *diff_id, const char *dir, struct nd_err **err)
{
	_cleanup_(src_freep) struct layer_src *s = NULL;
	_cleanup_(whs_clear) struct whs w = { 0 };
	int r = src_new(blob, &s, err);

	if (r < 0)
		return r;
	if ((r = src_start(s, err)) < 0 || (r = extract_in(dir, s->tar, &w, err)) < 0 ||
	    (r = src_finish(s, blob, blob_digest, diff_id, err)) < 0)
		return blame_blob(s, blob_digest, r, err);
	return apply_whiteouts(dir, &w, err);
}

int nd_layer_ensure(const char *store, const char *blob, const char *blob_digest, const char *diff_id,
		    char **ret_dir, struct nd_err **err)
{
	_cleanup_free_ char *final = NULL, *tmp = NULL;
	unsigned char rnd[6];
	struct stat st;
	int r;

	if (!nd_digest_valid(diff_id))
		return nd_err_set(err, ND_ERR_BAD_IMAGE, EINVAL, "layer diff_id '%s' is not a sha256 digest",
				  diff_id ? diff_id : "");
	if (asprintf(&final, "%s/%s", store, diff_id + 7) < 0)
		return nd_oom(err);
	if (stat(final, &st) == 0 && S_ISDIR(st.st_mode)) {
		*ret_dir = TAKE_PTR(final);
		return 0;
	}
	if (mkdir(store, 0700) < 0 && errno != EEXIST)
		return nd_err_set(err, ND_ERR_INTERNAL, errno, "layer store '%s': %s", store, strerror(errno));
	if (getrandom(rnd, sizeof(rnd), 0) != sizeof(rnd))
		return nd_err_set(err, ND_ERR_INTERNAL, errno, "getrandom: %s", strerror(errno));
	if (asprintf(&tmp, "%s/.tmp-%.12s-%02x%02x%02x%02x%02x%02x", store, diff_id + 7, rnd[0], rnd[1], rnd[2], rnd[3],
		     rnd[4], rnd[5]) < 0)
		return nd_oom(err);
	if (mkdir(tmp, 0755) < 0)
		return nd_err_set(err, ND_ERR_INTERNAL, errno, "layer store '%s': %s", tmp, strerror(errno));
	r = unpack(blob, blob_digest, diff_id, tmp, err);
	if (r >= 0 && rename(tmp, final) < 0 && errno != EEXIST && errno != ENOTEMPTY)
		r = nd_err_set(err, ND_ERR_INTERNAL, errno, "layer store '%s': %s", final, strerror(errno));
	/* Someone else's copy that won the rename is as good as ours. */
	(void)nd_rmtree(tmp, NULL);
	if (r < 0)
		return r;
	*ret_dir = TAKE_PTR(final);
	return 0;
}

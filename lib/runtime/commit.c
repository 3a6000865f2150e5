#include "runtime/commit.h"

#include <archive.h>
#include <archive_entry.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/cleanup.h"
#include "base/fdio.h"
#include "base/strv.h"
#include "runtime/layer.h"
#include "runtime/overlay.h"

DEFINE_CLEANUP(struct archive_entry, archive_entry_free)

/* The tar's way to disk: the file, and the diff_id of every byte written. */
struct sink {
	int fd;
	struct nd_sha256 *hash;
};

static la_ssize_t sink_write(struct archive *a, void *ud, const void *buf, size_t len)
{
	struct sink *s = ud;
	int r = nd_write_all(s->fd, buf, len);

	if (r < 0) {
		archive_set_error(a, -r, "write: %s", strerror(-r));
		return -1;
	}
	nd_sha256_update(s->hash, buf, len);
	return (la_ssize_t)len;
}

/* A file with more than one link, already in the tar under path. */
struct link {
	dev_t dev;
	ino_t ino;
	char *path;
};

struct walk {
	struct archive *a;
	uid_t shift;
	struct link *links;
	size_t n_links;
};

static void walk_clear(struct walk *w)
{
	if (w->a)
		archive_write_free(w->a);
	for (size_t i = 0; i < w->n_links; i++)
		free(w->links[i].path);
	free(w->links);
}

static int put_header(struct walk *w, struct archive_entry *e, const char *what, struct nd_err **err)
{
	if (archive_write_header(w->a, e) < ARCHIVE_WARN)
		return nd_archive_err(err, ND_ERR_INTERNAL, w->a, what);
	return 0;
}

/* An empty file standing for a whiteout or an opaque directory (OCI's form of both). */
static int put_marker(struct walk *w, const char *path, const struct stat *st, struct nd_err **err)
{
	_cleanup_(archive_entry_freep) struct archive_entry *e = archive_entry_new();

	if (!e)
		return nd_oom(err);
	archive_entry_set_pathname(e, path);
	archive_entry_set_filetype(e, AE_IFREG);
	archive_entry_set_perm(e, 0644);
	archive_entry_set_size(e, 0);
	archive_entry_set_mtime(e, st->st_mtim.tv_sec, st->st_mtim.tv_nsec);
	return put_header(w, e, path, err);
}

/* A file seen before under another name goes in as a hard link to it (1); else it is noted (0). */
static int put_hardlink(struct walk *w, const struct stat *st, struct archive_entry *e, const char *path,
			struct nd_err **err)
{
	struct link *nl;
	int r;

	for (size_t i = 0; i < w->n_links; i++)
		if (w->links[i].dev == st->st_dev && w->links[i].ino == st->st_ino) {
			archive_entry_set_hardlink(e, w->links[i].path);
			archive_entry_set_size(e, 0);
			return (r = put_header(w, e, path, err)) < 0 ? r : 1;
		}
	if (!(nl = realloc(w->links, (w->n_links + 1) * sizeof(*nl))))
		return nd_oom(err);
	w->links = nl;
	if (!(nl[w->n_links].path = strdup(path)))
		return nd_oom(err);
	nl[w->n_links].dev = st->st_dev;
	nl[w->n_links++].ino = st->st_ino;
	return 0;
}

static int walk_dir(struct walk *w, int dfd, const char *prefix, struct nd_err **err);

/* A directory: its entry, the opaque marker when overlay made it opaque, then what it holds. */
static int put_dir(struct walk *w, int dfd, const char *name, const char *path, struct archive_entry *e,
		   const struct stat *st, struct nd_err **err)
{
	_cleanup_close_ int sub = openat(dfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	_cleanup_free_ char *prefix = NULL, *opq = NULL;
	int r;

	if (sub < 0)
		return nd_err_set(err, ND_ERR_INTERNAL, errno, "commit '%s': %s", path, strerror(errno));
	if ((r = put_header(w, e, path, err)) < 0)
		return r;
	if (asprintf(&prefix, "%s/", path) < 0 || asprintf(&opq, "%s.wh..wh..opq", prefix) < 0)
		return nd_oom(err);
	if (nd_ovl_is_opaque(sub) && (r = put_marker(w, opq, st, err)) < 0)
		return r;
	return walk_dir(w, sub, prefix, err);
}

/* A regular file's bytes, after its header. */
static int put_data(struct walk *w, int dfd, const char *name, const char *path, struct nd_err **err)
{
	_cleanup_close_ int fd = openat(dfd, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	char buf[65536];
	long n;

	if (fd < 0)
		return nd_err_set(err, ND_ERR_INTERNAL, errno, "commit '%s': %s", path, strerror(errno));
	while ((n = nd_read_upto(fd, buf, sizeof(buf))) > 0)
		if (archive_write_data(w->a, buf, (size_t)n) < 0)
			return nd_archive_err(err, ND_ERR_INTERNAL, w->a, path);
	if (n < 0)
		return nd_err_set(err, ND_ERR_INTERNAL, (int)-n, "commit '%s': %s", path, strerror((int)-n));
	return 0;
}

/* The entry of name (in dfd, path prefix+name in the tar), with owners shifted back. */
static int entry_of(struct walk *w, int dfd, const char *name, const char *path, const struct stat *st,
		    struct archive_entry **ret, struct nd_err **err)
{
	_cleanup_(archive_entry_freep) struct archive_entry *e = archive_entry_new();
	struct stat s = *st;

	if (!e)
		return nd_oom(err);
	if (s.st_uid >= w->shift)
		s.st_uid -= w->shift;
	if (s.st_gid >= w->shift)
		s.st_gid -= w->shift;
	archive_entry_copy_stat(e, &s);
	archive_entry_set_pathname(e, path);
	if (S_ISLNK(s.st_mode)) {
		char target[4096];
		ssize_t n = readlinkat(dfd, name, target, sizeof(target) - 1);

		if (n < 0)
			return nd_err_set(err, ND_ERR_INTERNAL, errno, "commit '%s': %s", path, strerror(errno));
		target[n] = 0;
		archive_entry_set_symlink(e, target);
	}
	*ret = TAKE_PTR(e);
	return 0;
}

static int put_one(struct walk *w, int dfd, const char *name, const char *prefix, struct nd_err **err)
{
	_cleanup_(archive_entry_freep) struct archive_entry *e = NULL;
	_cleanup_free_ char *path = NULL;
	struct stat st;
	int r;

	if (fstatat(dfd, name, &st, AT_SYMLINK_NOFOLLOW) < 0)
		return nd_err_set(err, ND_ERR_INTERNAL, errno, "commit '%s%s': %s", prefix, name, strerror(errno));
	if (nd_ovl_is_whiteout(&st))
		return asprintf(&path, "%s.wh.%s", prefix, name) < 0 ? nd_oom(err) : put_marker(w, path, &st, err);
	if (asprintf(&path, "%s%s", prefix, name) < 0)
		return nd_oom(err);
	if ((r = entry_of(w, dfd, name, path, &st, &e, err)) < 0)
		return r;
	if (S_ISREG(st.st_mode) && st.st_nlink > 1 && (r = put_hardlink(w, &st, e, path, err)) != 0)
		return r < 0 ? r : 0;
	if (S_ISDIR(st.st_mode))
		return put_dir(w, dfd, name, path, e, &st, err);
	if ((r = put_header(w, e, path, err)) < 0)
		return r;
	return S_ISREG(st.st_mode) && st.st_size > 0 ? put_data(w, dfd, name, path, err) : 0;
}

static int cmp_names(const void *x, const void *y)
{
	return strcmp(*(char *const *)x, *(char *const *)y);
}

static int walk_dir(struct walk *w, int dfd, const char *prefix, struct nd_err **err)
{
	int fd2 = fcntl(dfd, F_DUPFD_CLOEXEC, 0); /* no fd of ours outlives an exec */
	DIR *d = fd2 >= 0 ? fdopendir(fd2) : NULL;
	_cleanup_(nd_strv_clear) struct nd_strv names = { 0 };
	struct dirent *de;
	int r = 0;

	if (!d) {
		r = nd_err_set(err, ND_ERR_INTERNAL, errno, "commit '%s': %s", prefix, strerror(errno));
		if (fd2 >= 0)
			close(fd2);
		return r;
	}
	while (r == 0 && (de = readdir(d)))
		if (strcmp(de->d_name, ".") && strcmp(de->d_name, ".."))
			r = nd_strv_push(&names, de->d_name);
	closedir(d);
	if (r < 0)
		return nd_oom(err);
	/* Sorted, so the same upper directory always gives the same tar (and diff_id). */
	if (names.n)
		qsort(names.v, names.n, sizeof(*names.v), cmp_names);
	for (size_t i = 0; r == 0 && i < names.n; i++)
		r = put_one(w, dfd, names.v[i], prefix, err);
	return r;
}

/* The tar of the directory dfd, written through s. */
static int write_tar(struct walk *w, int dfd, struct sink *s, struct nd_err **err)
{
	int r;

	if (!(w->a = archive_write_new()))
		return nd_oom(err);
	archive_write_set_format_pax_restricted(w->a);
	archive_write_add_filter_none(w->a);
	archive_write_set_bytes_in_last_block(w->a, 1);
	if (archive_write_open(w->a, s, NULL, sink_write, NULL) != ARCHIVE_OK)
		return nd_archive_err(err, ND_ERR_INTERNAL, w->a, "commit");
	if ((r = walk_dir(w, dfd, "", err)) < 0)
		return r;
	if (archive_write_close(w->a) != ARCHIVE_OK)
		return nd_archive_err(err, ND_ERR_INTERNAL, w->a, "commit");
	return 0;
}

int nd_layer_commit(const char *upper, const char *out, uid_t id_shift, char ret_diff_id[ND_DIGEST_LEN + 1],
		    struct nd_err **err)
{
	_cleanup_(nd_sha256_freep) struct nd_sha256 *hash = NULL;
	_cleanup_close_ int dfd = open(upper, O_RDONLY | O_DIRECTORY | O_CLOEXEC), fd = -1;
	_cleanup_(walk_clear) struct walk w = { .shift = id_shift };
	_cleanup_free_ char *tmp = NULL;
	struct sink s;
	int r;

	if (dfd < 0)
		return nd_err_set(err, ND_ERR_INTERNAL, errno, "commit: '%s': %s", upper, strerror(errno));
	if ((r = nd_sha256_new(&hash, err)) < 0)
		return r;
	if (asprintf(&tmp, "%s.tmp", out) < 0)
		return nd_oom(err);
	if ((fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644)) < 0)
		return nd_err_set(err, ND_ERR_INTERNAL, errno, "commit: '%s': %s", tmp, strerror(errno));
	s = (struct sink){ .fd = fd, .hash = hash };
	r = write_tar(&w, dfd, &s, err);
	if (r >= 0 && fsync(fd) < 0)
		r = nd_err_set(err, ND_ERR_INTERNAL, errno, "commit: fsync: %s", strerror(errno));
	if (r >= 0 && rename(tmp, out) < 0)
		r = nd_err_set(err, ND_ERR_INTERNAL, errno, "commit: '%s': %s", out, strerror(errno));
	if (r < 0) {
		(void)unlink(tmp);
		return r;
	}
	nd_sha256_done(hash, ret_diff_id);
	return 0;
}

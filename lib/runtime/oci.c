#include "runtime/oci.h"

#include <archive.h>
#include <archive_entry.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <openssl/evp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/utsname.h>
#include <unistd.h>

#include "base/cleanup.h"
#include "base/fdio.h"
#include "base/json.h"
#include "base/strv.h"
#include "runtime/overlay.h"

#define MAX_META_BLOB (4u << 20) /* index, manifest and config blobs are small */
#define MAX_LAYERS 120
#define REF_NAME "org.opencontainers.image.ref.name"
#define MT_INDEX "application/vnd.oci.image.index.v1+json"
#define MT_MANIFEST "application/vnd.oci.image.manifest.v1+json"

DEFINE_CLEANUP(EVP_MD_CTX, EVP_MD_CTX_free)
DEFINE_CLEANUP(struct archive, archive_read_free)
DEFINE_CLEANUP(struct archive_entry, archive_entry_free)

void nd_oci_image_clear(struct nd_oci_image *img)
{
	nd_strv_free(img->env);
	nd_strv_free(img->entrypoint);
	nd_strv_free(img->cmd);
	free(img->workdir);
	free(img->user);
	for (size_t i = 0; i < img->n_layers; i++) {
		if (img->layer_digests)
			free(img->layer_digests[i]);
		if (img->diff_ids)
			free(img->diff_ids[i]);
	}
	free(img->layer_digests);
	free(img->diff_ids);
	memset(img, 0, sizeof(*img));
}

bool nd_oci_digest_valid(const char *d)
{
	if (!d || strncmp(d, "sha256:", 7) || strlen(d) != ND_DIGEST_LEN)
		return false;
	for (d += 7; *d; d++)
		if (!((*d >= '0' && *d <= '9') || (*d >= 'a' && *d <= 'f')))
			return false;
	return true;
}

static void hex_of(const unsigned char *md, char out[ND_DIGEST_LEN + 1])
{
	static const char hx[] = "0123456789abcdef";

	memcpy(out, "sha256:", 7);
	for (int i = 0; i < 32; i++) {
		out[7 + 2 * i] = hx[md[i] >> 4];
		out[8 + 2 * i] = hx[md[i] & 15];
	}
	out[ND_DIGEST_LEN] = 0;
}

static int sha_new(EVP_MD_CTX **ret, struct nd_err **err)
{
	EVP_MD_CTX *c = EVP_MD_CTX_new();

	if (!c || EVP_DigestInit_ex(c, EVP_sha256(), NULL) != 1) {
		EVP_MD_CTX_free(c);
		return nd_err_set(err, ND_ERR_INTERNAL, ENOMEM, "sha256: cannot initialise");
	}
	*ret = c;
	return 0;
}

static void sha_done(EVP_MD_CTX *c, char out[ND_DIGEST_LEN + 1])
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int n = 0;

	EVP_DigestFinal_ex(c, md, &n);
	hex_of(md, out);
}

/* ---- pure parts: refs, descriptors, configs, whiteout names ---- */

int nd_oci_split_ref(const char *ref, char **ret_dir, char **ret_tag, struct nd_err **err)
{
	const char *c = ref ? strrchr(ref, ':') : NULL;
	char *dir, *tag = NULL;

	if (!ref || !*ref)
		return nd_err_set(err, ND_ERR_BAD_SPEC, EINVAL, "image reference is empty");
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
			if (name && !strcmp(name, tag) && platform_ok(d)) {
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
	    (r = opt_str(c, "WorkingDir", &img->workdir, err)) < 0 || (r = opt_str(c, "User", &img->user, err)) < 0)
		return r;
	if (!type || strcmp(type, "layers") || !json_is_array(ids))
		return nd_err_set(err, ND_ERR_BAD_IMAGE, EINVAL, "image config: rootfs must be {\"type\":\"layers\"} with diff_ids");
	if (json_array_size(ids) > MAX_LAYERS)
		return nd_err_set(err, ND_ERR_BAD_IMAGE, E2BIG, "image config: more than %d layers", MAX_LAYERS);
	if (img->n_layers && img->n_layers != json_array_size(ids))
		return nd_err_set(err, ND_ERR_BAD_IMAGE, EINVAL, "image: %zu layers in the manifest, %zu diff_ids in the config",
				  img->n_layers, json_array_size(ids));
	img->n_layers = json_array_size(ids);
	free(img->diff_ids);
	img->diff_ids = calloc(img->n_layers + 1, sizeof(char *));
	if (!img->diff_ids)
		return nd_oom(err);
	json_array_foreach(ids, i, d) {
		if (!nd_oci_digest_valid(json_string_value(d)))
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
		if (!nd_oci_digest_valid(dg))
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

int nd_oci_whiteout(const char *path, char **ret_dir, char **ret_name, struct nd_err **err)
{
	_cleanup_free_ char *p = NULL;
	char *base, *w;
	const char *s;
	int kind;

	/* Normalise: no leading "./" or "/", no empty or "." components, refuse "..". */
	p = malloc(strlen(path) + 1);
	if (!p)
		return nd_oom(err);
	w = p;
	for (s = path; *s;) {
		size_t len = strcspn(s, "/");

		if (len == 2 && !strncmp(s, "..", 2))
			return nd_err_set(err, ND_ERR_BAD_IMAGE, EINVAL, "layer member '%s' leaves the layer", path);
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

/* ---- blobs ---- */

/* A file that is not there is a missing image or layer; other failures are otherwise's. */
static int missing_or(int errnum, int otherwise)
{
	return errnum == ENOENT || errnum == ENOTDIR ? ND_ERR_NO_IMAGE : otherwise;
}

static int blob_path(const char *layout, const char *digest, char *buf, size_t size, struct nd_err **err)
{
	if (!nd_oci_digest_valid(digest))
		return nd_err_set(err, ND_ERR_BAD_IMAGE, EINVAL, "digest '%s' is not a sha256 digest", digest ? digest : "");
	if ((size_t)snprintf(buf, size, "%s/blobs/sha256/%s", layout, digest + 7) >= size)
		return nd_err_set(err, ND_ERR_BAD_IMAGE, ENAMETOOLONG, "image path is too long");
	return 0;
}

static int read_small(const char *path, char **ret, size_t *ret_len, struct nd_err **err)
{
	int r = nd_read_file(path, MAX_META_BLOB, ret, ret_len);

	if (r == -ENOMEM)
		return nd_oom(err);
	if (r == -EFBIG)
		return nd_err_set(err, ND_ERR_BAD_IMAGE, EFBIG, "'%s' is too large", path);
	if (r < 0)
		return nd_err_set(err, missing_or(-r, ND_ERR_INTERNAL), -r, "'%s': %s", path, strerror(-r));
	return 0;
}

/* A metadata blob named by a descriptor: digest and size verified, JSON parsed. */
static int load_blob(const char *layout, json_t *desc, const char *what, json_t **ret, struct nd_err **err)
{
	const char *digest = json_string_value(json_object_get(desc, "digest"));
	json_t *jsize = json_object_get(desc, "size");
	_cleanup_(EVP_MD_CTX_freep) EVP_MD_CTX *c = NULL;
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
	if ((r = sha_new(&c, err)) < 0)
		return r;
	EVP_DigestUpdate(c, data, len);
	sha_done(c, got);
	if (strcmp(got, digest))
		return nd_err_set(err, ND_ERR_BAD_IMAGE, EBADMSG, "image %s: blob %s has digest %s", what, digest, got);
	*ret = json_loadb(data, len, 0, &je);
	if (!*ret)
		return nd_err_set(err, ND_ERR_BAD_IMAGE, EBADMSG, "image %s %s: %s", what, digest, je.text);
	return 0;
}

int nd_oci_load(const char *layout, const char *tag, struct nd_oci_image *ret, struct nd_err **err)
{
	_cleanup_(json_decrefp) json_t *index = NULL, *manifest = NULL, *config = NULL, *inner = NULL;
	_cleanup_free_ char *data = NULL;
	struct nd_oci_image img = { 0 };
	char path[4096];
	json_error_t je;
	json_t *desc, *ver;
	size_t len;
	int r, depth;

	snprintf(path, sizeof(path), "%s/oci-layout", layout);
	if ((r = read_small(path, &data, &len, err)) < 0)
		return nd_err_wrap(err, "image '%s' is not an OCI layout", layout);
	index = json_loadb(data, len, 0, &je);
	ver = json_object_get(index, "imageLayoutVersion");
	if (!json_is_string(ver))
		return nd_err_set(err, ND_ERR_BAD_IMAGE, EINVAL, "image '%s': oci-layout has no imageLayoutVersion", layout);
	json_decref(index);
	free(data);
	data = NULL;
	snprintf(path, sizeof(path), "%s/index.json", layout);
	if ((r = read_small(path, &data, &len, err)) < 0)
		return nd_err_wrap(err, "image '%s'", layout);
	if (!(index = json_loadb(data, len, 0, &je)))
		return nd_err_set(err, ND_ERR_BAD_IMAGE, EBADMSG, "image '%s': index.json: %s", layout, je.text);
	if ((r = nd_oci_pick_manifest(index, tag, &desc, err)) < 0)
		return nd_err_wrap(err, "image '%s'", layout);
	/* An index may point at a platform index (one level is what layouts use; allow two). */
	for (depth = 0;; depth++) {
		const char *mt = json_string_value(json_object_get(desc, "mediaType"));

		if (mt && !strcmp(mt, MT_INDEX)) {
			json_t *next;

			if (depth == 2)
				return nd_err_set(err, ND_ERR_BAD_IMAGE, ELOOP, "image '%s': indexes nested too deep", layout);
			json_decref(inner);
			inner = NULL;
			if ((r = load_blob(layout, desc, "index", &next, err)) < 0)
				return r;
			inner = next;
			if ((r = nd_oci_pick_manifest(inner, NULL, &desc, err)) < 0)
				return nd_err_wrap(err, "image '%s'", layout);
			continue;
		}
		if (mt && strcmp(mt, MT_MANIFEST) && strcmp(mt, "application/vnd.docker.distribution.manifest.v2+json"))
			return nd_err_set(err, ND_ERR_BAD_IMAGE, EINVAL, "image '%s': media type '%s' is not supported",
					  layout, mt);
		break;
	}
	if ((r = load_blob(layout, desc, "manifest", &manifest, err)) < 0)
		return r;
	r = load_blob(layout, json_object_get(manifest, "config"), "config", &config, err);
	if (r >= 0)
		r = nd_oci_parse_manifest(manifest, &img, err);
	if (r >= 0)
		r = nd_oci_parse_config(config, &img, err);
	if (r < 0) {
		nd_oci_image_clear(&img);
		return nd_err_wrap(err, "image '%s'", layout);
	}
	*ret = img;
	return 0;
}

/* ---- layer store ---- */

struct blob_src {
	int fd;
	EVP_MD_CTX *ctx; /* the blob's own digest */
	char buf[65536];
};

static la_ssize_t blob_read(struct archive *a, void *ud, const void **buf)
{
	struct blob_src *s = ud;
	ssize_t n;

	do
		n = read(s->fd, s->buf, sizeof(s->buf));
	while (n < 0 && errno == EINTR);
	if (n < 0) {
		archive_set_error(a, errno, "read: %s", strerror(errno));
		return -1;
	}
	EVP_DigestUpdate(s->ctx, s->buf, (size_t)n);
	*buf = s->buf;
	return n;
}

/* The tar reader pulls from the raw (decompressed) stream, hashing it for the diff_id. */
struct tar_src {
	struct archive *raw;
	EVP_MD_CTX *ctx;
	char buf[65536];
};

static la_ssize_t tar_read(struct archive *a, void *ud, const void **buf)
{
	struct tar_src *s = ud;
	la_ssize_t n = archive_read_data(s->raw, s->buf, sizeof(s->buf));

	if (n < 0) {
		archive_set_error(a, archive_errno(s->raw), "%s", archive_error_string(s->raw));
		return -1;
	}
	EVP_DigestUpdate(s->ctx, s->buf, (size_t)n);
	*buf = s->buf;
	return n;
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
	int fd, next;
	char *save = NULL;

	if (!copy)
		return -ENOMEM;
	fd = (int)openat2_sys(root, ".", O_RDONLY | O_DIRECTORY);
	if (fd < 0)
		return -errno;
	for (char *c = strtok_r(copy, "/", &save); c; c = strtok_r(NULL, "/", &save)) {
		if (mkdirat(fd, c, 0755) < 0 && errno != EEXIST) {
			int e = errno;

			close(fd);
			return -e;
		}
		next = (int)openat2_sys(fd, c, O_RDONLY | O_DIRECTORY);
		close(fd);
		if (next < 0)
			return -errno;
		fd = next;
	}
	return fd;
}

struct wh {
	char *dir, *name; /* name NULL: opaque */
};

static int apply_whiteouts(const char *root, struct wh *w, size_t n, struct nd_err **err)
{
	_cleanup_close_ int rfd = open(root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

	if (rfd < 0)
		return nd_err_set(err, ND_ERR_INTERNAL, errno, "layer '%s': %s", root, strerror(errno));
	for (size_t i = 0; i < n; i++) {
		_cleanup_close_ int d = open_dir_beneath(rfd, w[i].dir);
		int r;

		if (d < 0)
			return nd_err_set(err, ND_ERR_BAD_IMAGE, -d, "layer whiteout in '%s': %s", w[i].dir, strerror(-d));
		r = w[i].name ? nd_ovl_make_whiteout(d, w[i].name) : nd_ovl_make_opaque(d);
		if (r < 0)
			return nd_err_set(err, ND_ERR_INTERNAL, -r, "layer whiteout '%s/%s': %s", w[i].dir,
					  w[i].name ? w[i].name : ".wh..wh..opq", strerror(-r));
	}
	return 0;
}

static void wh_free(struct wh *w, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free(w[i].dir);
		free(w[i].name);
	}
	free(w);
}

/* libarchive's error on a as code (a layer that does not unpack is a bad image; a commit's is ours). */
static int ar_err(struct nd_err **err, int code, struct archive *a, const char *what)
{
	int e = archive_errno(a) > 0 ? archive_errno(a) : EIO;

	return nd_err_set(err, code, e, "%s: %s", what,
			  archive_error_string(a) ? archive_error_string(a) : strerror(e));
}

bool nd_layer_xattr_kept(const char *name)
{
	return name && (!strncmp(name, "user.", 5) || !strcmp(name, "security.capability"));
}

/* Keep only the extended attributes nd_layer_xattr_kept allows on e. */
static int filter_xattrs(struct archive_entry *e)
{
	struct { char *name; void *value; size_t size; } kept[64];
	size_t n = 0, dropped = 0;
	const char *name;
	const void *value;
	size_t size;
	int r = 0;

	if (archive_entry_xattr_reset(e) == 0)
		return 0;
	while (archive_entry_xattr_next(e, &name, &value, &size) == ARCHIVE_OK) {
		if (!nd_layer_xattr_kept(name)) {
			dropped++;
			continue;
		}
		if (n == ND_ARRAY_SIZE(kept)) {
			r = -E2BIG;
			break;
		}
		kept[n].name = strdup(name);
		kept[n].value = size ? malloc(size) : NULL;
		kept[n].size = size;
		if (!kept[n].name || (size && !kept[n].value)) {
			free(kept[n].name);
			free(kept[n].value);
			r = -ENOMEM;
			break;
		}
		if (size)
			memcpy(kept[n].value, value, size);
		n++;
	}
	if (r >= 0 && dropped) {
		archive_entry_xattr_clear(e);
		for (size_t i = 0; i < n; i++)
			archive_entry_xattr_add_entry(e, kept[i].name, kept[i].value, kept[i].size);
	}
	for (size_t i = 0; i < n; i++) {
		free(kept[i].name);
		free(kept[i].value);
	}
	return r;
}

/* Unpack the tar stream of t into the current directory; collect whiteouts. */
static int extract(struct archive *tar, struct wh **ret_wh, size_t *ret_n, struct nd_err **err)
{
	_cleanup_(archive_read_freep) struct archive *out = archive_write_disk_new();
	struct archive_entry *e;
	struct wh *w = NULL;
	size_t n = 0;
	int r;

	if (!out)
		return nd_oom(err);
	/* Numeric owners (no lookup in the host's passwd); never through a symlink or "..". */
	archive_write_disk_set_options(out, ARCHIVE_EXTRACT_OWNER | ARCHIVE_EXTRACT_PERM | ARCHIVE_EXTRACT_TIME |
						    ARCHIVE_EXTRACT_XATTR | ARCHIVE_EXTRACT_SECURE_SYMLINKS |
						    ARCHIVE_EXTRACT_SECURE_NODOTDOT |
						    ARCHIVE_EXTRACT_SECURE_NOABSOLUTEPATHS | ARCHIVE_EXTRACT_UNLINK);
	for (;;) {
		char *dir = NULL, *name = NULL;

		r = archive_read_next_header(tar, &e);
		if (r == ARCHIVE_EOF)
			break;
		if (r < ARCHIVE_WARN) {
			r = ar_err(err, ND_ERR_BAD_IMAGE, tar, "layer");
			goto fail;
		}
		r = nd_oci_whiteout(archive_entry_pathname(e), &dir, &name, err);
		if (r < 0)
			goto fail;
		if (r > 0) {
			struct wh *nw = realloc(w, (n + 1) * sizeof(*w));

			if (!nw) {
				free(dir);
				free(name);
				r = nd_oom(err);
				goto fail;
			}
			w = nw;
			w[n++] = (struct wh){ .dir = dir, .name = name };
			continue;
		}
		if ((r = filter_xattrs(e)) < 0) {
			r = nd_err_set(err, ND_ERR_BAD_IMAGE, -r, "layer entry '%s': extended attributes: %s",
				       archive_entry_pathname(e), strerror(-r));
			goto fail;
		}
		r = archive_write_header(out, e);
		if (r >= ARCHIVE_WARN && archive_entry_size(e) > 0) {
			const void *buf;
			size_t size;
			la_int64_t off;

			while ((r = archive_read_data_block(tar, &buf, &size, &off)) == ARCHIVE_OK)
				if (archive_write_data_block(out, buf, size, off) < ARCHIVE_WARN) {
					r = ar_err(err, ND_ERR_BAD_IMAGE, out, archive_entry_pathname(e));
					goto fail;
				}
			if (r != ARCHIVE_EOF) {
				r = ar_err(err, ND_ERR_BAD_IMAGE, tar, "layer");
				goto fail;
			}
			r = ARCHIVE_OK;
		}
		if (r < ARCHIVE_WARN || archive_write_finish_entry(out) < ARCHIVE_WARN) {
			r = ar_err(err, ND_ERR_BAD_IMAGE, out, archive_entry_pathname(e));
			goto fail;
		}
	}
	if (archive_write_close(out) < ARCHIVE_WARN) {
		r = ar_err(err, ND_ERR_BAD_IMAGE, out, "layer");
		goto fail;
	}
	*ret_wh = w;
	*ret_n = n;
	return 0;
fail:
	wh_free(w, n);
	return r < 0 ? r : -EIO;
}

/* Unpack blob into dir (which exists, empty), checking both digests. */
static int unpack(const char *blob, const char *blob_digest, const char *diff_id, const char *dir, struct nd_err **err)
{
	_cleanup_(EVP_MD_CTX_freep) EVP_MD_CTX *cblob = NULL, *cdiff = NULL;
	_cleanup_(archive_read_freep) struct archive *raw = NULL, *tar = NULL;
	_cleanup_close_ int home = -1;
	_cleanup_free_ struct blob_src *bs = calloc(1, sizeof(*bs));
	_cleanup_free_ struct tar_src *ts = calloc(1, sizeof(*ts));
	struct archive_entry *e;
	struct wh *w = NULL;
	bool hashed = false;
	size_t n_wh = 0;
	char got[ND_DIGEST_LEN + 1];
	int r;

	if (!bs || !ts)
		return nd_oom(err);
	bs->fd = -1;
	if ((r = sha_new(&cblob, err)) < 0 || (r = sha_new(&cdiff, err)) < 0)
		return r;
	bs->ctx = cblob;
	ts->ctx = cdiff;
	bs->fd = open(blob, O_RDONLY | O_CLOEXEC);
	if (bs->fd < 0)
		return nd_err_set(err, missing_or(errno, ND_ERR_INTERNAL), errno, "layer '%s': %s", blob, strerror(errno));
	raw = archive_read_new();
	tar = archive_read_new();
	if (!raw || !tar) {
		r = nd_oom(err);
		goto out;
	}
	archive_read_support_filter_all(raw);
	archive_read_support_format_raw(raw);
	if (archive_read_open(raw, bs, NULL, blob_read, NULL) != ARCHIVE_OK ||
	    archive_read_next_header(raw, &e) != ARCHIVE_OK) {
		r = ar_err(err, ND_ERR_BAD_IMAGE, raw, "layer");
		goto out;
	}
	ts->raw = raw;
	archive_read_support_format_tar(tar);
	if (archive_read_open(tar, ts, NULL, tar_read, NULL) != ARCHIVE_OK) {
		r = ar_err(err, ND_ERR_BAD_IMAGE, tar, "layer");
		goto out;
	}
	/* libarchive's disk writer works relative to the cwd; we come back on every path. */
	home = open(".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (home < 0 || chdir(dir) < 0) {
		r = nd_err_set(err, ND_ERR_INTERNAL, errno, "layer '%s': %s", dir, strerror(errno));
		goto out;
	}
	r = extract(tar, &w, &n_wh, err);
	if (fchdir(home) < 0)
		abort(); /* every relative path after this would be wrong */
	if (r < 0)
		goto out;
	/* The digests cover every byte: the rest of the tar stream, the rest of the blob. */
	while ((r = (int)tar_read(tar, ts, &(const void *){ NULL })) > 0)
		;
	if (r < 0) {
		r = ar_err(err, ND_ERR_BAD_IMAGE, raw, "layer");
		goto out;
	}
	while ((r = (int)blob_read(raw, bs, &(const void *){ NULL })) > 0)
		;
	if (r < 0) {
		r = nd_err_set(err, ND_ERR_INTERNAL, errno, "layer '%s': %s", blob, strerror(errno));
		goto out;
	}
	sha_done(cblob, got);
	hashed = true;
	if (blob_digest && strcmp(got, blob_digest)) {
		r = nd_err_set(err, ND_ERR_BAD_IMAGE, EBADMSG, "layer blob %s has digest %s", blob_digest, got);
		goto out;
	}
	sha_done(cdiff, got);
	if (diff_id && strcmp(got, diff_id)) {
		r = nd_err_set(err, ND_ERR_BAD_IMAGE, EBADMSG, "layer %s: uncompressed digest is %s, the config says %s",
			       blob_digest ? blob_digest : blob, got, diff_id);
		goto out;
	}
	r = apply_whiteouts(dir, w, n_wh, err);
out:
	if (r < 0 && !hashed && blob_digest && raw && bs->fd >= 0) {
		/* A corrupt blob fails to decompress: its wrong digest is the cause worth telling. */
		while (blob_read(raw, bs, &(const void *){ NULL }) > 0)
			;
		sha_done(cblob, got);
		if (strcmp(got, blob_digest) && err) {
			nd_err_freep(err);
			r = nd_err_set(err, ND_ERR_BAD_IMAGE, EBADMSG, "layer blob %s has digest %s", blob_digest, got);
		}
	}
	wh_free(w, n_wh);
	if (bs->fd >= 0)
		close(bs->fd);
	return r < 0 ? r : 0;
}

int nd_layer_ensure(const char *store, const char *blob, const char *blob_digest, const char *diff_id,
		    char **ret_dir, struct nd_err **err)
{
	_cleanup_free_ char *final = NULL, *tmp = NULL;
	unsigned char rnd[6];
	struct stat st;
	int r;

	if (!nd_oci_digest_valid(diff_id))
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

int nd_sha256_file(const char *path, char ret[ND_DIGEST_LEN + 1], struct nd_err **err)
{
	_cleanup_(EVP_MD_CTX_freep) EVP_MD_CTX *c = NULL;
	_cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC);
	char buf[65536];
	ssize_t n;
	int r;

	if (fd < 0)
		return nd_err_set(err, missing_or(errno, ND_ERR_INTERNAL), errno, "'%s': %s", path, strerror(errno));
	if ((r = sha_new(&c, err)) < 0)
		return r;
	while ((n = read(fd, buf, sizeof(buf))) != 0) {
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return nd_err_set(err, ND_ERR_INTERNAL, errno, "'%s': %s", path, strerror(errno));
		EVP_DigestUpdate(c, buf, (size_t)n);
	}
	sha_done(c, ret);
	return 0;
}

/* ---- commit: upper dir -> layer tar ---- */

struct sink {
	int fd;
	EVP_MD_CTX *ctx;
};

static la_ssize_t sink_write(struct archive *a, void *ud, const void *buf, size_t len)
{
	struct sink *s = ud;
	size_t done = 0;

	while (done < len) {
		ssize_t n = write(s->fd, (const char *)buf + done, len - done);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			archive_set_error(a, errno, "write: %s", strerror(errno));
			return -1;
		}
		done += (size_t)n;
	}
	EVP_DigestUpdate(s->ctx, buf, len);
	return (la_ssize_t)len;
}

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

static int cmp_names(const void *x, const void *y)
{
	return strcmp(*(char *const *)x, *(char *const *)y);
}

static int put_header(struct walk *w, struct archive_entry *e, const char *what, struct nd_err **err)
{
	if (archive_write_header(w->a, e) < ARCHIVE_WARN)
		return ar_err(err, ND_ERR_INTERNAL, w->a, what);
	return 0;
}

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

static int walk_dir(struct walk *w, int dfd, const char *prefix, struct nd_err **err);

static int put_one(struct walk *w, int dfd, const char *name, const char *prefix, struct nd_err **err)
{
	_cleanup_(archive_entry_freep) struct archive_entry *e = NULL;
	_cleanup_free_ char *path = NULL;
	struct stat st;
	int r = 0;

	if (fstatat(dfd, name, &st, AT_SYMLINK_NOFOLLOW) < 0)
		return nd_err_set(err, ND_ERR_INTERNAL, errno, "commit '%s%s': %s", prefix, name, strerror(errno));
	if (nd_ovl_is_whiteout(&st)) {
		if (asprintf(&path, "%s.wh.%s", prefix, name) < 0)
			return nd_oom(err);
		return put_marker(w, path, &st, err);
	}
	if (asprintf(&path, "%s%s", prefix, name) < 0 || !(e = archive_entry_new()))
		return nd_oom(err);
	if (st.st_uid >= w->shift)
		st.st_uid -= w->shift;
	if (st.st_gid >= w->shift)
		st.st_gid -= w->shift;
	archive_entry_copy_stat(e, &st);
	archive_entry_set_pathname(e, path);
	if (S_ISLNK(st.st_mode)) {
		char target[4096];
		ssize_t n = readlinkat(dfd, name, target, sizeof(target) - 1);

		if (n < 0)
			return nd_err_set(err, ND_ERR_INTERNAL, errno, "commit '%s': %s", path, strerror(errno));
		target[n] = 0;
		archive_entry_set_symlink(e, target);
	}
	if (S_ISREG(st.st_mode) && st.st_nlink > 1) {
		for (size_t i = 0; i < w->n_links; i++)
			if (w->links[i].dev == st.st_dev && w->links[i].ino == st.st_ino) {
				archive_entry_set_hardlink(e, w->links[i].path);
				archive_entry_set_size(e, 0);
				return put_header(w, e, path, err);
			}
		struct link *nl = realloc(w->links, (w->n_links + 1) * sizeof(*nl));

		if (!nl)
			return nd_oom(err);
		w->links = nl;
		w->links[w->n_links++] = (struct link){ st.st_dev, st.st_ino, strdup(path) };
	}
	if (S_ISDIR(st.st_mode)) {
		_cleanup_close_ int sub = openat(dfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		_cleanup_free_ char *sp = NULL;

		if (sub < 0)
			return nd_err_set(err, ND_ERR_INTERNAL, errno, "commit '%s': %s", path, strerror(errno));
		archive_entry_set_pathname(e, path);
		if ((r = put_header(w, e, path, err)) < 0)
			return r;
		if (asprintf(&sp, "%s/", path) < 0)
			return nd_oom(err);
		if (nd_ovl_is_opaque(sub)) {
			_cleanup_free_ char *m = NULL;

			if (asprintf(&m, "%s.wh..wh..opq", sp) < 0)
				return nd_oom(err);
			if ((r = put_marker(w, m, &st, err)) < 0)
				return r;
		}
		return walk_dir(w, sub, sp, err);
	}
	if ((r = put_header(w, e, path, err)) < 0)
		return r;
	if (S_ISREG(st.st_mode) && st.st_size > 0) {
		_cleanup_close_ int fd = openat(dfd, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
		char buf[65536];
		ssize_t n;

		if (fd < 0)
			return nd_err_set(err, ND_ERR_INTERNAL, errno, "commit '%s': %s", path, strerror(errno));
		while ((n = read(fd, buf, sizeof(buf))) > 0)
			if (archive_write_data(w->a, buf, (size_t)n) < 0)
				return ar_err(err, ND_ERR_INTERNAL, w->a, path);
		if (n < 0)
			return nd_err_set(err, ND_ERR_INTERNAL, errno, "commit '%s': %s", path, strerror(errno));
	}
	return 0;
}

static int walk_dir(struct walk *w, int dfd, const char *prefix, struct nd_err **err)
{
	int fd2 = fcntl(dfd, F_DUPFD_CLOEXEC, 0); /* no fd of ours outlives an exec */
	DIR *d = fd2 >= 0 ? fdopendir(fd2) : NULL;
	struct nd_strv names = { 0 };
	struct dirent *de;
	int r = 0;

	if (!d) {
		if (fd2 >= 0)
			close(fd2);
		return nd_err_set(err, ND_ERR_INTERNAL, errno, "commit '%s': %s", prefix, strerror(errno));
	}
	while (r == 0 && (de = readdir(d)))
		if (strcmp(de->d_name, ".") && strcmp(de->d_name, ".."))
			r = nd_strv_push(&names, de->d_name);
	closedir(d);
	if (r < 0)
		r = nd_oom(err);
	/* Sorted, so the same upper directory always gives the same tar (and diff_id). */
	if (r == 0 && names.n)
		qsort(names.v, names.n, sizeof(*names.v), cmp_names);
	for (size_t i = 0; r == 0 && i < names.n; i++)
		r = put_one(w, dfd, names.v[i], prefix, err);
	nd_strv_clear(&names);
	return r;
}

int nd_layer_commit(const char *upper, const char *out, uid_t id_shift, char ret_diff_id[ND_DIGEST_LEN + 1],
		    struct nd_err **err)
{
	_cleanup_(EVP_MD_CTX_freep) EVP_MD_CTX *c = NULL;
	_cleanup_close_ int dfd = open(upper, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	_cleanup_free_ char *tmp = NULL;
	struct walk w = { .shift = id_shift };
	struct sink s = { .fd = -1 };
	int r;

	if (dfd < 0)
		return nd_err_set(err, ND_ERR_INTERNAL, errno, "commit: '%s': %s", upper, strerror(errno));
	if ((r = sha_new(&c, err)) < 0)
		return r;
	if (asprintf(&tmp, "%s.tmp", out) < 0)
		return nd_oom(err);
	s.ctx = c;
	s.fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (s.fd < 0)
		return nd_err_set(err, ND_ERR_INTERNAL, errno, "commit: '%s': %s", tmp, strerror(errno));
	w.a = archive_write_new();
	if (!w.a) {
		r = nd_oom(err);
		goto out;
	}
	archive_write_set_format_pax_restricted(w.a);
	archive_write_add_filter_none(w.a);
	archive_write_set_bytes_in_last_block(w.a, 1);
	if (archive_write_open(w.a, &s, NULL, sink_write, NULL) != ARCHIVE_OK) {
		r = ar_err(err, ND_ERR_INTERNAL, w.a, "commit");
		goto out;
	}
	r = walk_dir(&w, dfd, "", err);
	if (r >= 0 && archive_write_close(w.a) != ARCHIVE_OK)
		r = ar_err(err, ND_ERR_INTERNAL, w.a, "commit");
	if (r >= 0 && fsync(s.fd) < 0)
		r = nd_err_set(err, ND_ERR_INTERNAL, errno, "commit: fsync: %s", strerror(errno));
	if (r >= 0 && rename(tmp, out) < 0)
		r = nd_err_set(err, ND_ERR_INTERNAL, errno, "commit: '%s': %s", out, strerror(errno));
	if (r >= 0)
		sha_done(c, ret_diff_id);
out:
	if (w.a)
		archive_write_free(w.a);
	for (size_t i = 0; i < w.n_links; i++)
		free(w.links[i].path);
	free(w.links);
	close(s.fd);
	if (r < 0)
		(void)unlink(tmp);
	return r;
}

#include "image/pull.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <time.h>
#include <unistd.h>

#include "base/cleanup.h"
#include "base/json.h"
#include "image/registry.h"
#include "runtime/digest.h"
#include "runtime/layer.h"
#include "runtime/oci.h"

#define MT_OCI_INDEX "application/vnd.oci.image.index.v1+json"
#define MT_DOCKER_LIST "application/vnd.docker.distribution.manifest.list.v2+json"
#define MT_OCI_MANIFEST "application/vnd.oci.image.manifest.v1+json"
#define MT_DOCKER_MANIFEST "application/vnd.docker.distribution.manifest.v2+json"

DEFINE_CLEANUP(struct nd_registry, nd_registry_free)

void nd_pull_result_clear(struct nd_pull_result *r)
{
	free(r->name);
	r->name = NULL;
}

const char *nd_platform_host(void)
{
	struct utsname u;

	if (uname(&u) == 0 && !strcmp(u.machine, "aarch64"))
		return "linux/arm64";
	if (uname(&u) == 0 && !strncmp(u.machine, "arm", 3))
		return "linux/arm";
	return "linux/amd64";
}

int nd_platform_check(const char *p, struct nd_err **err)
{
	size_t parts = 1;

	for (const char *s = p; *s; s++) {
		if (*s == '/')
			parts++;
		else if (!((*s >= 'a' && *s <= 'z') || (*s >= '0' && *s <= '9') || *s == '_' || *s == '.'))
			parts = 99;
	}
	if (parts < 2 || parts > 3 || p[0] == '/' || strstr(p, "//") || p[strlen(p) - 1] == '/')
		return nd_err_set(err, ND_ERR_BAD_SPEC, EINVAL, "invalid platform '%s' (want os/arch[/variant])", p);
	return 0;
}

static void tell(const struct nd_pull_opts *o, const char *id, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static void tell(const struct nd_pull_opts *o, const char *id, const char *fmt, ...)
{
	char buf[512];
	va_list ap;

	if (!o->event)
		return;
	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	o->event(o->ud, id, buf);
}

/* Does an index entry's platform match "os/arch[/variant]"? */
static bool platform_matches(json_t *desc, const char *want)
{
	json_t *p = json_object_get(desc, "platform");
	const char *os = json_string_value(json_object_get(p, "os"));
	const char *arch = json_string_value(json_object_get(p, "architecture"));
	const char *var = json_string_value(json_object_get(p, "variant"));
	char w_os[64] = "", w_arch[64] = "", w_var[64] = "";

	sscanf(want, "%63[^/]/%63[^/]/%63s", w_os, w_arch, w_var);
	if (!os || !arch || strcmp(os, w_os) || strcmp(arch, w_arch))
		return false;
	return !*w_var || (var && !strcmp(var, w_var));
}

/* The platform's manifest descriptor of an index (code ND_ERR_NO_IMAGE when it has none). */
static int pick_platform(json_t *index, const char *platform, json_t **ret, struct nd_err **err)
{
	json_t *m = json_object_get(index, "manifests"), *d;
	size_t i;

	if (!json_is_array(m))
		return nd_err_set(err, ND_ERR_BAD_IMAGE, EINVAL, "image index has no manifests");
	json_array_foreach(m, i, d)
		if (platform_matches(d, platform) && nd_digest_valid(json_string_value(json_object_get(d, "digest")))) {
			*ret = d;
			return 0;
		}
	return nd_err_set(err, ND_ERR_NO_IMAGE, ENOENT, "no manifest for platform %s in the image index", platform);
}

static bool is_index(const char *mt, json_t *body)
{
	const char *inner = json_string_value(json_object_get(body, "mediaType"));

	if (!*mt && inner)
		mt = inner;
	return !strcmp(mt, MT_OCI_INDEX) || !strcmp(mt, MT_DOCKER_LIST) ||
	       (!*mt && json_is_array(json_object_get(body, "manifests")));
}

struct fetched {
	json_t *json;
	char *mt;
	char digest[72];
	size_t len;
};

static void fetched_clear(struct fetched *f)
{
	json_decref(f->json);
	free(f->mt);
	*f = (struct fetched){ 0 };
}

/* A manifest or index by tag or digest, verified, parsed and stored as a blob. */
static int get_manifest(struct nd_registry *reg, const struct nd_imgstore *st, const char *ref, struct fetched *f,
			struct nd_err **err)
{
	_cleanup_free_ char *body = NULL;
	int r;

	if ((r = nd_registry_manifest(reg, ref, &body, &f->len, &f->mt, f->digest, err)) < 0)
		return r;
	if (!f->mt)
		return nd_oom(err);
	if ((r = nd_json_parse_bounded(body, f->len, 32, &f->json, err)) < 0)
		return nd_err_wrap(err, "manifest %s", ref);
	if (json_integer_value(json_object_get(f->json, "schemaVersion")) != 2)
		return nd_err_set(err, ND_ERR_BAD_IMAGE, EINVAL, "manifest %s: only schema version 2 is supported", ref);
	return nd_imgstore_put_blob(st, f->digest, body, f->len, err);
}

/* The platform's manifest: ref's, or the one its index picks (*ret_top keeps the index's digest). */
static int resolve_manifest(struct nd_registry *reg, const struct nd_imgstore *st, const struct nd_ref *ref,
			    const char *platform, struct fetched *ret, char ret_top[72], struct nd_err **err)
{
	_cleanup_(fetched_clear) struct fetched top = { 0 };
	json_t *desc = NULL;
	int r = get_manifest(reg, st, *ref->digest ? ref->digest : ref->tag, &top, err);

	if (r < 0)
		return r;
	memcpy(ret_top, top.digest, 72);
	if (!is_index(top.mt, top.json)) {
		*ret = top;
		top = (struct fetched){ 0 };
		return 0;
	}
	if ((r = pick_platform(top.json, platform, &desc, err)) < 0 ||
	    (r = get_manifest(reg, st, json_string_value(json_object_get(desc, "digest")), ret, err)) < 0)
		return r;
	if (is_index(ret->mt, ret->json))
		return nd_err_set(err, ND_ERR_BAD_IMAGE, EINVAL, "index %s points at another index", top.digest);
	return 0;
}

/* The config blob: from the store, or fetched, verified and stored. */
static int get_config(struct nd_registry *reg, const struct nd_imgstore *st, json_t *manifest, json_t **ret,
		      int *fetched, struct nd_err **err)
{
	json_t *c = json_object_get(manifest, "config");
	const char *digest = json_string_value(json_object_get(c, "digest"));
	_cleanup_free_ char *data = NULL;
	size_t len;
	int r;

	if (!nd_digest_valid(digest))
		return nd_err_set(err, ND_ERR_BAD_IMAGE, EINVAL, "manifest: config digest is not sha256");
	if (!nd_imgstore_has_blob(st, digest)) {
		if ((r = nd_registry_blob_mem(reg, digest, json_integer_value(json_object_get(c, "size")), &data, &len,
					      err)) < 0 ||
		    (r = nd_imgstore_put_blob(st, digest, data, len, err)) < 0)
			return r;
		(*fetched)++;
	}
	return nd_imgstore_read_json(st, digest, ret, err);
}

/* An unpacker reading a blob from a pipe while it downloads (runtime/layer.h checks both digests). */
struct unpack_job {
	const char *layers, *digest, *diff_id;
	char src[64];
	int rfd;
	char *dir;
	struct nd_err *err;
	int r;
};

static void *unpack_main(void *ud)
{
	struct unpack_job *j = ud;

	j->r = nd_layer_ensure(j->layers, j->src, j->digest, j->diff_id, &j->dir, &j->err);
	close(j->rfd); /* the downloader's copies stop here */
	return NULL;
}

/*
 * Download and unpack in one pass: the blob goes to the store and, through a pipe, to an
 * unpacker thread. SIGPIPE is held while the downloader writes (a reader that stopped
 * gives EPIPE instead). Should the single pass fail while the download succeeded (a
 * restart from 0 after a resume, say), the stored blob is unpacked once more.
 */
static int fetch_unpack(struct nd_registry *reg, const struct nd_imgstore *st, json_t *desc, const char *diff_id,
			const char *blob, const char *partial, int64_t *got, struct nd_err **err)
{
	const char *digest = json_string_value(json_object_get(desc, "digest"));
	struct unpack_job j = { .layers = st->layers, .digest = digest, .diff_id = diff_id };
	_cleanup_free_ char *dir = NULL;
	sigset_t pipe_set, old;
	struct timespec zero = { 0 };
	pthread_t t;
	int fds[2], r;

	if (pipe2(fds, O_CLOEXEC) < 0)
		return nd_err_set(err, ND_ERR_INTERNAL, errno, "pipe: %s", strerror(errno));
	j.rfd = fds[0];
	snprintf(j.src, sizeof(j.src), "/proc/self/fd/%d", fds[0]);
	sigemptyset(&pipe_set);
	sigaddset(&pipe_set, SIGPIPE);
	pthread_sigmask(SIG_BLOCK, &pipe_set, &old);
	if ((r = pthread_create(&t, NULL, unpack_main, &j)) != 0) {
		close(fds[0]), close(fds[1]);
		pthread_sigmask(SIG_SETMASK, &old, NULL);
		return nd_err_set(err, ND_ERR_INTERNAL, r, "thread: %s", strerror(r));
	}
	r = nd_registry_blob(reg, digest, json_integer_value(json_object_get(desc, "size")), partial, blob, fds[1], got,
			     err);
	pthread_join(t, NULL);
	while (sigtimedwait(&pipe_set, NULL, &zero) > 0)
		;
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	free(j.dir);
	if (r >= 0 && j.r < 0) {
		nd_err_free(j.err);
		j.err = NULL;
		r = nd_layer_ensure(st->layers, blob, digest, diff_id, &dir, err);
	}
	nd_err_free(j.err);
	return r;
}

/* One layer: nothing when its diff_id is unpacked already; else its blob (fetched when absent), unpacked. */
static int get_layer(struct nd_registry *reg, const struct nd_imgstore *st, json_t *desc, const char *diff_id,
		     const struct nd_pull_opts *o, struct nd_pull_result *res, struct nd_err **err)
{
	const char *digest = json_string_value(json_object_get(desc, "digest"));
	_cleanup_free_ char *dir = NULL, *blob = NULL, *partial = NULL;
	char id[13];
	int64_t got = 0;
	struct stat sb;
	int r;

	snprintf(id, sizeof(id), "%.12s", digest + 7);
	if (asprintf(&dir, "%s/%s", st->layers, diff_id + 7) < 0)
		return nd_oom(err);
	if (stat(dir, &sb) == 0 && S_ISDIR(sb.st_mode)) {
		tell(o, id, "Already exists");
		return 0;
	}
	if (!(blob = nd_imgstore_blob_path(st, digest)) || !(partial = nd_imgstore_partial_path(st, digest)))
		return nd_oom(err);
	free(TAKE_PTR(dir));
	if (access(blob, F_OK) < 0) {
		tell(o, id, "Pulling fs layer");
		r = fetch_unpack(reg, st, desc, diff_id, blob, partial, &got, err);
		res->bytes_fetched += got;
		if (r < 0)
			return r;
		res->blobs_fetched += got > 0;
		tell(o, id, "Pull complete");
		return 0;
	}
	if ((r = nd_layer_ensure(st->layers, blob, digest, diff_id, &dir, err)) < 0)
		return r;
	tell(o, id, "Pull complete");
	return 0;
}

static int get_layers(struct nd_registry *reg, const struct nd_imgstore *st, json_t *manifest, json_t *config,
		      const struct nd_pull_opts *o, struct nd_pull_result *res, struct nd_err **err)
{
	_cleanup_(nd_oci_image_clear) struct nd_oci_image img = { 0 };
	json_t *layers = json_object_get(manifest, "layers");
	int r;

	if ((r = nd_oci_parse_config(config, &img, err)) < 0 || (r = nd_oci_parse_manifest(manifest, &img, err)) < 0)
		return r;
	for (size_t i = 0; i < img.n_layers; i++)
		if ((r = get_layer(reg, st, json_array_get(layers, i), img.diff_ids[i], o, res, err)) < 0)
			return r;
	return 0;
}

/* The store's record of the image: the platform manifest's descriptor, the image ID, the repo digest. */
static json_t *record_of(const struct fetched *m, json_t *manifest, const char *repo_digest)
{
	const char *cfg = json_string_value(json_object_get(json_object_get(manifest, "config"), "digest"));

	return json_pack("{s:s, s:s, s:I, s:{s:s, s:s}}", "mediaType",
			 *m->mt ? m->mt : (json_string_value(json_object_get(manifest, "mediaType")) ?: MT_OCI_MANIFEST),
			 "digest", m->digest, "size", (json_int_t)m->len, "annotations", ND_ANN_ID, cfg, ND_ANN_REPO_DIGEST,
			 repo_digest);
}

/* The mirror configured for registry ($NETD_REGISTRY_MIRRORS: REGISTRY=MIRROR,...), malloc'd, or NULL. */
static char *mirror_of(const char *registry)
{
	const char *list = getenv("NETD_REGISTRY_MIRRORS");
	size_t n = strlen(registry);

	for (const char *s = list; s && *s;) {
		size_t len = strcspn(s, ",");

		if (len > n + 1 && !strncmp(s, registry, n) && s[n] == '=')
			return strndup(s + n + 1, len - n - 1);
		s += len + (s[len] == ',');
	}
	return NULL;
}

/*
 * The registry to pull from and the platform manifest: a configured mirror first (any
 * repository, as for Docker Hub's), the registry itself when the mirror fails. Digests
 * make a mirror's content as trustworthy as the origin's.
 */
static int open_source(struct nd_imgstore *st, const struct nd_ref *ref, const char *platform,
		       const struct nd_pull_opts *o, struct nd_registry **ret, struct fetched *m, char top[72],
		       struct nd_err **err)
{
	_cleanup_free_ char *mirror = mirror_of(ref->registry);
	int r;

	if (mirror) {
		_cleanup_err_ struct nd_err *e = NULL;

		if ((r = nd_registry_open(mirror, ref->repo, "pull", ret, &e)) >= 0 &&
		    (r = resolve_manifest(*ret, st, ref, platform, m, top, &e)) >= 0)
			return 0;
		nd_registry_free(*ret);
		*ret = NULL;
		fetched_clear(m);
		tell(o, NULL, "mirror %s failed (%s): pulling from %s", mirror, e && e->msg ? e->msg : "", ref->registry);
	}
	if ((r = nd_registry_open(ref->registry, ref->repo, "pull", ret, err)) < 0)
		return r;
	return resolve_manifest(*ret, st, ref, platform, m, top, err);
}

int nd_pull(struct nd_imgstore *st, const struct nd_ref *ref, const struct nd_pull_opts *o, struct nd_pull_result *ret,
	    struct nd_err **err)
{
	_cleanup_(nd_registry_freep) struct nd_registry *reg = NULL;
	_cleanup_(fetched_clear) struct fetched m = { 0 };
	_cleanup_json_ json_t *config = NULL, *rec = NULL;
	struct nd_pull_result res = { 0 };
	const char *platform = o->platform ? o->platform : nd_platform_host();
	int r;

	if ((r = nd_imgstore_hold(st, false, err)) < 0)
		return r;
	tell(o, NULL, "%s: Pulling from %s", *ref->tag ? ref->tag : ref->digest, ref->repo);
	if ((r = open_source(st, ref, platform, o, &reg, &m, res.digest, err)) < 0 ||
	    (r = get_config(reg, st, m.json, &config, &res.blobs_fetched, err)) < 0 ||
	    (r = get_layers(reg, st, m.json, config, o, &res, err)) < 0)
		return r;
	memcpy(res.manifest, m.digest, sizeof(res.manifest));
	if (!(rec = record_of(&m, m.json, res.digest)) || !(res.name = nd_ref_canonical(ref)))
		return nd_oom(err);
	if ((r = nd_imgstore_ref_set(st, res.name, rec, err)) < 0) {
		nd_pull_result_clear(&res);
		return r;
	}
	tell(o, NULL, "Digest: %s", res.digest);
	*ret = res;
	return 0;
}

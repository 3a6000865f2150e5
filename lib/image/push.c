#include "image/push.h"

#include <errno.h>
#include <fcntl.h>
#include <openssl/evp.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/cleanup.h"
#include "base/fdio.h"
#include "base/json.h"
#include "base/state.h"
#include "image/images.h"
#include "image/ref.h"
#include "image/registry.h"

DEFINE_CLEANUP(struct nd_registry, nd_registry_free)

static void tell(const struct nd_pull_opts *o, const char *digest, const char *status)
{
	char id[13];

	snprintf(id, sizeof(id), "%.12s", digest ? digest + 7 : "");
	if (o->event)
		o->event(o->ud, digest ? id : NULL, status);
}

/* Another repository of the same registry that holds this image, to mount blobs from. */
static char *mount_source(const struct nd_imgstore *st, const struct nd_ref *to, const char *id)
{
	_cleanup_json_ json_t *m = NULL;
	json_t *d;
	size_t i;

	if (nd_imgstore_index(st, &m, NULL) < 0)
		return NULL;
	json_array_foreach(m, i, d) {
		json_t *ann = json_object_get(d, "annotations");
		const char *n = json_string_value(json_object_get(ann, ND_ANN_REF));
		const char *did = json_string_value(json_object_get(ann, ND_ANN_ID));
		struct nd_ref r;

		if (n && did && !strcmp(did, id) && nd_ref_parse(n, &r, NULL) == 0 && !strcmp(r.registry, to->registry) &&
		    strcmp(r.repo, to->repo))
			return strdup(r.repo);
	}
	return NULL;
}

static int push_blob(struct nd_registry *reg, const struct nd_imgstore *st, json_t *desc, const char *from,
		     const struct nd_pull_opts *o, struct nd_push_result *res, struct nd_err **err)
{
	const char *digest = json_string_value(json_object_get(desc, "digest"));
	_cleanup_free_ char *path = NULL;
	bool there = false, mounted = false;
	int r;

	if (!digest || !(path = nd_imgstore_blob_path(st, digest)))
		return digest ? nd_oom(err) : nd_err_set(err, ND_ERR_BAD_IMAGE, EINVAL, "descriptor without digest");
	if ((r = nd_registry_blob_exists(reg, digest, &there, err)) < 0)
		return r;
	if (there) {
		res->present++;
		tell(o, digest, "Layer already exists");
		return 0;
	}
	if ((r = nd_registry_push_blob(reg, digest, json_integer_value(json_object_get(desc, "size")), path, from,
				       &mounted, err)) < 0)
		return r;
	mounted ? res->mounted++ : res->uploaded++;
	tell(o, digest, mounted ? "Mounted" : "Pushed");
	return 0;
}

/* The manifest's bytes, as stored (the digest covers them), and parsed. */
static int read_manifest(const struct nd_imgstore *st, const char *digest, char **ret, size_t *ret_len,
			 json_t **ret_json, struct nd_err **err)
{
	_cleanup_free_ char *path = nd_imgstore_blob_path(st, digest);
	_cleanup_close_ int fd = path ? open(path, O_RDONLY | O_CLOEXEC) : -1;
	int r;

	if (fd < 0 || nd_read_all(fd, 4 << 20, ret, ret_len) < 0)
		return nd_err_set(err, ND_ERR_NO_IMAGE, ENOENT, "manifest %s is not in the image store", digest);
	if ((r = nd_imgstore_read_json(st, digest, ret_json, err)) < 0) {
		free(*ret);
		return r;
	}
	return 0;
}

int nd_push(const struct nd_imgstore *st, const char *name, const struct nd_pull_opts *o,
	    struct nd_push_result *ret, struct nd_err **err)
{
	_cleanup_(nd_registry_freep) struct nd_registry *reg = NULL;
	_cleanup_json_ json_t *d = NULL, *man = NULL;
	_cleanup_free_ char *key = NULL, *n = NULL, *body = NULL, *from = NULL;
	struct nd_push_result res = { 0 };
	const char *digest, *mt, *id;
	struct nd_ref ref;
	json_t *l;
	size_t len, i;
	int r;

	if ((r = nd_ref_parse(name, &ref, err)) < 0 || (r = nd_image_key(name, &key, err)) < 0)
		return r;
	if ((r = nd_imgstore_find(st, key, &d, &n, err)) < 0)
		return r;
	digest = json_string_value(json_object_get(d, "digest"));
	mt = json_string_value(json_object_get(d, "mediaType"));
	id = json_string_value(json_object_get(json_object_get(d, "annotations"), ND_ANN_ID));
	if ((r = read_manifest(st, digest, &body, &len, &man, err)) < 0)
		return r;
	from = id ? mount_source(st, &ref, id) : NULL;
	tell(o, NULL, "The push refers to repository");
	if ((r = nd_registry_open(ref.registry, ref.repo, "pull,push", &reg, err)) < 0)
		return r;
	json_array_foreach(json_object_get(man, "layers"), i, l)
		if ((r = push_blob(reg, st, l, from, o, &res, err)) < 0)
			return r;
	if ((r = push_blob(reg, st, json_object_get(man, "config"), from, o, &res, err)) < 0 ||
	    (r = nd_registry_put_manifest(reg, *ref.tag ? ref.tag : ref.digest, mt ? mt : "", body, len, err)) < 0)
		return r;
	snprintf(res.digest, sizeof(res.digest), "%s", digest);
	*ret = res;
	return 0;
}

/* ---- login, logout ---- */

static int load_auths(const char *path, json_t **ret, struct nd_err **err)
{
	_cleanup_free_ char *data = NULL;
	size_t len;
	int r = nd_state_read(path, &data, &len, err);

	if (r == -ENOENT)
		return (*ret = json_object()) ? 0 : nd_oom(err);
	if (r < 0)
		return r;
	if ((r = nd_json_parse_bounded(data, len, 16, ret, err)) < 0)
		return nd_err_wrap(err, "auth file '%s'", path);
	if (!json_is_object(*ret))
		return nd_err_set(err, ND_ERR_BAD_SPEC, EINVAL, "auth file '%s' is not a JSON object", path);
	return 0;
}

/* The file with auths[registry] set to auth (NULL: removed), atomically, mode 0600. */
static int update_auths(const char *registry, const char *auth, bool *ret_found, struct nd_err **err)
{
	_cleanup_free_ char *path = nd_registry_auth_file(), *dir = NULL, *text = NULL;
	_cleanup_json_ json_t *j = NULL;
	json_t *auths;
	int r;

	if (!path || !(dir = strdup(path)))
		return nd_oom(err);
	if (strrchr(dir, '/'))
		*strrchr(dir, '/') = 0;
	if ((r = load_auths(path, &j, err)) < 0 || (r = nd_state_mkdirs(dir, 0700, err)) < 0)
		return r;
	if (!json_is_object(auths = json_object_get(j, "auths")) &&
	    json_object_set_new(j, "auths", auths = json_object()) < 0)
		return nd_oom(err);
	if (ret_found)
		*ret_found = json_object_get(auths, registry) != NULL;
	if (auth ? json_object_set_new(auths, registry, json_pack("{s:s}", "auth", auth)) < 0
		 : (json_object_del(auths, registry), 0))
		return nd_oom(err);
	if (!(text = json_dumps(j, JSON_INDENT(1))))
		return nd_oom(err);
	return nd_state_write(path, text, strlen(text), err);
}

int nd_login(const char *registry, const char *user, const char *password, struct nd_err **err)
{
	_cleanup_free_ char *creds = NULL, *b64 = NULL;
	int r;

	if (!*user || strchr(user, ':'))
		return nd_err_set(err, ND_ERR_BAD_SPEC, EINVAL, "login: the user name must be non-empty, without ':'");
	if (asprintf(&creds, "%s:%s", user, password) < 0 || !(b64 = malloc(4 * ((strlen(creds) + 2) / 3) + 1)))
		return nd_oom(err);
	EVP_EncodeBlock((unsigned char *)b64, (const unsigned char *)creds, (int)strlen(creds));
	if ((r = nd_registry_login(registry, creds, err)) < 0)
		return r;
	return update_auths(registry, b64, NULL, err);
}

int nd_logout(const char *registry, bool *ret_found, struct nd_err **err)
{
	return update_auths(registry, NULL, ret_found, err);
}

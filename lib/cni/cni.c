#include "cni/cni.h"

#include <ctype.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/cleanup.h"
#include "base/json.h"

const char *const nd_cni_versions[] = { "0.3.0", "0.3.1", "0.4.0", "1.0.0", "1.1.0", NULL };

static int version_index(const char *v)
{
	for (int i = 0; v && nd_cni_versions[i]; i++)
		if (!strcmp(v, nd_cni_versions[i]))
			return i;
	return -1;
}

bool nd_cni_version_supported(const char *v)
{
	return version_index(v) >= 0;
}

bool nd_cni_version_is_0x(const char *v)
{
	return v && v[0] == '0';
}

int nd_cni_version_cmp(const char *a, const char *b)
{
	int x = version_index(a), y = version_index(b);

	return (x > y) - (x < y);
}

bool nd_cni_valid_id(const char *s)
{
	if (!s || !isalnum((unsigned char)s[0]))
		return false;
	for (const char *p = s; *p; p++)
		if (!isalnum((unsigned char)*p) && !strchr("_.-", *p))
			return false;
	return true;
}

bool nd_cni_valid_ifname(const char *s)
{
	size_t n = s ? strlen(s) : 0;

	/*
	 * The kernel's dev_valid_name() rules, plus what it accepts but then chokes on:
	 * "all" and "default" clash with /proc/sys/net/ipv{4,6}/conf/{all,default}, and a '%'
	 * makes the name a template ("eth%d") the kernel fills in, so the link we asked
	 * for would get another name.
	 */
	if (n == 0 || n > 15 || !strcmp(s, ".") || !strcmp(s, "..") || !strcmp(s, "all") || !strcmp(s, "default"))
		return false;
	for (const char *p = s; *p; p++)
		if (*p == '/' || *p == ':' || *p == '%' || isspace((unsigned char)*p) || !isprint((unsigned char)*p))
			return false;
	return true;
}

/* Finds key in "K=V;K=V"; returns a pointer to V and its length, or NULL. */
static const char *args_find(const char *args, const char *key, size_t *ret_len)
{
	size_t klen = strlen(key);

	for (const char *p = args; p && *p;) {
		const char *end = strchrnul(p, ';');
		const char *eq = memchr(p, '=', (size_t)(end - p));

		if (eq && (size_t)(eq - p) == klen && !strncmp(p, key, klen)) {
			*ret_len = (size_t)(end - eq - 1);
			return eq + 1;
		}
		p = *end ? end + 1 : end;
	}
	return NULL;
}

int nd_cni_args_get(const char *args, const char *key, char **ret_value)
{
	size_t len;
	const char *v = args_find(args, key, &len);

	*ret_value = NULL;
	if (!v)
		return 0;
	*ret_value = strndup(v, len);
	return *ret_value ? 1 : -ENOMEM;
}

static bool ignore_unknown(const char *args)
{
	size_t len;
	const char *v = args_find(args, "IgnoreUnknown", &len);

	/* libcni's parser accepts what strconv.ParseBool does; 1/true/True/TRUE suffice here. */
	return v && ((len == 1 && (*v == '1' || *v == 't' || *v == 'T')) ||
		     (len == 4 && !strncasecmp(v, "true", 4)));
}

int nd_cni_args_validate(const char *args, const char *const known[], struct nd_err **err)
{
	bool lenient = ignore_unknown(args);

	for (const char *p = args; p && *p;) {
		const char *end = strchrnul(p, ';');
		const char *eq = memchr(p, '=', (size_t)(end - p));
		int klen = (int)((eq ? eq : end) - p);
		bool found = klen == 13 && !strncmp(p, "IgnoreUnknown", 13);

		if (!eq || klen == 0)
			return nd_err_set(err, ND_CNI_INVALID_ENV, EINVAL, "CNI_ARGS: '%.*s' is not KEY=VALUE",
					  (int)(end - p), p);
		for (size_t i = 0; known[i] && !found; i++)
			found = strlen(known[i]) == (size_t)klen && !strncmp(p, known[i], (size_t)klen);
		if (!found && !lenient)
			return nd_err_set(err, ND_CNI_UNSUPPORTED_FIELD, EINVAL,
					  "CNI_ARGS: unknown key '%.*s' (set IgnoreUnknown=1 to allow it)", klen, p);
		p = *end ? end + 1 : end;
	}
	return 0;
}

static int parse_cmd(const char *s, enum nd_cni_cmd *ret, struct nd_err **err)
{
	static const char *const names[] = { "ADD", "DEL", "CHECK", "VERSION", "GC", "STATUS" };

	for (size_t i = 0; s && i < ND_ARRAY_SIZE(names); i++)
		if (!strcmp(s, names[i])) {
			*ret = (enum nd_cni_cmd)i;
			return 0;
		}
	return nd_err_set(err, ND_CNI_INVALID_ENV, EINVAL, "CNI_COMMAND '%s' is not a CNI command",
			  s ? s : "");
}

static const char *env_or_null(const char *name)
{
	const char *v = getenv(name);

	return v && *v ? v : NULL;
}

static int require_env(const char *name, const char **ret, struct nd_err **err)
{
	*ret = env_or_null(name);
	return *ret ? 0 : nd_err_set(err, ND_CNI_INVALID_ENV, EINVAL, "%s is required", name);
}

static int parse_env(struct nd_cni_req *r, struct nd_err **err)
{
	bool per_attachment = r->cmd == ND_CMD_ADD || r->cmd == ND_CMD_DEL || r->cmd == ND_CMD_CHECK;

	r->args = env_or_null("CNI_ARGS");
	r->netns = env_or_null("CNI_NETNS");
	if (r->cmd == ND_CMD_VERSION)
		return 0;
	if (require_env("CNI_PATH", &r->path, err) < 0)
		return -EINVAL;
	if (!per_attachment)
		return 0;
	if (require_env("CNI_CONTAINERID", &r->container_id, err) < 0 ||
	    require_env("CNI_IFNAME", &r->ifname, err) < 0)
		return -EINVAL;
	/* Spec: DEL must work without a netns (the runtime may have lost it already). */
	if (r->cmd != ND_CMD_DEL && !r->netns)
		return nd_err_set(err, ND_CNI_INVALID_ENV, EINVAL, "CNI_NETNS is required");
	if (!nd_cni_valid_id(r->container_id))
		return nd_err_set(err, ND_CNI_INVALID_ENV, EINVAL,
				  "CNI_CONTAINERID '%s' must match ^[a-zA-Z0-9][a-zA-Z0-9_.-]*$", r->container_id);
	if (r->cmd != ND_CMD_DEL && strlen(r->container_id) > ND_CNI_ID_MAX)
		return nd_err_set(err, ND_CNI_INVALID_ENV, E2BIG, "CNI_CONTAINERID is longer than %d characters",
				  ND_CNI_ID_MAX);
	if (!nd_cni_valid_ifname(r->ifname))
		return nd_err_set(err, ND_CNI_INVALID_ENV, EINVAL,
				  "CNI_IFNAME '%s' must be 1-15 characters without '/', ':', '%%' or spaces, "
				  "and not '.', '..', 'all' or 'default'", r->ifname);
	return 0;
}

static int parse_version(struct nd_cni_req *r, struct nd_err **err)
{
	const char *v = NULL;

	if (nd_json_get_str(r->conf, "cniVersion", true, &v, err) < 0)
		return -EINVAL;
	if (!nd_cni_version_supported(v))
		return nd_err_set(err, ND_CNI_INCOMPATIBLE_VERSION, EINVAL,
				  "cniVersion '%s' is not supported (0.3.0, 0.3.1, 0.4.0, 1.0.0, 1.1.0 are)", v);
	r->version = v;
	if (r->cmd == ND_CMD_CHECK && nd_cni_version_cmp(v, "0.4.0") < 0)
		return nd_err_set(err, ND_CNI_INCOMPATIBLE_VERSION, EINVAL, "CHECK needs cniVersion 0.4.0 or later");
	if ((r->cmd == ND_CMD_GC || r->cmd == ND_CMD_STATUS) && nd_cni_version_cmp(v, "1.1.0") < 0)
		return nd_err_set(err, ND_CNI_INCOMPATIBLE_VERSION, EINVAL, "%s needs cniVersion 1.1.0",
				  r->cmd == ND_CMD_GC ? "GC" : "STATUS");
	return 0;
}

static int parse_conf(struct nd_cni_req *r, struct nd_err **err)
{
	json_t *prev = NULL;

	if (parse_version(r, err) < 0)
		return -EINVAL;
	if (nd_json_get_str(r->conf, "name", true, &r->name, err) < 0 ||
	    nd_json_get_str(r->conf, "type", true, &r->type, err) < 0 ||
	    nd_json_get_obj(r->conf, "prevResult", &prev, err) < 0)
		return nd_err_wrap(err, "network config");
	if (!nd_cni_valid_id(r->name))
		return nd_err_set(err, ND_CNI_INVALID_CONFIG, EINVAL,
				  "network name '%s' must match ^[a-zA-Z0-9][a-zA-Z0-9_.-]*$", r->name);
	r->prev_result = prev;
	return 0;
}

int nd_cni_req_parse(const char *buf, size_t len, struct nd_cni_req *ret, struct nd_err **err)
{
	json_error_t jerr;
	int r;

	memset(ret, 0, sizeof(*ret));
	r = parse_cmd(getenv("CNI_COMMAND"), &ret->cmd, err);
	if (r < 0)
		return r;
	if (ret->cmd == ND_CMD_VERSION && len == 0)
		return 0;
	ret->conf = json_loadb(buf, len, JSON_REJECT_DUPLICATES, &jerr);
	if (!ret->conf || !json_is_object(ret->conf)) {
		r = nd_err_set(err, ND_CNI_DECODE, EINVAL, "network config is not a JSON object: %s",
			       ret->conf ? "wrong type" : jerr.text);
		goto fail;
	}
	if (ret->cmd == ND_CMD_VERSION) {
		/* Only cniVersion matters here; runtimes send {"cniVersion": ...} alone. */
		const char *v = json_string_value(json_object_get(ret->conf, "cniVersion"));

		ret->version = nd_cni_version_supported(v) ? v : NULL;
		return 0;
	}
	if ((r = parse_conf(ret, err)) < 0 || (r = parse_env(ret, err)) < 0)
		goto fail;
	return 0;
fail:
	/* Keep version for the error object when it was valid; drop the rest. */
	if (ret->version)
		ret->version = nd_cni_versions[version_index(ret->version)];
	json_decref(TAKE_PTR(ret->conf));
	return r;
}

void nd_cni_req_clear(struct nd_cni_req *r)
{
	json_decref(r->conf);
	memset(r, 0, sizeof(*r));
}

/* jansson refuses invalid UTF-8, and a message quoting user input must still be printed. */
static json_t *string_lossy(const char *s)
{
	json_t *j = json_string(s);
	char *copy;

	if (j || !(copy = strdup(s)))
		return j;
	for (char *p = copy; *p; p++)
		if ((unsigned char)*p >= 0x80)
			*p = '?';
	j = json_string(copy);
	free(copy);
	return j;
}

json_t *nd_cni_error_json(const struct nd_err *e, const char *v)
{
	int code = e ? e->code : ND_ERR_INTERNAL;

	/* netd's codes as the table gives them; a delegated plugin's own code passes through. */
	return json_pack("{s:s, s:i, s:o, s:s}", "cniVersion", v ? v : "1.1.0", "code",
			 nd_code_known(code) ? nd_code_info(code)->cni : code, "msg",
			 string_lossy(e && e->msg ? e->msg : "unknown error"), "details",
			 e && e->errnum ? strerror(e->errnum) : "");
}

int nd_cni_valid_attachments(json_t *conf, struct nd_attachment **ret, size_t *ret_n, struct nd_err **err)
{
	_cleanup_free_ struct nd_attachment *list = NULL;
	json_t *a = NULL, *e;
	size_t i;

	if (nd_json_get_array(conf, "cni.dev/valid-attachments", SIZE_MAX / sizeof(*list), &a, err) < 0)
		return -EINVAL;
	list = calloc(json_array_size(a) + 1, sizeof(*list));
	if (!list)
		return nd_oom(err);
	json_array_foreach(a, i, e) {
		const char *id = NULL, *ifname = NULL;

		if (nd_json_get_str(e, "containerID", true, &id, err) < 0 ||
		    nd_json_get_str(e, "ifname", true, &ifname, err) < 0)
			return nd_err_wrap(err, "cni.dev/valid-attachments[%zu]", i);
		list[i].id = id;
		list[i].ifname = ifname;
	}
	*ret_n = json_array_size(a);
	*ret = TAKE_PTR(list);
	return 0;
}

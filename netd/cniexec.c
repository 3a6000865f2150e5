/*
 * Daemon-less `netd add/del`: netd acting as a CNI runtime the way libcni does. The
 * network's conflist comes from the CNI config dir; ADD runs its plugins in order, each
 * given the previous one's result as prevResult, and caches the final result (with the
 * conflist) under the results dir; DEL runs them in reverse with the cached result, and
 * falls back to the cached conflist when the file is gone.
 *
 * ADD refuses an attachment that exists (a cache entry, or the daemon's record) before
 * running anything, and a failed ADD undoes only what it made: the plugins that succeeded,
 * and the failing one unless it refused because the attachment or address is someone
 * else's. (A runtime's usual DEL of the whole list after a failed ADD would tear down the
 * attachment a duplicate ADD collided with.)
 */
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/cleanup.h"
#include "base/json.h"
#include "base/shortname.h"
#include "base/state.h"
#include "cli.h"
#include "cni/cni.h"
#include "cni/exec.h"
#include "networks/netops.h"

static const char b64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

static char *base64_encode(const char *in, size_t len)
{
	char *out = malloc((len + 2) / 3 * 4 + 1), *o = out;

	for (size_t i = 0; out && i < len; i += 3) {
		unsigned int v = (unsigned char)in[i] << 16 | (i + 1 < len ? (unsigned char)in[i + 1] << 8 : 0) |
				 (i + 2 < len ? (unsigned char)in[i + 2] : 0);

		*o++ = b64[v >> 18 & 63];
		*o++ = b64[v >> 12 & 63];
		*o++ = i + 1 < len ? b64[v >> 6 & 63] : '=';
		*o++ = i + 2 < len ? b64[v & 63] : '=';
	}
	if (out)
		*o = '\0';
	return out;
}

static char *base64_decode(const char *in, size_t *ret_len)
{
	size_t n = strlen(in), len = 0;
	char *out = malloc(n / 4 * 3 + 1);
	unsigned int v = 0, bits = 0;

	for (; out && *in && *in != '='; in++) {
		const char *p = strchr(b64, *in);

		if (!p || !*in) {
			free(out);
			return NULL;
		}
		v = v << 6 | (unsigned int)(p - b64);
		if ((bits += 6) >= 8)
			out[len++] = (char)(v >> (bits -= 8) & 0xff);
	}
	if (out)
		out[len] = '\0';
	*ret_len = len;
	return out;
}

/* A .conf holds one plugin config: libcni makes a one-plugin list of it. */
static json_t *as_list(json_t *j)
{
	if (json_is_array(json_object_get(j, "plugins")))
		return json_incref(j);
	if (!json_is_string(json_object_get(j, "type")))
		return NULL;
	return json_pack("{s:O, s:O, s:[O]}", "cniVersion", json_object_get(j, "cniVersion"), "name",
			 json_object_get(j, "name"), "plugins", j);
}

static bool conf_file(const char *n)
{
	const char *dot = strrchr(n, '.');

	return n[0] != '.' && dot && (!strcmp(dot, ".conflist") || !strcmp(dot, ".conf") || !strcmp(dot, ".json"));
}

/* libcni's order: files sorted by name, the first whose "name" matches wins. */
static int find_conflist(const char *network, json_t **ret, struct nd_err **err)
{
	struct dirent **ents = NULL;
	int n = scandir(nd_cli.cni_conf_dir, &ents, NULL, alphasort), r = -ENOENT;

	for (int i = 0; i < n; i++) {
		char path[PATH_MAX * 2];
		json_t *j;

		if (r == -ENOENT && conf_file(ents[i]->d_name)) {
			snprintf(path, sizeof(path), "%s/%s", nd_cli.cni_conf_dir, ents[i]->d_name);
			j = json_load_file(path, 0, NULL);
			if (j && !strcmp(json_string_value(json_object_get(j, "name")) ?: "", network) &&
			    (*ret = as_list(j)))
				r = 0;
			json_decref(j);
		}
		free(ents[i]);
	}
	free(ents);
	return r < 0 ? nd_err_set(err, ND_ERR_NOT_FOUND, ENOENT, "network '%s' not found in '%s' (and no daemon runs)", network,
				  nd_cli.cni_conf_dir)
		     : 0;
}

/* Room for nd_state_write's temporary name: "<name>.tmp.<pid>". */
#define CACHE_NAME_MAX (NAME_MAX - 24)

/* libcni's name; one too long for a file name is shortened (shortname.h) where libcni fails. */
static void cache_path(const char *network, const char *id, const char *ifname, char ret[PATH_MAX])
{
	char name[PATH_MAX], fit[CACHE_NAME_MAX + 1];

	/* Cut at PATH_MAX first (a CLI argument may be longer): the name stays a function of the input. */
	snprintf(name, sizeof(name), "%s-%s-%s", network, id, ifname);
	nd_short_name(name, CACHE_NAME_MAX, fit);
	snprintf(ret, PATH_MAX, "%s/%s", nd_cli.cni_cache_dir, fit);
}

static void set_env(const char *cmd, const char *id, const char *netns, const char *ifname, const char *args)
{
	/* The CLI is single-threaded, so the plugins inherit these through lib/cni/exec.c safely. */
	setenv("CNI_COMMAND", cmd, 1);
	setenv("CNI_CONTAINERID", id, 1);
	setenv("CNI_NETNS", netns ? netns : "", 1);
	setenv("CNI_IFNAME", ifname, 1);
	setenv("CNI_ARGS", args ? args : "", 1);
	setenv("CNI_PATH", nd_cli.cni_path, 1);
}

/*
 * The config plugin i receives: its object, with the list's cniVersion and name, and
 * prevResult; NULL when out of memory (nd_exec_plugin then says so).
 */
static json_t *plugin_conf(json_t *list, size_t i, json_t *prev)
{
	json_t *c = json_deep_copy(json_array_get(json_object_get(list, "plugins"), i));
	bool ok = true;

	nd_json_set(c, "cniVersion", json_incref(json_object_get(list, "cniVersion")), &ok);
	nd_json_set(c, "name", json_incref(json_object_get(list, "name")), &ok);
	if (prev)
		nd_json_set(c, "prevResult", json_incref(prev), &ok);
	return nd_json_built(c, ok);
}

/* DEL of the first n plugins of the list, in reverse. */
static int run_del(json_t *list, size_t n, json_t *prev, struct nd_err **err)
{
	for (size_t i = n; i-- > 0;) {
		_cleanup_json_ json_t *c = plugin_conf(list, i, prev), *out = NULL;
		const char *type = json_string_value(json_object_get(c, "type"));
		int r = c ? nd_exec_plugin(nd_cli.cni_path, type ? type : "", "DEL", c, &out, err) : nd_oom(err);

		if (r < 0)
			return r;
	}
	return 0;
}

static int write_cache(json_t *list, const char *network, const char *id, const char *netns, const char *ifname,
		       json_t *result, struct nd_err **err)
{
	_cleanup_free_ char *text = json_dumps(list, JSON_COMPACT), *enc = NULL, *out = NULL;
	_cleanup_json_ json_t *j = NULL;
	char path[PATH_MAX];
	int r;

	if (!text || !(enc = base64_encode(text, strlen(text))))
		return nd_oom(err);
	j = json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:O}", "kind", "cniCacheV1", "containerId", id, "config", enc,
		      "ifName", ifname, "networkName", network, "netns", netns, "result", result);
	if (!j || !(out = json_dumps(j, JSON_COMPACT)))
		return nd_oom(err);
	if ((r = nd_state_mkdirs(nd_cli.cni_cache_dir, 0700, err)) < 0)
		return r;
	cache_path(network, id, ifname, path);
	return nd_state_write(path, out, strlen(out), err);
}

/*
 * An attachment netd knows of: libcni's cache entry for (network, id, ifname), or the
 * daemon's record of (network, id) in the state dir (pending or ready), whichever made it.
 */
static int check_absent(const char *network, const char *id, const char *ifname, struct nd_err **err)
{
	struct nd_ctx c;
	char path[PATH_MAX];

	if (!nd_cni_valid_id(id))
		return nd_err_set(err, ND_CNI_INVALID_CONFIG, EINVAL, "container ID '%s' is invalid", id);
	if (!nd_cni_valid_ifname(ifname))
		return nd_err_set(err, ND_CNI_INVALID_CONFIG, EINVAL, "interface name '%s' is invalid", ifname);
	cache_path(network, id, ifname, path);
	if (access(path, F_OK) == 0)
		return nd_err_set(err, ND_ERR_EXISTS, EEXIST,
				  "container '%s' interface '%s' is attached to network '%s' already (result cache '%s')",
				  id, ifname, network, path);
	nd_ctx_from_env(&c);
	if (nd_op_attached(&c, network, id))
		return nd_err_set(err, ND_ERR_EXISTS, EEXIST,
				  "container '%s' is attached to network '%s' already (by the daemon, state '%s')", id,
				  network, c.state_dir);
	return 0;
}

/*
 * Whether a plugin that failed with code may have left something for its DEL to undo. A
 * plugin refusing because the attachment or the address is taken made nothing, and what
 * carries that identity belongs to someone else: its DEL would destroy that.
 */
static bool may_have_made(int code)
{
	return code != ND_ERR_EXISTS && code != ND_ERR_ADDR_IN_USE;
}

int nd_cniexec_add(const char *network, const char *id, const char *netns, const char *ifname, const char *args,
		   json_t **ret_result, struct nd_err **err)
{
	_cleanup_json_ json_t *list = NULL, *prev = NULL;
	size_t n, done = 0;
	int r = check_absent(network, id, ifname, err);

	if (r < 0 || (r = find_conflist(network, &list, err)) < 0)
		return r;
	set_env("ADD", id, netns, ifname, args);
	n = json_array_size(json_object_get(list, "plugins"));
	for (; r >= 0 && done < n; done++) {
		_cleanup_json_ json_t *c = plugin_conf(list, done, prev);
		const char *type = json_string_value(json_object_get(c, "type"));
		json_t *out = NULL;

		if ((r = c ? nd_exec_plugin(nd_cli.cni_path, type ? type : "", "ADD", c, &out, err) : nd_oom(err)) < 0)
			break;
		if (out) {
			json_decref(prev);
			prev = out;
		}
	}
	if (r >= 0 && !prev)
		r = nd_err_set(err, ND_ERR_PLUGIN, EINVAL, "network '%s': no plugin printed a result", network);
	if (r >= 0)
		r = write_cache(list, network, id, netns, ifname, prev, err);
	if (r < 0) {
		/* done counts the plugins that succeeded, plus the failing one when it may have made something. */
		if (done < n && err && *err && may_have_made((*err)->code))
			done++;
		set_env("DEL", id, netns, ifname, args);
		(void)run_del(list, done, NULL, NULL);
		return r;
	}
	*ret_result = TAKE_PTR(prev);
	return 0;
}

static json_t *cached_list(json_t *cache)
{
	const char *enc = json_string_value(json_object_get(cache, "config"));
	_cleanup_free_ char *text = NULL;
	size_t len = 0;

	if (!enc || !(text = base64_decode(enc, &len)))
		return NULL;
	return json_loadb(text, len, 0, NULL);
}

int nd_cniexec_del(const char *network, const char *id, const char *netns, const char *ifname, struct nd_err **err)
{
	_cleanup_json_ json_t *list = NULL, *cache = NULL;
	char path[PATH_MAX];
	int r;

	cache_path(network, id, ifname, path);
	cache = json_load_file(path, 0, NULL);
	if (find_conflist(network, &list, NULL) < 0 && !(list = cached_list(cache)))
		return find_conflist(network, &list, err);
	if (!netns)
		netns = json_string_value(json_object_get(cache, "netns"));
	set_env("DEL", id, netns, ifname, json_string_value(json_object_get(cache, "cniArgs")));
	if ((r = run_del(list, json_array_size(json_object_get(list, "plugins")), json_object_get(cache, "result"), err)) < 0)
		return r;
	return nd_state_remove(path, err);
}

/*
 * lib/networks/network, lib/base/json and lib/kernel/netnsname validators the daemon's API relies on (issue 8):
 * bounded options, bounded depth, ownership never taken from a body, quarantine of an
 * unusable state file with its subnet kept reserved, the netns path rule. Table-driven,
 * no privileges (files in a temporary directory only).
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/json.h"
#include "base/state.h"
#include "kernel/netnsname.h"
#include "networks/network.h"

#include "fixtures.h"

/* "[[[...1...]]]" n deep, or an object nesting n levels under "k". */
static char *nested(unsigned int n, bool objects)
{
	size_t len = (size_t)n * 6 + 16;
	char *s = malloc(len), *p = s;

	for (unsigned int i = 0; i < n; i++)
		p += sprintf(p, objects ? "{\"k\":" : "[");
	p += sprintf(p, "1");
	for (unsigned int i = 0; i < n; i++)
		*p++ = objects ? '}' : ']';
	*p = '\0';
	return s;
}

static void test_json_depth(void **state)
{
	static const struct {
		const char *text;
		unsigned int depth;
	} rows[] = {
		{ "", 0 },
		{ "1", 0 },
		{ "{}", 1 },
		{ "{\"a\":[1,{\"b\":2}]}", 3 },
		{ "\"[[[[\"", 0 },              /* inside a string */
		{ "[\"\\\"[[\"]", 1 },          /* an escaped quote does not end the string */
		{ "]]]]{", 1 },                 /* garbage never underflows */
		{ "{{{{", 4 },
	};
	char *deep = nested(5000, false);
	struct nd_err *err = NULL;
	json_t *j = NULL;

	(void)state;
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++)
		if (nd_json_depth(rows[i].text, strlen(rows[i].text)) != rows[i].depth)
			fail_msg("depth of '%s': want %u", rows[i].text, rows[i].depth);
	assert_int_equal(nd_json_depth(deep, strlen(deep)), 5000);
	assert_int_equal(nd_json_parse_bounded(deep, strlen(deep), 8, &j, &err), -EINVAL);
	assert_int_equal(err->code, 6);
	assert_non_null(strstr(err->msg, "deeper than 8"));
	nd_err_freep(&err);
	assert_int_equal(nd_json_parse_bounded("{\"a\":{}}", 8, 2, &j, &err), 0);
	json_decref(j);
	assert_int_equal(nd_json_parse_bounded("{\"a\":", 5, 2, &j, &err), -EINVAL);
	assert_non_null(strstr(err->msg, "not JSON"));
	nd_err_free(err);
	free(deep);
}

static void test_json_top_strings(void **state)
{
	static const char *const keys[] = { "bridge", "subnet", "ipv6" };
	static const struct {
		const char *text;
		const char *want[3];
	} rows[] = {
		{ "{\"bridge\":\"br0\",\"subnet\":\"10.0.0.0/24\"}", { "br0", "10.0.0.0/24", "" } },
		/* Only the top level counts: the nested "subnet" is an option, not the network's. */
		{ "{\"options\":{\"subnet\":\"1.2.3.0/24\"},\"subnet\":\"10.9.0.0/16\"}", { "", "10.9.0.0/16", "" } },
		{ "{\"options\":[\"subnet\",\"x\"],\"ipv6\":\"fd00::/64\"}", { "", "", "fd00::/64" } },
		/* Truncated (a torn write, a read limit): what came before still counts. */
		{ "{\"subnet\":\"10.1.0.0/24\",\"options\":{\"a\":[[[[", { "", "10.1.0.0/24", "" } },
		{ "{\"subnet\":10,\"bridge\":null}", { "", "", "" } },
		{ "{\"sub\\u006eet\":\"10.0.0.0/8\"}", { "", "", "" } }, /* escaped keys are not matched */
		{ "[\"subnet\",\"10.0.0.0/8\"]", { "", "", "" } },       /* not an object */
		{ "{\"subnet\":\"a-very-long-value-that-does-not-fit-into-sixty-four-bytes-of-buffer-space\"}", { "", "", "" } },
		{ "", { "", "", "" } },
	};
	char vals[3][ND_JSON_TOP_MAX];

	(void)state;
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		nd_json_top_strings(rows[i].text, strlen(rows[i].text), keys, 3, vals);
		for (size_t k = 0; k < 3; k++)
			if (strcmp(vals[k], rows[i].want[k]))
				fail_msg("row %zu key %s: got '%s', want '%s'", i, keys[k], vals[k], rows[i].want[k]);
	}
}

/*
 * body parsed as the API does (full: then finished and checked as a new network): accepted
 * when want is NULL, else refused with code 7 and a message holding want.
 */
static void parse_expect(const char *body, bool full, const char *want)
{
	json_t *j = fx_json(body);
	struct nd_err *err = NULL;
	struct nd_network n;
	int r = nd_network_parse(j, &n, &err);
	bool parsed = r >= 0;

	if (full && r >= 0 && (r = nd_network_finish(&n, &err)) >= 0)
		r = nd_network_check_new(&n, &err);
	if (!want && r < 0)
		fail_msg("%s refused: %s", body, err->msg);
	if (want && (r >= 0 || err->code != 7 || !strstr(err->msg, want)))
		fail_msg("%s: want '%s', got '%s'", body, want, err ? err->msg : "accepted");
	if (parsed)
		nd_network_clear(&n);
	nd_err_free(err);
	json_decref(j);
}

/*
 * Bodies as the API parses them: options (parse only), and subnets and gateways (parsed,
 * finished and checked as a new network: full).
 */
static void test_network_parse_and_check(void **state)
{
	static const struct {
		bool full;
		const char *body;
		const char *want; /* NULL: accepted */
	} rows[] = {
		{ false, "{\"name\":\"n\",\"options\":{\"com.docker.network.bridge.name\":\"x\"}}", NULL },
		{ false, "{\"name\":\"n\",\"options\":{}}", NULL },
		{ false, "{\"name\":\"n\",\"options\":{\"a\":{\"b\":\"c\"}}}", "options.a: must be a string" },
		{ false, "{\"name\":\"n\",\"options\":{\"a\":[\"b\"]}}", "options.a: must be a string" },
		{ false, "{\"name\":\"n\",\"options\":{\"a\":1}}", "options.a: must be a string" },
		{ false, "{\"name\":\"n\",\"options\":{\"\":\"v\"}}", "a key has 1 to 128" },
		{ false, "{\"name\":\"n\",\"options\":{\"a\\u0001\":\"v\"}}", "a key has 1 to 128" },
		{ false, "{\"name\":\"n\",\"options\":[]}", "options" },
		{ true, "{\"name\":\"n\",\"subnet\":\"10.5.0.0/24\"}", NULL },
		{ true, "{\"name\":\"n\",\"subnet\":\"10.5.0.0/24\",\"ipv6\":\"fd00:5::/64\"}", NULL },
		{ true, "{\"name\":\"n\",\"subnet\":\"127.0.0.0/8\"}", "loopback" },
		{ true, "{\"name\":\"n\",\"subnet\":\"224.0.0.0/24\"}", "multicast" },
		{ true, "{\"name\":\"n\",\"subnet\":\"255.255.255.0/24\"}", "reserved" },
		{ true, "{\"name\":\"n\",\"subnet\":\"169.254.0.0/16\"}", "link-local" },
		{ true, "{\"name\":\"n\",\"subnet\":\"10.5.0.0/24\",\"gateway\":\"10.5.0.0\"}", "network address" },
		{ true, "{\"name\":\"n\",\"subnet\":\"10.5.0.0/24\",\"gateway\":\"10.5.0.255\"}", "broadcast address" },
		{ true, "{\"name\":\"n\",\"subnet\":\"10.5.0.0/24\",\"ipv6\":\"::/0\"}", "ipv6: subnet ::/0 is too large" },
		{ true, "{\"name\":\"n\",\"subnet\":\"10.5.0.0/24\",\"ipv6\":\"ff02::/64\"}", "multicast" },
	};
	(void)state;

	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++)
		parse_expect(rows[i].body, rows[i].full, rows[i].want);
}

/*
 * Docker's icc: the field or either option turns it off, any other option value is refused;
 * the record keeps icc (written only when off) and the bridge config carries icc and internal.
 */
static void test_network_icc_and_internal(void **state)
{
	static const struct {
		const char *body;
		int icc; /* -1: refused */
	} rows[] = {
		{ "{\"name\":\"n\"}", 1 },
		{ "{\"name\":\"n\",\"icc\":false}", 0 },
		{ "{\"name\":\"n\",\"options\":{\"icc\":\"false\"}}", 0 },
		{ "{\"name\":\"n\",\"options\":{\"com.docker.network.bridge.enable_icc\":\"false\"}}", 0 },
		{ "{\"name\":\"n\",\"options\":{\"com.docker.network.bridge.enable_icc\":\"true\"}}", 1 },
		{ "{\"name\":\"n\",\"options\":{\"icc\":\"no\"}}", -1 },
		{ "{\"name\":\"n\",\"icc\":\"false\"}", -1 },
	};
	(void)state;

	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		json_t *j = fx_json(rows[i].body), *rec, *conf;
		struct nd_err *err = NULL;
		struct nd_network n;
		int r = nd_network_parse(j, &n, &err);

		json_decref(j);
		if (rows[i].icc < 0) {
			assert_true(r < 0);
			assert_non_null(err);
			nd_err_freep(&err);
			continue;
		}
		assert_int_equal(r, 0);
		assert_int_equal(n.icc, rows[i].icc);
		n.internal = !n.icc;
		(void)nd_cidr_parse("10.5.0.0/24", &n.subnet, NULL);
		assert_int_equal(nd_network_finish(&n, NULL), 0);
		rec = nd_network_json(&n);
		conf = nd_network_cni_conf(&n, NULL);
		assert_int_equal(json_is_false(json_object_get(rec, "icc")), !n.icc);
		assert_int_equal(json_is_false(json_object_get(conf, "icc")), !n.icc);
		assert_int_equal(json_is_true(json_object_get(conf, "internal")), n.internal);
		json_decref(rec);
		json_decref(conf);
		nd_network_clear(&n);
	}
}

static void test_network_option_limits(void **state)
{
	json_t *j = fx_json("{\"name\":\"n\"}"), *opts = json_object();
	char key[ND_NET_OPTION_KEY_MAX + 2], *val = malloc(ND_NET_OPTION_VALUE_MAX + 2);
	struct nd_err *err = NULL;
	struct nd_network n;

	(void)state;
	json_object_set_new(j, "options", opts);
	for (unsigned int i = 0; i < ND_NET_OPTIONS_MAX; i++) {
		snprintf(key, sizeof(key), "k%u", i);
		json_object_set_new(opts, key, json_string("v"));
	}
	assert_int_equal(nd_network_parse(j, &n, &err), 0);
	nd_network_clear(&n);
	json_object_set_new(opts, "one-too-many", json_string("v"));
	assert_true(nd_network_parse(j, &n, &err) < 0);
	assert_non_null(strstr(err->msg, "at most 32 entries"));
	nd_err_freep(&err);
	json_object_clear(opts);
	memset(key, 'k', ND_NET_OPTION_KEY_MAX + 1);
	key[ND_NET_OPTION_KEY_MAX + 1] = '\0';
	json_object_set_new(opts, key, json_string("v"));
	assert_true(nd_network_parse(j, &n, &err) < 0);
	nd_err_freep(&err);
	json_object_clear(opts);
	memset(val, 'v', ND_NET_OPTION_VALUE_MAX + 1);
	val[ND_NET_OPTION_VALUE_MAX + 1] = '\0';
	json_object_set_new(opts, "k", json_string(val));
	assert_true(nd_network_parse(j, &n, &err) < 0);
	assert_non_null(strstr(err->msg, "longer than 1024 bytes"));
	nd_err_freep(&err);
	val[ND_NET_OPTION_VALUE_MAX] = '\0';
	json_object_set_new(opts, "k", json_string(val));
	assert_int_equal(nd_network_parse(j, &n, &err), 0);
	nd_network_clear(&n);
	free(val);
	json_decref(j);
}


static void write_file(const char *dir, const char *name, const char *text)
{
	char path[PATH_MAX];
	FILE *f;

	snprintf(path, sizeof(path), "%s/networks", dir);
	mkdir(path, 0700);
	snprintf(path, sizeof(path), "%s/networks/%s", dir, name);
	f = fopen(path, "w");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
}

/* An API body never sets ownership; a state file does, and an old one defaults by the name. */
static void test_network_ownership(void **state)
{
	char dir[FX_DIR_LEN];
	json_t *j = fx_json("{\"name\":\"own\",\"subnet\":\"10.6.0.0/24\",\"ownBridge\":true,\"ownGateway\":true}");
	struct nd_network n;

	(void)state;
	assert_true(fx_tmpdir(dir, "unit-net"));
	assert_int_equal(nd_network_parse(j, &n, NULL), 0);
	assert_false(n.own_bridge);
	assert_false(n.own_gw);
	nd_network_clear(&n);
	json_decref(j);
	write_file(dir, "a.json", "{\"name\":\"a\",\"subnet\":\"10.7.0.0/24\",\"bridge\":\"hostbr0\",\"ownBridge\":false,\"ownGateway\":true}");
	assert_int_equal(nd_network_load(dir, "a", &n, NULL), 0);
	assert_false(n.own_bridge);
	assert_true(n.own_gw);
	nd_network_clear(&n);
	/* Files from before ownership: a name netd derives was netd's, any other was adopted. */
	write_file(dir, "b.json", "{\"name\":\"b\",\"subnet\":\"10.8.0.0/24\",\"bridge\":\"hostbr1\"}");
	assert_int_equal(nd_network_load(dir, "b", &n, NULL), 0);
	assert_false(n.own_bridge);
	nd_network_clear(&n);
	write_file(dir, "c.json", "{\"name\":\"c\",\"subnet\":\"10.9.0.0/24\"}");
	assert_int_equal(nd_network_load(dir, "c", &n, NULL), 0);
	assert_true(n.own_bridge);
	nd_network_clear(&n);
	fx_rmtree(dir);
}

/* The attack of issue 8: options 3000 deep, the subnet after them; the file is moved aside. */
static void test_network_quarantine(void **state)
{
	char dir[FX_DIR_LEN], *deep = nested(3000, true), *text, file[PATH_MAX], path[PATH_MAX];
	struct nd_err *err = NULL;
	struct nd_network n, other = { .name = "other", .bridge = "br-other" };
	char **names = NULL;
	size_t cnt = 0;

	(void)state;
	assert_true(fx_tmpdir(dir, "unit-net"));
	text = malloc(strlen(deep) + 128);
	sprintf(text, "{\"bridge\":\"br-x\",\"name\":\"x\",\"options\":%s,\"subnet\":\"10.44.0.0/16\"}", deep);
	write_file(dir, "x.json", text);
	write_file(dir, "y.json", "{\"name\":\"y\",\"subnet\":\"10.45.0.0/16\"}");
	assert_int_equal(nd_network_load(dir, "x", &n, &err), -EBADMSG);
	assert_non_null(strstr(err->msg, "state of network 'x' is unusable"));
	nd_err_freep(&err);
	/* Unusable, it still holds its name: a new network never writes over it. */
	strcpy(other.name, "x");
	(void)nd_cidr_parse("10.99.0.0/24", &other.subnet, NULL);
	assert_int_equal(nd_network_check_unique(dir, &other, &err), -EEXIST);
	assert_non_null(strstr(err->msg, "network 'x' exists already"));
	nd_err_freep(&err);
	strcpy(other.name, "other");
	assert_int_equal(nd_network_quarantine(dir, "x", file, &err), 0);
	assert_non_null(strstr(file, "/networks/x.json.broken-"));
	assert_int_equal(access(file, F_OK), 0);
	snprintf(path, sizeof(path), "%s/networks/x.json", dir);
	assert_int_equal(access(path, F_OK), -1);
	assert_true(nd_network_is_reserved(dir, "x"));
	assert_int_equal(nd_network_list(dir, &names, &cnt, NULL), 0);
	assert_int_equal(cnt, 1);
	assert_string_equal(names[0], "y");
	nd_strv_free(names);
	/* Its name, subnet and bridge stay taken. */
	(void)nd_cidr_parse("10.44.1.0/24", &other.subnet, NULL);
	assert_int_equal(nd_network_check_unique(dir, &other, &err), -EEXIST);
	assert_non_null(strstr(err->msg, "subnet overlaps network 'x' (quarantined)"));
	nd_err_freep(&err);
	(void)nd_cidr_parse("10.46.0.0/24", &other.subnet, NULL);
	strcpy(other.bridge, "br-x");
	assert_int_equal(nd_network_check_unique(dir, &other, &err), -EEXIST);
	assert_non_null(strstr(err->msg, "bridge overlaps network 'x'"));
	nd_err_freep(&err);
	strcpy(other.bridge, "br-other");
	strcpy(other.name, "x");
	assert_int_equal(nd_network_check_unique(dir, &other, &err), -EEXIST);
	assert_non_null(strstr(err->msg, "held by a quarantined network"));
	nd_err_freep(&err);
	strcpy(other.name, "z");
	assert_int_equal(nd_network_check_unique(dir, &other, &err), 0);
	/* A file with nothing readable in it is quarantined too; only its name is held then. */
	write_file(dir, "w.json", "\x01\x02 not json");
	assert_int_equal(nd_network_load(dir, "w", &n, NULL), -EBADMSG);
	assert_int_equal(nd_network_quarantine(dir, "w", NULL, &err), 0);
	assert_true(nd_network_is_reserved(dir, "w"));
	fx_rmtree(dir);
	free(text);
	free(deep);
}

/* What lib/kernel/netnsname refuses before it opens anything: paths outside the rule. */
static void test_netns_rule_paths(void **state)
{
	static const char *const allow[] = { "/run/ctr/ns/", "/srv/netns", NULL };
	static const struct {
		const char *path;
		bool refused; /* by the rule itself (code 109), before any open */
	} rows[] = {
		{ "/proc/1/ns/net", true },
		{ "/proc/self/ns/net", true },
		{ "/var/run/netns/../../proc/1/ns/net", true },
		{ "/var/run/netns/a/b", true },
		{ "/var/run/netns/", true },
		{ "/tmp/ns", true },
		{ "/run/ctr/ns/../../../proc/1/ns/net", true },
		{ "/run/ctr/ns//x", true },
		{ "/run/ctrx/ns/a", true },
		{ "/srv/netnsX", true },
		{ "relative/ns", true },
		{ "", true },
		{ "/var/run/netns/nope-unit", false }, /* named: then absent (404) */
		{ "/run/netns/nope-unit", false },
		{ "/run/ctr/ns/nope-unit", false },
		{ "/srv/netns/deeper/nope", false },
		{ "/srv/netns", false },
	};
	(void)state;

	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		struct nd_err *err = NULL;
		int r = nd_netns_check_attachable(rows[i].path, allow, &err);

		assert_true(r < 0);
		if (rows[i].refused != (err->code == ND_ERR_REFUSED))
			fail_msg("%s: code %d '%s'", rows[i].path, err->code, err->msg);
		nd_err_free(err);
	}
	assert_true(nd_path_is_clean("/a/b"));
	assert_false(nd_path_is_clean("/a/./b"));
	assert_false(nd_path_is_clean("/a/b/"));
	assert_false(nd_path_is_clean("/"));
	assert_false(nd_path_is_clean("a"));
	assert_false(nd_path_is_clean(NULL));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_json_depth),
		cmocka_unit_test(test_json_top_strings),
		cmocka_unit_test(test_network_parse_and_check),
		cmocka_unit_test(test_network_option_limits),
		cmocka_unit_test(test_network_icc_and_internal),
		cmocka_unit_test(test_network_ownership),
		cmocka_unit_test(test_network_quarantine),
		cmocka_unit_test(test_netns_rule_paths),
	};

	return cmocka_run_group_tests_name("network", tests, NULL, NULL);
}

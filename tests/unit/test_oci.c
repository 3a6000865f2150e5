/* lib/oci: digests, references, index/manifest/config parsing, command rule, whiteout names. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "runtime/digest.h"
#include "runtime/layer.h"
#include "runtime/oci.h"

#include "fixtures.h"

#define D64 "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"

static void test_digest_valid(void **state)
{
	static const struct {
		const char *in;
		bool ok;
	} t[] = {
		{ "sha256:" D64, true },
		{ "sha256:" D64 "0", false },
		{ "sha256:0123456789ABCDEF0123456789abcdef0123456789abcdef0123456789abcdef", false },
		{ "sha512:" D64, false },
		{ "sha256:", false },
		{ "", false },
		{ "sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdeg", false },
	};

	(void)state;
	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++)
		assert_int_equal(nd_digest_valid(t[i].in), t[i].ok);
	assert_false(nd_digest_valid(NULL));
}

static void test_split_ref(void **state)
{
	static const struct {
		const char *in, *dir, *tag;
	} t[] = {
		{ "/img", "/img", NULL },
		{ "/img:v1", "/img", "v1" },
		{ "img:latest", "img", "latest" },
		{ "/a:b/img", "/a:b/img", NULL }, /* the ':' is in a directory name */
		{ "/a:b/img:t", "/a:b/img", "t" },
		{ "/img:", "/img:", NULL },
	};

	(void)state;
	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		char *dir = NULL, *tag = NULL;

		assert_int_equal(nd_oci_split_ref(t[i].in, &dir, &tag, NULL), 0);
		assert_string_equal(dir, t[i].dir);
		if (t[i].tag)
			assert_string_equal(tag, t[i].tag);
		else
			assert_null(tag);
		free(dir);
		free(tag);
	}
}

static void test_whiteout_names(void **state)
{
	static const struct {
		const char *in;
		int kind; /* -1: refused */
		const char *dir, *name;
	} t[] = {
		{ "etc/passwd", 0, NULL, NULL },
		{ "etc/.wh.passwd", 1, "etc", "passwd" },
		{ "./etc/.wh.passwd", 1, "etc", "passwd" },
		{ "/etc//x/.wh.y", 1, "etc/x", "y" },
		{ ".wh.top", 1, "", "top" },
		{ "etc/app/.wh..wh..opq", 2, "etc/app", NULL },
		{ ".wh..wh..opq", 2, "", NULL },
		{ "etc/.wh.", -1, NULL, NULL },
		{ "etc/.wh...", -1, NULL, NULL },
		{ "../etc/.wh.x", -1, NULL, NULL },
		{ "a/../../.wh.x", -1, NULL, NULL },
		{ "etc/x.wh.y", 0, NULL, NULL },
	};

	(void)state;
	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		char *dir = NULL, *name = NULL;
		struct nd_err *e = NULL;
		int r = nd_oci_whiteout(t[i].in, &dir, &name, &e);

		if (t[i].kind < 0) {
			assert_true(r < 0);
			assert_non_null(e);
			assert_int_equal(e->code, ND_ERR_BAD_IMAGE);
			nd_err_free(e);
			continue;
		}
		assert_int_equal(r, t[i].kind);
		if (r > 0) {
			assert_string_equal(dir, t[i].dir);
			if (t[i].name)
				assert_string_equal(name, t[i].name);
			else
				assert_null(name);
		}
		free(dir);
		free(name);
	}
}

static const char *ref_of(json_t *d)
{
	return json_string_value(json_object_get(d, "digest"));
}

static void test_pick_manifest(void **state)
{
	json_t *one = fx_json("{\"manifests\":[{\"digest\":\"a\"}]}");
	json_t *tagged = fx_json("{\"manifests\":[{\"digest\":\"a\",\"annotations\":{\"org.opencontainers.image.ref.name\":\"v1\"}},"
			    "{\"digest\":\"b\",\"annotations\":{\"org.opencontainers.image.ref.name\":\"latest\"}}]}");
	json_t *plat = fx_json("{\"manifests\":[{\"digest\":\"arm\",\"platform\":{\"os\":\"linux\",\"architecture\":\"s390x\"}},"
			  "{\"digest\":\"ours\",\"platform\":{\"os\":\"linux\",\"architecture\":\"amd64\"}},"
			  "{\"digest\":\"ours64\",\"platform\":{\"os\":\"linux\",\"architecture\":\"arm64\"}}]}");
	json_t *two = fx_json("{\"manifests\":[{\"digest\":\"a\"},{\"digest\":\"b\"}]}");
	json_t *empty = fx_json("{\"manifests\":[]}");
	json_t *d = NULL;
	struct nd_err *e = NULL;

	(void)state;
	assert_int_equal(nd_oci_pick_manifest(one, NULL, &d, NULL), 0);
	assert_string_equal(ref_of(d), "a");
	assert_int_equal(nd_oci_pick_manifest(tagged, "v1", &d, NULL), 0);
	assert_string_equal(ref_of(d), "a");
	assert_int_equal(nd_oci_pick_manifest(tagged, NULL, &d, NULL), 0);
	assert_string_equal(ref_of(d), "b"); /* "latest" when no tag is named */
	assert_true(nd_oci_pick_manifest(tagged, "v2", &d, &e) < 0);
	assert_non_null(strstr(e->msg, "'v2'"));
	nd_err_freep(&e);
	/* One platform of the index matches this machine (amd64 or arm64 CI): it is taken. */
	assert_int_equal(nd_oci_pick_manifest(plat, NULL, &d, NULL), 0);
	assert_true(!strcmp(ref_of(d), "ours") || !strcmp(ref_of(d), "ours64"));
	assert_true(nd_oci_pick_manifest(two, NULL, &d, &e) < 0);
	assert_non_null(strstr(e->msg, "name a tag"));
	nd_err_freep(&e);
	assert_true(nd_oci_pick_manifest(empty, NULL, &d, NULL) < 0);
	json_decref(one);
	json_decref(tagged);
	json_decref(plat);
	json_decref(two);
	json_decref(empty);
}

static void test_config_and_manifest(void **state)
{
	json_t *cfg = fx_json("{\"config\":{\"Env\":[\"A=1\"],\"Entrypoint\":[\"/e\"],\"Cmd\":[\"c1\",\"c2\"],"
			 "\"WorkingDir\":\"/w\",\"User\":\"1000:1000\"},"
			 "\"rootfs\":{\"type\":\"layers\",\"diff_ids\":[\"sha256:" D64 "\",\"sha256:" D64 "\"]}}");
	json_t *man = fx_json("{\"layers\":[{\"mediaType\":\"application/vnd.oci.image.layer.v1.tar+gzip\",\"digest\":\"sha256:" D64
			 "\"},{\"mediaType\":\"application/vnd.oci.image.layer.v1.tar\",\"digest\":\"sha256:" D64 "\"}]}");
	json_t *man1 = fx_json("{\"layers\":[{\"mediaType\":\"application/vnd.oci.image.layer.v1.tar\",\"digest\":\"sha256:" D64 "\"}]}");
	json_t *enc = fx_json("{\"layers\":[{\"mediaType\":\"application/vnd.oci.image.layer.v1.tar+encrypted\",\"digest\":\"sha256:" D64 "\"}]}");
	json_t *badcfg = fx_json("{\"config\":{\"Env\":\"A=1\"},\"rootfs\":{\"type\":\"layers\",\"diff_ids\":[]}}");
	struct nd_oci_image img = { 0 }, img2 = { 0 };
	struct nd_err *e = NULL;

	(void)state;
	assert_int_equal(nd_oci_parse_manifest(man, &img, NULL), 0);
	assert_int_equal(nd_oci_parse_config(cfg, &img, NULL), 0);
	assert_int_equal(img.n_layers, 2);
	assert_string_equal(img.env[0], "A=1");
	assert_null(img.env[1]);
	assert_string_equal(img.entrypoint[0], "/e");
	assert_string_equal(img.cmd[1], "c2");
	assert_string_equal(img.workdir, "/w");
	assert_string_equal(img.user, "1000:1000");
	nd_oci_image_clear(&img);
	/* One layer in the manifest, two diff_ids in the config. */
	assert_int_equal(nd_oci_parse_manifest(man1, &img2, NULL), 0);
	assert_true(nd_oci_parse_config(cfg, &img2, &e) < 0);
	assert_non_null(strstr(e->msg, "diff_ids"));
	nd_err_freep(&e);
	nd_oci_image_clear(&img2);
	assert_true(nd_oci_parse_manifest(enc, &img2, &e) < 0);
	assert_int_equal(e->code, ND_ERR_BAD_IMAGE);
	nd_err_freep(&e);
	nd_oci_image_clear(&img2);
	assert_true(nd_oci_parse_config(badcfg, &img2, &e) < 0);
	assert_non_null(strstr(e->msg, "Env"));
	nd_err_freep(&e);
	nd_oci_image_clear(&img2);
	json_decref(cfg);
	json_decref(man);
	json_decref(man1);
	json_decref(enc);
	json_decref(badcfg);
}

static void test_argv_rule(void **state)
{
	char e0[] = "/entry", e1[] = "-x", c0[] = "default", a0[] = "user", a1[] = "arg";
	char *ep[] = { e0, e1, NULL }, *cmd[] = { c0, NULL }, *args[] = { a0, a1 };
	struct nd_oci_image img = { .entrypoint = ep, .cmd = cmd };
	struct nd_oci_image none = { 0 };
	char **v = NULL;

	(void)state;
	assert_int_equal(nd_oci_argv(&img, NULL, 0, &v, NULL), 0);
	assert_string_equal(v[0], "/entry");
	assert_string_equal(v[2], "default");
	assert_null(v[3]);
	for (char **p = v; *p; p++)
		free(*p);
	free(v);
	/* Arguments replace Cmd, not Entrypoint. */
	assert_int_equal(nd_oci_argv(&img, args, 2, &v, NULL), 0);
	assert_string_equal(v[2], "user");
	assert_string_equal(v[3], "arg");
	assert_null(v[4]);
	for (char **p = v; *p; p++)
		free(*p);
	free(v);
	assert_true(nd_oci_argv(&none, NULL, 0, &v, NULL) < 0);
}

static void test_layer_xattrs_kept(void **state)
{
	static const struct {
		const char *name;
		bool kept;
	} cases[] = {
		{ "user.mime_type", true },	      { "security.capability", true },
		{ "trusted.overlay.opaque", false },  { "trusted.overlay.redirect", false },
		{ "trusted.overlay.metacopy", false }, { "trusted.overlay.origin", false },
		{ "trusted.anything", false },	      { "security.selinux", false },
		{ "security.ima", false },	      { "security.evm", false },
		{ "system.posix_acl_access", false }, { "security.capability.x", false },
		{ "user", false },		      { "", false },
		{ NULL, false },
	};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		if (nd_layer_xattr_kept(cases[i].name) != cases[i].kept)
			fail_msg("'%s' must be %s", cases[i].name ? cases[i].name : "(null)",
				 cases[i].kept ? "kept" : "dropped");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_digest_valid),	   cmocka_unit_test(test_split_ref),
		cmocka_unit_test(test_whiteout_names),	   cmocka_unit_test(test_pick_manifest),
		cmocka_unit_test(test_config_and_manifest), cmocka_unit_test(test_argv_rule),
		cmocka_unit_test(test_layer_xattrs_kept),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

/* lib/image/ref: Docker's reference rules (registry, library/, tag, digest, what is refused). */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "image/ref.h"

#define D64 "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"

static void test_ref_valid(void **state)
{
	static const struct {
		const char *in, *registry, *repo, *tag, *digest, *canonical;
	} t[] = {
		{ "busybox", "docker.io", "library/busybox", "latest", "", "docker.io/library/busybox:latest" },
		{ "busybox:1.36", "docker.io", "library/busybox", "1.36", "", "docker.io/library/busybox:1.36" },
		{ "user/app", "docker.io", "user/app", "latest", "", "docker.io/user/app:latest" },
		{ "docker.io/busybox", "docker.io", "library/busybox", "latest", "", "docker.io/library/busybox:latest" },
		{ "localhost/app", "localhost", "app", "latest", "", "localhost/app:latest" },
		{ "localhost:5000/a/b:t", "localhost:5000", "a/b", "t", "", "localhost:5000/a/b:t" },
		{ "myregistry.local:5000/testing/test-image", "myregistry.local:5000", "testing/test-image", "latest", "",
		  "myregistry.local:5000/testing/test-image:latest" },
		{ "127.0.0.1:5000/x@sha256:" D64, "127.0.0.1:5000", "x", "", "sha256:" D64, "127.0.0.1:5000/x@sha256:" D64 },
		{ "a/b:v1@sha256:" D64, "docker.io", "a/b", "v1", "sha256:" D64, "docker.io/a/b:v1" },
		{ "Registry/app", "Registry", "app", "latest", "", "Registry/app:latest" },
		{ "a__b/c-d.e_f--g", "docker.io", "a__b/c-d.e_f--g", "latest", "", "docker.io/a__b/c-d.e_f--g:latest" },
	};

	(void)state;
	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		struct nd_err *err = NULL;
		struct nd_ref r;
		char *c;

		assert_int_equal(nd_ref_parse(t[i].in, &r, &err), 0);
		assert_string_equal(r.registry, t[i].registry);
		assert_string_equal(r.repo, t[i].repo);
		assert_string_equal(r.tag, t[i].tag);
		assert_string_equal(r.digest, t[i].digest);
		c = nd_ref_canonical(&r);
		assert_string_equal(c, t[i].canonical);
		free(c);
	}
}

static void test_ref_invalid(void **state)
{
	static const char *const bad[] = {
		"",	      "Busybox",	  "busybox:",	     "busybox@sha256:abc", "a//b",	 "a/",
		"/a",	      "docker.io/", "a:b:c",	  "a@sha512:" D64,   "a_/b",		   "-a",	 "a/b-",
		"a:.t",	      "host:port/a", "host:123456/a", "a b",		   "a/B",	 ":tag",
		"a/b:" "0123456789012345678901234567890123456789012345678901234567890123456789012345678901234567890123456789012345678901234567890123456789",
	};

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct nd_err *err = NULL;
		struct nd_ref r;

		if (nd_ref_parse(bad[i], &r, &err) == 0)
			fail_msg("'%s' was accepted", bad[i]);
		assert_int_equal(err->code, ND_ERR_BAD_SPEC);
		assert_non_null(strstr(err->msg, "invalid reference format"));
		nd_err_free(err);
	}
}

static void test_ref_familiar(void **state)
{
	(void)state;
	assert_string_equal(nd_ref_familiar("docker.io/library/busybox"), "busybox");
	assert_string_equal(nd_ref_familiar("docker.io/user/app"), "user/app");
	assert_string_equal(nd_ref_familiar("docker.io/library/a/b"), "library/a/b");
	assert_string_equal(nd_ref_familiar("localhost:5000/a"), "localhost:5000/a");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_ref_valid),
		cmocka_unit_test(test_ref_invalid),
		cmocka_unit_test(test_ref_familiar),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

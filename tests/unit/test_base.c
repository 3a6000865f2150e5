/* lib/base: the one table of codes (CNI code, HTTP status, exit code) and its edges; fd I/O. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/err.h"
#include "base/fdio.h"
#include "cni/cni.h"

/* Every code of enum nd_code, as docs and scripts know it (README "Errors"). */
static const struct {
	int code;
	const char *name;
	int cni;
	unsigned int http;
	int exit;
} want[] = {
	{ 1, "incompatible-version", 1, 400, 2 },   { 2, "unsupported-field", 2, 400, 2 },
	{ 3, "unknown-container", 3, 404, 3 },      { 4, "invalid-environment", 4, 400, 2 },
	{ 5, "io-error", 5, 500, 1 },               { 6, "decode-error", 6, 400, 2 },
	{ 7, "invalid-config", 7, 400, 2 },         { 11, "try-again", 11, 503, 1 },
	{ 50, "unavailable", 50, 503, 1 },          { 51, "no-address-available", 51, 503, 6 },
	{ 100, "internal", 100, 500, 1 },           { 101, "pool-exhausted", 101, 503, 6 },
	{ 102, "address-in-use", 102, 409, 4 },     { 103, "exists", 103, 409, 4 },
	{ 104, "bridge-full", 104, 503, 6 },        { 105, "check-failed", 105, 500, 1 },
	{ 106, "plugin-failed", 106, 500, 1 },      { 107, "not-found", 107, 404, 3 },
	{ 108, "busy", 108, 409, 4 },               { 109, "refused", 109, 403, 1 },
	{ 110, "too-large", 110, 413, 1 },          { 111, "method-not-allowed", 111, 405, 1 },
	{ 112, "port-in-use", 112, 409, 4 },
	{ 120, "no-such-container", 100, 404, 3 },  { 121, "not-running", 100, 409, 4 },
	{ 122, "running", 100, 409, 4 },            { 123, "command-not-found", 100, 400, 127 },
	{ 124, "cannot-exec", 100, 400, 126 },      { 125, "no-such-image", 100, 404, 3 },
	{ 126, "bad-image", 100, 400, 1 },          { 127, "invalid-option", 100, 400, 2 },
	{ 128, "setup-failed", 100, 500, 1 },
};

static void test_table(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
		const struct nd_code_info *c = nd_code_info(want[i].code);

		assert_true(nd_code_known(want[i].code));
		assert_int_equal(c->code, want[i].code);
		assert_string_equal(c->name, want[i].name);
		assert_int_equal(c->cni, want[i].cni);
		assert_int_equal(c->http, want[i].http);
		assert_int_equal(c->exit, want[i].exit);
	}
	/* Nothing but these: a code added to the enum is added here, and to the README. */
	for (int code = -1; code < 1000; code++) {
		bool listed = false;

		for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++)
			listed |= want[i].code == code;
		if (nd_code_known(code) != listed)
			fail_msg("code %d: known %d, listed %d", code, nd_code_known(code), listed);
	}
	/* An unknown code reads as internal at every edge. */
	assert_int_equal(nd_code_info(999)->code, ND_ERR_INTERNAL);
	assert_int_equal(nd_code_info(0)->http, 500);
}

static void test_code_of_http(void **state)
{
	static const struct {
		unsigned int http;
		int code;
	} rows[] = {
		{ 404, ND_ERR_NOT_FOUND }, { 409, ND_ERR_ADDR_IN_USE }, { 503, ND_ERR_POOL_EXHAUSTED },
		{ 403, ND_ERR_REFUSED },   { 413, ND_ERR_TOO_LARGE },   { 405, ND_ERR_METHOD },
		{ 400, ND_ERR_INTERNAL },  { 500, ND_ERR_INTERNAL },    { 418, ND_ERR_INTERNAL },
	};

	(void)state;
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++)
		if (nd_code_of_http(rows[i].http) != rows[i].code)
			fail_msg("HTTP %u: code %d, want %d", rows[i].http, nd_code_of_http(rows[i].http), rows[i].code);
}

/* The CNI error object: the table's CNI code; a delegated plugin's own code passes through. */
static void test_cni_code(void **state)
{
	static const struct {
		int code, cni;
	} rows[] = { { ND_CNI_DECODE, 6 }, { ND_ERR_BUSY, 108 }, { ND_ERR_SETUP, 100 }, { 42, 42 } };

	(void)state;
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		struct nd_err e = { .code = rows[i].code, .msg = (char *)"m" };
		json_t *j = nd_cni_error_json(&e, NULL);

		assert_non_null(j);
		assert_int_equal(json_integer_value(json_object_get(j, "code")), rows[i].cni);
		assert_string_equal(json_string_value(json_object_get(j, "details")), "");
		json_decref(j);
	}
}

static void test_oom(void **state)
{
	struct nd_err *e = NULL;

	(void)state;
	assert_int_equal(nd_oom(&e), -ENOMEM);
	assert_int_equal(e->code, ND_ERR_INTERNAL);
	assert_int_equal(e->errnum, ENOMEM);
	assert_string_equal(e->msg, "out of memory");
	nd_err_free(e);
}

/* A pipe holding n bytes of 'x', its write end closed: what nd_read_all reads to EOF. */
static int pipe_of(size_t n)
{
	int p[2];
	char *buf = malloc(n + 1);

	assert_non_null(buf);
	memset(buf, 'x', n);
	assert_int_equal(pipe(p), 0);
	assert_int_equal(nd_write_all(p[1], buf, n), 0);
	close(p[1]);
	free(buf);
	return p[0];
}

static void test_read_all(void **state)
{
	static const struct {
		size_t n, max;
		int r;
	} rows[] = {
		{ 0, 100, 0 },        { 1, 100, 0 },        { 100, 100, 0 },  { 101, 100, -EFBIG },
		{ 4096, 4096, 0 },    { 4097, 4096, -EFBIG }, { 9000, 60000, 0 }, { 60000, 9000, -EFBIG },
	};

	(void)state;
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		int fd = pipe_of(rows[i].n);
		char *buf = NULL;
		size_t len = 12345;
		int r = nd_read_all(fd, rows[i].max, &buf, &len);

		close(fd);
		if (r != rows[i].r)
			fail_msg("%zu bytes, max %zu: %d, want %d", rows[i].n, rows[i].max, r, rows[i].r);
		if (r == 0) {
			assert_int_equal(len, rows[i].n);
			assert_int_equal(strlen(buf), rows[i].n);
		} else {
			assert_null(buf);
			assert_int_equal(len, 12345);
		}
		free(buf);
	}
	assert_int_equal(nd_read_all(-1, 10, &(char *){ NULL }, NULL), -EBADF);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_table),
		cmocka_unit_test(test_code_of_http),
		cmocka_unit_test(test_cni_code),
		cmocka_unit_test(test_oom),
		cmocka_unit_test(test_read_all),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

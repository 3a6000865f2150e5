/* lib/runtime/ctrlog.c: the json-file writer, its rotation, the reader and its time stamps. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "runtime/ctrlog.h"

static void test_times(void **state)
{
	int64_t ns;

	(void)state;
	assert_int_equal(nd_log_parse_time("1970-01-01T00:00:01Z", &ns), 0);
	assert_true(ns == 1000000000LL);
	assert_int_equal(nd_log_parse_time("2026-12-05T07:04:31.123456789Z", &ns), 0);
	assert_true(ns == 1796454271123456789LL);
	assert_int_equal(nd_log_parse_time("2026-12-05T08:04:31.5+01:00", &ns), 0);
	assert_true(ns == 1796454271500000000LL);
	assert_int_equal(nd_log_parse_time("2999-01-01T00:00:00Z", &ns), 0);
	assert_true(ns == INT64_MAX);
	assert_int_equal(nd_log_parse_time("2026-13-05T07:04:31Z", &ns), -EINVAL);
	assert_int_equal(nd_log_parse_time("2026-12-05 07:04:31Z", &ns), -EINVAL);
	assert_int_equal(nd_log_parse_time("2026-12-05T07:04:31", &ns), -EINVAL);
	assert_int_equal(nd_log_parse_time("", &ns), -EINVAL);
}

struct seen {
	char out[4096];
	size_t n;
	int entries;
};

static int collect(const struct nd_log_entry *e, void *arg)
{
	struct seen *s = arg;

	s->out[s->n++] = e->stream == 2 ? 'E' : 'O';
	memcpy(s->out + s->n, e->msg, e->msg_len);
	s->n += e->msg_len;
	s->entries++;
	return 0;
}

static void test_write_read_rotate(void **state)
{
	char dir[] = "/tmp/netd-ctrlog-XXXXXX", path[256], rotated[300];
	static const char odd[] = "a\"\\\t\x01\xff\xc3\xa9\n";
	struct nd_log l;
	struct seen s = { 0 };
	struct nd_log_read o = { .tail = -1, .emit = collect, .arg = &s };
	struct stat st;

	(void)state;
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/log", dir);
	assert_int_equal(nd_log_open(path, 0, 1, &l, NULL), 0);
	nd_log_feed(&l, 1, "one\ntw", 6);
	nd_log_feed(&l, 2, "err\n", 4);
	nd_log_feed(&l, 1, "o\n", 2);
	nd_log_feed(&l, 1, odd, sizeof(odd) - 1);
	nd_log_feed(&l, 2, "end", 3);
	nd_log_close(&l);
	o.path = path;
	assert_int_equal(nd_log_read(&o, NULL), 0);
	assert_int_equal(s.entries, 5);
	/* Invalid UTF-8 (0xff) becomes U+FFFD; the rest comes back byte for byte. */
	assert_memory_equal(s.out, "Oone\nEerr\nOtwo\nOa\"\\\t\x01\xef\xbf\xbd\xc3\xa9\nEend", s.n);
	s = (struct seen){ 0 };
	o.tail = 2;
	assert_int_equal(nd_log_read(&o, NULL), 0);
	assert_int_equal(s.entries, 2);
	assert_memory_equal(s.out, "Oa", 2);
	unlink(path);
	/* 100-byte entries, 250-byte files, 2 files: log and log.1, never log.2. */
	assert_int_equal(nd_log_open(path, 250, 2, &l, NULL), 0);
	for (int i = 0; i < 20; i++)
		nd_log_feed(&l, 1, "0123456789\n", 11);
	nd_log_close(&l);
	snprintf(rotated, sizeof(rotated), "%s.1", path);
	assert_int_equal(stat(rotated, &st), 0);
	assert_true(st.st_size <= 250);
	snprintf(rotated, sizeof(rotated), "%s.2", path);
	assert_int_not_equal(stat(rotated, &st), 0);
	s = (struct seen){ 0 };
	o.tail = -1;
	assert_int_equal(nd_log_read(&o, NULL), 0);
	assert_true(s.entries >= 2 && s.entries <= 5);
	unlink(path);
	snprintf(rotated, sizeof(rotated), "%s.1", path);
	unlink(rotated);
	rmdir(dir);
}

static void test_opts(void **state)
{
	uint64_t size = 0;
	unsigned files = 0;
	struct nd_err *err = NULL;

	(void)state;
	assert_int_equal(nd_log_parse_opt("max-size=10m", &size, &files, NULL), 0);
	assert_true(size == 10 << 20);
	assert_int_equal(nd_log_parse_opt("max-file=3", &size, &files, NULL), 0);
	assert_int_equal(files, 3);
	assert_true(nd_log_parse_opt("max-file=0", &size, &files, &err) < 0);
	nd_err_free(err);
	err = NULL;
	assert_true(nd_log_parse_opt("max-size=0", &size, &files, &err) < 0);
	nd_err_free(err);
	err = NULL;
	assert_true(nd_log_parse_opt("labels=x", &size, &files, &err) < 0);
	assert_int_equal(err->code, ND_ERR_BAD_SPEC);
	nd_err_free(err);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_times),
		cmocka_unit_test(test_write_read_rotate),
		cmocka_unit_test(test_opts),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

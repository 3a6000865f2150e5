/* lib/runtime/mounts.c: -v, --mount and --tmpfs into the record's --mount form, and back. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "runtime/mounts.h"

struct row {
	char flag; /* 'v', 't' or 'm' */
	const char *in;
	const char *out; /* NULL: refused */
};

static const struct row rows[] = {
	{ 'v', "/srv/data:/data", "type=bind,source=/srv/data,target=/data" },
	{ 'v', "/srv//data/:/data/./x/:ro", "type=bind,source=/srv/data,target=/data/x,readonly" },
	{ 'v', "/a:/b:rw", "type=bind,source=/a,target=/b" },
	{ 'v', "vol1:/data", "type=volume,source=vol1,target=/data" },
	{ 'v', "vol1:/data:ro", "type=volume,source=vol1,target=/data,readonly" },
	{ 'v', "/data", NULL },        /* anonymous volumes: not supported */
	{ 'v', "./rel:/data", NULL },  /* neither absolute nor a volume name */
	{ 'v', "v:/data", NULL },      /* one letter: not a volume name */
	{ 'v', "/a:data", NULL },      /* relative target */
	{ 'v', "/a:/", NULL },         /* the root */
	{ 'v', "/a://", NULL },
	{ 'v', "/a:/proc/sys", NULL }, /* /proc */
	{ 'v', "/a:/x/../y", NULL },
	{ 'v', "/a:/x:z", NULL },
	{ 'v', ":/x", NULL },
	{ 't', "/run", "type=tmpfs,target=/run" },
	{ 't', "/run:size=1m,mode=700,ro,exec,nosuid", "type=tmpfs,target=/run,readonly,tmpfs-exec,tmpfs-size=1048576,tmpfs-mode=700" },
	{ 't', "/run:size=lots", NULL },
	{ 't', "/run:mode=9", NULL },
	{ 't', "/run:suid", NULL },
	{ 't', "run", NULL },
	{ 'm', "type=bind,src=/a,dst=/b,readonly=true", "type=bind,source=/a,target=/b,readonly" },
	{ 'm', "type=bind,source=/a,target=/b,ro=false", "type=bind,source=/a,target=/b" },
	{ 'm', "source=v1,target=/b,volume-nocopy", "type=volume,source=v1,target=/b,volume-nocopy" },
	{ 'm', "type=tmpfs,destination=/t,tmpfs-size=2m,tmpfs-mode=1770", "type=tmpfs,target=/t,tmpfs-size=2097152,tmpfs-mode=1770" },
	{ 'm', "type=nfs,target=/b", NULL },
	{ 'm', "type=bind,target=/b", NULL },
	{ 'm', "type=volume,target=/b", NULL },
	{ 'm', "type=tmpfs,source=x,target=/b", NULL },
	{ 'm', "type=bind,source=/a,target=/b,tmpfs-size=1m", NULL },
	{ 'm', "type=tmpfs,target=/b,volume-nocopy", NULL },
	{ 'm', "type=bind,source=/a,target=/b,readonly=maybe", NULL },
	{ 'm', "type=bind,source=/a,target=/b,color=red", NULL },
	{ 'm', "type=bind,source=/a", NULL },
	{ 'm', "", NULL },
};

static int convert(const struct row *r, char **ret, struct nd_err **err)
{
	struct nd_mnt m;

	if (r->flag == 'v')
		return nd_mnt_from_volume_flag(r->in, ret, err);
	if (r->flag == 't')
		return nd_mnt_from_tmpfs_flag(r->in, ret, err);
	if (nd_mnt_parse(r->in, &m, err) < 0)
		return -1;
	*ret = nd_mnt_format(&m);
	nd_mnt_clear(&m);
	return 0;
}

static void test_rows(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		struct nd_err *err = NULL;
		char *out = NULL;
		int r = convert(&rows[i], &out, &err);

		if (!rows[i].out) {
			if (r >= 0)
				fail_msg("'%s' was taken as '%s'", rows[i].in, out);
			assert_non_null(err);
			assert_int_equal(err->code, ND_ERR_BAD_SPEC);
			nd_err_free(err);
			continue;
		}
		if (r < 0)
			fail_msg("'%s' refused: %s", rows[i].in, err->msg);
		assert_string_equal(out, rows[i].out);
		/* The record's form parses back to itself. */
		{
			struct nd_mnt m;
			char *again;

			assert_int_equal(nd_mnt_parse(out, &m, NULL), 0);
			again = nd_mnt_format(&m);
			assert_string_equal(again, out);
			free(again);
			nd_mnt_clear(&m);
		}
		free(out);
	}
}

static void test_volume_names(void **state)
{
	(void)state;
	assert_true(nd_mnt_valid_volume_name("data-1"));
	assert_true(nd_mnt_valid_volume_name("a.b_c"));
	assert_false(nd_mnt_valid_volume_name("a"));
	assert_false(nd_mnt_valid_volume_name("-ab"));
	assert_false(nd_mnt_valid_volume_name(".."));
	assert_false(nd_mnt_valid_volume_name("a/b"));
	assert_false(nd_mnt_valid_volume_name(""));
	assert_false(nd_mnt_valid_volume_name(NULL));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_rows),
		cmocka_unit_test(test_volume_names),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

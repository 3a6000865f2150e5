/* lib/cgroup parsing (mountinfo of v1, hybrid and v2 hosts, sizes, cpus), overlay options, names. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "runtime/cgroup.h"
#include "runtime/container.h"
#include "runtime/ctrstate.h"
#include "runtime/overlay.h"

static const char hybrid[] =
	"25 1 254:0 / / rw,relatime - ext4 /dev/vda rw\n"
	"30 25 0:26 / /sys/fs/cgroup rw - tmpfs tmpfs rw,mode=755\n"
	"31 30 0:27 / /sys/fs/cgroup/unified rw,nosuid - cgroup2 cgroup2 rw\n"
	"32 30 0:28 / /sys/fs/cgroup/cpu,cpuacct rw - cgroup cgroup rw,cpu,cpuacct\n"
	"33 30 0:29 / /sys/fs/cgroup/cpuset rw - cgroup cgroup rw,cpuset\n"
	"34 30 0:30 / /sys/fs/cgroup/memory rw - cgroup cgroup rw,memory\n"
	"35 30 0:31 / /sys/fs/cgroup/pids rw - cgroup cgroup rw,pids\n"
	"37 30 0:33 / /sys/fs/cgroup/devices rw - cgroup cgroup rw,devices\n"
	"36 30 0:32 / /sys/fs/cgroup/name\\040with\\040space rw - cgroup cgroup rw,name=x\n";

static const char unified[] = "25 1 254:0 / / rw - ext4 /dev/vda rw\n"
			      "26 25 0:26 / /sys/fs/cgroup rw,nosuid shared:4 - cgroup2 cgroup2 rw,nsdelegate\n";

static void free_m(char *m[ND_CG_NCTRL])
{
	for (int i = 0; i < ND_CG_NCTRL; i++)
		free(m[i]);
}

static void test_mountinfo(void **state)
{
	char *m[ND_CG_NCTRL] = { 0 };
	bool v2 = true;

	(void)state;
	/* Hybrid: the v1 controllers win over the empty cgroup2 (crun refuses such hosts). */
	assert_int_equal(nd_cg_parse_mountinfo(hybrid, &v2, m, NULL), 0);
	assert_false(v2);
	assert_string_equal(m[ND_CG_MEMORY], "/sys/fs/cgroup/memory");
	assert_string_equal(m[ND_CG_CPU], "/sys/fs/cgroup/cpu,cpuacct");
	assert_string_equal(m[ND_CG_PIDS], "/sys/fs/cgroup/pids");
	/* The devices hierarchy holds the container's device allow-list. */
	assert_string_equal(m[ND_CG_DEVICES], "/sys/fs/cgroup/devices");
	free_m(m);
	/* A v1 host without it is told as such (nd_cg_create refuses to go on then). */
	assert_int_equal(nd_cg_parse_mountinfo("34 30 0:30 / /sys/fs/cgroup/memory rw - cgroup cgroup rw,memory\n", &v2, m,
					       NULL), 0);
	assert_false(v2);
	assert_string_equal(m[ND_CG_DEVICES], "");
	free_m(m);
	assert_int_equal(nd_cg_parse_mountinfo(unified, &v2, m, NULL), 0);
	assert_true(v2);
	assert_string_equal(m[0], "/sys/fs/cgroup");
	assert_string_equal(m[ND_CG_DEVICES], "");
	free_m(m);
	assert_true(nd_cg_parse_mountinfo("25 1 254:0 / / rw - ext4 /dev/vda rw\n", &v2, m, NULL) < 0);
}

struct parse_case {
	const char *in;
	uint64_t want; /* 0: refused */
};

static void check_parser(int (*parse)(const char *, uint64_t *, struct nd_err **), const struct parse_case *c, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		uint64_t v = 0;
		int r = parse(c[i].in, &v, NULL);

		if (c[i].want) {
			assert_int_equal(r, 0);
			assert_int_equal(v, c[i].want);
		} else {
			assert_true(r < 0);
		}
	}
}

static void test_sizes_and_cpus(void **state)
{
	static const struct parse_case sz[] = {
		{ "64m", 64ULL << 20 }, { "1g", 1ULL << 30 }, { "4096", 4096 }, { "512k", 512ULL << 10 }, { "2GB", 2ULL << 30 },
		{ "1M", 1ULL << 20 },	{ "0", 0 },	      { "m", 0 },	{ "12x", 0 },		  { "-1m", 0 },
		{ "1mm", 0 },		{ "", 0 },
	};
	static const struct parse_case cpu[] = {
		{ "0.5", 50000 }, { "2", 200000 }, { "1.25", 125000 }, { ".5", 50000 }, { "0.01", 1000 },
		{ "0", 0 },	  { "0.001", 0 },  { "abc", 0 },	{ "1.5x", 0 }, { "", 0 }, { ".", 0 },
	};

	(void)state;
	check_parser(nd_cg_parse_size, sz, sizeof(sz) / sizeof(sz[0]));
	check_parser(nd_cg_parse_cpus, cpu, sizeof(cpu) / sizeof(cpu[0]));
}

static void test_overlay_opts(void **state)
{
	const char *lower[] = { "/l/top", "/l/bottom" }, *bad[] = { "/l/a:b" }, *rel[] = { "l" };
	char *o = NULL;
	const char *big[200];

	(void)state;
	assert_int_equal(nd_ovl_opts(lower, 2, "/c/upper", "/c/work", &o, NULL), 0);
	assert_string_equal(o, "lowerdir=/l/top:/l/bottom,upperdir=/c/upper,workdir=/c/work");
	free(o);
	assert_true(nd_ovl_opts(bad, 1, "/u", "/w", &o, NULL) < 0);
	assert_true(nd_ovl_opts(rel, 1, "/u", "/w", &o, NULL) < 0);
	assert_true(nd_ovl_opts(lower, 0, "/u", "/w", &o, NULL) < 0);
	for (int i = 0; i < 200; i++)
		big[i] = "/var/lib/netd/layers/0123456789abcdef0123456789abcdef";
	assert_true(nd_ovl_opts(big, 200, "/u", "/w", &o, NULL) < 0);
}

static void test_names_and_caps(void **state)
{
	(void)state;
	assert_true(nd_ctr_valid_name("web"));
	assert_true(nd_ctr_valid_name("a.b-c_1"));
	assert_false(nd_ctr_valid_name("-a"));
	assert_false(nd_ctr_valid_name("a/b"));
	assert_false(nd_ctr_valid_name(".."));
	assert_false(nd_ctr_valid_name(""));
	/* Docker's default set: 14 capabilities, CAP_SYS_ADMIN (21) not among them. */
	assert_int_equal(__builtin_popcountll(nd_ctr_default_caps()), 14);
	assert_int_equal(nd_ctr_default_caps() & (1ULL << 21), 0);
	assert_int_equal(nd_ctr_default_caps(), 0xa80425fbULL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_mountinfo),
		cmocka_unit_test(test_sizes_and_cpus),
		cmocka_unit_test(test_overlay_opts),
		cmocka_unit_test(test_names_and_caps),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

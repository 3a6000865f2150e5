/*
 * lib/ipam: host-local compatible config and allocation over a store in a mkdtemp
 * directory. Crashes are real (SIGKILL at a fault point in a forked child); a failing
 * lease creation is injected by interposing openat() below.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "base/cleanup.h"
#include "cni/result.h"
#include "ipam/ipam.h"
#include "ipam/store.h"

#include "fixtures.h"

#define HOST_LOCAL "/usr/lib/cni/host-local"

/* ---- openat() interposition: fail the Nth exclusive create (a lease) with EIO; 0 never. ---- */

static int fail_excl_at;
static int excl_calls;

int openat(int dirfd, const char *path, int flags, ...)
{
	mode_t mode = 0;

	if (flags & O_CREAT) {
		va_list ap;

		va_start(ap, flags);
		mode = (mode_t)va_arg(ap, int);
		va_end(ap);
	}
	if (fail_excl_at && (flags & O_EXCL) && ++excl_calls == fail_excl_at) {
		errno = EIO;
		return -1;
	}
	return (int)syscall(SYS_openat, dirfd, path, flags, mode);
}

/* ---- fixture ---- */

struct fx {
	char dir[FX_DIR_LEN]; /* dataDir */
	char net[128];      /* dataDir/net1 */
};

static int setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));

	if (!fx_tmpdir(f->dir, "ipam"))
		return -1;
	snprintf(f->net, sizeof(f->net), "%s/net1", f->dir);
	fail_excl_at = excl_calls = 0;
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;

	fx_rmtree(f->dir);
	free(f);
	return 0;
}

/* Network config from JSON written with ' for ", dataDir pointed at the fixture. */
#define NET(ipam) "{'cniVersion':'1.0.0','name':'net1','type':'bridge','ipam':{'type':'netd-ipam'," ipam "}}"
#define NET_RT(ipam, top) "{'cniVersion':'1.0.0','name':'net1','type':'bridge'," top ",'ipam':{" ipam "}}"

static json_t *json_of(const char *text)
{
	char *t = strdup(text);
	json_error_t jerr;
	json_t *j;

	for (char *p = t; *p; p++)
		if (*p == '\'')
			*p = '"';
	j = json_loads(t, 0, &jerr);
	if (!j)
		fail_msg("test bug: bad JSON %s: %s", t, jerr.text);
	free(t);
	return j;
}

static int conf_parse(const struct fx *f, const char *text, const char *args, struct nd_ipam_conf *c,
		      struct nd_err **err)
{
	json_t *j = json_of(text), *ipam = json_object_get(j, "ipam");
	int r;

	if (json_is_object(ipam) && !json_object_get(ipam, "dataDir"))
		json_object_set_new(ipam, "dataDir", json_string(f->dir));
	r = nd_ipam_conf_parse(j, args, c, err);
	json_decref(j);
	return r;
}

static void conf_ok(const struct fx *f, const char *text, const char *args, struct nd_ipam_conf *c)
{
	struct nd_err *err = NULL;

	if (conf_parse(f, text, args, c, &err) < 0)
		fail_msg("config rejected: %s\n  %s", err->msg, text);
}

/* ADD, formatting the result as "ip/len>gw,..." into out. */
static int add(const struct nd_ipam_conf *c, const char *id, const char *ifname, char *out, struct nd_err **err)
{
	struct nd_result res;
	int r;

	nd_result_init(&res);
	out[0] = '\0';
	r = nd_ipam_add(c, id, ifname, &res, err);
	for (size_t i = 0; i < res.n_ips; i++) {
		char a[ND_CIDR_STRLEN], g[ND_IP_STRLEN];

		sprintf(out + strlen(out), "%s%s>%s", i ? "," : "", nd_cidr_fmt(&res.ips[i].addr, a),
			nd_ip_fmt(&res.ips[i].gw, g));
		assert_int_equal(res.ips[i].iface, -1);
	}
	nd_result_clear(&res);
	return r;
}

static void add_ok(const struct nd_ipam_conf *c, const char *id, const char *want)
{
	struct nd_err *err = NULL;
	char out[512];

	if (add(c, id, "eth0", out, &err) < 0)
		fail_msg("ADD %s failed: %s", id, err->msg);
	if (want && strcmp(out, want))
		fail_msg("ADD %s gave '%s', want '%s'", id, out, want);
}

static void add_fails(const struct nd_ipam_conf *c, const char *id, int ret, int code, const char *msg)
{
	struct nd_err *err = NULL;
	char out[512];
	int r = add(c, id, "eth0", out, &err);

	if (r != ret || !err || err->code != code || (msg && !strstr(err->msg, msg)))
		fail_msg("ADD %s: r=%d code=%d msg='%s', want r=%d code=%d '%s'", id, r, err ? err->code : 0,
			 err ? err->msg : "", ret, code, msg ? msg : "");
	assert_string_equal(out, "");
	nd_err_free(err);
}

static void del_ok(const struct nd_ipam_conf *c, const char *id)
{
	struct nd_err *err = NULL;

	if (nd_ipam_del(c, id, "eth0", &err) < 0)
		fail_msg("DEL %s failed: %s", id, err->msg);
}

/* Names in dir other than lock, attach and last_reserved_ip.*, joined by ','. */
static char *leftovers(const char *dir)
{
	char *out = calloc(1, 8192);
	DIR *d = opendir(dir);
	struct dirent *de;

	if (!d)
		return out;
	while ((de = readdir(d))) {
		const char *n = de->d_name;

		if (!strcmp(n, ".") || !strcmp(n, "..") || !strcmp(n, "lock") || !strcmp(n, "attach") ||
		    !strncmp(n, "last_reserved_ip.", 17))
			continue;
		strcat(out, *out ? "," : "");
		strcat(out, n);
	}
	closedir(d);
	return out;
}

/* The store holds nothing but its lock, index directory and round-robin hints. */
static void assert_clean(const struct fx *f)
{
	char attach[PATH_MAX + 8];
	char *l = leftovers(f->net), *a;

	snprintf(attach, sizeof(attach), "%s/attach", f->net);
	a = leftovers(attach);
	if (*l || *a)
		fail_msg("left behind: '%s' and in attach/ '%s'", l, a);
	free(l);
	free(a);
}

static int count_leases(const struct fx *f)
{
	DIR *d = opendir(f->net);
	struct dirent *de;
	int n = 0;

	assert_non_null(d);
	while ((de = readdir(d))) {
		struct nd_ip ip;

		n += nd_ip_parse(de->d_name, &ip, NULL) == 0;
	}
	closedir(d);
	return n;
}

/* ---- config ---- */

static void test_range_defaults(void **state)
{
	static const struct {
		const char *ipam;
		const char *subnet, *start, *end, *gw;
	} rows[] = {
		{ "'subnet':'10.1.2.0/24'", "10.1.2.0/24", "10.1.2.1", "10.1.2.254", "10.1.2.1" },
		{ "'subnet':'10.1.2.77/24'", "10.1.2.0/24", "10.1.2.1", "10.1.2.254", "10.1.2.1" },
		{ "'subnet':'10.1.2.0/30'", "10.1.2.0/30", "10.1.2.1", "10.1.2.2", "10.1.2.1" },
		{ "'subnet':'10.1.0.0/16','gateway':'10.1.255.254'", "10.1.0.0/16", "10.1.0.1", "10.1.255.254",
		  "10.1.255.254" },
		{ "'subnet':'10.1.2.0/24','rangeStart':'10.1.2.100','rangeEnd':'10.1.2.200'", "10.1.2.0/24",
		  "10.1.2.100", "10.1.2.200", "10.1.2.1" },
		{ "'subnet':'fd00::/64'", "fd00::/64", "fd00::1", "fd00::ffff:ffff:ffff:ffff", "fd00::1" },
		{ "'subnet':'fd00::/126'", "fd00::/126", "fd00::1", "fd00::3", "fd00::1" },
		{ "'ranges':[[{'subnet':'10.1.2.0/24','gateway':'10.1.2.254'}]]", "10.1.2.0/24", "10.1.2.1",
		  "10.1.2.254", "10.1.2.254" },
	};
	struct fx *f = *state;

	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		char text[512], a[ND_CIDR_STRLEN], b[ND_IP_STRLEN], c[ND_IP_STRLEN], d[ND_IP_STRLEN];
		struct nd_ipam_conf conf;
		const struct nd_range *r;

		snprintf(text, sizeof(text), NET("%s"), rows[i].ipam);
		conf_ok(f, text, NULL, &conf);
		assert_int_equal(conf.n_sets, 1);
		assert_int_equal(conf.sets[0].n, 1);
		r = &conf.sets[0].r[0];
		nd_cidr_fmt(&r->subnet, a);
		nd_ip_fmt(&r->start, b);
		nd_ip_fmt(&r->end, c);
		nd_ip_fmt(&r->gw, d);
		if (strcmp(a, rows[i].subnet) || strcmp(b, rows[i].start) || strcmp(c, rows[i].end) ||
		    strcmp(d, rows[i].gw))
			fail_msg("row %zu: %s %s-%s gw %s", i, a, b, c, d);
		assert_string_equal(conf.network, "net1");
		assert_string_equal(conf.data_dir, f->dir);
		nd_ipam_conf_clear(&conf);
	}
}

static void test_conf_errors(void **state)
{
	static const struct {
		const char *conf, *args, *msg;
	} rows[] = {
		{ NET("'routes':[]"), NULL, "no 'ranges' nor 'subnet'" },
		{ NET("'ranges':[]"), NULL, "no 'ranges' nor 'subnet'" },
		{ NET("'subnet':24"), NULL, "ipam.subnet: expected a string" },
		{ NET("'subnet':'10.0.0.0/24','rangeStart':5"), NULL, "ipam.rangeStart: expected a string" },
		{ NET("'subnet':'10.0.0.0/24','gateway':true"), NULL, "ipam.gateway: expected a string" },
		{ NET("'subnet':'10.0.0.0/33'"), NULL, "invalid CIDR '10.0.0.0/33'" },
		{ NET("'subnet':'10.0.0.0'"), NULL, "ipam.subnet: invalid CIDR" },
		{ NET("'subnet':'10.0.0.0/31'"), NULL, "too small" },
		{ NET("'subnet':'10.0.0.0/32'"), NULL, "too small" },
		{ NET("'subnet':'fd00::/127'"), NULL, "too small" },
		{ NET("'subnet':'10.0.0.0/24','gateway':'10.0.1.1'"), NULL, "ipam.gateway: 10.0.1.1 is not in subnet" },
		{ NET("'subnet':'10.0.0.0/24','rangeStart':'10.0.1.5'"), NULL, "ipam.rangeStart: 10.0.1.5 is not in" },
		{ NET("'subnet':'10.0.0.0/24','rangeEnd':'10.0.1.5'"), NULL, "ipam.rangeEnd: 10.0.1.5 is not in" },
		{ NET("'subnet':'10.0.0.0/24','rangeStart':'fd00::5'"), NULL, "not in subnet" },
		{ NET("'subnet':'10.0.0.0/24','rangeStart':'10.0.0.x'"), NULL, "ipam.rangeStart: invalid IP" },
		{ NET("'subnet':'10.0.0.0/24','rangeStart':'10.0.0.50','rangeEnd':'10.0.0.40'"), NULL, "is after rangeEnd" },
		{ NET("'subnet':'10.0.0.0/24','rangeStart':'10.0.0.0'"), NULL, "network address" },
		{ NET("'subnet':'10.0.0.0/24','rangeEnd':'10.0.0.255'"), NULL, "broadcast address" },
		{ NET("'subnet':'10.0.0.0/24','gateway':'10.0.0.255'"), NULL, "ipam.gateway: gateway 10.0.0.255 is the broadcast" },
		{ NET("'subnet':'10.0.0.0/24','gateway':'10.0.0.0'"), NULL, "is the network address of 10.0.0.0/24" },
		{ NET("'subnet':'fd00::/64','gateway':'fd00::'"), NULL, "is the network address of fd00::/64" },
		/* The classes lib/base/ip.h refuses, as the daemon's API does (issue 8). */
		{ NET("'subnet':'0.0.0.0/0'"), NULL, "ipam.subnet: subnet 0.0.0.0/0 is too large" },
		{ NET("'subnet':'127.0.0.0/8'"), NULL, "overlaps loopback" },
		{ NET("'subnet':'169.254.0.0/16'"), NULL, "overlaps link-local" },
		{ NET("'subnet':'224.0.0.0/24'"), NULL, "overlaps multicast" },
		{ NET("'subnet':'255.255.255.0/24'"), NULL, "overlaps reserved" },
		{ NET("'subnet':'::/0'"), NULL, "subnet ::/0 is too large" },
		{ NET("'subnet':'fe80::/64'"), NULL, "overlaps link-local (fe80::/10)" },
		{ "{'cniVersion':'1.0.0','name':'n','ipam':{'type':'netd-ipam','ranges':[[{'subnet':'10.0.0.0/24'}],[{'subnet':'ff02::/64'}]]}}",
		  NULL, "ipam.ranges[1][0].subnet: subnet ff02::/64 overlaps multicast" },
		{ NET("'subnet':'10.0.0.0/24','rangeStart':'10.0.0.1','rangeEnd':'10.0.0.1'"), NULL, "only address" },
		{ NET("'rangeStart':'10.0.0.5'"), NULL, "without subnet" },
		{ NET("'ranges':{}"), NULL, "ipam.ranges: expected an array of range sets" },
		{ NET("'ranges':[{'subnet':'10.0.0.0/24'}]"), NULL, "ipam.ranges[0]: expected an array of ranges" },
		{ NET("'ranges':[[]]"), NULL, "ipam.ranges[0]: empty range set" },
		{ NET("'ranges':[['10.0.0.0/24']]"), NULL, "ipam.ranges[0][0]: expected an object" },
		{ NET("'ranges':[[{'subnet':'10.0.0.0/24'}],[{'subnet':'10.1.0.0/24','gateway':7}]]"), NULL,
		  "ipam.ranges[1][0].gateway: expected a string" },
		{ NET("'ranges':[[{'rangeStart':'10.0.0.2'}]]"), NULL, "ipam.ranges[0][0].subnet: missing" },
		{ NET("'ranges':[[{'subnet':'10.0.0.0/24'}],[{'subnet':'10.0.0.0/25'}]]"), NULL, "overlaps range set 1" },
		{ NET("'ranges':[[{'subnet':'10.0.0.0/24','rangeEnd':'10.0.0.100'},"
		      "{'subnet':'10.0.0.0/24','rangeStart':'10.0.0.100'}]]"),
		  NULL, "of range set 0 overlaps range set 0" },
		{ NET("'subnet':'10.0.0.0/24','ranges':[[{'subnet':'10.0.0.128/25'}]]"), NULL, "overlaps" },
		{ NET("'ranges':[[{'subnet':'10.0.0.0/24'},{'subnet':'fd00::/64'}]]"), NULL, "mixed address families" },
		{ NET("'ranges':[[{'subnet':'10.0.0.0/24'}],[{'subnet':'10.0.1.0/24'}],[{'subnet':'10.0.2.0/24'}],"
		      "[{'subnet':'10.0.3.0/24'}],[{'subnet':'10.0.4.0/24'}],[{'subnet':'10.0.5.0/24'}],"
		      "[{'subnet':'10.0.6.0/24'}],[{'subnet':'10.0.7.0/24'}],[{'subnet':'10.0.8.0/24'}]]"),
		  NULL, "more than 8 range sets" },
		{ NET("'subnet':'10.0.0.0/24','routes':{}"), NULL, "ipam.routes: expected an array" },
		{ NET("'subnet':'10.0.0.0/24','routes':[{'gw':'10.0.0.1'}]"), NULL, "ipam.routes[0].dst: missing" },
		{ NET("'subnet':'10.0.0.0/24','routes':[{'dst':'nope'}]"), NULL, "ipam.routes[0].dst: invalid CIDR" },
		{ NET("'subnet':'10.0.0.0/24','routes':[{'dst':'0.0.0.0/0','gw':'fd00::1'}]"), NULL, "not of the family" },
		{ NET("'subnet':'10.0.0.0/24','routes':[{'dst':'0.0.0.0/0','priority':'x'}]"), NULL, "priority" },
		{ NET("'subnet':'10.0.0.0/24','dataDir':5"), NULL, "ipam.dataDir: expected a string" },
		{ NET("'subnet':'10.0.0.0/24','resolvConf':[]"), NULL, "ipam.resolvConf: expected a string" },
		{ "{'cniVersion':'1.0.0','ipam':{'subnet':'10.0.0.0/24'}}", NULL, "missing 'name'" },
		{ "{'cniVersion':'1.0.0','name':'net1'}", NULL, "missing 'ipam'" },
		{ "{'cniVersion':'1.0.0','name':'net1','ipam':'host-local'}", NULL, "missing 'ipam'" },
		{ "{'cniVersion':'1.0.0','name':7,'ipam':{'subnet':'10.0.0.0/24'}}", NULL, "name: expected a string" },
		{ NET("'subnet':'10.0.0.0/24'"), "IP=10.0.1.5", "requested IP 10.0.1.5 is not in any range of network 'net1'" },
		{ NET("'subnet':'10.0.0.0/24'"), "IP=10.0.0.5,10.0.0.6", "10.0.0.5 and 10.0.0.6 are both in range set 0" },
		{ NET("'subnet':'10.0.0.0/24'"), "IP=10.0.0.1", "is the gateway" },
		{ NET("'subnet':'10.0.0.0/24'"), "IP=bogus", "CNI_ARGS IP: invalid IP address 'bogus'" },
		{ NET("'subnet':'10.0.0.0/24','rangeStart':'10.0.0.10'"), "IP=10.0.0.5", "not in any range" },
		{ NET_RT("'subnet':'10.0.0.0/24'", "'args':{'cni':{'ips':'10.0.0.5'}}"), NULL, "args.cni.ips: expected an array" },
		{ NET_RT("'subnet':'10.0.0.0/24'", "'runtimeConfig':{'ips':[5]}"), NULL, "runtimeConfig.ips[0]: expected a string" },
		{ NET_RT("'subnet':'10.0.0.0/24'", "'runtimeConfig':{'ips':['10.0.0.5/99']}"), NULL, "runtimeConfig.ips[0]: invalid" },
		{ NET_RT("'subnet':'10.0.0.0/24'", "'runtimeConfig':{'ipRanges':[[{'subnet':'10.0.0.0/16'}]]}"), NULL, "overlaps" },
	};
	struct fx *f = *state;

	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		struct nd_ipam_conf c;
		struct nd_err *err = NULL;
		int r = conf_parse(f, rows[i].conf, rows[i].args, &c, &err);

		if (r != -EINVAL || !err || err->code != ND_CNI_INVALID_CONFIG || !strstr(err->msg, rows[i].msg))
			fail_msg("row %zu: r=%d code=%d msg '%s', want '%s'", i, r, err ? err->code : 0,
				 err ? err->msg : "", rows[i].msg);
		nd_err_free(err);
	}
	assert_true(sizeof(rows) / sizeof(rows[0]) >= 20);
}

/* Unknown fields are ignored, as host-local does. */
static void test_unknown_fields(void **state)
{
	struct fx *f = *state;
	struct nd_ipam_conf c;

	conf_ok(f, NET("'subnet':'10.0.0.0/24','whatever':{'x':1},'routes':[{'dst':'0.0.0.0/0','mtu':9000}]"),
		NULL, &c);
	assert_int_equal(c.n_routes, 1);
	nd_ipam_conf_clear(&c);
}

static bool sets_equal(const struct nd_rangeset *a, const struct nd_rangeset *b)
{
	if (a->n != b->n)
		return false;
	for (size_t i = 0; i < a->n; i++) {
		const struct nd_range *x = &a->r[i], *y = &b->r[i];

		if (x->subnet.len != y->subnet.len || !nd_ip_equal(&x->subnet.ip, &y->subnet.ip) ||
		    !nd_ip_equal(&x->start, &y->start) || !nd_ip_equal(&x->end, &y->end) ||
		    !nd_ip_equal(&x->gw, &y->gw))
			return false;
	}
	return true;
}

static void test_legacy_vs_ranges(void **state)
{
	struct fx *f = *state;
	struct nd_ipam_conf legacy, ranges, both, rt;
	char a[ND_CIDR_STRLEN];

	conf_ok(f, NET("'subnet':'10.0.0.0/24','rangeStart':'10.0.0.10','rangeEnd':'10.0.0.20','gateway':'10.0.0.254'"),
		NULL, &legacy);
	conf_ok(f, NET("'ranges':[[{'subnet':'10.0.0.0/24','rangeStart':'10.0.0.10','rangeEnd':'10.0.0.20',"
		       "'gateway':'10.0.0.254'}]]"),
		NULL, &ranges);
	assert_int_equal(legacy.n_sets, 1);
	assert_true(sets_equal(&legacy.sets[0], &ranges.sets[0]));
	/* Both: the legacy set first (host-local prepends it). */
	conf_ok(f, NET("'subnet':'10.0.0.0/24','ranges':[[{'subnet':'fd00::/64'}],[{'subnet':'10.1.0.0/24'}]]"), NULL,
		&both);
	assert_int_equal(both.n_sets, 3);
	assert_string_equal(nd_cidr_fmt(&both.sets[0].r[0].subnet, a), "10.0.0.0/24");
	assert_string_equal(nd_cidr_fmt(&both.sets[1].r[0].subnet, a), "fd00::/64");
	assert_string_equal(nd_cidr_fmt(&both.sets[2].r[0].subnet, a), "10.1.0.0/24");
	/* The ipRanges capability goes before everything. */
	conf_ok(f, NET_RT("'subnet':'10.0.0.0/24'", "'runtimeConfig':{'ipRanges':[[{'subnet':'10.9.0.0/24'}]]}"), NULL,
		&rt);
	assert_int_equal(rt.n_sets, 2);
	assert_string_equal(nd_cidr_fmt(&rt.sets[0].r[0].subnet, a), "10.9.0.0/24");
	/* Two disjoint ranges in one subnet form one set. */
	nd_ipam_conf_clear(&legacy);
	conf_ok(f, NET("'ranges':[[{'subnet':'10.0.0.0/24','rangeStart':'10.0.0.2','rangeEnd':'10.0.0.3'},"
		       "{'subnet':'10.0.0.0/24','rangeStart':'10.0.0.200','rangeEnd':'10.0.0.201'}]]"),
		NULL, &legacy);
	assert_int_equal(legacy.sets[0].n, 2);
	nd_ipam_conf_clear(&legacy);
	nd_ipam_conf_clear(&ranges);
	nd_ipam_conf_clear(&both);
	nd_ipam_conf_clear(&rt);
	assert_null(legacy.network);
}

static void test_default_datadir(void **state)
{
	struct nd_ipam_conf c;
	json_t *j = json_of(NET("'subnet':'10.0.0.0/24'"));

	(void)state;
	assert_int_equal(nd_ipam_conf_parse(j, NULL, &c, NULL), 0);
	assert_string_equal(c.data_dir, "/var/lib/cni/networks");
	assert_null(c.resolv_conf);
	nd_ipam_conf_clear(&c);
	json_decref(j);
}

/* ---- requested addresses ---- */

static void test_requested_sources(void **state)
{
	static const struct {
		const char *conf, *args, *want;
	} rows[] = {
		{ NET("'subnet':'10.0.0.0/24'"), "IgnoreUnknown=1;K8S_POD_NAME=x;IP=10.0.0.5", "10.0.0.5/24>10.0.0.1" },
		{ NET("'subnet':'10.0.0.0/24'"), "IP=10.0.0.6/24", "10.0.0.6/24>10.0.0.1" },
		{ NET("'subnet':'10.0.0.0/24'"), "IP=;FOO_IP=10.0.0.99", "10.0.0.2/24>10.0.0.1" },
		{ NET("'ranges':[[{'subnet':'10.0.0.0/24'}],[{'subnet':'fd00::/64'}]]"), "IP= fd00::7 , 10.0.0.7",
		  "10.0.0.7/24>10.0.0.1,fd00::7/64>fd00::1" },
		{ NET_RT("'subnet':'10.0.0.0/24'", "'args':{'cni':{'ips':['10.0.0.8']}}"), NULL, "10.0.0.8/24>10.0.0.1" },
		{ NET_RT("'subnet':'10.0.0.0/24'", "'runtimeConfig':{'ips':['10.0.0.9/24']}"), NULL,
		  "10.0.0.9/24>10.0.0.1" },
		/* One address from two sources is one request. */
		{ NET_RT("'subnet':'10.0.0.0/24'", "'runtimeConfig':{'ips':['10.0.0.10/24']}"), "IP=10.0.0.10",
		  "10.0.0.10/24>10.0.0.1" },
		/* A requested address in one set, the other allocated. */
		{ NET_RT("'ranges':[[{'subnet':'10.0.0.0/24'}],[{'subnet':'fd00::/64'}]]",
			 "'runtimeConfig':{'ips':['fd00::abcd']}"),
		  NULL, "10.0.0.2/24>10.0.0.1,fd00::abcd/64>fd00::1" },
	};
	struct fx *f = *state;

	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		struct nd_ipam_conf c;
		char id[32];

		conf_ok(f, rows[i].conf, rows[i].args, &c);
		snprintf(id, sizeof(id), "ctr%zu", i);
		add_ok(&c, id, rows[i].want);
		del_ok(&c, id);
		nd_ipam_conf_clear(&c);
		/* Each row starts a fresh round robin (a requested IP moves it too, as in host-local). */
		put(f->net, "last_reserved_ip.0", "");
		put(f->net, "last_reserved_ip.1", "");
	}
	assert_clean(f);
}

static void test_requested_in_use(void **state)
{
	struct fx *f = *state;
	struct nd_ipam_conf c, dual;

	conf_ok(f, NET("'subnet':'10.0.0.0/24'"), "IP=10.0.0.5", &c);
	add_ok(&c, "ctr1", "10.0.0.5/24>10.0.0.1");
	add_fails(&c, "ctr2", -EADDRINUSE, ND_ERR_ADDR_IN_USE, "requested IP 10.0.0.5 is already in use on network 'net1'");
	/* Dual stack, v6 requested and taken: the free v4 address must not be kept. */
	conf_ok(f, NET("'ranges':[[{'subnet':'10.0.0.0/24'}],[{'subnet':'fd00::/64'}]]"), "IP=fd00::5", &dual);
	add_ok(&dual, "ctr3", "10.0.0.6/24>10.0.0.1,fd00::5/64>fd00::1"); /* round robin after .5 */
	add_fails(&dual, "ctr4", -EADDRINUSE, ND_ERR_ADDR_IN_USE, "fd00::5");
	assert_int_equal(count_leases(f), 3);
	del_ok(&c, "ctr1");
	del_ok(&dual, "ctr3");
	assert_clean(f);
	nd_ipam_conf_clear(&c);
	nd_ipam_conf_clear(&dual);
}

/* ---- allocation order ---- */

static void test_sequential_round_robin(void **state)
{
	struct fx *f = *state;
	struct nd_ipam_conf c;

	conf_ok(f, NET("'subnet':'10.0.0.0/24'"), NULL, &c);
	add_ok(&c, "a", "10.0.0.2/24>10.0.0.1"); /* .1 is the gateway */
	add_ok(&c, "b", "10.0.0.3/24>10.0.0.1");
	add_ok(&c, "c", "10.0.0.4/24>10.0.0.1");
	del_ok(&c, "a");
	/* Round robin: a freed address is not reused before the range runs out. */
	add_ok(&c, "d", "10.0.0.5/24>10.0.0.1");
	nd_ipam_conf_clear(&c);
}

static void test_wrap_around(void **state)
{
	struct fx *f = *state;
	struct nd_ipam_conf c;

	conf_ok(f, NET("'subnet':'10.0.0.0/24','rangeStart':'10.0.0.10','rangeEnd':'10.0.0.12'"), NULL, &c);
	add_ok(&c, "a", "10.0.0.10/24>10.0.0.1");
	add_ok(&c, "b", "10.0.0.11/24>10.0.0.1");
	del_ok(&c, "a");
	add_ok(&c, "c", "10.0.0.12/24>10.0.0.1");
	add_ok(&c, "d", "10.0.0.10/24>10.0.0.1"); /* wrapped past rangeEnd */
	add_fails(&c, "e", -ENOSPC, ND_ERR_POOL_EXHAUSTED, "range set 0");
	del_ok(&c, "b");
	add_ok(&c, "f", "10.0.0.11/24>10.0.0.1");
	nd_ipam_conf_clear(&c);
}

/* Several ranges in one set are walked in turn; a gateway inside a range is skipped. */
static void test_multi_range_set(void **state)
{
	struct fx *f = *state;
	struct nd_ipam_conf c;

	conf_ok(f, NET("'ranges':[[{'subnet':'10.0.0.0/24','rangeStart':'10.0.0.1','rangeEnd':'10.0.0.2'},"
		       "{'subnet':'10.0.1.0/24','rangeStart':'10.0.1.7','rangeEnd':'10.0.1.8','gateway':'10.0.1.8'}]]"),
		NULL, &c);
	add_ok(&c, "a", "10.0.0.2/24>10.0.0.1");
	add_ok(&c, "b", "10.0.1.7/24>10.0.1.8");
	add_fails(&c, "c", -ENOSPC, ND_ERR_POOL_EXHAUSTED,
		  "no free address in range set 0 (10.0.0.0/24, 10.0.1.0/24) of network 'net1'");
	nd_ipam_conf_clear(&c);
}

/* A stale or foreign last_reserved_ip is only a hint. */
static void test_last_reserved_hint(void **state)
{
	struct fx *f = *state;
	struct nd_ipam_conf c;

	conf_ok(f, NET("'subnet':'10.0.0.0/24'"), NULL, &c);
	mkdir(f->net, 0755);
	put(f->net, "last_reserved_ip.0", "10.0.0.100");
	add_ok(&c, "a", "10.0.0.101/24>10.0.0.1");
	put(f->net, "last_reserved_ip.0", "192.168.0.1");
	add_ok(&c, "b", "10.0.0.2/24>10.0.0.1");
	put(f->net, "last_reserved_ip.0", "garbage");
	add_ok(&c, "c", "10.0.0.3/24>10.0.0.1");
	put(f->net, "last_reserved_ip.0", "10.0.0.254");
	add_ok(&c, "d", "10.0.0.4/24>10.0.0.1"); /* wraps: .1 is the gateway, .2 .3 taken */
	nd_ipam_conf_clear(&c);
}

static void test_exhaust_30(void **state)
{
	struct fx *f = *state;
	struct nd_ipam_conf c;
	struct nd_err *err = NULL;

	conf_ok(f, NET("'subnet':'10.0.0.0/30'"), NULL, &c);
	assert_int_equal(nd_ipam_status(&c, &err), 0);
	add_ok(&c, "a", "10.0.0.2/30>10.0.0.1");
	add_fails(&c, "b", -ENOSPC, ND_ERR_POOL_EXHAUSTED, "no free address in range set 0 (10.0.0.0/30) of network 'net1'");
	assert_int_equal(nd_ipam_status(&c, &err), -ENOSPC);
	assert_int_equal(err->code, ND_CNI_UNAVAILABLE_NOADDR);
	nd_err_free(err);
	err = NULL;
	del_ok(&c, "a");
	assert_int_equal(nd_ipam_status(&c, &err), 0);
	assert_clean(f);
	nd_ipam_conf_clear(&c);
}

static void test_exhaust_29_range(void **state)
{
	struct fx *f = *state;
	struct nd_ipam_conf c;

	conf_ok(f, NET("'subnet':'10.0.0.0/29','rangeStart':'10.0.0.2','rangeEnd':'10.0.0.5'"), NULL, &c);
	add_ok(&c, "a", "10.0.0.2/29>10.0.0.1");
	add_ok(&c, "b", "10.0.0.3/29>10.0.0.1");
	add_ok(&c, "c", "10.0.0.4/29>10.0.0.1");
	add_ok(&c, "d", "10.0.0.5/29>10.0.0.1");
	add_fails(&c, "e", -ENOSPC, ND_ERR_POOL_EXHAUSTED, "no free address in range set 0 (10.0.0.0/29) of network 'net1'");
	assert_int_equal(count_leases(f), 4);
	nd_ipam_conf_clear(&c);
}

static void test_dual_stack(void **state)
{
	struct fx *f = *state;
	struct nd_ipam_conf c;
	struct nd_ip ips[4];
	size_t n = 0;
	char *idx;

	conf_ok(f, NET("'ranges':[[{'subnet':'10.0.0.0/24'}],[{'subnet':'fd00:1::/64','gateway':'fd00:1::fe'}]]"), NULL,
		&c);
	/* With the gateway elsewhere, network + 1 is an ordinary address. */
	add_ok(&c, "a", "10.0.0.2/24>10.0.0.1,fd00:1::1/64>fd00:1::fe");
	add_ok(&c, "b", "10.0.0.3/24>10.0.0.1,fd00:1::2/64>fd00:1::fe");
	assert_int_equal(nd_ipam_lookup(&c, "b", "eth0", ips, 4, &n, NULL), 0);
	assert_int_equal(n, 2);
	assert_true(exists(f->net, "fd00:1::2"));
	assert_true(exists(f->net, "last_reserved_ip.1"));
	{
		char path[PATH_MAX + 16];
		FILE *fp;

		snprintf(path, sizeof(path), "%s/attach/b:eth0", f->net);
		fp = fopen(path, "re");
		assert_non_null(fp);
		idx = calloc(1, 256);
		assert_true(fread(idx, 1, 255, fp) > 0);
		fclose(fp);
		assert_string_equal(idx, "10.0.0.3\nfd00:1::2\n");
		free(idx);
	}
	nd_ipam_conf_clear(&c);
}

/* Routes from the config and DNS from resolvConf land in the result, appended. */
static void test_result_routes_dns(void **state)
{
	struct fx *f = *state;
	struct nd_ipam_conf c;
	struct nd_result res;
	char text[1024], resolv[128], *dns;

	snprintf(resolv, sizeof(resolv), "%s/resolv.conf", f->dir);
	put(f->dir, "resolv.conf",
	    "# comment\n; also\nnameserver 10.0.0.53\nnameserver fd00::53\n"
	    "search a.example b.example\ndomain example\noptions ndots:2 edns0\nnameserver\nsortlist x\n");
	snprintf(text, sizeof(text),
		 NET("'subnet':'10.0.0.0/24','resolvConf':'%s','routes':[{'dst':'0.0.0.0/0'},"
		     "{'dst':'192.168.7.9/16','gw':'10.0.0.254','priority':5}]"),
		 resolv);
	conf_ok(f, text, NULL, &c);
	nd_result_init(&res);
	res.n_ips = 1; /* a caller's earlier entry stays */
	assert_int_equal(nd_ipam_add(&c, "a", "eth0", &res, NULL), 0);
	assert_int_equal(res.n_ips, 2);
	assert_int_equal(res.n_routes, 2);
	{
		char a[ND_CIDR_STRLEN], g[ND_IP_STRLEN];

		assert_string_equal(nd_cidr_fmt(&res.routes[0].dst, a), "0.0.0.0/0");
		assert_false(nd_ip_is_set(&res.routes[0].gw));
		assert_string_equal(nd_cidr_fmt(&res.routes[1].dst, a), "192.168.0.0/16");
		assert_string_equal(nd_ip_fmt(&res.routes[1].gw, g), "10.0.0.254");
		assert_int_equal(res.routes[1].priority, 5);
	}
	dns = json_dumps(res.dns, JSON_SORT_KEYS | JSON_COMPACT);
	assert_string_equal(dns, "{\"domain\":\"example\",\"nameservers\":[\"10.0.0.53\",\"fd00::53\"],"
				 "\"options\":[\"ndots:2\",\"edns0\"],\"search\":[\"a.example\",\"b.example\"]}");
	free(dns);
	nd_result_clear(&res);
	nd_ipam_conf_clear(&c);
}

/* A missing resolvConf fails the ADD before anything is reserved. */
static void test_resolv_missing(void **state)
{
	struct fx *f = *state;
	struct nd_ipam_conf c;

	conf_ok(f, NET("'subnet':'10.0.0.0/24','resolvConf':'/nonexistent/resolv.conf'"), NULL, &c);
	add_fails(&c, "a", -ENOENT, ND_CNI_INVALID_CONFIG, "/nonexistent/resolv.conf");
	assert_false(exists(f->dir, "net1/10.0.0.2"));
	nd_ipam_conf_clear(&c);
}

/* ---- attachments ---- */

static void test_add_twice_exists(void **state)
{
	struct fx *f = *state;
	struct nd_ipam_conf c;
	struct nd_err *err = NULL;
	char out[256];

	conf_ok(f, NET("'subnet':'10.0.0.0/24'"), NULL, &c);
	add_ok(&c, "a", "10.0.0.2/24>10.0.0.1");
	add_fails(&c, "a", -EEXIST, ND_ERR_EXISTS, "container 'a' interface 'eth0' already holds addresses on network 'net1'");
	assert_int_equal(count_leases(f), 1);
	/* Another interface of the same container is another attachment. */
	assert_int_equal(add(&c, "a", "eth1", out, &err), 0);
	assert_string_equal(out, "10.0.0.3/24>10.0.0.1");
	nd_ipam_conf_clear(&c);
}

/* A lease host-local wrote (no index) also makes the pair exist. */
/* ADD never scans the store: a lease host-local wrote (no index) does not make it EXISTS. */
static void test_add_does_not_scan_for_unindexed_lease(void **state)
{
	struct fx *f = *state;
	struct nd_ipam_conf c;

	conf_ok(f, NET("'subnet':'10.0.0.0/24'"), NULL, &c);
	del_ok(&c, "nobody"); /* creates the directory */
	put(f->net, "10.0.0.50", "a\r\neth0");
	add_ok(&c, "a", "10.0.0.2/24>10.0.0.1");
	assert_true(exists(f->net, "10.0.0.50"));
	nd_ipam_conf_clear(&c);
}

static void test_del_idempotent(void **state)
{
	struct fx *f = *state;
	struct nd_ipam_conf c;

	conf_ok(f, NET("'subnet':'10.0.0.0/24'"), NULL, &c);
	del_ok(&c, "never-added");
	add_ok(&c, "a", NULL);
	del_ok(&c, "a");
	del_ok(&c, "a");
	assert_clean(f);
	nd_ipam_conf_clear(&c);
}

static void test_del_hostlocal_lease(void **state)
{
	struct fx *f = *state;
	struct nd_ipam_conf c;

	conf_ok(f, NET("'ranges':[[{'subnet':'10.0.0.0/24'}],[{'subnet':'fd00::/64'}]]"), NULL, &c);
	del_ok(&c, "nobody");
	put(f->net, "10.0.0.7", "a\r\neth0");
	put(f->net, "fd00::7", "a\r\neth0");
	put(f->net, "10.0.0.8", "b\r\neth0");
	put(f->net, "10.0.0.9", "old"); /* pre-0.7 host-local: ID only */
	del_ok(&c, "a");
	del_ok(&c, "old");
	assert_false(exists(f->net, "10.0.0.7"));
	assert_false(exists(f->net, "fd00::7"));
	assert_false(exists(f->net, "10.0.0.9"));
	assert_true(exists(f->net, "10.0.0.8"));
	nd_ipam_conf_clear(&c);
}

static void test_check_lookup(void **state)
{
	struct fx *f = *state;
	struct nd_ipam_conf c;
	struct nd_err *err = NULL;
	struct nd_ip ips[4];
	size_t n = 9;

	conf_ok(f, NET("'ranges':[[{'subnet':'10.0.0.0/24'}],[{'subnet':'fd00::/64'}]]"), NULL, &c);
	assert_int_equal(nd_ipam_lookup(&c, "a", "eth0", ips, 4, &n, NULL), 0);
	assert_int_equal(n, 0);
	assert_int_equal(nd_ipam_check(&c, "a", "eth0", &err), -ENOENT);
	assert_int_equal(err->code, ND_ERR_CHECK_FAILED);
	nd_err_free(err);
	err = NULL;
	add_ok(&c, "a", NULL);
	assert_int_equal(nd_ipam_check(&c, "a", "eth0", &err), 0);
	/* A lease gone behind our back: CHECK notices, lookup no longer reports it. */
	{
		char path[PATH_MAX + 16];

		snprintf(path, sizeof(path), "%s/fd00::2", f->net);
		assert_int_equal(unlink(path), 0);
	}
	assert_int_equal(nd_ipam_lookup(&c, "a", "eth0", ips, 4, &n, NULL), 0);
	assert_int_equal(n, 1);
	assert_int_equal(nd_ipam_check(&c, "a", "eth0", &err), -ENOENT);
	assert_int_equal(err->code, ND_ERR_CHECK_FAILED);
	assert_non_null(strstr(err->msg, "range set 1 (fd00::/64)"));
	nd_err_free(err);
	nd_ipam_conf_clear(&c);
}

static void test_bad_names(void **state)
{
	struct fx *f = *state;
	struct nd_ipam_conf c;
	struct nd_err *err = NULL;
	char out[256];
	json_t *j = json_of("{'name':'../evil','ipam':{'subnet':'10.0.0.0/24'}}");

	conf_ok(f, NET("'subnet':'10.0.0.0/24'"), NULL, &c);
	assert_int_equal(add(&c, "../x", "eth0", out, &err), -EINVAL);
	assert_int_equal(err->code, ND_CNI_INVALID_CONFIG);
	nd_err_free(err);
	err = NULL;
	assert_int_equal(add(&c, "a", "../../x", out, &err), -EINVAL);
	nd_err_free(err);
	err = NULL;
	assert_int_equal(count_leases(f), 0);
	nd_ipam_conf_clear(&c);
	json_object_set_new(json_object_get(j, "ipam"), "dataDir", json_string(f->dir));
	assert_int_equal(nd_ipam_conf_parse(j, NULL, &c, NULL), 0); /* names are the CNI layer's */
	assert_int_equal(add(&c, "a", "eth0", out, &err), -EINVAL);
	assert_int_equal(err->code, ND_CNI_INVALID_CONFIG);
	nd_err_free(err);
	nd_ipam_conf_clear(&c);
	json_decref(j);
}

/* ---- crash safety and undo ---- */

/* Run ADD in a child with NETD_FAULT set; returns the wait status. */
static int add_in_child(const struct nd_ipam_conf *c, const char *id, const char *fault)
{
	pid_t pid = fork();
	int status;

	assert_true(pid >= 0);
	if (pid == 0) {
		struct nd_result res;

		setenv("NETD_FAULT", fault, 1);
		nd_result_init(&res);
		_exit(nd_ipam_add(c, id, "eth0", &res, NULL) < 0 ? 3 : 0);
	}
	assert_int_equal(waitpid(pid, &status, 0), pid);
	return status;
}

/* Killed after the index, before the lease: DEL finds the index and leaves nothing. */
static void test_crash_after_index(void **state)
{
	struct fx *f = *state;
	struct nd_ipam_conf c;
	int status;

	conf_ok(f, NET("'ranges':[[{'subnet':'10.0.0.0/24'}],[{'subnet':'fd00::/64'}]]"), NULL, &c);
	status = add_in_child(&c, "a", "ipam-lease:kill");
	assert_true(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);
	assert_true(exists(f->net, "attach/a:eth0"));
	assert_int_equal(count_leases(f), 0);
	del_ok(&c, "a");
	assert_clean(f);
	/* Again, then a retried ADD instead of DEL: the dead index holds nothing back. */
	status = add_in_child(&c, "a", "ipam-lease:kill");
	assert_true(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);
	add_ok(&c, "a", "10.0.0.2/24>10.0.0.1,fd00::2/64>fd00::1");
	add_fails(&c, "a", -EEXIST, ND_ERR_EXISTS, NULL);
	del_ok(&c, "a");
	assert_clean(f);
	nd_ipam_conf_clear(&c);
}

/* Killed between creating a lease and writing it: DEL (through the index) and GC release it. */
static void test_torn_lease(void **state)
{
	struct fx *f = *state;
	struct nd_ipam_conf c;

	conf_ok(f, NET("'subnet':'10.0.0.0/24'"), NULL, &c);
	add_ok(&c, "a", "10.0.0.2/24>10.0.0.1");
	add_ok(&c, "b", "10.0.0.3/24>10.0.0.1");
	put(f->net, "10.0.0.2", "");
	put(f->net, "10.0.0.3", "");
	del_ok(&c, "a");
	assert_false(exists(f->net, "10.0.0.2"));
	{
		const struct nd_attachment valid[] = { { "b", "eth0" } };

		/* b's lease is torn: it names no one, so GC cannot tell it is b's and frees it. */
		assert_int_equal(nd_ipam_gc(&c, valid, 1, NULL, NULL, NULL), 0);
	}
	assert_false(exists(f->net, "10.0.0.3"));
	assert_int_equal(count_leases(f), 0);
	nd_ipam_conf_clear(&c);
}

/* The second lease's creation fails: the first lease and the index are undone. */
static void test_undo_on_lease_failure(void **state)
{
	struct fx *f = *state;
	struct nd_ipam_conf c;

	conf_ok(f, NET("'ranges':[[{'subnet':'10.0.0.0/24'}],[{'subnet':'fd00::/64'}]]"), NULL, &c);
	fail_excl_at = 2;
	add_fails(&c, "a", -EIO, ND_CNI_IO, "cannot create 'fd00::2'");
	fail_excl_at = 0;
	assert_int_equal(excl_calls, 2);
	assert_clean(f);
	add_ok(&c, "a", "10.0.0.2/24>10.0.0.1,fd00::2/64>fd00::1");
	nd_ipam_conf_clear(&c);
}

static void test_fault_points(void **state)
{
	struct fx *f = *state;
	struct nd_ipam_conf c;
	int status;

	conf_ok(f, NET("'ranges':[[{'subnet':'10.0.0.0/24'}],[{'subnet':'fd00::/64'}]]"), NULL, &c);
	status = add_in_child(&c, "a", "ipam-index:fail");
	assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 3);
	assert_clean(f);
	status = add_in_child(&c, "a", "ipam-lease:fail");
	assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 3);
	assert_clean(f);
	status = add_in_child(&c, "a", "ipam-index:kill");
	assert_true(WIFSIGNALED(status));
	assert_clean(f);
	nd_ipam_conf_clear(&c);
}

/* ---- GC ---- */

struct released {
	char buf[512];
	int n;
};

static void on_release(const struct nd_ip *ip, const char *id, const char *ifname, void *ud)
{
	struct released *r = ud;
	char a[ND_IP_STRLEN];

	snprintf(r->buf + strlen(r->buf), sizeof(r->buf) - strlen(r->buf), "%s=%s/%s;", nd_ip_fmt(ip, a), id, ifname);
	r->n++;
}

static void test_gc(void **state)
{
	struct fx *f = *state;
	struct nd_ipam_conf c;
	struct released rel = { 0 };
	const struct nd_attachment valid[] = { { "a", "eth0" }, { "c", "eth0" }, { "legacy-ok", "eth3" } };

	conf_ok(f, NET("'ranges':[[{'subnet':'10.0.0.0/24'}],[{'subnet':'fd00::/64'}]]"), NULL, &c);
	add_ok(&c, "a", "10.0.0.2/24>10.0.0.1,fd00::2/64>fd00::1");
	add_ok(&c, "b", "10.0.0.3/24>10.0.0.1,fd00::3/64>fd00::1");
	add_ok(&c, "c", "10.0.0.4/24>10.0.0.1,fd00::4/64>fd00::1");
	put(f->net, "10.0.0.50", "hl-gone\r\neth0");  /* host-local, not listed */
	put(f->net, "10.0.0.51", "legacy-ok");        /* ID-only, its ID listed */
	put(f->net, "10.0.0.52", "");                 /* host-local killed mid-write */
	put(f->net, "attach/c:eth1", "10.0.0.99\n");  /* stale index, pair not listed */
	put(f->net, "attach/a:eth0.tmp", "");          /* pair not listed, no leases */
	/* A listed pair whose leases are all gone: its index goes too. */
	put(f->net, "attach/legacy-ok:eth3", "10.0.0.98\n");
	assert_int_equal(nd_ipam_gc(&c, valid, ND_ARRAY_SIZE(valid), on_release, &rel, NULL), 0);
	assert_int_equal(rel.n, 4);
	assert_non_null(strstr(rel.buf, "10.0.0.3=b/eth0;"));
	assert_non_null(strstr(rel.buf, "fd00::3=b/eth0;"));
	assert_non_null(strstr(rel.buf, "10.0.0.50=hl-gone/eth0;"));
	assert_non_null(strstr(rel.buf, "10.0.0.52=/;"));
	{
		char *l = leftovers(f->net), attach[PATH_MAX + 8], *a;

		snprintf(attach, sizeof(attach), "%s/attach", f->net);
		a = leftovers(attach);
		/* Order-independent check of what remains. */
		assert_int_equal(count_leases(f), 5);
		assert_null(strstr(l, "10.0.0.3"));
		assert_non_null(strstr(l, "10.0.0.51"));
		assert_non_null(strstr(a, "a:eth0"));
		assert_non_null(strstr(a, "c:eth0"));
		assert_null(strstr(a, "b:eth0"));
		assert_null(strstr(a, "c:eth1"));
		assert_null(strstr(a, "legacy-ok"));
		free(l);
		free(a);
	}
	/* Nothing valid: everything goes. */
	assert_int_equal(nd_ipam_gc(&c, NULL, 0, NULL, NULL, NULL), 0);
	assert_clean(f);
	nd_ipam_conf_clear(&c);
}

/* ---- concurrency ---- */

/* 16 processes released at once on one store: 16 distinct addresses, 16 indexes. */
static void test_concurrent_16(void **state)
{
	enum { N = 16 };
	struct fx *f = *state;
	struct nd_ipam_conf c;
	int gate[2], results[2];
	char got[N][64];
	pid_t pids[N];

	conf_ok(f, NET("'subnet':'10.0.0.0/24'"), NULL, &c);
	assert_int_equal(pipe2(gate, O_CLOEXEC), 0);
	assert_int_equal(pipe2(results, O_CLOEXEC), 0);
	for (int i = 0; i < N; i++) {
		pids[i] = fork();
		assert_true(pids[i] >= 0);
		if (pids[i] == 0) {
			struct nd_result res;
			char id[16], rec[64] = "";
			char b;

			close(gate[1]);
			/* Wait until the parent opens the gate (closes its end). */
			while (read(gate[0], &b, 1) > 0)
				;
			snprintf(id, sizeof(id), "ctr%d", i);
			nd_result_init(&res);
			if (nd_ipam_add(&c, id, "eth0", &res, NULL) < 0)
				_exit(1);
			nd_ip_fmt(&res.ips[0].addr.ip, rec);
			_exit(write(results[1], rec, sizeof(rec)) == sizeof(rec) ? 0 : 2);
		}
	}
	close(gate[0]);
	close(gate[1]);
	close(results[1]);
	for (int i = 0; i < N; i++) {
		int status;

		assert_int_equal(waitpid(pids[i], &status, 0), pids[i]);
		assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	}
	for (int i = 0; i < N; i++)
		assert_int_equal(read(results[0], got[i], sizeof(got[i])), sizeof(got[i]));
	close(results[0]);
	for (int i = 0; i < N; i++)
		for (int j = i + 1; j < N; j++)
			if (!strcmp(got[i], got[j]))
				fail_msg("children %d and %d both got %s", i, j, got[i]);
	assert_int_equal(count_leases(f), N);
	{
		char attach[PATH_MAX + 8];
		DIR *d;
		int n = 0;

		snprintf(attach, sizeof(attach), "%s/attach", f->net);
		d = opendir(attach);
		while (readdir(d))
			n++;
		closedir(d);
		assert_int_equal(n, N + 2);
	}
	/* Sequential allocation under the lock: exactly .2 .. .17. */
	assert_true(exists(f->net, "10.0.0.17"));
	assert_false(exists(f->net, "10.0.0.18"));
	nd_ipam_conf_clear(&c);
}

/* ---- the real host-local, when installed ---- */

static int host_local(const struct fx *f, const char *cmd, const char *id, const char *subnet)
{
	char line[2048];

	snprintf(line, sizeof(line),
		 "printf '%%s' '{\"cniVersion\":\"0.4.0\",\"name\":\"net1\",\"type\":\"bridge\","
		 "\"ipam\":{\"type\":\"host-local\",\"subnet\":\"%s\",\"dataDir\":\"%s\"}}' | "
		 "CNI_COMMAND=%s CNI_CONTAINERID=%s CNI_NETNS=/proc/self/ns/net CNI_IFNAME=eth0 "
		 "CNI_PATH=/usr/lib/cni " HOST_LOCAL " >/dev/null 2>&1",
		 subnet, f->dir, cmd, id);
	return system(line);
}

static void test_hostlocal_interop(void **state)
{
	struct fx *f = *state;
	struct nd_ipam_conf c;

	if (access(HOST_LOCAL, X_OK) < 0)
		skip();
	conf_ok(f, NET("'subnet':'10.9.0.0/24'"), NULL, &c);
	/* host-local's lease, released by netd (no index: the scan path). */
	assert_int_equal(host_local(f, "ADD", "hl1", "10.9.0.0/24"), 0);
	assert_true(exists(f->net, "10.9.0.2"));
	/* Round robin carries over through last_reserved_ip.0. */
	add_ok(&c, "n1", "10.9.0.3/24>10.9.0.1");
	assert_int_equal(host_local(f, "ADD", "hl2", "10.9.0.0/24"), 0);
	assert_true(exists(f->net, "10.9.0.4"));
	del_ok(&c, "hl1");
	assert_false(exists(f->net, "10.9.0.2"));
	/* host-local reads our lease format: its DEL releases netd's lease. */
	assert_int_equal(host_local(f, "DEL", "n1", "10.9.0.0/24"), 0);
	assert_false(exists(f->net, "10.9.0.3"));
	/* netd's DEL then just drops the index. */
	del_ok(&c, "n1");
	del_ok(&c, "hl2");
	assert_clean(f);
	nd_ipam_conf_clear(&c);
}

#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_range_defaults),
		T(test_conf_errors),
		T(test_unknown_fields),
		T(test_legacy_vs_ranges),
		T(test_default_datadir),
		T(test_requested_sources),
		T(test_requested_in_use),
		T(test_sequential_round_robin),
		T(test_wrap_around),
		T(test_multi_range_set),
		T(test_last_reserved_hint),
		T(test_exhaust_30),
		T(test_exhaust_29_range),
		T(test_dual_stack),
		T(test_result_routes_dns),
		T(test_resolv_missing),
		T(test_add_twice_exists),
		T(test_add_does_not_scan_for_unindexed_lease),
		T(test_del_idempotent),
		T(test_del_hostlocal_lease),
		T(test_check_lookup),
		T(test_bad_names),
		T(test_crash_after_index),
		T(test_torn_lease),
		T(test_undo_on_lease_failure),
		T(test_fault_points),
		T(test_gc),
		T(test_concurrent_16),
		T(test_hostlocal_interop),
	};

	return cmocka_run_group_tests_name("ipam", tests, NULL, NULL);
}

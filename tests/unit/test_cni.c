/* lib/cni (cni.c, result.c) and lib/bridge/bridgeconf.c: names, CNI_ARGS, request parsing, result JSON per version. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "base/cleanup.h"
#include "bridge/bridge.h"
#include "cni/cni.h"
#include "cni/result.h"

/* Spec section "Parameters" for IDs, the kernel's and our rules for interface names (cni.h). */
static void test_valid_names(void **state)
{
#define ID nd_cni_valid_id
#define IF nd_cni_valid_ifname
	static const struct {
		bool (*valid)(const char *);
		const char *s;
		bool ok;
	} rows[] = {
		{ ID, "abc", true },   { ID, "A1", true },        { ID, "a.b-c_d", true },        { ID, "0", true },
		{ ID, "-a", false },   { ID, ".a", false },       { ID, "_a", false },            { ID, "", false },
		{ ID, "a b", false },  { ID, "a/b", false },      { ID, "a:b", false },           { ID, "é", false },
		{ ID, "a\n", false },  { ID, "a;b", false },
		{ IF, "eth0", true },  { IF, "a", true },         { IF, "123456789012345", true }, { IF, "net-1.2", true },
		{ IF, "", false },     { IF, ".", false },        { IF, "..", false },   { IF, "1234567890123456", false },
		{ IF, "a/b", false },  { IF, "a:b", false },      { IF, "a b", false },           { IF, "a\tb", false },
		{ IF, "all", false },  { IF, "default", false },  { IF, "eth%d", false },         { IF, "%", false },
		{ IF, "alla", true },  { IF, "defaults", true },  { IF, "a\nb", false },          { IF, "\xc3\xa9th0", false },
		{ IF, "ALL", true },   { IF, "lo", true },
	};
#undef ID
#undef IF

	(void)state;
	for (size_t i = 0; i < ND_ARRAY_SIZE(rows); i++)
		if (rows[i].valid(rows[i].s) != rows[i].ok)
			fail_msg("%s '%s': want %d", rows[i].valid == nd_cni_valid_id ? "id" : "ifname", rows[i].s,
				 rows[i].ok);
	assert_false(nd_cni_valid_id(NULL));
}

static void test_args(void **state)
{
	static const char *const known[] = { "IP", "MAC", NULL };
	static const struct {
		const char *args;
		int code; /* 0: accepted */
	} rows[] = {
		{ "IP=10.0.0.2", 0 },
		{ "IP=10.0.0.2;MAC=02:00:00:00:00:01", 0 },
		{ "IgnoreUnknown=1;K8S_POD_NAME=x;IP=1.2.3.4", 0 },
		{ "IgnoreUnknown=true;X=y", 0 },
		{ "X=y;IgnoreUnknown=TRUE", 0 },
		{ "", 0 },
		{ "K8S_POD_NAME=x", ND_CNI_UNSUPPORTED_FIELD },
		{ "IgnoreUnknown=0;X=y", ND_CNI_UNSUPPORTED_FIELD },
		{ "garbage", ND_CNI_INVALID_ENV },
		{ "=value", ND_CNI_INVALID_ENV },
		{ "IP=1;;MAC=2", ND_CNI_INVALID_ENV },
	};

	(void)state;
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		struct nd_err *err = NULL;
		int r = nd_cni_args_validate(rows[i].args, known, &err);

		if ((r == 0) != (rows[i].code == 0) || (r < 0 && err->code != rows[i].code))
			fail_msg("args '%s': r=%d code=%d, want %d", rows[i].args, r, err ? err->code : 0, rows[i].code);
		nd_err_free(err);
	}
}

static void test_args_get(void **state)
{
	char *v = NULL;

	(void)state;
	assert_int_equal(nd_cni_args_get("A=1;IP=10.0.0.2,fd00::2;B=", "IP", &v), 1);
	assert_string_equal(v, "10.0.0.2,fd00::2");
	free(v);
	assert_int_equal(nd_cni_args_get("A=1;B=", "B", &v), 1);
	assert_string_equal(v, "");
	free(v);
	assert_int_equal(nd_cni_args_get("AIP=1", "IP", &v), 0);
	assert_null(v);
	assert_int_equal(nd_cni_args_get(NULL, "IP", &v), 0);
}

static void set_env(const char *cmd, const char *id, const char *ifname, const char *netns)
{
	const char *names[] = { "CNI_COMMAND", "CNI_CONTAINERID", "CNI_IFNAME", "CNI_NETNS" };
	const char *vals[] = { cmd, id, ifname, netns };

	for (size_t i = 0; i < 4; i++)
		if (vals[i])
			setenv(names[i], vals[i], 1);
		else
			unsetenv(names[i]);
	setenv("CNI_PATH", "/opt/cni/bin", 1);
	unsetenv("CNI_ARGS");
}

static int parse(const char *conf, struct nd_cni_req *req, int *ret_code)
{
	struct nd_err *err = NULL;
	int r = nd_cni_req_parse(conf, strlen(conf), req, &err);

	*ret_code = err ? err->code : 0;
	nd_err_free(err);
	return r;
}

#define CONF(v) "{\"cniVersion\":\"" v "\",\"name\":\"net1\",\"type\":\"netd-bridge\"}"

static void test_req_parse(void **state)
{
	static const struct {
		const char *cmd, *id, *ifname, *netns, *conf;
		int code;
	} rows[] = {
		{ "ADD", "c1", "eth0", "/run/netns/x", CONF("1.0.0"), 0 },
		{ "DEL", "c1", "eth0", NULL, CONF("1.0.0"), 0 },          /* DEL without netns */
		{ "CHECK", "c1", "eth0", "/x", CONF("0.4.0"), 0 },
		{ "GC", NULL, NULL, NULL, CONF("1.1.0"), 0 },
		{ "STATUS", NULL, NULL, NULL, CONF("1.1.0"), 0 },
		{ "VERSION", NULL, NULL, NULL, "", 0 },
		{ "ADD", "c1", "eth0", NULL, CONF("1.0.0"), ND_CNI_INVALID_ENV },
		{ "ADD", NULL, "eth0", "/x", CONF("1.0.0"), ND_CNI_INVALID_ENV },
		{ "ADD", "c1", NULL, "/x", CONF("1.0.0"), ND_CNI_INVALID_ENV },
		{ "ADD", "-c", "eth0", "/x", CONF("1.0.0"), ND_CNI_INVALID_ENV },
		{ "FROB", "c1", "eth0", "/x", CONF("1.0.0"), ND_CNI_INVALID_ENV },
		{ "ADD", "c1", "eth0", "/x", CONF("0.2.0"), ND_CNI_INCOMPATIBLE_VERSION },
		{ "CHECK", "c1", "eth0", "/x", CONF("0.3.1"), ND_CNI_INCOMPATIBLE_VERSION },
		{ "GC", NULL, NULL, NULL, CONF("1.0.0"), ND_CNI_INCOMPATIBLE_VERSION },
		{ "ADD", "c1", "eth0", "/x", "{", ND_CNI_DECODE },
		{ "ADD", "c1", "eth0", "/x", "[1]", ND_CNI_DECODE },
		{ "ADD", "c1", "eth0", "/x", "{\"cniVersion\":\"1.0.0\",\"name\":\"a/b\",\"type\":\"t\"}",
		  ND_CNI_INVALID_CONFIG },
		{ "ADD", "c1", "eth0", "/x", "{\"cniVersion\":\"1.0.0\",\"name\":\"n\"}", ND_CNI_INVALID_CONFIG },
		{ "ADD", "c1", "eth0", "/x", "{\"cniVersion\":1,\"name\":\"n\",\"type\":\"t\"}", ND_CNI_INVALID_CONFIG },
	};

	(void)state;
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		struct nd_cni_req req;
		int code, r;

		set_env(rows[i].cmd, rows[i].id, rows[i].ifname, rows[i].netns);
		r = parse(rows[i].conf, &req, &code);
		if ((r == 0) != (rows[i].code == 0) || code != rows[i].code)
			fail_msg("row %zu (%s): r=%d code=%d, want %d", i, rows[i].cmd, r, code, rows[i].code);
		nd_cni_req_clear(&req);
	}
}

/* One result, emitted in every version, checked for the layout each version defines. */
static void test_result_versions(void **state)
{
	struct nd_result r;
	json_t *j, *back;

	(void)state;
	nd_result_init(&r);
	strcpy(r.ifaces[0].name, "eth0");
	strcpy(r.ifaces[0].mac, "02:00:00:00:00:01");
	r.ifaces[0].mtu = 1400;
	r.ifaces[0].sandbox = strdup("/run/netns/x");
	r.n_ifaces = 1;
	nd_cidr_parse("10.0.0.2/24", &r.ips[0].addr, NULL);
	nd_ip_parse("10.0.0.1", &r.ips[0].gw, NULL);
	r.ips[0].iface = 0;
	nd_cidr_parse("fd00::2/64", &r.ips[1].addr, NULL);
	r.ips[1].iface = -1;
	r.n_ips = 2;
	nd_cidr_parse("0.0.0.0/0", &r.routes[0].dst, NULL);
	r.routes[0].priority = 10;
	r.n_routes = 1;
	for (size_t i = 0; nd_cni_versions[i]; i++) {
		const char *v = nd_cni_versions[i];
		bool old = v[0] == '0', v11 = !strcmp(v, "1.1.0");
		struct nd_result r2;
		json_t *ip0;

		j = nd_result_to_json(&r, v);
		ip0 = json_array_get(json_object_get(j, "ips"), 0);
		assert_string_equal(json_string_value(json_object_get(j, "cniVersion")), v);
		assert_int_equal(json_object_get(ip0, "version") != NULL, old);
		if (old)
			assert_string_equal(json_string_value(json_object_get(json_array_get(json_object_get(j, "ips"), 1), "version")), "6");
		assert_string_equal(json_string_value(json_object_get(ip0, "address")), "10.0.0.2/24");
		assert_string_equal(json_string_value(json_object_get(ip0, "gateway")), "10.0.0.1");
		assert_int_equal(json_integer_value(json_object_get(ip0, "interface")), 0);
		assert_null(json_object_get(json_array_get(json_object_get(j, "ips"), 1), "interface"));
		/* 1.1.0 added mtu on interfaces and priority on routes. */
		assert_int_equal(json_object_get(json_array_get(json_object_get(j, "interfaces"), 0), "mtu") != NULL, v11);
		assert_int_equal(json_object_get(json_array_get(json_object_get(j, "routes"), 0), "priority") != NULL, v11);
		assert_true(json_is_object(json_object_get(j, "dns")));
		/* And it reads back. */
		assert_int_equal(nd_result_from_json(j, &r2, NULL), 0);
		assert_int_equal(r2.n_ips, 2);
		assert_true(nd_ip_equal(&r2.ips[0].gw, &r.ips[0].gw));
		assert_string_equal(r2.ifaces[0].sandbox, "/run/netns/x");
		nd_result_clear(&r2);
		json_decref(j);
	}
	/* A result naming an interface it does not have is refused. */
	back = json_loads("{\"ips\":[{\"address\":\"10.0.0.2/24\",\"interface\":3}]}", 0, NULL);
	{
		struct nd_result r3;
		struct nd_err *err = NULL;

		assert_true(nd_result_from_json(back, &r3, &err) < 0);
		assert_non_null(err);
		nd_err_free(err);
	}
	json_decref(back);
	nd_result_clear(&r);
}

static void test_error_json(void **state)
{
	struct nd_err *err = NULL;
	json_t *j;

	(void)state;
	nd_err_set(&err, ND_CNI_INVALID_CONFIG, EINVAL, "bridge '%s' is bad", "x\xff");
	nd_err_wrap(&err, "network '%s'", "n");
	j = nd_cni_error_json(err, "1.0.0");
	assert_int_equal(json_integer_value(json_object_get(j, "code")), 7);
	/* Invalid UTF-8 in user input must not lose the message. */
	assert_string_equal(json_string_value(json_object_get(j, "msg")), "network 'n': bridge 'x?' is bad");
	assert_string_equal(json_string_value(json_object_get(j, "details")), strerror(EINVAL));
	assert_string_equal(json_string_value(json_object_get(j, "cniVersion")), "1.0.0");
	json_decref(j);
	nd_err_free(err);
}

static void test_bridge_conf(void **state)
{
	static const struct {
		const char *extra, *args;
		int code;
	} rows[] = {
		{ "", NULL, 0 },
		{ ",\"isDefaultGateway\":true", NULL, 0 },
		{ ",\"mtu\":1400,\"hairpinMode\":true,\"bridge\":\"br9\"", NULL, 0 },
		{ ",\"runtimeConfig\":{\"mac\":\"02:00:00:00:00:09\"}", NULL, 0 },
		{ "", "MAC=02:00:00:00:00:0a", 0 },
		{ ",\"mtu\":\"x\"", NULL, ND_CNI_INVALID_CONFIG },
		{ ",\"mtu\":67", NULL, ND_CNI_INVALID_CONFIG },
		{ ",\"vlan\":5", NULL, ND_CNI_UNSUPPORTED_FIELD },
		{ ",\"bridge\":\"has space\"", NULL, ND_CNI_INVALID_CONFIG },
		{ ",\"runtimeConfig\":{\"mac\":\"03:00:00:00:00:09\"}", NULL, ND_CNI_INVALID_CONFIG },
		{ ",\"ipam\":{}", NULL, ND_CNI_INVALID_CONFIG }, /* ipMasq without an IPAM type */
		{ "", "FOO=1", ND_CNI_UNSUPPORTED_FIELD },
	};

	(void)state;
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		char conf[512];
		struct nd_cni_req req;
		struct nd_bridge_conf bc;
		struct nd_err *err = NULL;
		int code, r;
		bool has_ipam = strstr(rows[i].extra, "\"ipam\"") != NULL;

		snprintf(conf, sizeof(conf),
			 "{\"cniVersion\":\"1.0.0\",\"name\":\"n\",\"type\":\"netd-bridge\",\"ipMasq\":true%s%s}",
			 has_ipam ? "" : ",\"ipam\":{\"type\":\"netd-ipam\"}", rows[i].extra);
		set_env("ADD", "c1", "eth0", "/x");
		if (rows[i].args)
			setenv("CNI_ARGS", rows[i].args, 1);
		assert_int_equal(parse(conf, &req, &code), 0);
		r = nd_bridge_conf_parse(&req, &bc, &err);
		code = err ? err->code : 0;
		if ((r == 0) != (rows[i].code == 0) || code != rows[i].code)
			fail_msg("row %zu (%s): r=%d code=%d, want %d", i, rows[i].extra, r, code, rows[i].code);
		if (r == 0 && strstr(rows[i].extra, "isDefaultGateway"))
			assert_true(bc.is_gw);
		nd_err_free(err);
		nd_cni_req_clear(&req);
	}
}

static void test_host_ifname(void **state)
{
	char a[16], b[16], c[16];

	(void)state;
	nd_bridge_host_ifname("ctr1", "eth0", a);
	nd_bridge_host_ifname("ctr1", "eth0", b);
	nd_bridge_host_ifname("ctr1", "eth1", c);
	assert_string_equal(a, b);
	assert_string_not_equal(a, c);
	assert_int_equal(strlen(a), 15);
	assert_true(nd_cni_valid_ifname(a));
	/* ("a/b" is not an ID, but) the separator keeps ("ab","c") apart from ("a","bc"). */
	nd_bridge_host_ifname("ab", "c", b);
	nd_bridge_host_ifname("a", "bc", c);
	assert_string_not_equal(b, c);
	/* GC of leftovers recognises exactly that form. */
	assert_true(nd_bridge_is_host_ifname(a));
	assert_false(nd_bridge_is_host_ifname("nd7a0abdbb07ad"));
	assert_false(nd_bridge_is_host_ifname("nd7a0abdbb07aD3"));
	assert_false(nd_bridge_is_host_ifname("xd7a0abdbb07ad3"));
	assert_false(nd_bridge_is_host_ifname("nd7a0abdbb07ad3x"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_valid_names),
		cmocka_unit_test(test_args),            cmocka_unit_test(test_args_get),
		cmocka_unit_test(test_req_parse),       cmocka_unit_test(test_result_versions),
		cmocka_unit_test(test_error_json),      cmocka_unit_test(test_bridge_conf),
		cmocka_unit_test(test_host_ifname),
	};

	return cmocka_run_group_tests_name("cni", tests, NULL, NULL);
}

/* lib/portmap/pmconf: portMappings parsing and checking, table-driven. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "portmap/pmconf.h"

static void test_parse_table(void **state)
{
	static const struct {
		const char *json;
		int code;          /* 0: accepted */
		const char *msg;   /* part of the message, or the first mapping as nd_pm_host_fmt -> ctr port */
		size_t n;
	} rows[] = {
		{ "null", 0, "", 0 },
		{ "[]", 0, "", 0 },
		{ "[{\"hostPort\":8080,\"containerPort\":80}]", 0, "8080/tcp>80", 1 },
		{ "[{\"hostPort\":53,\"containerPort\":53,\"protocol\":\"UDP\"}]", 0, "53/udp>53", 1 },
		{ "[{\"hostPort\":1,\"containerPort\":65535,\"protocol\":\"sctp\",\"hostIP\":\"192.0.2.1\"}]", 0,
		  "192.0.2.1:1/sctp>65535", 1 },
		{ "[{\"hostPort\":443,\"containerPort\":443,\"hostIP\":\"2001:db8::1\"}]", 0, "[2001:db8::1]:443/tcp>443", 1 },
		{ "[{\"hostPort\":443,\"containerPort\":443,\"hostIP\":\"\"}]", 0, "443/tcp>443", 1 },
		{ "[{\"hostPort\":80,\"containerPort\":80},{\"hostPort\":80,\"containerPort\":80,\"protocol\":\"udp\"}]", 0,
		  "80/tcp>80", 2 },
		{ "[{\"hostPort\":80,\"containerPort\":80,\"hostIP\":\"192.0.2.1\"},"
		  "{\"hostPort\":80,\"containerPort\":80,\"hostIP\":\"2001:db8::1\"}]", 0, "192.0.2.1:80/tcp>80", 2 },
		{ "[{\"hostPort\":80,\"containerPort\":80,\"hostIP\":\"0.0.0.0\"},"
		  "{\"hostPort\":80,\"containerPort\":80,\"hostIP\":\"::\"}]", 0, "0.0.0.0:80/tcp>80", 2 },
		{ "[{\"hostPort\":0,\"containerPort\":80}]", 7, "hostPort 0 is outside 1-65535", 0 },
		{ "[{\"hostPort\":65536,\"containerPort\":80}]", 7, "hostPort 65536 is outside", 0 },
		{ "[{\"hostPort\":-1,\"containerPort\":80}]", 7, "hostPort -1", 0 },
		{ "[{\"hostPort\":80,\"containerPort\":0}]", 7, "containerPort 0", 0 },
		{ "[{\"hostPort\":80}]", 7, "containerPort", 0 },
		{ "[{\"hostPort\":\"80\",\"containerPort\":80}]", 7, "hostPort", 0 },
		{ "[{\"hostPort\":80,\"containerPort\":80,\"protocol\":\"icmp\"}]", 7, "protocol must be", 0 },
		{ "[{\"hostPort\":80,\"containerPort\":80,\"protocol\":6}]", 7, "protocol", 0 },
		{ "[{\"hostPort\":80,\"containerPort\":80,\"hostIP\":\"10.0.0.300\"}]", 7, "hostIP is not", 0 },
		{ "[{\"hostPort\":80,\"containerPort\":80,\"hostIP\":\"10.0.0.0/8\"}]", 7, "hostIP is not", 0 },
		{ "[{\"hostPort\":80,\"containerPort\":80},{\"hostPort\":80,\"containerPort\":81}]", 7, "mapped twice", 0 },
		{ "[{\"hostPort\":80,\"containerPort\":80,\"hostIP\":\"192.0.2.1\"},{\"hostPort\":80,\"containerPort\":81}]", 7,
		  "mapped twice", 0 },
		{ "[{\"hostPort\":80,\"containerPort\":80,\"hostIP\":\"0.0.0.0\"},"
		  "{\"hostPort\":80,\"containerPort\":81,\"hostIP\":\"192.0.2.1\"}]", 7, "mapped twice", 0 },
		{ "[3]", 7, "not an object", 0 },
		{ "{}", 7, "must be an array", 0 },
	};
	(void)state;
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		json_t *j = json_loads(rows[i].json, JSON_DECODE_ANY, NULL);
		struct nd_err *err = NULL;
		struct nd_pm *m = NULL;
		size_t n = 99;
		int r;

		assert_non_null(j);
		r = nd_pm_parse(j, &m, &n, &err);
		if (rows[i].code) {
			if (r >= 0 || !err || err->code != rows[i].code || !strstr(err->msg, rows[i].msg))
				fail_msg("row %zu (%s): r=%d msg=%s", i, rows[i].json, r, err ? err->msg : "(none)");
		} else {
			char s[ND_PM_STRLEN], got[ND_PM_STRLEN + 8] = "";

			if (r < 0)
				fail_msg("row %zu (%s): %s", i, rows[i].json, err ? err->msg : "?");
			assert_int_equal(n, rows[i].n);
			if (n)
				snprintf(got, sizeof(got), "%s>%u", nd_pm_host_fmt(&m[0], s), m[0].ctr_port);
			assert_string_equal(got, rows[i].msg);
		}
		free(m);
		nd_err_free(err);
		json_decref(j);
	}
}

static void test_families(void **state)
{
	struct nd_pm any = { .proto = IPPROTO_TCP, .host_port = 1 }, any4 = any, one6 = any;

	(void)state;
	any4.host_ip.family = AF_INET;
	one6.host_ip.family = AF_INET6;
	one6.host_ip.a[15] = 1;
	assert_true(nd_pm_covers(&any, AF_INET) && nd_pm_covers(&any, AF_INET6));
	assert_true(nd_pm_any(&any, AF_INET) && nd_pm_any(&any, AF_INET6));
	assert_true(nd_pm_covers(&any4, AF_INET) && !nd_pm_covers(&any4, AF_INET6) && nd_pm_any(&any4, AF_INET));
	assert_true(!nd_pm_covers(&one6, AF_INET) && nd_pm_covers(&one6, AF_INET6) && !nd_pm_any(&one6, AF_INET6));
	assert_int_equal(nd_pm_proto_parse("Tcp"), IPPROTO_TCP);
	assert_int_equal(nd_pm_proto_parse("tcp6"), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_table),
		cmocka_unit_test(test_families),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

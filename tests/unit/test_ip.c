/* lib/base/ip: parsing, formatting and arithmetic, table-driven. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "base/ip.h"
#include "fixtures.h"

static struct nd_cidr cidr_of(const char *s)
{
	struct nd_cidr c;

	if (nd_cidr_parse(s, &c, NULL) < 0)
		fail_msg("test bug: cannot parse '%s'", s);
	return c;
}

static void test_cidr_parse_table(void **state)
{
	static const struct {
		const char *in;
		int family;         /* 0: must be rejected */
		unsigned int len;
		const char *out;    /* nd_cidr_fmt of the result */
	} rows[] = {
		{ "10.0.0.0/24", AF_INET, 24, "10.0.0.0/24" },
		{ "10.0.0.5/24", AF_INET, 24, "10.0.0.5/24" }, /* host bits kept */
		{ "0.0.0.0/0", AF_INET, 0, "0.0.0.0/0" },
		{ "255.255.255.255/32", AF_INET, 32, "255.255.255.255/32" },
		{ "fd00::/64", AF_INET6, 64, "fd00::/64" },
		{ "FD00:0:0:0::1/128", AF_INET6, 128, "fd00::1/128" },
		{ "::/0", AF_INET6, 0, "::/0" },
		{ "::ffff:10.0.0.1/120", AF_INET6, 120, "::ffff:10.0.0.1/120" }, /* mapped stays v6 */
		{ "2001:db8::/32", AF_INET6, 32, "2001:db8::/32" },
		{ "10.0.0.0/33", 0 },
		{ "fd00::/129", 0 },
		{ "10.0.0.0/", 0 },
		{ "10.0.0.0", 0 },
		{ "/24", 0 },
		{ "", 0 },
		{ "10.0.0.0/24 ", 0 },
		{ " 10.0.0.0/24", 0 },
		{ "10.0.0.0 /24", 0 },
		{ "10.0.0.0/ 24", 0 },
		{ "10.0.0.0/+24", 0 },
		{ "10.0.0.0/-1", 0 },
		{ "10.0.0.0/024", 0 },
		{ "10.0.0.0/24x", 0 },
		{ "10.0.0.0/24/24", 0 },
		{ "10.0.0/24", 0 },
		{ "10.0.0.256/24", 0 },
		{ "010.0.0.0/24", 0 },
		{ "fd00:::1/64", 0 },
		{ "garbage", 0 },
		{ "10.0.0.0/1000", 0 },
		{ "fd00::g/64", 0 },
		{ "1.2.3.4.5/8", 0 },
	};
	(void)state;

	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		struct nd_err *err = NULL;
		struct nd_cidr c = { 0 };
		char buf[ND_CIDR_STRLEN];
		int r = nd_cidr_parse(rows[i].in, &c, &err);

		if (rows[i].family == 0) {
			if (r != -EINVAL || !err || err->code != ND_CNI_INVALID_CONFIG || !strstr(err->msg, "invalid CIDR"))
				fail_msg("row %zu '%s': expected rejection with code 7, got %d", i, rows[i].in, r);
			nd_err_free(err);
			continue;
		}
		if (r != 0 || err)
			fail_msg("row %zu '%s': rejected: %s", i, rows[i].in, err ? err->msg : "?");
		if (c.ip.family != rows[i].family || c.len != rows[i].len)
			fail_msg("row %zu '%s': family %d len %u", i, rows[i].in, c.ip.family, c.len);
		if (strcmp(nd_cidr_fmt(&c, buf), rows[i].out))
			fail_msg("row %zu '%s': formatted '%s', want '%s'", i, rows[i].in, buf, rows[i].out);
	}
}

static void test_ip_parse_table(void **state)
{
	static const struct {
		const char *in;
		int family;
	} rows[] = {
		{ "10.0.0.1", AF_INET }, { "fd00::1", AF_INET6 }, { "::", AF_INET6 },
		{ "::ffff:1.2.3.4", AF_INET6 }, { "10.0.0.1/24", 0 }, { " 10.0.0.1", 0 },
		{ "10.0.0.1 ", 0 }, { "10.0.0.01", 0 }, { "", 0 }, { "1.2.3", 0 },
		{ "fd00::1%eth0", 0 }, { "0x0a.0.0.1", 0 },
	};
	(void)state;

	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		struct nd_err *err = NULL;
		struct nd_ip ip = { 0 };
		int r = nd_ip_parse(rows[i].in, &ip, &err);

		if (rows[i].family == 0 ? (r != -EINVAL || !err || err->code != ND_CNI_INVALID_CONFIG) :
					  (r != 0 || ip.family != rows[i].family))
			fail_msg("row %zu '%s': r=%d family=%d", i, rows[i].in, r, ip.family);
		nd_err_free(err);
	}
	assert_int_equal(nd_ip_parse(NULL, &(struct nd_ip){ 0 }, NULL), -EINVAL);
}

/* Canonical text is what host-local names its lease files: RFC 5952, as Go prints it. */
static void test_fmt_roundtrip(void **state)
{
	static const struct {
		const char *in, *out;
	} rows[] = {
		{ "10.1.2.3", "10.1.2.3" },
		{ "2001:DB8::1", "2001:db8::1" },
		{ "fe80:0:0:0:0:0:0:1", "fe80::1" },
		{ "0:0:0:0:0:0:0:0", "::" },
		{ "::1", "::1" },
		{ "1::", "1::" },
		{ "1:2:3:4:5:6:7:8", "1:2:3:4:5:6:7:8" },
		{ "1:0:2:3:4:5:6:7", "1:0:2:3:4:5:6:7" },       /* one zero word is not "::" */
		{ "1:0:0:1:0:0:0:1", "1:0:0:1::1" },             /* the longest run */
		{ "1:0:0:1:1:0:0:1", "1::1:1:0:0:1" },           /* first of equal runs */
		{ "2001:db8:0:0:1:0:0:1", "2001:db8::1:0:0:1" },
		{ "::102:304", "::102:304" },                    /* glibc would print ::1.2.3.4 */
		{ "::ffff:1.2.3.4", "::ffff:1.2.3.4" },          /* mapped: dotted (RFC 5952 s.5) */
		{ "fd00::ffff:ffff:ffff:ffff", "fd00::ffff:ffff:ffff:ffff" },
		{ "0:0:0:0:0:0:0:1", "::1" },
		{ "1:0:0:0:0:0:0:0", "1::" },
		{ "0:1:0:1:0:1:0:1", "0:1:0:1:0:1:0:1" },
	};
	(void)state;

	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		char buf[ND_IP_STRLEN];
		struct nd_ip ip = ip_of(rows[i].in), back;

		if (strcmp(nd_ip_fmt(&ip, buf), rows[i].out))
			fail_msg("row %zu '%s': '%s', want '%s'", i, rows[i].in, buf, rows[i].out);
		back = ip_of(buf);
		assert_true(nd_ip_equal(&ip, &back));
	}
}

/* Random addresses: text parses back to the same bytes and agrees with inet_ntop where glibc is canonical. */
static void test_fmt_random(void **state)
{
	(void)state;
	srand(42);
	for (int n = 0; n < 20000; n++) {
		struct nd_ip ip = { .family = AF_INET6 }, back;
		char buf[ND_IP_STRLEN], ref[INET6_ADDRSTRLEN];

		for (int i = 0; i < 16; i++)
			/* Many zero bytes, so "::" runs of every length occur. */
			ip.a[i] = rand() % 3 ? 0 : (uint8_t)rand();
		nd_ip_fmt(&ip, buf);
		back = ip_of(buf);
		assert_true(nd_ip_equal(&ip, &back));
		inet_ntop(AF_INET6, ip.a, ref, sizeof(ref));
		if (!strchr(ref, '.') && strcmp(buf, ref))
			fail_msg("%s vs inet_ntop %s", buf, ref);
	}
}

static void test_fmt_unset(void **state)
{
	struct nd_ip none = { 0 };
	char buf[ND_IP_STRLEN] = "x";

	(void)state;
	assert_string_equal(nd_ip_fmt(&none, buf), "");
	assert_false(nd_ip_is_set(&none));
	assert_int_equal(nd_ip_bytes(AF_INET), 4);
	assert_int_equal(nd_ip_bytes(AF_INET6), 16);
	assert_int_equal(nd_ip_bytes(0), 0);
}

static void test_network_last_contains(void **state)
{
	static const struct {
		const char *cidr, *network, *last, *in, *out;
	} rows[] = {
		{ "10.1.2.3/24", "10.1.2.0/24", "10.1.2.255", "10.1.2.200", "10.1.3.0" },
		{ "10.1.2.3/30", "10.1.2.0/30", "10.1.2.3", "10.1.2.1", "10.1.2.4" },
		{ "10.1.2.3/23", "10.1.2.0/23", "10.1.3.255", "10.1.3.7", "10.1.4.0" },
		{ "10.1.2.3/32", "10.1.2.3/32", "10.1.2.3", "10.1.2.3", "10.1.2.4" },
		{ "10.1.2.3/0", "0.0.0.0/0", "255.255.255.255", "1.1.1.1", "fd00::1" },
		{ "192.168.100.7/21", "192.168.96.0/21", "192.168.103.255", "192.168.99.1", "192.168.104.0" },
		{ "fd00::1234/64", "fd00::/64", "fd00::ffff:ffff:ffff:ffff", "fd00::1", "fd00:0:0:1::" },
		{ "fd00::1234/125", "fd00::1230/125", "fd00::1237", "fd00::1235", "fd00::1238" },
		{ "fd00::1/0", "::/0", "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", "::1", "10.0.0.1" },
		{ "fd00::1/127", "fd00::/127", "fd00::1", "fd00::", "fd00::2" },
	};
	(void)state;

	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		struct nd_cidr c = cidr_of(rows[i].cidr), n;
		struct nd_ip last, in = ip_of(rows[i].in), out = ip_of(rows[i].out);
		char a[ND_CIDR_STRLEN], b[ND_IP_STRLEN];

		nd_cidr_network(&c, &n);
		if (strcmp(nd_cidr_fmt(&n, a), rows[i].network))
			fail_msg("row %zu: network %s", i, a);
		nd_cidr_last(&c, &last);
		if (strcmp(nd_ip_fmt(&last, b), rows[i].last))
			fail_msg("row %zu: last %s", i, b);
		if (!nd_cidr_contains(&c, &in) || nd_cidr_contains(&c, &out))
			fail_msg("row %zu: contains", i);
		assert_true(nd_cidr_contains(&c, &last));
	}
}

static void test_overlap(void **state)
{
	static const struct {
		const char *x, *y;
		bool overlap;
	} rows[] = {
		{ "10.0.0.0/24", "10.0.0.0/24", true },
		{ "10.0.0.0/16", "10.0.5.0/24", true },
		{ "10.0.5.0/24", "10.0.0.0/16", true },
		{ "10.0.0.0/24", "10.0.1.0/24", false },
		{ "10.0.0.0/25", "10.0.0.128/25", false },
		{ "0.0.0.0/0", "192.168.0.0/16", true },
		{ "fd00::/64", "fd00::/48", true },
		{ "fd00::/64", "fd00:0:0:1::/64", false },
		{ "10.0.0.0/8", "::ffff:10.0.0.0/104", false }, /* families never overlap */
		{ "::/0", "0.0.0.0/0", false },
	};
	(void)state;

	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		struct nd_cidr x = cidr_of(rows[i].x), y = cidr_of(rows[i].y);

		if (nd_cidr_overlap(&x, &y) != rows[i].overlap)
			fail_msg("row %zu: %s vs %s", i, rows[i].x, rows[i].y);
	}
}

static void test_add_table(void **state)
{
	static const struct {
		const char *in;
		int64_t delta;
		const char *out; /* NULL: wraps, returns false, ip unchanged */
	} rows[] = {
		{ "10.0.0.1", 1, "10.0.0.2" },
		{ "10.0.0.255", 1, "10.0.1.0" },
		{ "10.255.255.255", 1, "11.0.0.0" },
		{ "10.0.1.0", -1, "10.0.0.255" },
		{ "11.0.0.0", -1, "10.255.255.255" },
		{ "10.0.0.0", 256 * 256, "10.1.0.0" },
		{ "10.0.0.0", 0, "10.0.0.0" },
		{ "0.0.0.0", 4294967295LL, "255.255.255.255" },
		{ "255.255.255.255", -4294967295LL, "0.0.0.0" },
		{ "255.255.255.255", 1, NULL },
		{ "0.0.0.0", -1, NULL },
		{ "0.0.0.0", 4294967296LL, NULL },        /* wider than IPv4 */
		{ "1.2.3.4", INT64_MIN, NULL },
		{ "1.2.3.4", INT64_MAX, NULL },
		{ "fd00::ffff", 1, "fd00::1:0" },
		{ "fd00::ffff:ffff:ffff:ffff", 1, "fd00:0:0:1::" },
		{ "fd00:0:0:1::", -1, "fd00::ffff:ffff:ffff:ffff" },
		{ "0:ffff:ffff:ffff:ffff:ffff:ffff:ffff", 1, "1::" }, /* carry through 15 bytes */
		{ "1::", -1, "0:ffff:ffff:ffff:ffff:ffff:ffff:ffff" },
		{ "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", 1, NULL },
		{ "::", -1, NULL },
		{ "::", INT64_MAX, "::7fff:ffff:ffff:ffff" },
		{ "::1:0:0:0:0", INT64_MIN, "::8000:0:0:0" },
		{ "fd00::1", -2, "fcff:ffff:ffff:ffff:ffff:ffff:ffff:ffff" }, /* borrow through 15 bytes */
	};
	(void)state;

	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		struct nd_ip ip = ip_of(rows[i].in), before = ip;
		char buf[ND_IP_STRLEN];
		bool ok = nd_ip_add(&ip, rows[i].delta);

		if (!rows[i].out) {
			if (ok || !nd_ip_equal(&ip, &before))
				fail_msg("row %zu %s%+lld: expected a wrap", i, rows[i].in, (long long)rows[i].delta);
			continue;
		}
		if (!ok || strcmp(nd_ip_fmt(&ip, buf), rows[i].out))
			fail_msg("row %zu %s%+lld: got %s (%d), want %s", i, rows[i].in, (long long)rows[i].delta,
				 buf, ok, rows[i].out);
	}
	{
		struct nd_ip none = { 0 };

		assert_false(nd_ip_add(&none, 1));
	}
}

static void test_cmp_equal(void **state)
{
	struct nd_ip a = ip_of("10.0.0.1"), b = ip_of("10.0.0.2"), c = ip_of("fd00::1"), d = ip_of("10.0.0.1");

	(void)state;
	assert_int_equal(nd_ip_cmp(&a, &b), -1);
	assert_int_equal(nd_ip_cmp(&b, &a), 1);
	assert_int_equal(nd_ip_cmp(&a, &d), 0);
	assert_true(nd_ip_equal(&a, &d));
	assert_false(nd_ip_equal(&a, &b));
	assert_false(nd_ip_equal(&a, &c));
	assert_int_equal(nd_ip_cmp(&a, &c), -1); /* v4 before v6 */
	assert_true(nd_ip_is_set(&a));
}

/* lib/base/ip.h's nd_subnet_check: what the API and the plugins refuse as a network's subnet. */
static void test_subnet_check_table(void **state)
{
	static const struct {
		const char *subnet;
		const char *want; /* NULL: accepted; else a part of the message */
	} rows[] = {
		{ "10.0.0.0/24", NULL },
		{ "172.17.0.0/16", NULL },
		{ "192.168.0.0/20", NULL },
		{ "10.0.0.0/8", NULL },
		{ "1.0.0.0/8", NULL },
		{ "223.255.255.0/24", NULL },
		{ "fd00::/64", NULL },
		{ "2001:db8::/32", NULL },
		{ "0.0.0.0/0", "too large: the prefix must be /8 or longer" },
		{ "10.0.0.0/7", "too large" },
		{ "0.0.0.0/8", "'this network'" },
		{ "0.1.0.0/16", "'this network'" },
		{ "127.0.0.0/8", "loopback (127.0.0.0/8)" },
		{ "127.1.2.0/24", "loopback" },
		{ "169.254.0.0/16", "link-local (169.254.0.0/16)" },
		{ "169.254.3.0/24", "link-local" },
		{ "224.0.0.0/4", "too large" },
		{ "224.0.0.0/24", "multicast (224.0.0.0/4)" },
		{ "239.255.0.0/16", "multicast" },
		{ "240.0.0.0/8", "reserved (240.0.0.0/4" },
		{ "255.255.255.0/24", "reserved" },
		{ "::/0", "too large: the prefix must be /32 or longer" },
		{ "fd00::/31", "too large" },
		{ "::/64", "the unspecified address" },
		{ "::1/128", "loopback (::1)" },
		{ "::ffff:10.0.0.0/120", "IPv4-mapped" },
		{ "fe80::/64", "link-local (fe80::/10)" },
		{ "febf::/64", "link-local" },
		{ "ff02::/64", "multicast (ff00::/8)" },
	};
	(void)state;

	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		struct nd_err *err = NULL;
		struct nd_cidr c = cidr_of(rows[i].subnet);
		int r = nd_subnet_check(&c, &err);

		if (!rows[i].want && r < 0)
			fail_msg("%s refused: %s", rows[i].subnet, err->msg);
		if (rows[i].want && (r >= 0 || err->code != 7 || !strstr(err->msg, rows[i].want)))
			fail_msg("%s: want '%s', got r=%d '%s'", rows[i].subnet, rows[i].want, r, err ? err->msg : "");
		nd_err_free(err);
	}
}

static void test_gateway_check_table(void **state)
{
	static const struct {
		const char *subnet, *gw, *want;
	} rows[] = {
		{ "10.0.0.0/24", "10.0.0.1", NULL },
		{ "10.0.0.0/24", "10.0.0.254", NULL },
		{ "10.0.0.0/24", "10.0.0.0", "is the network address of 10.0.0.0/24" },
		{ "10.0.0.0/24", "10.0.0.255", "is the broadcast address of 10.0.0.0/24" },
		{ "10.0.0.0/24", "10.0.1.1", "is outside subnet 10.0.0.0/24" },
		{ "10.0.0.0/24", "fd00::1", "is outside subnet" },
		{ "fd00::/64", "fd00::1", NULL },
		{ "fd00::/64", "fd00::ffff:ffff:ffff:ffff", NULL }, /* no broadcast in IPv6 */
		{ "fd00::/64", "fd00::", "is the network address of fd00::/64" },
		{ "fd00::/64", "fd01::1", "is outside" },
	};
	(void)state;

	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		struct nd_err *err = NULL;
		struct nd_cidr c = cidr_of(rows[i].subnet);
		struct nd_ip gw = ip_of(rows[i].gw);
		int r = nd_gateway_check(&c, &gw, &err);

		if (!rows[i].want && r < 0)
			fail_msg("%s in %s refused: %s", rows[i].gw, rows[i].subnet, err->msg);
		if (rows[i].want && (r >= 0 || err->code != 7 || !strstr(err->msg, rows[i].want)))
			fail_msg("%s in %s: want '%s', got '%s'", rows[i].gw, rows[i].subnet, rows[i].want,
				 err ? err->msg : "");
		nd_err_free(err);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_cidr_parse_table),
		cmocka_unit_test(test_ip_parse_table),
		cmocka_unit_test(test_fmt_roundtrip),
		cmocka_unit_test(test_fmt_random),
		cmocka_unit_test(test_fmt_unset),
		cmocka_unit_test(test_network_last_contains),
		cmocka_unit_test(test_overlap),
		cmocka_unit_test(test_add_table),
		cmocka_unit_test(test_cmp_equal),
		cmocka_unit_test(test_subnet_check_table),
		cmocka_unit_test(test_gateway_check_table),
	};

	return cmocka_run_group_tests_name("ip", tests, NULL, NULL);
}

/*
 * netd dns query NAME [--network N]: a container's addresses as the daemon's DNS server
 * answers them (docs/dns.md "From the host"), asked through the API: every network with
 * DNS, or the one named. Exit 3 when no network knows the name.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "base/cleanup.h"
#include "base/json.h"
#include "cli.h"
#include "networks/apiclient.h"

static const char usage[] = "Usage: netd dns query NAME [--network NETWORK] [--json]\n"
			    "The addresses NAME has on each network with DNS (or on NETWORK).\n";

/* 0 and the answer, 1 when the name is not there, else the exit status of the failure. */
static int ask(const char *net, const char *name, json_t **ret)
{
	_cleanup_err_ struct nd_err *e = NULL;
	char enet[3 * 64 + 1], ename[3 * 256 + 1], path[1024];
	int status = 0, r;

	nd_api_escape(net, enet, sizeof(enet));
	nd_api_escape(name, ename, sizeof(ename));
	snprintf(path, sizeof(path), "/v1/networks/%s/names/%s", enet, ename);
	r = nd_cli_request("GET", path, NULL, false, &status, ret, NULL, &e);
	if (r == -ENOENT || r == -ECONNREFUSED)
		return nd_cli_failf("dns query", ND_CNI_UNAVAILABLE, "the daemon does not answer on '%s'", nd_cli.socket),
		       ND_EXIT_NODAEMON;
	if (r < 0)
		return nd_cli_fail("dns query", e);
	if (status == 404 && json_integer_value(json_object_get(*ret, "code")) == ND_ERR_NOT_FOUND &&
	    strstr(json_string_value(json_object_get(*ret, "message")) ?: "", "no such name")) {
		json_decref(*ret);
		*ret = NULL;
		return 1;
	}
	if (status / 100 != 2) {
		r = nd_cli_fail_answer("dns query", status, *ret);
		json_decref(*ret);
		return r;
	}
	return 0;
}

/* The networks to ask: the one given, or every network whose dns flag is on. */
static int networks(const char *only, json_t **ret)
{
	_cleanup_err_ struct nd_err *e = NULL;
	json_t *all = NULL, *n, *out = json_array();
	int status = 0, r;
	size_t i;

	if (only)
		return json_array_append_new(out, json_string(only)), *ret = out, 0;
	r = nd_cli_request("GET", "/v1/networks", NULL, false, &status, &all, NULL, &e);
	if (r < 0 || status / 100 != 2) {
		json_decref(out);
		json_decref(all);
		return r < 0 && r != -ENOENT && r != -ECONNREFUSED ? nd_cli_fail("dns query", e)
			: nd_cli_failf("dns query", ND_CNI_UNAVAILABLE, "the daemon does not answer on '%s'", nd_cli.socket),
		       ND_EXIT_NODAEMON;
	}
	json_array_foreach(all, i, n)
		if (json_is_true(json_object_get(n, "dns")))
			json_array_append(out, json_object_get(n, "name"));
	json_decref(all);
	*ret = out;
	return 0;
}

static int query(const char *name, const char *only)
{
	_cleanup_json_ json_t *nets = NULL, *found = json_array();
	json_t *n, *ans;
	size_t i;
	int r;

	if ((r = networks(only, &nets)) != 0)
		return r;
	json_array_foreach(nets, i, n) {
		if ((r = ask(json_string_value(n), name, &ans)) > 1)
			return r;
		if (r == 0)
			json_array_append_new(found, ans);
	}
	if (nd_cli.json)
		nd_cli_print_json(found);
	json_array_foreach(found, i, ans) {
		json_t *a;
		size_t k;

		json_array_foreach(json_object_get(ans, "addresses"), k, a)
			if (!nd_cli.json)
				printf("%s\t%s\t%s\n", json_string_value(json_object_get(ans, "network")), name, json_string_value(a));
	}
	if (!json_array_size(found))
		return nd_cli_failf("dns query", ND_ERR_NOT_FOUND, "'%s' is no container's name on %s%s", name,
				    only ? "network " : "any network with DNS", only ? only : "");
	return ND_EXIT_OK;
}

int nd_cmd_dns(int argc, char **argv)
{
	static const struct option lo[] = { { "network", required_argument, NULL, 'n' }, { "json", no_argument, NULL, 'j' },
					    { "help", no_argument, NULL, 'h' }, { 0 } };
	const char *only = NULL;
	int ch;

	opterr = 0;
	optind = 0; /* glibc: a full reset, so that options after NAME are found */
	while ((ch = getopt_long(argc, argv, "h", lo, NULL)) != -1) {
		if (ch == 'h')
			return fputs(usage, stdout), ND_EXIT_OK;
		if (ch == 'n')
			only = optarg;
		else if (ch == 'j')
			nd_cli.json = true;
		else
			return nd_cli_usage_error(usage, "bad option '%s'", argv[optind - 1]);
	}
	if (argc - optind != 2 || strcmp(argv[optind], "query"))
		return nd_cli_usage_error(usage, "want: dns query NAME");
	return query(argv[optind + 1], only);
}

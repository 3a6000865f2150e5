/* netd's networking commands: network, add, del, netns, gc, reload, status, version. */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/cleanup.h"
#include "base/json.h"
#include "cli.h"
#include "cmd_run.h"
#include "daemon.h"
#include "kernel/netnsname.h"
#include "networks/apiclient.h"
#include "networks/netops.h"

/*
 * getopt_long over argv[0] = the command; returns the option or -1, or -2 with *ret set
 * after --help or a bad option. --json (every command's) is taken here.
 */
/* next_opt with short options besides -h (network create's "-o KEY=VALUE", as docker's). */
static int next_opt_short(int argc, char **argv, const char *shortopts, const struct option *lo, const char *usage,
			  int *ret)
{
	int ch;

	opterr = 0; /* a bad option is reported once, below, as any usage error */
	/* Permuting: options may follow the positional arguments ("add net ns --ip X"). */
	while ((ch = getopt_long(argc, argv, shortopts, lo, NULL)) == 'j')
		nd_cli.json = true;
	if (ch == 'h') {
		fputs(usage, stdout);
		*ret = ND_EXIT_OK;
		return -2;
	}
	if (ch == '?') {
		*ret = nd_cli_usage_error(usage, "bad option '%s'", argv[optind - 1]);
		return -2;
	}
	return ch;
}

static int next_opt(int argc, char **argv, const struct option *lo, const char *usage, int *ret)
{
	return next_opt_short(argc, argv, "h", lo, usage, ret);
}

/* Takes every "--json" out of argv[1...] (commands parsed by hand); returns the new argc. */
static int take_json(int argc, char **argv)
{
	int n = 1;

	for (int i = 1; i < argc; i++)
		if (strcmp(argv[i], "--json"))
			argv[n++] = argv[i];
		else
			nd_cli.json = true;
	argv[n] = NULL;
	return n;
}

/* One request with the CLI's error handling: 0 and *ret_body on 2xx, else the exit code. */
static int call(const char *what, const char *method, const char *path, json_t *body, bool allow_local,
		json_t **ret_body)
{
	_cleanup_err_ struct nd_err *e = NULL;
	json_t *ans = NULL;
	int status = 0, r = nd_cli_request(method, path, body, allow_local, &status, &ans, NULL, &e);

	if (r == -ENOENT || r == -ECONNREFUSED) {
		nd_cli_failf(what, ND_CNI_UNAVAILABLE, "the daemon does not answer on '%s'", nd_cli.socket);
		return ND_EXIT_NODAEMON;
	}
	if (r < 0)
		return nd_cli_fail(what, e);
	if (status / 100 != 2) {
		r = nd_cli_fail_answer(what, status, ans);
		json_decref(ans);
		return r;
	}
	if (ret_body)
		*ret_body = ans;
	else
		json_decref(ans);
	return ND_EXIT_OK;
}

static const char *s_of(json_t *o, const char *k)
{
	const char *v = json_string_value(json_object_get(o, k));

	return v ? v : "-";
}

/* ---- network ---- */

static const char net_create_usage[] =
	"Usage: netd network create NAME [--subnet CIDR] [--gateway IP] [--ip-range CIDR] [--bridge IF]\n"
	"                           [--mtu N] [--no-masquerade] [--internal] [--ipv6 CIDR] [-o KEY=VALUE]...\n"
	"                           [--dns=false|--disable-dns]\n"
	"A subnet is picked from the default pools when none is given. Containers on it resolve\n"
	"each other by name through its DNS server on the gateway, unless --dns=false.\n";

static int net_create_opt(json_t *spec, json_t *opts, int ch, const char *arg)
{
	static const char *const keys[] = { ['s'] = "subnet", ['g'] = "gateway", ['r'] = "ipRange",
					    ['b'] = "bridge", ['6'] = "ipv6" };
	const char *eq;

	switch (ch) {
	case 's': case 'g': case 'r': case 'b': case '6':
		return json_object_set_new(spec, keys[ch], json_string(arg));
	case 'm':
		return json_object_set_new(spec, "mtu", json_integer(atoll(arg)));
	case 'M':
		return json_object_set_new(spec, "ipMasq", json_false());
	case 'i':
		return json_object_set_new(spec, "internal", json_true());
	case 'D':
		if (arg && strcmp(arg, "true") && strcmp(arg, "false"))
			return -1;
		return json_object_set_new(spec, "dns", json_boolean(arg && !strcmp(arg, "true")));
	case 'o':
		if (!(eq = strchr(arg, '=')) || eq == arg)
			return -1;
		return json_object_setn_new(opts, arg, (size_t)(eq - arg), json_string(eq + 1));
	default:
		return -1;
	}
}

static int net_create(int argc, char **argv)
{
	static const struct option lo[] = {
		{ "subnet", required_argument, NULL, 's' }, { "gateway", required_argument, NULL, 'g' },
		{ "ip-range", required_argument, NULL, 'r' }, { "bridge", required_argument, NULL, 'b' },
		{ "mtu", required_argument, NULL, 'm' }, { "no-masquerade", no_argument, NULL, 'M' },
		{ "internal", no_argument, NULL, 'i' }, { "ipv6", required_argument, NULL, '6' },
		{ "opt", required_argument, NULL, 'o' }, { "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' }, { "dns", required_argument, NULL, 'D' },
		{ "disable-dns", no_argument, NULL, 'D' }, { 0 },
	};
	_cleanup_json_ json_t *spec = json_object(), *opts = json_object(), *ans = NULL;
	int ch, rc = 0;

	if (!spec || !opts)
		return nd_cli_failf("network create", ND_ERR_INTERNAL, "out of memory");
	while ((ch = next_opt_short(argc, argv, "ho:", lo, net_create_usage, &rc)) != -1) {
		if (ch == -2)
			return rc;
		if (net_create_opt(spec, opts, ch, optarg) < 0)
			return nd_cli_usage_error(net_create_usage, "bad option value");
	}
	if (optind + 1 != argc)
		return nd_cli_usage_error(net_create_usage, "network create needs exactly one NAME");
	if (json_object_set_new(spec, "name", json_string(argv[optind])) < 0 ||
	    (json_object_size(opts) && json_object_set(spec, "options", opts) < 0))
		return nd_cli_failf("network create", ND_ERR_INTERNAL, "out of memory");
	if ((rc = call("network create", "POST", "/v1/networks", spec, true, &ans)) != 0)
		return rc;
	if (nd_cli.json)
		nd_cli_print_json(ans);
	else
		printf("%s\n", s_of(ans, "name"));
	return 0;
}

static int net_ls(int argc, char **argv)
{
	static const char usage[] = "Usage: netd network ls [--json]\n";
	static const struct option lo[] = { { "json", no_argument, NULL, 'j' }, { "help", no_argument, NULL, 'h' }, { 0 } };
	_cleanup_json_ json_t *ans = NULL;
	json_t *n;
	size_t i;
	int ch, rc = 0;

	while ((ch = next_opt(argc, argv, lo, usage, &rc)) != -1)
		if (ch == -2)
			return rc;
	if (optind != argc)
		return nd_cli_usage_error(usage, "network ls takes no arguments");
	if ((rc = call("network ls", "GET", "/v1/networks", NULL, true, &ans)) != 0)
		return rc;
	if (nd_cli.json) {
		nd_cli_print_json(ans);
		return 0;
	}
	printf("%-20s %-15s %-18s %-15s %s\n", "NAME", "BRIDGE", "SUBNET", "GATEWAY", "ATTACHMENTS");
	json_array_foreach(ans, i, n)
		printf("%-20s %-15s %-18s %-15s %lld\n", s_of(n, "name"), s_of(n, "bridge"), s_of(n, "subnet"),
		       s_of(n, "gateway"), json_integer_value(json_object_get(n, "attachments")));
	return 0;
}

static int net_path(const char *name, const char *suffix, char *ret, size_t size)
{
	char e[3 * 64 + 1];

	nd_api_escape(name, e, sizeof(e));
	return snprintf(ret, size, "/v1/networks/%s%s", e, suffix);
}

static int net_inspect(int argc, char **argv)
{
	static const char usage[] = "Usage: netd network inspect NAME...\nPrints each network as JSON.\n";
	static const struct option lo[] = { { "json", no_argument, NULL, 'j' }, { "help", no_argument, NULL, 'h' }, { 0 } };
	_cleanup_json_ json_t *all = json_array();
	int ch, rc = 0;
	bool ok = true;

	while ((ch = next_opt(argc, argv, lo, usage, &rc)) != -1)
		if (ch == -2)
			return rc;
	if (optind >= argc)
		return nd_cli_usage_error(usage, "network inspect needs a NAME");
	for (int i = optind; i < argc; i++) {
		char path[512];
		json_t *ans = NULL;

		net_path(argv[i], "", path, sizeof(path));
		if ((rc = call("network inspect", "GET", path, NULL, true, &ans)) != 0)
			return rc;
		nd_json_append(all, ans, &ok);
	}
	if (!ok)
		return nd_cli_failf("network inspect", ND_ERR_INTERNAL, "out of memory");
	nd_cli_print_json(all);
	return 0;
}

static int net_rm(int argc, char **argv)
{
	static const char usage[] = "Usage: netd network rm [--force] NAME...\n"
				    "--force detaches the network's attachments first.\n";
	static const struct option lo[] = { { "force", no_argument, NULL, 'f' }, { "json", no_argument, NULL, 'j' },
					    { "help", no_argument, NULL, 'h' }, { 0 } };
	bool force = false;
	int ch, rc = 0;

	while ((ch = next_opt(argc, argv, lo, usage, &rc)) != -1) {
		if (ch == -2)
			return rc;
		force = true;
	}
	if (optind >= argc)
		return nd_cli_usage_error(usage, "network rm needs a NAME");
	for (int i = optind; i < argc; i++) {
		char path[512];

		net_path(argv[i], force ? "?force=1" : "", path, sizeof(path));
		if ((rc = call("network rm", "DELETE", path, NULL, true, NULL)) != 0)
			return rc;
		if (!nd_cli.json)
			printf("%s\n", argv[i]);
	}
	return 0;
}

int nd_cmd_network(int argc, char **argv)
{
	static const char usage[] = "Usage: netd network create|ls|inspect|rm ...\n";
	static const struct {
		const char *name;
		int (*fn)(int, char **);
	} sub[] = { { "create", net_create }, { "ls", net_ls }, { "list", net_ls }, { "inspect", net_inspect },
		    { "rm", net_rm }, { "remove", net_rm } };

	if (argc < 2 || !strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")) {
		fputs(usage, argc < 2 ? stderr : stdout);
		return argc < 2 ? ND_EXIT_USAGE : ND_EXIT_OK;
	}
	for (size_t i = 0; i < ND_ARRAY_SIZE(sub); i++)
		if (!strcmp(argv[1], sub[i].name)) {
			optind = 0;
			return sub[i].fn(argc - 1, argv + 1);
		}
	return nd_cli_usage_error(usage, "unknown network command");
}

/* ---- add / del ---- */

static const char add_usage[] =
	"Usage: netd add NETWORK NETNS [--ifname eth0] [--ip IP] [--mac MAC] [--id ID] [--json]\n"
	"NETNS is a path or a name under /var/run/netns; ID defaults to the netns name.\n"
	"Without a daemon, runs the network's conflist plugins as a CNI runtime.\n";

static void print_result(json_t *res, const char *id, const char *ifname)
{
	json_t *ip;
	size_t i;

	if (nd_cli.json) {
		nd_cli_print_json(res);
		return;
	}
	printf("%-20s %-8s %s\n", "ID", "IFNAME", "ADDRESS");
	json_array_foreach(json_object_get(res, "ips"), i, ip)
		printf("%-20s %-8s %s\n", id, ifname, s_of(ip, "address"));
}

static int add_direct(const char *net, const char *id, const char *netns, const char *ifname, const char *ip,
		      const char *mac)
{
	_cleanup_err_ struct nd_err *e = NULL;
	_cleanup_json_ json_t *res = NULL;
	char args[256] = "IgnoreUnknown=1";

	if (ip)
		snprintf(args + strlen(args), sizeof(args) - strlen(args), ";IP=%s", ip);
	if (mac)
		snprintf(args + strlen(args), sizeof(args) - strlen(args), ";MAC=%s", mac);
	if (nd_cniexec_add(net, id, netns, ifname, args, &res, &e) < 0)
		return nd_cli_fail("add", e);
	print_result(res, id, ifname);
	return 0;
}

int nd_cmd_add(int argc, char **argv)
{
	static const struct option lo[] = {
		{ "ifname", required_argument, NULL, 'i' }, { "ip", required_argument, NULL, 'a' },
		{ "mac", required_argument, NULL, 'm' }, { "id", required_argument, NULL, 'I' },
		{ "json", no_argument, NULL, 'j' }, { "help", no_argument, NULL, 'h' }, { 0 },
	};
	const char *ifname = "eth0", *ip = NULL, *mac = NULL, *id = NULL;
	_cleanup_json_ json_t *body = NULL, *ans = NULL;
	_cleanup_err_ struct nd_err *e = NULL;
	char idbuf[65], path[512], netns[PATH_MAX];
	int ch, rc = 0, status = 0, r;

	while ((ch = next_opt(argc, argv, lo, add_usage, &rc)) != -1) {
		if (ch == -2)
			return rc;
		switch (ch) {
		case 'i': ifname = optarg; break;
		case 'a': ip = optarg; break;
		case 'm': mac = optarg; break;
		case 'I': id = optarg; break;
		}
	}
	if (optind + 2 != argc)
		return nd_cli_usage_error(add_usage, "add needs NETWORK and NETNS");
	if (!id)
		nd_attach_default_id(argv[optind + 1], idbuf), id = idbuf;
	body = json_pack("{s:s, s:s, s:s, s:s*, s:s*}", "containerID", id, "netns", argv[optind + 1], "ifname", ifname,
			 "ip", ip, "mac", mac);
	if (!body)
		return nd_cli_failf("add", ND_ERR_INTERNAL, "out of memory");
	net_path(argv[optind], "/attachments", path, sizeof(path));
	r = nd_cli_request("POST", path, body, false, &status, &ans, NULL, &e);
	if (r == -ENOENT || r == -ECONNREFUSED) {
		if (nd_netns_resolve(argv[optind + 1], netns, &e) < 0)
			return nd_cli_fail("add", e);
		return add_direct(argv[optind], id, netns, ifname, ip, mac);
	}
	if (r < 0)
		return nd_cli_fail("add", e);
	if (status / 100 != 2)
		return nd_cli_fail_answer("add", status, ans);
	print_result(ans, id, ifname);
	return 0;
}

static const char del_usage[] = "Usage: netd del NETWORK NETNS|--id ID [--ifname eth0]\n"
				"Detaching what is not attached succeeds.\n";

int nd_cmd_del(int argc, char **argv)
{
	static const struct option lo[] = {
		{ "ifname", required_argument, NULL, 'i' }, { "id", required_argument, NULL, 'I' },
		{ "json", no_argument, NULL, 'j' }, { "help", no_argument, NULL, 'h' }, { 0 },
	};
	const char *ifname = "eth0", *id = NULL, *ns = NULL;
	_cleanup_json_ json_t *ans = NULL;
	_cleanup_err_ struct nd_err *e = NULL;
	char idbuf[65], path[1024], eid[3 * 130 + 1], netns[PATH_MAX];
	int ch, rc = 0, status = 0, r;

	while ((ch = next_opt(argc, argv, lo, del_usage, &rc)) != -1) {
		if (ch == -2)
			return rc;
		if (ch == 'i')
			ifname = optarg;
		else if (ch == 'I')
			id = optarg;
	}
	if (optind + (id ? 1 : 2) != argc && optind + 2 != argc)
		return nd_cli_usage_error(del_usage, "del needs NETWORK and NETNS or --id");
	ns = optind + 1 < argc ? argv[optind + 1] : NULL;
	if (!id)
		nd_attach_default_id(ns, idbuf), id = idbuf;
	nd_api_escape(id, eid, sizeof(eid));
	net_path(argv[optind], "/attachments/", path, sizeof(path));
	strncat(path, eid, sizeof(path) - strlen(path) - 1);
	r = nd_cli_request("DELETE", path, NULL, false, &status, &ans, NULL, &e);
	if (r == -ENOENT || r == -ECONNREFUSED) {
		struct nd_ctx c;

		/*
		 * An attachment with a record in the state dir (the daemon's, or netd run's) goes as
		 * the daemon would take it, record and all: the plugins' DEL alone would leave a
		 * record saying ready, whose address the daemon would later masquerade again.
		 */
		nd_ctx_from_env(&c);
		if (nd_op_attached(&c, argv[optind], id))
			return nd_op_detach(&c, argv[optind], id, false, &e) < 0 ? nd_cli_fail("del", e) : 0;
		if (ns && nd_netns_resolve(ns, netns, &e) < 0)
			return nd_cli_fail("del", e);
		return nd_cniexec_del(argv[optind], id, ns ? netns : NULL, ifname, &e) < 0 ? nd_cli_fail("del", e) : 0;
	}
	if (r < 0)
		return nd_cli_fail("del", e);
	return status / 100 != 2 ? nd_cli_fail_answer("del", status, ans) : 0;
}

/* ---- netns ---- */

static const char netns_usage[] = "Usage: netd netns add NAME | ls | del NAME | exec NAME -- CMD [ARGS...]\n"
				  "Named netns live under /var/run/netns, as with `ip netns`.\n";

static int netns_exec(int argc, char **argv)
{
	_cleanup_err_ struct nd_err *e = NULL;
	int first = 2, errnum;

	if (argc < 3)
		return nd_cli_usage_error(netns_usage, "netns exec needs NAME and a command");
	if (argc > 3 && !strcmp(argv[2], "--"))
		first = 3;
	if (first >= argc)
		return nd_cli_usage_error(netns_usage, "netns exec needs a command");
	if (nd_netns_enter(argv[1], &e) < 0)
		return nd_cli_fail("netns exec", e);
	execvp(argv[first], argv + first);
	errnum = errno;
	/* A shell's statuses: 127 not found, 126 found but not runnable (lib/base/err.c). */
	return nd_cli_failf("netns exec", errnum == ENOENT ? ND_ERR_NO_COMMAND : ND_ERR_CANNOT_EXEC, "%s: %s",
			    argv[first], strerror(errnum));
}

static int netns_ls(void)
{
	_cleanup_json_ json_t *ans = NULL;
	json_t *n;
	size_t i;
	int rc = call("netns ls", "GET", "/v1/netns", NULL, true, &ans);

	if (rc != 0)
		return rc;
	if (nd_cli.json) {
		nd_cli_print_json(ans);
		return 0;
	}
	json_array_foreach(ans, i, n)
		printf("%s\n", s_of(n, "name"));
	return 0;
}

int nd_cmd_netns(int argc, char **argv)
{
	char path[512], e[3 * 64 + 1];
	_cleanup_json_ json_t *body = NULL;

	if (argc >= 2 && (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h"))) {
		fputs(netns_usage, stdout);
		return 0;
	}
	if (argc >= 2 && !strcmp(argv[1], "exec"))
		return netns_exec(argc - 1, argv + 1);
	argc = take_json(argc, argv);
	if (argc == 2 && (!strcmp(argv[1], "ls") || !strcmp(argv[1], "list")))
		return netns_ls();
	if (argc == 3 && !strcmp(argv[1], "add")) {
		if (!(body = json_pack("{s:s}", "name", argv[2])))
			return nd_cli_failf("netns add", ND_ERR_INTERNAL, "out of memory");
		return call("netns add", "POST", "/v1/netns", body, true, NULL);
	}
	if (argc == 3 && (!strcmp(argv[1], "del") || !strcmp(argv[1], "delete"))) {
		nd_api_escape(argv[2], e, sizeof(e));
		snprintf(path, sizeof(path), "/v1/netns/%s", e);
		return call("netns del", "DELETE", path, NULL, true, NULL);
	}
	return nd_cli_usage_error(netns_usage, "bad netns command");
}

/* ---- gc, reload, status, version, daemon ---- */

/*
 * The arguments of a command that takes none but --json and --help: 0 to go on, 1 with
 * *ret set when done (help shown, or a usage error).
 */
static int flags_only(int argc, char **argv, const char *usage, int *ret)
{
	if (argc > 1 && (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h"))) {
		fputs(usage, stdout);
		*ret = ND_EXIT_OK;
		return 1;
	}
	if (take_json(argc, argv) > 1) {
		*ret = nd_cli_usage_error(usage, "unexpected argument '%s'", argv[1]);
		return 1;
	}
	return 0;
}

/* Counts on stdout; each network skipped or quarantined on stderr. */
static void print_report(const char *what, json_t *ans)
{
	const char *k;
	json_t *v, *item;
	size_t i;

	json_object_foreach(ans, k, v) {
		if (json_is_integer(v))
			printf("%s: %lld\n", k, json_integer_value(v));
		json_array_foreach(json_is_array(v) ? v : NULL, i, item)
			fprintf(stderr, "netd %s: %s: network '%s': %s\n", what, k,
				json_string_value(json_object_get(item, "network")) ?: "?",
				json_string_value(json_object_get(item, "message")) ?: "?");
	}
}

/* POST path; extra (may be NULL) is added to the answer's counts before they are printed. */
static int simple_post(const char *what, const char *path, json_t *extra)
{
	_cleanup_json_ json_t *ans = NULL, *body = json_object();
	int rc;

	/* call() borrows the body. */
	if (!body)
		return nd_cli_failf(what, ND_ERR_INTERNAL, "out of memory");
	if ((rc = call(what, "POST", path, body, true, &ans)) != 0)
		return rc;
	if (extra && json_is_object(ans) && json_object_update(ans, extra) < 0)
		return nd_cli_failf(what, ND_ERR_INTERNAL, "out of memory");
	/* Networks skipped (errors) or moved aside (quarantined) fail the command, the rest is done. */
	rc = json_array_size(json_object_get(ans, "errors")) || json_array_size(json_object_get(ans, "quarantined"))
		     ? ND_EXIT_FAIL
		     : 0;
	if (nd_cli.json)
		nd_cli_print_json(ans);
	else
		print_report(what, ans);
	return rc;
}

int nd_cmd_gc(int argc, char **argv)
{
	static const char usage[] = "Usage: netd gc [--json]\nRelease what killed container monitors left "
				    "(netns, attachments, cgroups; --rm records), then attachments whose netns "
				    "is gone, and leftover leases, veths and rules.\n";
	_cleanup_json_ json_t *rt = NULL;
	_cleanup_err_ struct nd_err *e = NULL;
	int rc, r;

	if (flags_only(argc, argv, usage, &rc))
		return rc;
	if (!(rt = json_object()))
		return nd_cli_failf("gc", ND_ERR_INTERNAL, "out of memory");
	/* The runtime's first: the netns it deletes make their attachments stale for the networks' GC. */
	r = nd_run_gc(rt, &e);
	rc = simple_post("gc", "/v1/gc", rt);
	if (r < 0)
		return rc ? rc : nd_cli_fail("gc", e);
	return rc;
}

int nd_cmd_reload(int argc, char **argv)
{
	static const char usage[] = "Usage: netd reload [--json]\nRe-apply every network's bridge, gateway and "
				    "masquerade rules from the state.\n";
	int rc;

	return flags_only(argc, argv, usage, &rc) ? rc : simple_post("reload", "/v1/reload", NULL);
}

int nd_cmd_status(int argc, char **argv)
{
	static const char usage[] = "Usage: netd status [--json]\nExit 0 when the daemon runs, 5 when not.\n";
	_cleanup_json_ json_t *ans = NULL;
	json_t *n;
	size_t i;
	int rc;

	if (flags_only(argc, argv, usage, &rc))
		return rc;
	if ((rc = call("status", "GET", "/v1/info", NULL, false, &ans)) != 0)
		return rc;
	if (nd_cli.json) {
		nd_cli_print_json(ans);
		return 0;
	}
	printf("daemon:      running (netd %s), socket %s\n", s_of(ans, "version"), s_of(ans, "socket"));
	printf("state:       %s\n", s_of(ans, "stateDir"));
	printf("attachments: %lld\nnetns:       %lld\n", json_integer_value(json_object_get(ans, "attachments")),
	       json_integer_value(json_object_get(ans, "netns")));
	printf("networks:\n");
	json_array_foreach(json_object_get(ans, "networks"), i, n)
		printf("  %-20s %-15s %-18s %lld attached\n", s_of(n, "name"), s_of(n, "bridge"), s_of(n, "subnet"),
		       json_integer_value(json_object_get(n, "attachments")));
	if (json_is_string(json_object_get(ans, "firewall")))
		printf("warning:     %s\n", s_of(ans, "firewall"));
	return 0;
}

int nd_cmd_version(int argc, char **argv)
{
	static const char usage[] = "Usage: netd version [--json]\nThe CLI's version, and the daemon's when it runs.\n";
	_cleanup_json_ json_t *ans = NULL, *out = NULL;
	_cleanup_err_ struct nd_err *e = NULL;
	int status = 0, rc;

	if (flags_only(argc, argv, usage, &rc))
		return rc;
	if (nd_cli_request("GET", "/v1/version", NULL, false, &status, &ans, NULL, &e) < 0 || status != 200)
		json_decref(TAKE_PTR(ans));
	if (!nd_cli.json) {
		printf("netd %s (API %s)\n", ND_VERSION, ND_API_VERSION);
		if (ans)
			printf("daemon %s\n", s_of(ans, "version"));
		return 0;
	}
	/* {"version", "apiVersion", "daemon": the daemon's /v1/version or null} */
	if (!(out = json_pack("{s:s, s:s, s:O?}", "version", ND_VERSION, "apiVersion", ND_API_VERSION, "daemon", ans)))
		return nd_cli_failf("version", ND_ERR_INTERNAL, "out of memory");
	nd_cli_print_json(out);
	return 0;
}

/*
 * The daemon is its own executable beside this one: it alone links libmicrohttpd (and its
 * TLS stack), which keeps its RSS small and every other netd command quick to start.
 */
int nd_cmd_daemon(int argc, char **argv)
{
	/* argv[0] ("daemon") makes room for a --json given before the command. */
	if (nd_cli.json) {
		argv[0] = (char *)"--json";
		return nd_exec_sibling("netd-daemon", argc, argv);
	}
	return nd_exec_sibling("netd-daemon", argc - 1, argv + 1);
}

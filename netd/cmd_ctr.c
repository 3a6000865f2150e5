/*
 * netd inspect, ps, rename, container prune: the container commands of issue 13 (part 1) that are not run's own, in
 * their own file so that cmd_run.c stays run's. Each parses, calls lib/runtime, prints.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "base/cleanup.h"
#include "base/json.h"
#include "base/state.h"
#include "base/strv.h"
#include "cli.h"
#include "runtime/caps.h"
#include "runtime/ctradmin.h"
#include "runtime/ctrstate.h"

/* The record, plus what only the moment knows (its state) and the profile as an object. */
static json_t *inspect_json(const char *state, const struct nd_ctr *c)
{
	json_t *j = nd_ctr_json(c), *prof = NULL;
	char buf[64];
	const char *st = nd_ctr_status(state, c, buf, sizeof(buf));
	bool ok = j != NULL;

	if (c->seccomp_profile)
		prof = json_loads(c->seccomp_profile, 0, NULL);
	nd_json_set(j, "seccompProfile", prof ? prof : json_null(), &ok);
	nd_json_set(j, "state", json_pack("{s:s, s:b}", "status", st, "running", !strcmp(st, "running")), &ok);
	nd_json_set(j, "capabilities", json_integer((json_int_t)nd_ctr_caps(c)), &ok);
	return nd_json_built(j, ok);
}

int nd_cmd_inspect(int argc, char **argv)
{
	_cleanup_json_ json_t *arr = json_array();
	const char *state = nd_state_dir();
	int rc = ND_EXIT_OK;

	if (argc == 2 && (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help"))) {
		printf("Usage: netd inspect ID|NAME...\n  each container's whole record as JSON (an array):\n"
		       "  config, state, limits, network, security (capabilities, seccomp profile)\n");
		return ND_EXIT_OK;
	}
	if (argc < 2 || argv[1][0] == '-')
		return nd_cli_usage_error("Usage: netd inspect ID|NAME...\n", "give at least one container");
	if (!arr)
		return nd_cli_fail("inspect", NULL);
	for (int i = 1; i < argc; i++) {
		_cleanup_(nd_ctr_clear) struct nd_ctr c = { 0 };
		_cleanup_err_ struct nd_err *err = NULL;
		json_t *j;

		if (nd_ctr_find(state, argv[i], &c, &err) < 0) {
			rc = nd_cli_fail("inspect", err);
			continue;
		}
		if (!(j = inspect_json(state, &c)) || json_array_append_new(arr, j) < 0)
			return nd_cli_fail("inspect", NULL);
	}
	/* Docker prints what it found, and fails for what it did not. */
	if (json_array_size(arr) || rc == ND_EXIT_OK) {
		char *text = json_dumps(arr, JSON_INDENT(2) | JSON_SORT_KEYS);

		if (text)
			printf("%s\n", text);
		free(text);
	}
	return rc;
}

/* ---- ps ---- */

/* Docker's human durations (go-units HumanDuration). */
static void human(long long secs, char *buf, size_t size)
{
	long long m = secs / 60, h = m / 60;

	if (secs < 1)
		snprintf(buf, size, "Less than a second");
	else if (secs == 1)
		snprintf(buf, size, "1 second");
	else if (secs < 60)
		snprintf(buf, size, "%lld seconds", secs);
	else if (m == 1)
		snprintf(buf, size, "About a minute");
	else if (m < 60)
		snprintf(buf, size, "%lld minutes", m);
	else if (h == 1)
		snprintf(buf, size, "About an hour");
	else if (h < 48)
		snprintf(buf, size, "%lld hours", h);
	else if (h < 24 * 7 * 2)
		snprintf(buf, size, "%lld days", h / 24);
	else if (h < 24 * 30 * 2)
		snprintf(buf, size, "%lld weeks", h / 24 / 7);
	else if (h < 24 * 365 * 2)
		snprintf(buf, size, "%lld months", h / 24 / 30);
	else
		snprintf(buf, size, "%lld years", h / 24 / 365);
}

/* "Up 3 minutes", "Exited (0) 2 seconds ago", "Created", "Dead". */
static void status_text(const struct nd_ctr *c, const char *st, char *buf, size_t size)
{
	char d[64];
	long long now = (long long)time(NULL);

	if (!strcmp(st, "running")) {
		human(now - c->created, d, sizeof(d));
		snprintf(buf, size, "Up %s", d);
	} else if (!strncmp(st, "exited", 6)) {
		human(now - c->finished, d, sizeof(d));
		snprintf(buf, size, "Exited (%d) %s ago", c->exit_code, d);
	} else {
		snprintf(buf, size, "%s", !strcmp(st, "created") ? "Created" : "Dead");
	}
}

/* The state name filters and JSON use: created, running, exited, dead. */
static const char *state_word(const char *st)
{
	return !strncmp(st, "exited", 6) ? "exited" : st;
}

struct ps_opts {
	bool all, quiet;
	struct nd_strv filters; /* "name=...", "status=...", "label=K[=V]" */
};

static bool label_match(const struct nd_ctr *c, const char *want)
{
	size_t klen = strcspn(want, "=");

	for (char **l = c->labels; l && *l; l++)
		if (!strncmp(*l, want, klen) && (*l)[klen] == '=' && (!want[klen] || !strcmp(*l + klen + 1, want + klen + 1)))
			return true;
	return false;
}

/* Docker's rule: filters on different keys all hold; on the same key, any one does. */
static bool filtered_in(const struct ps_opts *o, const struct nd_ctr *c, const char *st)
{
	static const char *const keys[] = { "name=", "status=", "label=" };

	for (size_t k = 0; k < ND_ARRAY_SIZE(keys); k++) {
		bool asked = false, hit = false;
		size_t kl = strlen(keys[k]);

		for (char **f = o->filters.v; f && *f; f++) {
			const char *v = *f + kl;

			if (strncmp(*f, keys[k], kl))
				continue;
			asked = true;
			hit = hit || (k == 0 && c->name && strstr(c->name, v)) || (k == 1 && !strcmp(state_word(st), v)) ||
			      (k == 2 && label_match(c, v));
		}
		if (asked && !hit)
			return false;
	}
	return true;
}

/* Docker's PORTS column: "0.0.0.0:8080->80/tcp, ..." (cmd_port.c formats each). */
static const char *ports_col(const struct nd_ctr *c, char *buf, size_t size)
{
	size_t at = 0;

	buf[0] = '\0';
	for (char **p = c->ports; p && *p && at < size; p++)
		at += (size_t)snprintf(buf + at, size - at, "%s%s", at ? ", " : "", nd_port_docker_fmt(*p));
	return buf;
}

/* One container's row: id, image, command, created, status, ports, names. */
#define PS_COLS 7
static int ps_row(const struct nd_ctr *c, const char *st, char *row[PS_COLS])
{
	char cmd[64] = "", created[64], status[96], ports[256];

	for (char **p = c->argv; p && *p; p++) {
		size_t l = strlen(cmd);

		snprintf(cmd + l, sizeof(cmd) - l, "%s%s", l ? " " : "", *p);
	}
	human((long long)time(NULL) - c->created, created, sizeof(created));
	status_text(c, st, status, sizeof(status));
	if (asprintf(&row[0], "%.12s", c->id) < 0 || asprintf(&row[1], "%s", c->image ? c->image : c->rootfs ? c->rootfs : "") < 0 ||
	    asprintf(&row[2], "\"%s\"", cmd) < 0 || asprintf(&row[3], "%s ago", created) < 0 ||
	    asprintf(&row[4], "%s", status) < 0 || asprintf(&row[5], "%s", ports_col(c, ports, sizeof(ports))) < 0 ||
	    asprintf(&row[6], "%s", c->name ? c->name : "") < 0)
		return -ENOMEM;
	return 0;
}

/* ps --json: what ps always gave (ips only while the container runs: a released lease is no address). */
static json_t *ps_json(const struct nd_ctr *c, const char *st)
{
	bool live = !strcmp(st, "running") || !strcmp(st, "created"), ok = true;
	char text[96];
	json_t *j;

	status_text(c, st, text, sizeof(text));
	j = json_pack("{s:s, s:s?, s:s, s:i, s:s?, s:s?, s:s?, s:o, s:o, s:s?, s:s?, s:I, s:b}", "id", c->id, "name",
		      c->name, "status", st, "pid", live ? (int)c->pid : 0, "net", c->net, "network", c->network, "netns",
		      c->netns, "ips", nd_json_from_strv(live && c->ips ? c->ips : (char *[]){ NULL }), "command",
		      nd_json_from_strv(c->argv), "image", c->image, "rootfs", c->rootfs, "created", (json_int_t)c->created,
		      "oom", c->oom);
	nd_json_set(j, "state", json_string(state_word(st)), &ok);
	nd_json_set(j, "statusText", json_string(text), &ok);
	nd_json_set(j, "labels", nd_json_from_strv(c->labels ? c->labels : (char *[]){ NULL }), &ok);
	nd_json_set(j, "ports", nd_json_from_strv(c->ports ? c->ports : (char *[]){ NULL }), &ok);
	return nd_json_built(j, ok);
}

static void print_table(char *(*rows)[PS_COLS], size_t n)
{
	static const char *const head[PS_COLS] = { "CONTAINER ID", "IMAGE", "COMMAND", "CREATED", "STATUS", "PORTS", "NAMES" };
	int w[PS_COLS];

	for (int k = 0; k < PS_COLS; k++) {
		w[k] = (int)strlen(head[k]);
		for (size_t i = 0; i < n; i++)
			if ((int)strlen(rows[i][k]) > w[k])
				w[k] = (int)strlen(rows[i][k]);
	}
	/* The last column is not padded (Docker's tabwriter does not either). */
	for (int k = 0; k < PS_COLS - 1; k++)
		printf("%-*s   ", w[k], head[k]);
	printf("%s\n", head[PS_COLS - 1]);
	for (size_t i = 0; i < n; i++) {
		for (int k = 0; k < PS_COLS - 1; k++)
			printf("%-*s   ", w[k], rows[i][k]);
		printf("%s\n", rows[i][PS_COLS - 1]);
	}
}

static void free_rows(char *(*rows)[PS_COLS], size_t n)
{
	for (size_t i = 0; i < n; i++)
		for (int k = 0; k < PS_COLS; k++)
			free(rows[i][k]);
	free(rows);
}

/* The containers of ids that o lets through, newest first: a table, IDs (-q) or JSON. */
static int ps_print(const char *state, char **ids, const struct ps_opts *o)
{
	size_t n = nd_strv_len(ids), rn = 0;
	_cleanup_json_ json_t *arr = json_array();
	char *(*rows)[PS_COLS] = calloc(n + 1, sizeof(*rows));
	int r = rows && arr ? 0 : -ENOMEM;

	for (size_t i = n; r >= 0 && i-- > 0;) {
		_cleanup_(nd_ctr_clear) struct nd_ctr c = { 0 };
		char buf[64];
		const char *st;

		if (nd_ctr_load(state, ids[i], &c, NULL) < 0)
			continue;
		st = nd_ctr_status(state, &c, buf, sizeof(buf));
		if ((!o->all && strcmp(st, "running")) || !filtered_in(o, &c, st))
			continue;
		if (nd_cli.json)
			r = json_array_append_new(arr, ps_json(&c, st)) < 0 ? -ENOMEM : 0;
		else if (o->quiet)
			printf("%.12s\n", c.id);
		else
			r = ps_row(&c, st, rows[rn++]);
	}
	if (r >= 0 && nd_cli.json)
		nd_cli_print_json(arr);
	else if (r >= 0 && !o->quiet)
		print_table(rows, rn);
	if (rows)
		free_rows(rows, rn);
	return r < 0 ? nd_cli_fail("ps", NULL) : ND_EXIT_OK;
}

static const char ps_usage[] =
	"Usage: netd ps [-a] [-q] [--json] [-f name=N|status=S|label=K[=V]]...\n"
	"  running containers, newest first; -a: every container; -q: IDs only;\n"
	"  -f: filters (the same key twice: either; different keys: both).\n"
	"  status is created, running, exited or dead\n";

static int ps_filter(const char *f, struct ps_opts *o)
{
	if (strncmp(f, "name=", 5) && strncmp(f, "status=", 7) && strncmp(f, "label=", 6))
		return nd_cli_usage_error(ps_usage, "unknown filter '%s' (name=, status=, label=)", f);
	return nd_strv_push(&o->filters, f) < 0 ? nd_cli_fail("ps", NULL) : 0;
}

int nd_cmd_ps(int argc, char **argv)
{
	static const struct option lo[] = { { "all", no_argument, NULL, 'a' },	   { "quiet", no_argument, NULL, 'q' },
					    { "filter", required_argument, NULL, 'f' }, { "json", no_argument, NULL, 'j' },
					    { "help", no_argument, NULL, 'h' },	   { 0 } };
	_cleanup_(nd_strv_clear) struct nd_strv keep = { 0 };
	_cleanup_err_ struct nd_err *err = NULL;
	_cleanup_strv_ char **ids = NULL;
	struct ps_opts o = { 0 };
	int ch, r;

	optind = 1;
	while ((ch = getopt_long(argc, argv, "+aqf:h", lo, NULL)) != -1) {
		switch (ch) {
		case 'a': o.all = true; break;
		case 'q': o.quiet = true; break;
		case 'j': nd_cli.json = true; break;
		case 'f':
			if ((r = ps_filter(optarg, &o)) != 0) {
				nd_strv_clear(&o.filters);
				return r;
			}
			break;
		case 'h': printf("%s", ps_usage); nd_strv_clear(&o.filters); return ND_EXIT_OK;
		default: nd_strv_clear(&o.filters); return nd_cli_usage_error(ps_usage, "unknown option");
		}
	}
	keep = o.filters;
	if (optind < argc)
		return nd_cli_usage_error(ps_usage, "unexpected argument '%s'", argv[optind]);
	if (nd_ctr_list(nd_state_dir(), &ids, &err) < 0)
		return nd_cli_fail("ps", err);
	return ps_print(nd_state_dir(), ids, &o);
}

/* ---- rename, container prune ---- */

int nd_cmd_rename(int argc, char **argv)
{
	_cleanup_err_ struct nd_err *err = NULL;
	static const char usage[] = "Usage: netd rename CONTAINER NEW_NAME\n";

	if (argc == 2 && (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help"))) {
		printf("%s", usage);
		return ND_EXIT_OK;
	}
	if (argc != 3 || argv[1][0] == '-')
		return nd_cli_usage_error(usage, "give a container and its new name");
	if (nd_run_rename(nd_state_dir(), argv[1], argv[2], &err) < 0)
		return nd_cli_fail("rename", err);
	return ND_EXIT_OK;
}

static int prune(int argc, char **argv)
{
	static const char usage[] = "Usage: netd container prune [-f]\n  remove every container that is not running\n";
	_cleanup_err_ struct nd_err *err = NULL;
	_cleanup_strv_ char **ids = NULL;

	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help")) {
			printf("%s", usage);
			return ND_EXIT_OK;
		}
		/* -f: Docker's "do not ask"; we never ask. */
		if (strcmp(argv[i], "-f") && strcmp(argv[i], "--force"))
			return nd_cli_usage_error(usage, "unknown option '%s'", argv[i]);
	}
	if (nd_run_prune(nd_state_dir(), &ids, &err) < 0)
		return nd_cli_fail("container prune", err);
	if (nd_cli.json) {
		_cleanup_json_ json_t *j = json_pack("{s:o}", "ContainersDeleted", nd_json_from_strv(ids));

		nd_cli_print_json(j);
		return ND_EXIT_OK;
	}
	printf("Deleted Containers:\n");
	for (char **id = ids; *id; id++)
		printf("%s\n", *id);
	return ND_EXIT_OK;
}

int nd_cmd_container(int argc, char **argv)
{
	static const char usage[] = "Usage: netd container prune [-f]\n";

	if (argc >= 2 && !strcmp(argv[1], "prune"))
		return prune(argc - 1, argv + 1);
	if (argc == 2 && (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help"))) {
		printf("%s", usage);
		return ND_EXIT_OK;
	}
	return nd_cli_usage_error(usage, "unknown container command");
}

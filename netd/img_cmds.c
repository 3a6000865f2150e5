/*
 * netd pull|images|rmi|tag|image inspect, and run's image lookup: bin/netd-oci's alone
 * (lib/image links libcurl). Parse, call lib/image, print as `docker` does (or JSON).
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "base/cleanup.h"
#include "base/json.h"
#include "base/state.h"
#include "cli.h"
#include "cmd_run.h"
#include "image/archive.h"
#include "image/commitimg.h"
#include "image/images.h"
#include "image/pull.h"
#include "image/push.h"
#include "image/ref.h"
#include "image/imgstore.h"

static int fail(const char *what, const struct nd_err *e)
{
	return nd_cli_fail(what, e);
}

static bool is_help(const char *a)
{
	return !strcmp(a, "-h") || !strcmp(a, "--help");
}

static int open_store(struct nd_imgstore *st, const char *what)
{
	_cleanup_err_ struct nd_err *err = NULL;

	return nd_imgstore_open(nd_state_dir(), st, &err) < 0 ? fail(what, err) : 0;
}

/* ---- pull ---- */

struct pull_out {
	bool quiet;
	FILE *f;
};

static void pull_event(void *ud, const char *id, const char *status)
{
	struct pull_out *o = ud;

	if (o->quiet)
		return;
	if (nd_cli.json) {
		_cleanup_json_ json_t *j = json_pack("{s:s?, s:s}", "id", id, "status", status);
		_cleanup_free_ char *s = j ? json_dumps(j, JSON_COMPACT) : NULL;

		if (s)
			fprintf(o->f, "%s\n", s);
	} else if (id) {
		fprintf(o->f, "%s: %s\n", id, status);
	} else {
		fprintf(o->f, "%s\n", status);
	}
	fflush(o->f);
}

static const char pull_usage[] =
	"Usage: netd pull [--platform OS/ARCH[/VARIANT]] [-q] [REGISTRY[:PORT]/]REPO[:TAG|@sha256:DIGEST]\n"
	"  Fetch an image into the store (state dir's images/, an OCI layout). No registry means\n"
	"  docker.io (library/NAME for one-part names). Plain HTTP only for localhost, 127.0.0.0/8\n"
	"  and $NETD_INSECURE_REGISTRIES; CAs and client certificates in $NETD_CERTS_DIR\n"
	"  (/etc/netd/certs.d)/HOST:PORT/; credentials from $NETD_AUTH_FILE or ~/.docker/config.json.\n";

static int pull_done(const struct nd_pull_result *res, struct pull_out *o)
{
	if (nd_cli.json) {
		_cleanup_json_ json_t *j = json_pack("{s:s, s:s, s:s, s:i, s:I}", "name", res->name, "digest", res->digest,
						     "manifest", res->manifest, "blobs_fetched", res->blobs_fetched,
						     "bytes_fetched", (json_int_t)res->bytes_fetched);
		nd_cli_print_json(j);
		return ND_EXIT_OK;
	}
	if (!o->quiet)
		printf("Status: %s for %s\n", res->blobs_fetched ? "Downloaded newer image" : "Image is up to date",
		       nd_ref_familiar(res->name));
	printf("%s\n", res->name);
	return ND_EXIT_OK;
}

static int cmd_pull(int argc, char **argv)
{
	static const struct option lo[] = { { "platform", required_argument, NULL, 'p' },
					    { "quiet", no_argument, NULL, 'q' },
					    { "json", no_argument, NULL, 'j' },
					    { "help", no_argument, NULL, 'h' },
					    { 0 } };
	_cleanup_(nd_imgstore_close) struct nd_imgstore st = { .gc_fd = -1 };
	_cleanup_(nd_pull_result_clear) struct nd_pull_result res = { 0 };
	_cleanup_err_ struct nd_err *err = NULL;
	struct pull_out out = { .f = stdout };
	struct nd_pull_opts o = { .event = pull_event, .ud = &out };
	struct nd_ref ref;
	int ch, r;

	while ((ch = getopt_long(argc, argv, "+qh", lo, NULL)) != -1) {
		switch (ch) {
		case 'p': o.platform = optarg; break;
		case 'q': out.quiet = true; break;
		case 'j': nd_cli.json = true; break;
		case 'h': printf("%s", pull_usage); return ND_EXIT_OK;
		default: return nd_cli_usage_error(pull_usage, "pull: unknown option");
		}
	}
	if (optind + 1 != argc)
		return nd_cli_usage_error(pull_usage, "pull: give one image reference");
	if ((o.platform && nd_platform_check(o.platform, &err) < 0) || nd_ref_parse(argv[optind], &ref, &err) < 0) {
		fail("pull", err);
		return ND_EXIT_USAGE;
	}
	if ((r = open_store(&st, "pull")) != 0)
		return r;
	if (nd_pull(&st, &ref, &o, &res, &err) < 0)
		return fail("pull", err);
	return pull_done(&res, &out);
}

/* ---- images ---- */

static void human_size(json_int_t n, char *buf, size_t len)
{
	static const char *const unit[] = { "B", "kB", "MB", "GB", "TB" };
	double v = (double)n;
	int u = 0;

	while (v >= 1000 && u < 4)
		v /= 1000, u++;
	snprintf(buf, len, u ? "%.3g%s" : "%.0f%s", v, unit[u]);
}

static void human_age(const char *created, char *buf, size_t len)
{
	struct tm tm = { 0 };
	long long s;

	if (!created || !strptime(created, "%Y-%m-%dT%H:%M:%S", &tm)) {
		snprintf(buf, len, "N/A");
		return;
	}
	s = (long long)(time(NULL) - timegm(&tm));
	if (s < 60)
		snprintf(buf, len, "Less than a minute ago");
	else if (s < 3600)
		snprintf(buf, len, "%lld minutes ago", s / 60);
	else if (s < 86400 * 2)
		snprintf(buf, len, "%lld hours ago", s / 3600);
	else if (s < 86400 * 14)
		snprintf(buf, len, "%lld days ago", s / 86400);
	else if (s < 86400 * 60)
		snprintf(buf, len, "%lld weeks ago", s / (86400 * 7));
	else if (s < 86400 * 730)
		snprintf(buf, len, "%lld months ago", s / (86400 * 30));
	else
		snprintf(buf, len, "%lld years ago", s / (86400 * 365));
}

static void images_table(json_t *list, bool digests)
{
	json_t *row;
	size_t i;

	printf(digests ? "%-40s %-12s %-72s %-13s %-18s %s\n" : "%-40s %-12s %s%-13s %-18s %s\n", "REPOSITORY", "TAG",
	       digests ? "DIGEST" : "", "IMAGE ID", "CREATED", "SIZE");
	json_array_foreach(list, i, row) {
		const char *id = json_string_value(json_object_get(row, "id"));
		const char *dg = json_string_value(json_object_get(row, "digest"));
		char size[32], age[48];

		human_size(json_integer_value(json_object_get(row, "size")), size, sizeof(size));
		human_age(json_string_value(json_object_get(row, "created")), age, sizeof(age));
		printf(digests ? "%-40s %-12s %-72s %-13.12s %-18s %s\n" : "%-40s %-12s %s%-13.12s %-18s %s\n",
		       nd_ref_familiar(json_string_value(json_object_get(row, "repository"))),
		       json_string_value(json_object_get(row, "tag")), digests ? (dg ? dg : "<none>") : "",
		       id ? id + 7 : "", age, size);
	}
}

static int cmd_images(int argc, char **argv)
{
	static const char usage[] = "Usage: netd images [-a] [--digests] [--json]\n"
				    "  The images of the store: REPOSITORY, TAG, IMAGE ID, CREATED, SIZE (compressed).\n";
	_cleanup_(nd_imgstore_close) struct nd_imgstore st = { .gc_fd = -1 };
	_cleanup_err_ struct nd_err *err = NULL;
	_cleanup_json_ json_t *list = NULL;
	bool digests = false;
	int r;

	for (int i = 1; i < argc; i++) {
		if (is_help(argv[i])) {
			printf("%s", usage);
			return ND_EXIT_OK;
		} else if (!strcmp(argv[i], "--digests")) {
			digests = true;
		} else if (!strcmp(argv[i], "--json")) {
			nd_cli.json = true;
		} else if (strcmp(argv[i], "-a") && strcmp(argv[i], "--all")) {
			return nd_cli_usage_error(usage, "images: unexpected argument '%s'", argv[i]);
		}
	}
	if ((r = open_store(&st, "images")) != 0)
		return r;
	if (nd_images_list(&st, &list, &err) < 0)
		return fail("images", err);
	if (nd_cli.json)
		nd_cli_print_json(list);
	else
		images_table(list, digests);
	return ND_EXIT_OK;
}

/* ---- rmi, tag, image inspect ---- */

static void print_rm(json_t *rep)
{
	json_t *n;
	size_t i;

	json_array_foreach(json_object_get(rep, "untagged"), i, n)
		printf("Untagged: %s\n", nd_ref_familiar(json_string_value(n)));
	if (json_is_string(json_object_get(rep, "deleted")))
		printf("Deleted: %s\n", json_string_value(json_object_get(rep, "deleted")));
}

static int cmd_rmi(int argc, char **argv)
{
	static const char usage[] = "Usage: netd rmi [-f] IMAGE...\n"
				    "  Remove images (by reference or ID); blobs and layers no image needs are freed.\n"
				    "  Refused while a container uses the image, unless -f.\n";
	_cleanup_(nd_imgstore_close) struct nd_imgstore st = { .gc_fd = -1 };
	bool force = false;
	int i = 1, r, rc = ND_EXIT_OK;

	for (; i < argc && argv[i][0] == '-'; i++) {
		if (is_help(argv[i])) {
			printf("%s", usage);
			return ND_EXIT_OK;
		} else if (!strcmp(argv[i], "-f") || !strcmp(argv[i], "--force")) {
			force = true;
		} else if (!strcmp(argv[i], "--json")) {
			nd_cli.json = true;
		} else {
			return nd_cli_usage_error(usage, "rmi: unknown option '%s'", argv[i]);
		}
	}
	if (i == argc)
		return nd_cli_usage_error(usage, "rmi: give at least one image");
	if ((r = open_store(&st, "rmi")) != 0)
		return r;
	for (; i < argc; i++) {
		_cleanup_err_ struct nd_err *err = NULL;
		_cleanup_json_ json_t *rep = NULL;

		if (nd_image_rm(nd_state_dir(), &st, argv[i], force, &rep, &err) < 0)
			rc = fail("rmi", err);
		else if (nd_cli.json)
			nd_cli_print_json(rep);
		else
			print_rm(rep);
	}
	return rc;
}

static int cmd_tag(int argc, char **argv)
{
	static const char usage[] = "Usage: netd tag SOURCE_IMAGE TARGET_IMAGE[:TAG]\n";
	_cleanup_(nd_imgstore_close) struct nd_imgstore st = { .gc_fd = -1 };
	_cleanup_err_ struct nd_err *err = NULL;
	int r;

	if (argc == 2 && is_help(argv[1])) {
		printf("%s", usage);
		return ND_EXIT_OK;
	}
	if (argc != 3)
		return nd_cli_usage_error(usage, "tag: give a source and a target");
	if ((r = open_store(&st, "tag")) != 0)
		return r;
	if (nd_image_tag(&st, argv[1], argv[2], &err) < 0)
		return fail("tag", err);
	return ND_EXIT_OK;
}

static int cmd_image(int argc, char **argv)
{
	static const char usage[] = "Usage: netd image inspect IMAGE...\n";
	_cleanup_(nd_imgstore_close) struct nd_imgstore st = { .gc_fd = -1 };
	_cleanup_json_ json_t *out = json_array();
	int r, rc = ND_EXIT_OK;

	if (argc >= 2 && is_help(argv[1])) {
		printf("%s", usage);
		return ND_EXIT_OK;
	}
	if (argc < 3 || strcmp(argv[1], "inspect"))
		return nd_cli_usage_error(usage, "image: the one subcommand is inspect, with images");
	if ((r = open_store(&st, "image inspect")) != 0)
		return r;
	for (int i = 2; i < argc; i++) {
		_cleanup_err_ struct nd_err *err = NULL;
		json_t *j = NULL;

		if (nd_image_inspect(&st, argv[i], &j, &err) < 0)
			rc = fail("image inspect", err);
		else
			json_array_append_new(out, j);
	}
	if (json_array_size(out))
		nd_cli_print_json(out);
	return rc;
}

/* ---- push, login, logout ---- */

static int cmd_push(int argc, char **argv)
{
	static const char usage[] = "Usage: netd push [-q] IMAGE\n"
				    "  Upload an image of the store to the registry its name gives (only missing blobs).\n";
	_cleanup_(nd_imgstore_close) struct nd_imgstore st = { .gc_fd = -1 };
	_cleanup_err_ struct nd_err *err = NULL;
	struct pull_out out = { .f = stdout };
	struct nd_pull_opts o = { .event = pull_event, .ud = &out };
	struct nd_push_result res;
	int i = 1, r;

	for (; i < argc && argv[i][0] == '-'; i++) {
		if (is_help(argv[i])) {
			printf("%s", usage);
			return ND_EXIT_OK;
		} else if (!strcmp(argv[i], "-q") || !strcmp(argv[i], "--quiet")) {
			out.quiet = true;
		} else if (!strcmp(argv[i], "--json")) {
			nd_cli.json = true;
		} else {
			return nd_cli_usage_error(usage, "push: unknown option '%s'", argv[i]);
		}
	}
	if (i + 1 != argc)
		return nd_cli_usage_error(usage, "push: give one image");
	if ((r = open_store(&st, "push")) != 0)
		return r;
	if (nd_push(&st, argv[i], &o, &res, &err) < 0)
		return fail("push", err);
	if (nd_cli.json) {
		_cleanup_json_ json_t *j = json_pack("{s:s, s:i, s:i, s:i}", "digest", res.digest, "uploaded", res.uploaded,
						     "mounted", res.mounted, "present", res.present);
		nd_cli_print_json(j);
	} else {
		printf("digest: %s\n", res.digest);
	}
	return ND_EXIT_OK;
}

/* The password: from stdin (one line, --password-stdin), or -p. */
static int read_password(char **ret)
{
	size_t cap = 0;
	ssize_t n = getline(ret, &cap, stdin);

	if (n < 0)
		return -1;
	while (n > 0 && ((*ret)[n - 1] == '\n' || (*ret)[n - 1] == '\r'))
		(*ret)[--n] = 0;
	return 0;
}

static int cmd_login(int argc, char **argv)
{
	static const char usage[] = "Usage: netd login [-u USER] [-p PASSWORD | --password-stdin] REGISTRY\n"
				    "  Check the credentials with the registry, then keep them in $NETD_AUTH_FILE\n"
				    "  (default ~/.docker/config.json, mode 0600).\n";
	static const struct option lo[] = { { "username", required_argument, NULL, 'u' },
					    { "password", required_argument, NULL, 'p' },
					    { "password-stdin", no_argument, NULL, 's' },
					    { "help", no_argument, NULL, 'h' },
					    { 0 } };
	_cleanup_err_ struct nd_err *err = NULL;
	_cleanup_free_ char *pw = NULL;
	const char *user = NULL;
	bool from_stdin = false;
	int ch;

	while ((ch = getopt_long(argc, argv, "+u:p:h", lo, NULL)) != -1) {
		switch (ch) {
		case 'u': user = optarg; break;
		case 'p': free(pw), pw = strdup(optarg); break;
		case 's': from_stdin = true; break;
		case 'h': printf("%s", usage); return ND_EXIT_OK;
		default: return nd_cli_usage_error(usage, "login: unknown option");
		}
	}
	if (optind + 1 != argc || !user)
		return nd_cli_usage_error(usage, "login: give -u USER and one registry");
	if ((from_stdin || !pw) && (free(pw), pw = NULL, read_password(&pw) < 0))
		return nd_cli_usage_error(usage, "login: no password on stdin");
	if (nd_login(argv[optind], user, pw, &err) < 0)
		return fail("login", err);
	printf("Login Succeeded\n");
	return ND_EXIT_OK;
}

static int cmd_logout(int argc, char **argv)
{
	_cleanup_err_ struct nd_err *err = NULL;
	bool found;

	if (argc == 2 && is_help(argv[1]))
		return printf("Usage: netd logout REGISTRY\n"), ND_EXIT_OK;
	if (argc != 2 || argv[1][0] == '-')
		return nd_cli_usage_error("Usage: netd logout REGISTRY\n", "logout: give one registry");
	if (nd_logout(argv[1], &found, &err) < 0)
		return fail("logout", err);
	printf(found ? "Removing login credentials for %s\n" : "Not logged in to %s\n", argv[1]);
	return ND_EXIT_OK;
}

/* ---- save, load ---- */

static int cmd_save(int argc, char **argv)
{
	static const char usage[] = "Usage: netd save -o FILE IMAGE...\n"
				    "  Images as one tar: an OCI layout, with the manifest.json docker load reads.\n";
	_cleanup_(nd_imgstore_close) struct nd_imgstore st = { .gc_fd = -1 };
	_cleanup_err_ struct nd_err *err = NULL;
	const char *out = NULL;
	int ch, r;

	if (argc >= 2 && is_help(argv[1]))
		return printf("%s", usage), ND_EXIT_OK;
	while ((ch = getopt(argc, argv, "+o:h")) != -1) {
		if (ch == 'o')
			out = optarg;
		else if (ch == 'h')
			return printf("%s", usage), ND_EXIT_OK;
		else
			return nd_cli_usage_error(usage, "save: unknown option");
	}
	if (!out || optind >= argc)
		return nd_cli_usage_error(usage, "save: give -o FILE and at least one image");
	if ((r = open_store(&st, "save")) != 0)
		return r;
	if (nd_image_save(&st, argv + optind, out, &err) < 0)
		return fail("save", err);
	return ND_EXIT_OK;
}

static int cmd_load(int argc, char **argv)
{
	static const char usage[] = "Usage: netd load -i FILE\n"
				    "  Images from an OCI archive or a docker save archive into the store.\n";
	_cleanup_(nd_imgstore_close) struct nd_imgstore st = { .gc_fd = -1 };
	_cleanup_err_ struct nd_err *err = NULL;
	_cleanup_json_ json_t *loaded = NULL;
	const char *in = NULL;
	json_t *n;
	size_t i;
	int ch, r;

	if (argc >= 2 && is_help(argv[1]))
		return printf("%s", usage), ND_EXIT_OK;
	while ((ch = getopt(argc, argv, "+i:h")) != -1) {
		if (ch == 'i')
			in = optarg;
		else if (ch == 'h')
			return printf("%s", usage), ND_EXIT_OK;
		else
			return nd_cli_usage_error(usage, "load: unknown option");
	}
	if (!in || optind != argc)
		return nd_cli_usage_error(usage, "load: give -i FILE");
	if ((r = open_store(&st, "load")) != 0)
		return r;
	if (nd_image_load(&st, in, &loaded, &err) < 0)
		return fail("load", err);
	if (nd_cli.json)
		nd_cli_print_json(loaded);
	else
		json_array_foreach(loaded, i, n)
			printf("Loaded image: %s\n", nd_ref_familiar(json_string_value(n)));
	return ND_EXIT_OK;
}

/* ---- dispatch, run's lookup ---- */

int nd_img_main(int argc, char **argv)
{
	static const struct {
		const char *name;
		int (*fn)(int argc, char **argv);
	} cmds[] = { { "pull", cmd_pull }, { "images", cmd_images }, { "rmi", cmd_rmi },
		     { "tag", cmd_tag },   { "image", cmd_image }, { "push", cmd_push },
		     { "login", cmd_login }, { "logout", cmd_logout }, { "save", cmd_save },
		     { "load", cmd_load } };

	for (size_t i = 0; i < ND_ARRAY_SIZE(cmds); i++)
		if (!strcmp(argv[0], cmds[i].name))
			return cmds[i].fn(argc, argv);
	return nd_cli_usage_error(NULL, "unknown image command '%s'", argv[0]);
}

int nd_img_resolve(const char *image, char **ret, struct nd_err **err)
{
	/* Progress of a pull goes to stderr: the container's output owns stdout. */
	struct pull_out out = { .f = stderr };
	struct nd_pull_opts o = { .event = pull_event, .ud = &out };

	return nd_image_resolve(nd_state_dir(), image, &o, ret, err);
}

int nd_img_commit(const char *ctr, const char *name)
{
	_cleanup_(nd_imgstore_close) struct nd_imgstore st = { .gc_fd = -1 };
	_cleanup_err_ struct nd_err *err = NULL;
	char id[72];
	int r;

	if ((r = open_store(&st, "commit")) != 0)
		return r;
	if (nd_commit_image(nd_state_dir(), &st, ctr, nd_run_images, name, id, &err) < 0)
		return fail("commit", err);
	printf("%s\n", id);
	return ND_EXIT_OK;
}

/*
 * `netd daemon`: configuration, the unix socket, start-up repair (default network, GC,
 * re-applying every rule from the state dir), then the API until SIGTERM. Stopping leaves
 * every network and attachment in place, so containers keep their network meanwhile.
 */
#include "daemon.h"

#include <errno.h>
#include <getopt.h>
#include <grp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "base/cleanup.h"
#include "base/json.h"
#include "base/log.h"
#include "base/state.h"
#include "kernel/netnsname.h"
#include "networks/apiclient.h"
#include "cli.h" /* nd_cli_fail: the CLI's edge for errors (output.c) */
#include "dnsglue.h"

DEFINE_CLEANUP(FILE, fclose)

/* Strings from the config file live as long as the process: the json stays referenced. */
static json_t *config_json;
/* The config file as it was read (owner and mode decide whether it may widen the netns rule). */
static struct stat config_st;
static const char *config_path;

static int load_config(const char *path, bool required, struct nd_err **err)
{
	_cleanup_(fclosep) FILE *f = NULL;
	json_error_t jerr;

	if (!required && access(path, F_OK) < 0)
		return 0;
	/* One open for reading and for the owner check: what is checked is what is read. */
	if (!(f = fopen(path, "re")) || fstat(fileno(f), &config_st) < 0)
		return nd_err_set(err, ND_CNI_INVALID_CONFIG, errno, "config '%s': %s", path, strerror(errno));
	config_path = path;
	config_json = json_loadf(f, JSON_REJECT_DUPLICATES, &jerr);
	if (!json_is_object(config_json))
		return nd_err_set(err, ND_CNI_INVALID_CONFIG, EINVAL, "config '%s': %s", path,
				  config_json ? "not an object" : jerr.text);
	return 0;
}

/*
 * allowNetnsPaths widens which netns clients may attach (docs/daemon.md): only root's
 * word counts, so the file must be root's and writable by no one else.
 */
static int netns_allow(struct nd_daemon *d, struct nd_err **err)
{
	json_t *a = json_object_get(config_json, "allowNetnsPaths"), *v;
	const char **list;
	size_t i;

	if (!a)
		return 0;
	if (!json_is_array(a))
		return nd_err_set(err, ND_CNI_INVALID_CONFIG, EINVAL, "allowNetnsPaths: want an array of paths");
	if (config_st.st_uid != 0 || (config_st.st_mode & (S_IWGRP | S_IWOTH)))
		return nd_err_set(err, ND_CNI_INVALID_CONFIG, EPERM,
				  "config '%s' sets allowNetnsPaths but is not owned by root or is writable by group or others",
				  config_path);
	if (!(list = calloc(json_array_size(a) + 1, sizeof(*list))))
		return nd_oom(err);
	json_array_foreach(a, i, v) {
		const char *p = json_string_value(v);

		if (!p || !nd_path_is_clean(p)) {
			free(list);
			return nd_err_set(err, ND_CNI_INVALID_CONFIG, EINVAL,
					  "allowNetnsPaths: '%s' is not an absolute path without '.', '..' or '//' (nor '/')",
					  p ? p : "(not a string)");
		}
		list[i] = p;
	}
	d->ctx.netns_allow = list;
	return 0;
}

static const char *conf_str(const char *key, const char *def)
{
	json_t *v = json_object_get(config_json, key);

	if (json_is_null(v) && v)
		return NULL;
	return json_is_string(v) ? json_string_value(v) : def;
}

static int resolve_group(const char *g, gid_t *ret, struct nd_err **err)
{
	struct group *gr;
	char *end;
	unsigned long v;

	if (!g || !*g) {
		*ret = 0;
		return 0;
	}
	v = strtoul(g, &end, 10);
	if (!*end) {
		*ret = (gid_t)v;
		return 0;
	}
	if (!(gr = getgrnam(g)))
		return nd_err_set(err, ND_CNI_INVALID_CONFIG, ENOENT, "group '%s' not found", g);
	*ret = gr->gr_gid;
	return 0;
}

static void usage(FILE *f)
{
	fprintf(f, "Usage: netd daemon [OPTIONS]\n\n"
		   "Run the netd daemon in the foreground (logs on stderr).\n\n"
		   "  --config FILE        daemon config (default " ND_DAEMON_CONFIG " when present)\n"
		   "  --socket PATH        unix socket (default " ND_API_SOCKET ", mode 0660)\n"
		   "  --group GROUP        group allowed on the socket besides root (default root)\n"
		   "  --state-dir DIR      state directory (default " ND_STATE_DIR ")\n"
		   "  --listen tcp://127.0.0.1:PORT   also serve TCP on loopback (NO authentication)\n"
		   "  --cni-conf-dir DIR   write each network's conflist there (\"\" for none)\n"
		   "  --ipam-dir DIR       netd-ipam lease store (default the plugins' own)\n"
		   "  --log-level LEVEL    err|warn|info|debug (default info)\n"
		   "  --json               a start-up failure as JSON on stdout too\n"
		   "  -h, --help           this text\n");
}

struct opts {
	const char *config, *socket, *group, *state_dir, *listen, *cni_conf_dir, *ipam_dir, *log_level;
	bool set_cni_conf_dir;
};

static int parse_opts(int argc, char **argv, struct opts *o)
{
	static const struct option lo[] = {
		{ "config", required_argument, NULL, 'c' },    { "socket", required_argument, NULL, 's' },
		{ "group", required_argument, NULL, 'g' },     { "state-dir", required_argument, NULL, 'd' },
		{ "listen", required_argument, NULL, 'l' },    { "cni-conf-dir", required_argument, NULL, 'C' },
		{ "ipam-dir", required_argument, NULL, 'i' },  { "log-level", required_argument, NULL, 'L' },
		{ "json", no_argument, NULL, 'j' },            { "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	int ch;

	optind = 0;
	while ((ch = getopt_long(argc, argv, "h", lo, NULL)) != -1) {
		switch (ch) {
		case 'c': o->config = optarg; break;
		case 's': o->socket = optarg; break;
		case 'g': o->group = optarg; break;
		case 'd': o->state_dir = optarg; break;
		case 'l': o->listen = optarg; break;
		case 'C': o->cni_conf_dir = optarg, o->set_cni_conf_dir = true; break;
		case 'i': o->ipam_dir = optarg; break;
		case 'L': o->log_level = optarg; break;
		case 'j': nd_cli.json = true; break;
		case 'h': usage(stdout); return 1;
		default: usage(stderr); return -1;
		}
	}
	if (optind < argc) {
		nd_cli_failf("daemon", ND_ERR_BAD_SPEC, "unexpected argument '%s'", argv[optind]);
		return -1;
	}
	return 0;
}

/* Command line over config file over defaults. */
static int configure(const struct opts *o, struct nd_daemon *d, struct nd_err **err)
{
	const char *v;
	int r;

	if ((r = load_config(o->config ? o->config : ND_DAEMON_CONFIG, o->config != NULL, err)) < 0)
		return r;
	d->socket = o->socket ? o->socket : conf_str("socket", nd_api_socket());
	d->ctx.state_dir = o->state_dir ? o->state_dir : conf_str("stateDir", nd_state_dir());
	d->listen = o->listen ? o->listen : conf_str("listen", NULL);
	d->ctx.ipam_dir = o->ipam_dir ? o->ipam_dir : conf_str("ipamDataDir", NULL);
	d->ctx.cni_conf_dir = o->set_cni_conf_dir ? o->cni_conf_dir : conf_str("cniConfDir", getenv("NETD_CNI_CONF_DIR") ?: "/etc/cni/net.d");
	if (d->ctx.cni_conf_dir && !*d->ctx.cni_conf_dir)
		d->ctx.cni_conf_dir = NULL;
	d->ctx.cni_cache_dir = conf_str("cniCacheDir", getenv("NETD_CNI_CACHE_DIR") ?: ND_CNI_CACHE_DIR);
	d->ctx.cni_path = conf_str("cniPath", getenv("CNI_PATH") ?: "/opt/cni/bin");
	d->max_body = (size_t)(json_integer_value(json_object_get(config_json, "maxBodyBytes")) ?: ND_BODY_MAX_DEFAULT);
	if (!d->socket || !d->ctx.state_dir)
		return nd_err_set(err, ND_CNI_INVALID_CONFIG, EINVAL, "socket and stateDir must be set");
	if ((r = netns_allow(d, err)) < 0 ||
	    (d->listen && (r = nd_api_parse_listen(d->listen, &(struct sockaddr_storage){ 0 }, err)) < 0))
		return r;
	/* lib/base/log.c reads NETD_LOG; set before any thread exists. */
	v = o->log_level ? o->log_level : conf_str("logLevel", getenv("NETD_LOG") ?: "info");
	setenv("NETD_LOG", v, 1);
	return resolve_group(o->group ? o->group : conf_str("socketGroup", NULL), &d->sock_gid, err);
}

/* A socket file nobody answers on is a leftover of a killed daemon; one that answers is not. */
static int claim_path(const struct sockaddr_un *sa, struct nd_err **err)
{
	_cleanup_close_ int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	struct stat st;

	if (lstat(sa->sun_path, &st) < 0)
		return 0;
	if (!S_ISSOCK(st.st_mode))
		return nd_err_set(err, ND_CNI_INVALID_CONFIG, EEXIST, "'%s' exists and is not a socket", sa->sun_path);
	if (fd >= 0 && connect(fd, (const struct sockaddr *)sa, sizeof(*sa)) == 0)
		return nd_err_set(err, ND_ERR_BUSY, EADDRINUSE, "another daemon listens on '%s'", sa->sun_path);
	(void)unlink(sa->sun_path);
	return 0;
}

static int open_socket(const struct nd_daemon *d, int *ret_fd, struct nd_err **err)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	_cleanup_close_ int fd = -1;
	_cleanup_free_ char *dir = strdup(d->socket);
	char *slash = dir ? strrchr(dir, '/') : NULL;
	int r;

	if (!dir)
		return nd_oom(err);
	if (strlen(d->socket) >= sizeof(sa.sun_path))
		return nd_err_set(err, ND_CNI_INVALID_CONFIG, ENAMETOOLONG, "socket path '%s' is too long", d->socket);
	strcpy(sa.sun_path, d->socket);
	if (slash && slash != dir) {
		*slash = '\0';
		if ((r = nd_state_mkdirs(dir, 0755, err)) < 0)
			return r;
	}
	if ((r = claim_path(&sa, err)) < 0)
		return r;
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0)
		return nd_err_set(err, ND_ERR_INTERNAL, errno, "socket: %s", strerror(errno));
	/* Bound under a umask that leaves no window in which others could connect. */
	mode_t old = umask(0177);
	r = bind(fd, (struct sockaddr *)&sa, sizeof(sa));
	umask(old);
	if (r < 0)
		return nd_err_set(err, ND_ERR_INTERNAL, errno, "bind '%s': %s", d->socket, strerror(errno));
	if (chown(d->socket, 0, d->sock_gid) < 0 || chmod(d->socket, 0660) < 0 || listen(fd, 128) < 0)
		return nd_err_set(err, ND_ERR_INTERNAL, errno, "socket '%s': %s", d->socket, strerror(errno));
	*ret_fd = TAKE_FD(fd);
	return 0;
}

/* What lib/ reports (a network skipped or quarantined) goes to the daemon's log. */
static void notify(enum nd_log_level level, const char *msg)
{
	nd_log(level, "%s", msg);
}

static void log_report(const char *what, json_t *rep)
{
	_cleanup_free_ char *text = json_dumps(rep, JSON_COMPACT);
	bool bad = json_array_size(json_object_get(rep, "errors")) || json_array_size(json_object_get(rep, "quarantined"));

	nd_log(bad ? ND_LOG_WARN : ND_LOG_INFO, "%s: %s", what, text ? text : "");
}

/* Start-up repair. Each step logs its failure and the daemon still serves: a broken
 * network must not take the others (or the API that could fix it) down with it. */
static void recover(struct nd_daemon *d)
{
	_cleanup_err_ struct nd_err *e1 = NULL, *e2 = NULL, *e3 = NULL;
	_cleanup_json_ json_t *gc = NULL, *re = NULL;
	struct nd_network n;

	if (nd_op_network_default(&d->ctx, &n, &e1) < 0) {
		nd_log(ND_LOG_ERR, "default network: %s", e1->msg);
	} else {
		char buf[ND_CIDR_STRLEN];

		nd_log(ND_LOG_INFO, "default network '%s': bridge %s, subnet %s", n.name, n.bridge,
		       nd_cidr_fmt(&n.subnet, buf));
		nd_network_clear(&n);
	}
	if (nd_op_gc(&d->ctx, &gc, &e2) < 0)
		nd_log(ND_LOG_ERR, "gc: %s", e2->msg);
	else
		nd_log(ND_LOG_INFO, "gc: released %lld attachments, %lld stray veths",
		       json_integer_value(json_object_get(gc, "released")),
		       json_integer_value(json_object_get(gc, "veths")));
	if (nd_firewall_note())
		nd_log(ND_LOG_WARN, "%s", nd_firewall_note());
	if (nd_op_reapply(&d->ctx, NULL, &re, &e3) < 0)
		nd_log(ND_LOG_ERR, "re-apply: %s", e3->msg);
	else
		nd_log(ND_LOG_INFO, "re-applied %lld networks, %lld masquerade entries, %zu skipped",
		       json_integer_value(json_object_get(re, "networks")),
		       json_integer_value(json_object_get(re, "masquerade")),
		       json_array_size(json_object_get(re, "errors")));
}

static void reload(struct nd_daemon *d)
{
	_cleanup_err_ struct nd_err *e = NULL;
	_cleanup_json_ json_t *rep = NULL;

	pthread_mutex_lock(&d->lock);
	if (nd_op_reapply(&d->ctx, NULL, &rep, &e) < 0)
		nd_log(ND_LOG_ERR, "reload: %s", e->msg);
	else
		log_report("reload", rep);
	pthread_mutex_unlock(&d->lock);
}

static int serve(struct nd_daemon *d, int fd)
{
	_cleanup_err_ struct nd_err *e = NULL;
	sigset_t set;
	int sig = 0;

	/* Blocked before the API threads start, so they inherit the mask and sigwait gets all. */
	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGHUP);
	pthread_sigmask(SIG_BLOCK, &set, NULL);
	signal(SIGPIPE, SIG_IGN);
	if (nd_api_start(d, fd, &e) < 0) {
		nd_api_stop();
		return nd_cli_fail("daemon", e);
	}
	nd_log(ND_LOG_INFO, "netd %s listening on %s (state in %s)", ND_VERSION, d->socket, d->ctx.state_dir);
	while (sigwait(&set, &sig) == 0 && sig == SIGHUP)
		reload(d);
	nd_log(ND_LOG_INFO, "signal %d: stopping; networks and attachments stay in place", sig);
	nd_api_stop();
	nd_dnsglue_stop(d);
	(void)unlink(d->socket);
	return 0;
}

int nd_daemon_main(int argc, char **argv)
{
	static struct nd_daemon d = { .lock = PTHREAD_MUTEX_INITIALIZER };
	_cleanup_err_ struct nd_err *e = NULL;
	_cleanup_close_ int fd = -1;
	struct opts o = { 0 };
	int r = parse_opts(argc, argv, &o);

	if (r != 0)
		return r > 0 ? ND_EXIT_OK : ND_EXIT_USAGE;
	d.ctx.notify = notify;
	if (configure(&o, &d, &e) < 0 || nd_state_mkdirs(d.ctx.state_dir, 0700, &e) < 0)
		return nd_cli_fail("daemon", e);
	/* lib/networks/attach.c and a direct CLI in this process tree find the same state. */
	setenv("NETD_STATE_DIR", d.ctx.state_dir, 1);
	recover(&d);
	if (open_socket(&d, &fd, &e) < 0)
		return nd_cli_fail("daemon", e);
	/* Its own thread: the API never waits for it, nor it for the API. */
	if (nd_dnsglue_start(&d, &e) < 0)
		return nd_cli_fail("daemon", e);
	/* libmicrohttpd owns (and closes) the listening socket from here on. */
	r = serve(&d, TAKE_FD(fd));
	json_decref(config_json);
	return r;
}

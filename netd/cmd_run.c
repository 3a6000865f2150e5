/*
 * netd run|ps|stop|rm|logs|exec|commit: the runtime's commands. Each parses its arguments,
 * calls lib/runtime (lifecycle.h: the monitor, ctrops.h: what is done to a container,
 * ctrgc.h) and prints; errors go through the CLI's one printer (nd_cli_fail, --json aware).
 */
#include "cmd_run.h"

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "base/cleanup.h"
#include "base/fdio.h"
#include "base/json.h"
#include "base/state.h"
#include "base/strv.h"
#include "cli.h"
#include "runtime/ctrgc.h"
#include "runtime/ctrops.h"
#include "runtime/lifecycle.h"
#include "runtime/spec.h"

const struct nd_image_ops *nd_run_images;
int (*nd_run_resolve)(const char *image, char **ret, struct nd_err **err);
int (*nd_run_commit_image)(const char *ctr, const char *name);

#define EXIT_SETUP 125 /* Docker's: the runtime failed, the command never ran */

/* The shared printer; the exit status is the code's (lib/base/err.h's table). */
static int fail(const char *what, const struct nd_err *e)
{
	(void)nd_cli_fail(what, e);
	return nd_code_info(e ? e->code : ND_ERR_INTERNAL)->exit;
}

static int usage_err(const char *what, const char *msg)
{
	_cleanup_err_ struct nd_err *e = NULL;

	nd_err_set(&e, ND_ERR_BAD_SPEC, EINVAL, "%s (see netd %s --help)", msg, what);
	return fail(what, e);
}

static bool is_help(const char *arg)
{
	return !strcmp(arg, "-h") || !strcmp(arg, "--help");
}

/*
 * The options of ps and rm: one switch (short and long form), --json and --help, before
 * the operands. -1: go on from *i; otherwise the exit status.
 */
static int parse_switch(const char *cmd, const char *usage, const char *sw, const char *lsw, bool *val, int argc,
			char **argv, int *i)
{
	for (; *i < argc && argv[*i][0] == '-'; (*i)++) {
		const char *a = argv[*i];

		if (!strcmp(a, sw) || !strcmp(a, lsw)) {
			*val = true;
		} else if (!strcmp(a, "--json")) {
			nd_cli.json = true;
		} else if (is_help(a)) {
			printf("%s", usage);
			return ND_EXIT_OK;
		} else {
			return usage_err(cmd, "unknown option");
		}
	}
	return -1;
}

/*
 * Images and layer tars need libarchive and libcrypto, whose loading costs every start of
 * a process about 1.5 ms: bin/netd-oci (this CLI with nd_run_images set) links them, so
 * that a run from --rootfs alone never loads them. --json is the one global option that
 * does not travel in the environment.
 */
static int exec_oci(int argc, char **argv)
{
	_cleanup_free_ char **args = calloc((size_t)argc + 2, sizeof(char *));
	int n = 0;

	if (!args)
		return fail(argv[0], NULL);
	if (nd_cli.json)
		args[n++] = (char *)"--json";
	memcpy(args + n, argv, (size_t)argc * sizeof(char *));
	optind = 0;
	return nd_exec_sibling("netd-oci", argc + n, args);
}

/* ---- netd run ---- */

struct run_args {
	struct nd_run_spec spec;
	struct nd_strv env, layers, publish;
	struct nd_strv dns, dns_search, dns_opt, add_hosts, aliases;
	char *resolved; /* the image as the store names it (nd_run_resolve) */
	struct nd_strv cap_add, cap_drop;
	char *seccomp_profile;
	struct nd_strv labels;
	struct nd_strv env_file, ulimits, sysctls, group_add; /* --env-file's lines, then -e's */
	struct nd_strv devices;
	struct nd_strv volumes, mounts, tmpfs;
	struct nd_strv log_opts;
};

static void run_args_clear(struct run_args *a)
{
	nd_strv_clear(&a->env);
	nd_strv_clear(&a->layers);
	nd_strv_clear(&a->publish);
	nd_strv_clear(&a->dns);
	nd_strv_clear(&a->dns_search);
	nd_strv_clear(&a->dns_opt);
	nd_strv_clear(&a->add_hosts);
	nd_strv_clear(&a->aliases);
	free(a->resolved);
	nd_strv_clear(&a->cap_add);
	nd_strv_clear(&a->cap_drop);
	free(a->seccomp_profile);
	nd_strv_clear(&a->labels);
	nd_strv_clear(&a->env_file);
	nd_strv_clear(&a->ulimits);
	nd_strv_clear(&a->sysctls);
	nd_strv_clear(&a->group_add);
	nd_strv_clear(&a->devices);
	nd_strv_clear(&a->volumes);
	nd_strv_clear(&a->mounts);
	nd_strv_clear(&a->tmpfs);
	nd_strv_clear(&a->log_opts);
}

static void run_usage(FILE *f)
{
	fprintf(f,
		"Usage: netd run [OPTIONS] (--rootfs DIR | --image OCI_DIR[:TAG]) [--] [CMD [ARGS...]]\n"
		"       netd run [OPTIONS] IMAGE [CMD [ARGS...]]  (a reference of the image store, pulled when missing)\n\n"
		"  --name NAME          a name usable wherever an ID is\n"
		"  --hostname H         the container's hostname (default: its short ID)\n"
		"  --net MODE           bridge (default), host, none, container:ID, or a network name\n"
		"  --ip IP              the address to request on the network\n"
		"  -p, --publish [HOSTIP:][HOSTPORT[-END]:]PORT[-END][/PROTO]\n"
		"                       publish container ports on the host (repeatable; no HOSTPORT: a free one)\n"
		"  -P, --publish-all    publish every port the image exposes, each on a free host port\n"
		"  -m, --memory SIZE    memory limit (64m, 1g)\n"
		"  --cpus N             CPU quota (0.5, 2)\n"
		"  --pids-limit N       at most N tasks\n"
		"  --userns             root inside is uid %d outside\n"
		"  -e, --env K=V        environment (repeatable)\n"
		"  -w, --workdir DIR    working directory\n"
		"  -u, --user U[:G]     user (name or number)\n"
		"  --layer TAR          a layer tar (from netd commit) on top of the rootfs or image\n"
		"  --cgroup-parent P    cgroup parent (default netd, or $NETD_CGROUP_PARENT)\n"
		"  --security-opt OPT   seccomp=unconfined (no seccomp filter), seccomp=FILE (Docker's JSON\n"
		"                       profile format); no-new-privileges (always on)\n"
		"  -d, --detach         run in the background, print the ID\n"
		"  --rm                 remove the container when it exits\n"
		"  --dns IP             a DNS server (repeatable; on a network with DNS, its upstream)\n"
		"  --dns-search DOMAIN  a search domain (repeatable; \".\" for none)\n"
		"  --dns-option OPT     a resolv.conf option (repeatable)\n"
		"  --add-host NAME:IP   an /etc/hosts line (repeatable; IP may be host-gateway)\n"
		"  --network-alias NAME another name on the network's DNS (repeatable)\n"
		"  --init               a small init as PID 1 that forwards signals and reaps zombies\n"
		"                       (by default the command itself is PID 1, as with docker run)\n"
		"  --cap-add CAP        add a capability (NET_ADMIN or CAP_NET_ADMIN; ALL), repeatable\n"
		"  --cap-drop CAP       drop a capability (ALL: every one), repeatable\n"
		"  --privileged         DANGEROUS: every capability, no seccomp, /sys writable, every host\n"
		"                       device, nothing masked: the container can take over the host\n"
		"  -l, --label K=V      a label (repeatable; netd ps -f label=K[=V] finds it)\n"
		"  --entrypoint CMD     the command instead of the image's Entrypoint (and Cmd)\n"
		"  --env-file FILE      K=V lines (K alone: the caller's value; # comments); -e wins\n"
		"  --stop-signal SIG    what netd stop sends first (default SIGTERM)\n"
		"  --stop-timeout S     seconds netd stop waits before SIGKILL (default 10)\n"
		"  --ulimit N=S[:H]     a resource limit (nofile, nproc, core, memlock, stack...)\n"
		"  --shm-size SIZE      /dev/shm's size (default 64m)\n"
		"  --sysctl K=V         a namespaced sysctl (net.*, kernel.shm*, kernel.msg*, kernel.sem, fs.mqueue.*)\n"
		"  --group-add G        a supplementary group (name or number), repeatable\n"
		"  --memory-swap SIZE   memory plus swap (at least --memory; -1: unlimited swap)\n"
		"  --device H[:C[:rwm]] the host's device node H as C (under /dev), allowed in the cgroup\n"
		"  --cpu-shares N       relative CPU weight (2-262144; 1024 is the default share)\n"
		"  (-w: a missing working directory is created, as Docker does)\n"
		"  -v, --volume SRC:DST[:ro]  bind a host path (SRC absolute) or mount a named volume\n"
		"  --mount type=bind|volume|tmpfs,source=S,target=D[,readonly][,tmpfs-size=N][,tmpfs-mode=M]\n"
		"  --tmpfs DST[:OPTS]   a tmpfs (size=, mode=, ro, exec)\n"
		"  --read-only          the root filesystem read-only (mounts stay writable)\n"
		"  --log-opt OPT        max-size=SIZE, max-file=N: rotate the json-file log\n"
		"  --restart POLICY     no, on-failure[:N], always, unless-stopped (kept by a -d monitor)\n"
		"  -t, --tty            a pty for the command (/dev/pts/0 inside; its size follows ours)\n"
		"  -i, --interactive    with -t: our stdin goes to the pty (raw mode while it runs)\n",
		ND_USERNS_BASE);
}

/* seccomp=FILE: the profile's text, read here at the edge and checked by lib/runtime. */
static int read_profile(const char *file, struct run_args *a)
{
	_cleanup_err_ struct nd_err *e = NULL;
	_cleanup_close_ int fd = open(file, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	size_t len = 0;
	int r;

	free(a->seccomp_profile);
	a->seccomp_profile = NULL;
	r = fd < 0 ? -errno : nd_read_all(fd, 1 << 20, &a->seccomp_profile, &len);
	if (r < 0) {
		nd_err_set(&e, ND_ERR_BAD_SPEC, -r, "--security-opt seccomp='%s': %s", file, strerror(-r));
		return fail("run", e);
	}
	a->spec.seccomp_profile = a->seccomp_profile;
	return 0;
}

static int option_unsupported(const char *v)
{
	_cleanup_err_ struct nd_err *e = NULL;

	nd_err_set(&e, ND_ERR_BAD_SPEC, EINVAL,
		   "--security-opt '%s' is not supported (supported: seccomp=unconfined, seccomp=FILE, "
		   "no-new-privileges, which is always set)", v);
	return fail("run", e);
}

/*
 * Docker's --security-opt forms (KEY=VALUE, or the older KEY:VALUE): seccomp=unconfined,
 * seccomp=FILE, and no-new-privileges, which is always on here. 0 or the exit status.
 */
static int security_opt(const char *v, struct run_args *a)
{
	static const char *const nnp[] = { "no-new-privileges", "no-new-privileges=true", "no-new-privileges:true" };

	if (!strcmp(v, "seccomp=unconfined") || !strcmp(v, "seccomp:unconfined")) {
		a->spec.seccomp_unconfined = true;
		return 0;
	}
	if ((!strncmp(v, "seccomp=", 8) || !strncmp(v, "seccomp:", 8)) && v[8])
		return read_profile(v + 8, a);
	for (size_t i = 0; i < ND_ARRAY_SIZE(nnp); i++)
		if (!strcmp(v, nnp[i]))
			return 0;
	return option_unsupported(v);
}

enum { O_NAME = 256, O_HOST, O_NET, O_IP, O_CPUS, O_PIDS, O_USERNS, O_RM, O_ROOTFS, O_IMAGE, O_LAYER, O_CGP,
       O_STATE, O_SECOPT, O_DNS, O_DNS_SEARCH, O_DNS_OPT, O_ADD_HOST, O_ALIAS, O_MOUNT, O_TMPFS, O_RO, O_LOGOPT, O_RESTART,
       O_INIT = 300, O_PRIV, O_CAPADD, O_CAPDROP,
       O_ENTRY = 320, O_ENVFILE, O_STOPSIG, O_STOPTMO, O_ULIMIT, O_SHM, O_SYSCTL, O_GROUPADD, O_SWAP, O_DEVICE, O_SHARES };

static struct nd_strv *dns_list(struct run_args *a, int ch)
{
	return ch == O_DNS ? &a->dns : ch == O_DNS_SEARCH ? &a->dns_search : ch == O_DNS_OPT ? &a->dns_opt
		: ch == O_ADD_HOST ? &a->add_hosts : &a->aliases;
}

/* --env-file: each line K=V or K (the caller's value, skipped when unset); # and blank lines skipped. */
static int env_file(const char *file, struct run_args *a)
{
	_cleanup_err_ struct nd_err *e = NULL;
	_cleanup_free_ char *text = NULL;
	_cleanup_close_ int fd = open(file, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	char *save = NULL;
	size_t len = 0;
	int r = fd < 0 ? -errno : nd_read_all(fd, 1 << 20, &text, &len);

	if (r < 0) {
		nd_err_set(&e, ND_ERR_BAD_SPEC, -r, "--env-file '%s': %s", file, strerror(-r));
		return fail("run", e);
	}
	for (char *l = strtok_r(text, "\n", &save); l; l = strtok_r(NULL, "\n", &save)) {
		_cleanup_free_ char *kv = NULL;
		const char *v;

		l[strcspn(l, "\r")] = 0;
		while (*l == ' ' || *l == '\t')
			l++;
		if (!*l || *l == '#')
			continue;
		/* K alone: the caller's value, as Docker; nothing when the caller has none. */
		if (!strchr(l, '=') && (!(v = getenv(l)) || asprintf(&kv, "%s=%s", l, v) < 0))
			continue;
		if (nd_strv_push(&a->env_file, kv ? kv : l) < 0)
			return fail("run", NULL);
	}
	return 0;
}

/* The options of issue 13's docker run flags; 0, or the exit status for a usage error. */
static int run_opt2(int ch, char *arg, struct run_args *a)
{
	struct nd_run_spec *s = &a->spec;
	struct nd_strv *v = ch == O_ULIMIT ? &a->ulimits : ch == O_SYSCTL ? &a->sysctls : ch == O_DEVICE ? &a->devices
													   : &a->group_add;

	switch (ch) {
	case O_ENTRY: s->entrypoint = arg; break;
	case O_ENVFILE: return env_file(arg, a);
	case O_STOPSIG: s->stop_signal = arg; break;
	case O_STOPTMO: s->stop_timeout = arg; break;
	case O_SHM: s->shm_size = arg; break;
	case O_SWAP: s->memory_swap = arg; break;
	case O_SHARES: s->cpu_shares = arg; break;
	case O_ULIMIT:
	case O_SYSCTL:
	case O_GROUPADD:
	case O_DEVICE:
		if (nd_strv_push(v, arg) < 0)
			return fail("run", NULL);
		break;
	default: return usage_err("run", "unknown option or missing argument");
	}
	return 0;
}

/* One option of netd run into a; 0, or the exit status for a usage error. */
static int run_opt(int ch, char *arg, struct run_args *a)
{
	struct nd_run_spec *s = &a->spec;

	switch (ch) {
	case O_NAME: s->name = arg; break;
	case O_HOST: s->hostname = arg; break;
	case O_NET: s->net = arg; break;
	case O_IP: s->ip = arg; break;
	case 'm': s->memory = arg; break;
	case O_CPUS: s->cpus = arg; break;
	case O_PIDS: s->pids = arg; break;
	case O_USERNS: s->userns = true; break;
	case 'P': s->publish_all = true; break;
	case 'w': s->cwd = arg; break;
	case 'u': s->user = arg; break;
	case 'd': s->detach = true; break;
	case O_RM: s->rm = true; break;
	case O_ROOTFS: s->rootfs = arg; break;
	case O_IMAGE: s->image = arg; break;
	case O_CGP: s->cgroup_parent = arg; break;
	case O_STATE: setenv("NETD_STATE_DIR", arg, 1); break;
	case 'e':
	case 'p':
	case O_LAYER:
		if (nd_strv_push(ch == 'e' ? &a->env : ch == 'p' ? &a->publish : &a->layers, arg) < 0)
			return fail("run", NULL);
		break;
	case O_DNS:
	case O_DNS_SEARCH:
	case O_DNS_OPT:
	case O_ADD_HOST:
	case O_ALIAS:
		if (nd_strv_push(dns_list(a, ch), arg) < 0)
			return fail("run", NULL);
		break;
	case O_SECOPT: return security_opt(arg, a);
	case O_INIT: s->init = true; break;
	case O_PRIV: s->privileged = true; break;
	case O_CAPADD:
	case O_CAPDROP:
		if (nd_strv_push(ch == O_CAPADD ? &a->cap_add : &a->cap_drop, arg) < 0)
			return fail("run", NULL);
		break;
	case 'l':
		if (nd_strv_push(&a->labels, arg) < 0)
			return fail("run", NULL);
		break;
	case 'v':
	case O_MOUNT:
	case O_TMPFS:
		if (nd_strv_push(ch == 'v' ? &a->volumes : ch == O_MOUNT ? &a->mounts : &a->tmpfs, arg) < 0)
			return fail("run", NULL);
		break;
	case O_RO: s->read_only = true; break;
	case O_RESTART: s->restart = arg; break;
	case 't': s->tty = true; break;
	case 'i': s->interactive = true; break;
	case O_LOGOPT:
		if (nd_strv_push(&a->log_opts, arg) < 0)
			return fail("run", NULL);
		break;
	default: return run_opt2(ch, arg, a);
	}
	return 0;
}

/* The repeatable options' lists into the spec. */
static int spec_lists(struct run_args *a)
{
	a->spec.env = a->env.v;
	a->spec.layers = a->layers.v;
	a->spec.publish = a->publish.v;
	a->spec.dns = a->dns.v;
	a->spec.dns_search = a->dns_search.v;
	a->spec.dns_opt = a->dns_opt.v;
	a->spec.add_hosts = a->add_hosts.v;
	a->spec.aliases = a->aliases.v;
	a->spec.cap_add = a->cap_add.v;
	a->spec.cap_drop = a->cap_drop.v;
	a->spec.labels = a->labels.v;
	a->spec.ulimits = a->ulimits.v;
	a->spec.sysctls = a->sysctls.v;
	a->spec.group_add = a->group_add.v;
	a->spec.devices = a->devices.v;
	/* Docker: the --env-file lines first, -e over them (the spec sets them in order). */
	for (char **e = a->env.v; e && *e; e++)
		if (nd_strv_push(&a->env_file, *e) < 0)
			return -ENOMEM;
	a->spec.env = a->env_file.v;
	a->spec.volumes = a->volumes.v;
	a->spec.mounts = a->mounts.v;
	a->spec.tmpfs = a->tmpfs.v;
	a->spec.log_opts = a->log_opts.v;
	return 0;
}

/* argv into a->spec: 0, -1 after --help, or the exit status for a usage error. */
static int parse_run(int argc, char **argv, struct run_args *a)
{
	static const struct option lo[] = {
		{ "name", required_argument, NULL, O_NAME },	   { "hostname", required_argument, NULL, O_HOST },
		{ "net", required_argument, NULL, O_NET },	   { "network", required_argument, NULL, O_NET },
		{ "ip", required_argument, NULL, O_IP },	   { "memory", required_argument, NULL, 'm' },
		{ "cpus", required_argument, NULL, O_CPUS },	   { "pids-limit", required_argument, NULL, O_PIDS },
		{ "userns", no_argument, NULL, O_USERNS },	   { "env", required_argument, NULL, 'e' },
		{ "workdir", required_argument, NULL, 'w' },	   { "user", required_argument, NULL, 'u' },
		{ "detach", no_argument, NULL, 'd' },		   { "rm", no_argument, NULL, O_RM },
		{ "rootfs", required_argument, NULL, O_ROOTFS },   { "image", required_argument, NULL, O_IMAGE },
		{ "layer", required_argument, NULL, O_LAYER },	   { "cgroup-parent", required_argument, NULL, O_CGP },
		{ "state-dir", required_argument, NULL, O_STATE }, { "help", no_argument, NULL, 'h' },
		{ "security-opt", required_argument, NULL, O_SECOPT }, { "publish", required_argument, NULL, 'p' },
		{ "publish-all", no_argument, NULL, 'P' },	   { "dns", required_argument, NULL, O_DNS },
		{ "dns-search", required_argument, NULL, O_DNS_SEARCH }, { "dns-option", required_argument, NULL, O_DNS_OPT },
		{ "dns-opt", required_argument, NULL, O_DNS_OPT }, { "add-host", required_argument, NULL, O_ADD_HOST },
		{ "network-alias", required_argument, NULL, O_ALIAS }, { "net-alias", required_argument, NULL, O_ALIAS },
		{ "init", no_argument, NULL, O_INIT },
		{ "privileged", no_argument, NULL, O_PRIV },
		{ "cap-add", required_argument, NULL, O_CAPADD },
		{ "cap-drop", required_argument, NULL, O_CAPDROP },
		{ "label", required_argument, NULL, 'l' },
		{ "entrypoint", required_argument, NULL, O_ENTRY },
		{ "env-file", required_argument, NULL, O_ENVFILE },
		{ "stop-signal", required_argument, NULL, O_STOPSIG },
		{ "stop-timeout", required_argument, NULL, O_STOPTMO },
		{ "ulimit", required_argument, NULL, O_ULIMIT },
		{ "shm-size", required_argument, NULL, O_SHM },
		{ "sysctl", required_argument, NULL, O_SYSCTL },
		{ "group-add", required_argument, NULL, O_GROUPADD },
		{ "memory-swap", required_argument, NULL, O_SWAP },
		{ "device", required_argument, NULL, O_DEVICE },
		{ "cpu-shares", required_argument, NULL, O_SHARES },
		{ "volume", required_argument, NULL, 'v' },	   { "mount", required_argument, NULL, O_MOUNT },
		{ "tmpfs", required_argument, NULL, O_TMPFS },	   { "read-only", no_argument, NULL, O_RO },
		{ "log-opt", required_argument, NULL, O_LOGOPT },	   { "restart", required_argument, NULL, O_RESTART },
		{ "tty", no_argument, NULL, 't' },		   { "interactive", no_argument, NULL, 'i' },
		{ 0 },
	};
	_cleanup_err_ struct nd_err *err = NULL;
	int ch, r;

	optind = 1;
	while ((ch = getopt_long(argc, argv, "+m:e:w:u:p:Pdhl:v:it", lo, NULL)) != -1) {
		if (ch == 'h') {
			run_usage(stdout);
			return -1;
		}
		if ((r = run_opt(ch, optarg, a)) != 0)
			return r;
	}
	/* Docker's form: the first operand is the image when no --rootfs or --image names one. */
	if (!a->spec.rootfs && !a->spec.image && optind < argc)
		a->spec.image = argv[optind++];
	a->spec.args = argv + optind;
	a->spec.n_args = (size_t)(argc - optind);
	if (spec_lists(a) < 0)
		return fail("run", NULL);
	if (nd_spec_check(&a->spec, &err) < 0)
		return usage_err("run", err->msg);
	return 0;
}

/* NETD_RUN_TIMING=1: where a start's time goes, on stderr (for the benchmark's author). */
static void phase(const char *what)
{
	static struct timespec t0;
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	if (!t0.tv_sec && !t0.tv_nsec)
		t0 = t;
	fprintf(stderr, "netd run: %7.3f ms %s\n", (double)(t.tv_sec - t0.tv_sec) * 1e3 + (double)(t.tv_nsec - t0.tv_nsec) / 1e6,
		what);
}

/* A start that failed: Docker's exit status, the command's own 126 or 127, else 125. */
static int run_failed(const struct nd_err *e)
{
	int code = e ? e->code : ND_ERR_INTERNAL;

	(void)nd_cli_fail("run", e);
	return code == ND_ERR_NO_COMMAND || code == ND_ERR_CANNOT_EXEC ? nd_code_info(code)->exit : EXIT_SETUP;
}

/* `netd run` is the monitor: it starts the container, waits for it, releases it. */
static int run_foreground(const struct nd_run_spec *spec)
{
	_cleanup_(nd_run_clear) struct nd_run run = ND_RUN_INIT;
	_cleanup_err_ struct nd_err *err = NULL, *release = NULL;
	int code = 0;

	if (nd_run_start(spec, &run, &err) < 0 || nd_run_wait(&run, &code, &release, &err) < 0)
		return run_failed(err);
	if (release)
		(void)nd_cli_fail("run", release);
	if (run.c.oom)
		fprintf(stderr, "netd run: container %.12s was killed by the OOM killer (memory limit %s)\n", run.c.id,
			spec->memory ? spec->memory : "");
	if (spec->phase)
		spec->phase("done");
	return code;
}

/* -d: the monitor runs in the background; the ID is printed once the command runs. */
static int run_detached(const struct nd_run_spec *spec)
{
	_cleanup_err_ struct nd_err *err = NULL;
	char id[ND_CTR_ID_LEN + 1];

	if (nd_run_detached(spec, id, &err) < 0)
		return run_failed(err);
	printf("%s\n", id);
	return ND_EXIT_OK;
}

int nd_cmd_run(int argc, char **argv)
{
	_cleanup_(run_args_clear) struct run_args a = { 0 };
	int r = parse_run(argc, argv, &a);

	if (r != 0)
		return r < 0 ? ND_EXIT_OK : r;
	if (nd_spec_needs_images(&a.spec) && !nd_run_images)
		return exec_oci(argc, argv);
	if (a.spec.image && nd_run_resolve) {
		_cleanup_err_ struct nd_err *err = NULL;

		if (nd_run_resolve(a.spec.image, &a.resolved, &err) < 0)
			return err && err->code == ND_ERR_BAD_SPEC ? fail("run", err) : run_failed(err);
		if (a.resolved)
			a.spec.image = a.resolved;
	}
	a.spec.state = nd_state_dir();
	a.spec.images = nd_run_images;
	a.spec.phase = getenv("NETD_RUN_TIMING") ? phase : NULL;
	return a.spec.detach ? run_detached(&a.spec) : run_foreground(&a.spec);
}

/* ---- ps: cmd_ctr.c ---- */

/* ---- stop, rm ---- */

/* "-t SECONDS" or "--time SECONDS" first: taken off argv. */
static int parse_timeout(int *argc, char ***argv, int *ret)
{
	if (*argc >= 3 && (!strcmp((*argv)[1], "-t") || !strcmp((*argv)[1], "--time"))) {
		char *end;
		long v = strtol((*argv)[2], &end, 10);

		if (*end || v < 0 || v > 3600)
			return -1;
		*ret = (int)v;
		*argc -= 2;
		*argv += 2;
	}
	return 0;
}

/* op on each container argv names from i on; each one done is printed, as Docker does. */
static int each_ref(const char *what, int i, int argc, char **argv, int (*op)(const char *ref, int arg, struct nd_err **err),
		    int arg)
{
	int rc = ND_EXIT_OK;

	for (; i < argc; i++) {
		_cleanup_err_ struct nd_err *err = NULL;

		if (op(argv[i], arg, &err) < 0)
			rc = fail(what, err);
		else
			printf("%s\n", argv[i]);
	}
	return rc;
}

static int stop_ref(const char *ref, int timeout, struct nd_err **err)
{
	return nd_run_stop(nd_state_dir(), ref, timeout, err);
}

static int rm_ref(const char *ref, int force, struct nd_err **err)
{
	return nd_run_remove(nd_state_dir(), ref, force, err);
}

int nd_cmd_stop(int argc, char **argv)
{
	int timeout = -1; /* the container's --stop-timeout, else 10 */

	if (parse_timeout(&argc, &argv, &timeout) < 0)
		return usage_err("stop", "-t takes seconds");
	if (argc < 2)
		return usage_err("stop", "no container given");
	if (is_help(argv[1])) {
		printf("Usage: netd stop [-t SECONDS] ID|NAME...\n  the stop signal (--stop-signal, SIGTERM), then SIGKILL after SECONDS\n  (default: the container's --stop-timeout, else 10)\n");
		return ND_EXIT_OK;
	}
	return each_ref("stop", 1, argc, argv, stop_ref, timeout);
}

int nd_cmd_rm(int argc, char **argv)
{
	bool force = false;
	int i = 1, rc = parse_switch("rm", "Usage: netd rm [-f] ID|NAME...\n  remove stopped containers (-f: stop them first)\n",
				     "-f", "--force", &force, argc, argv, &i);

	if (rc >= 0)
		return rc;
	if (i == argc)
		return usage_err("rm", "no container given");
	return each_ref("rm", i, argc, argv, rm_ref, force);
}

/* netd gc's runtime part. */
int nd_run_gc(json_t *report, struct nd_err **err)
{
	size_t ctrs = 0, netns = 0;
	int r = nd_ctr_gc(nd_state_dir(), &ctrs, &netns, err);

	if (r >= 0) {
		json_object_set_new(report, "containers", json_integer((json_int_t)ctrs));
		json_object_set_new(report, "netns", json_integer((json_int_t)netns));
	}
	return r;
}

/* ---- logs, exec, commit ---- */

/* An entry as docker logs prints it: to stdout or stderr by its stream, -t: its time first. */
static int print_entry(const struct nd_log_entry *e, void *arg)
{
	bool timestamps = *(bool *)arg;
	int fd = e->stream == 2 ? STDERR_FILENO : STDOUT_FILENO;

	if (timestamps && (nd_write_all(fd, e->time, strlen(e->time)) < 0 || nd_write_all(fd, " ", 1) < 0))
		return -EPIPE;
	return nd_write_all(fd, e->msg, e->msg_len) < 0 ? -EPIPE : 0;
}

/* --since: unix seconds (with a fraction), RFC 3339, or a duration back from now (10s, 5m, 2h). */
static int parse_since(const char *v, int64_t *ret)
{
	char *end;
	double d = strtod(v, &end);

	if (end != v && !*end && d >= 0) {
		*ret = (int64_t)(d * 1e9);
		return 0;
	}
	if (end != v && d >= 0 && (!strcmp(end, "s") || !strcmp(end, "m") || !strcmp(end, "h"))) {
		double mult = *end == 's' ? 1 : *end == 'm' ? 60 : 3600;

		*ret = (int64_t)time(NULL) * 1000000000LL - (int64_t)(d * mult * 1e9);
		return 0;
	}
	return nd_log_parse_time(v, ret);
}

int nd_cmd_logs(int argc, char **argv)
{
	static const struct option lo[] = { { "follow", no_argument, NULL, 'f' },
					    { "timestamps", no_argument, NULL, 't' },
					    { "tail", required_argument, NULL, 'n' },
					    { "since", required_argument, NULL, 's' },
					    { "help", no_argument, NULL, 'h' },
					    { 0 } };
	_cleanup_err_ struct nd_err *err = NULL;
	struct nd_log_read o = { .tail = -1, .emit = print_entry };
	bool timestamps = false;
	char *end;
	int ch;

	optind = 1;
	while ((ch = getopt_long(argc, argv, "+ftn:h", lo, NULL)) != -1) {
		switch (ch) {
		case 'f': o.follow = true; break;
		case 't': timestamps = true; break;
		case 'n':
			o.tail = strtol(optarg, &end, 10);
			if (!strcmp(optarg, "all"))
				o.tail = -1;
			else if (!*optarg || *end || o.tail < 0)
				return usage_err("logs", "--tail takes a number of lines or 'all'");
			break;
		case 's':
			if (parse_since(optarg, &o.since_ns) < 0)
				return usage_err("logs", "--since takes unix seconds, an RFC 3339 time or a duration (10m)");
			break;
		case 'h':
			printf("Usage: netd logs [-f] [--tail N] [-t] [--since T] ID|NAME\n"
			       "  the container's output (json-file log): stdout entries to stdout, stderr to stderr\n");
			return ND_EXIT_OK;
		default: return usage_err("logs", "unknown option");
		}
	}
	if (optind + 1 != argc)
		return usage_err("logs", "give one container");
	o.arg = &timestamps;
	fflush(stdout);
	if (nd_run_logs(nd_state_dir(), argv[optind], &o, &err) < 0 && err->errnum != EPIPE)
		return fail("logs", err);
	return ND_EXIT_OK;
}

int nd_cmd_exec(int argc, char **argv)
{
	static const struct option lo[] = { { "env", required_argument, NULL, 'e' },
					    { "workdir", required_argument, NULL, 'w' },
					    { "user", required_argument, NULL, 'u' },
					    { "help", no_argument, NULL, 'h' },
					    { "tty", no_argument, NULL, 't' },
					    { "interactive", no_argument, NULL, 'i' },
					    { 0 } };
	_cleanup_(nd_strv_clear) struct nd_strv env = { 0 };
	_cleanup_err_ struct nd_err *err = NULL;
	struct nd_exec_spec x = { 0 };
	const char *ref;
	int ch, code = 0;

	optind = 1;
	while ((ch = getopt_long(argc, argv, "+e:w:u:hit", lo, NULL)) != -1) {
		switch (ch) {
		case 'e':
			if (nd_strv_push(&env, optarg) < 0)
				return fail("exec", NULL);
			break;
		case 'w': x.cwd = optarg; break;
		case 'u': x.user = optarg; break;
		case 't': x.tty = true; break;
		case 'i': x.interactive = true; break;
		case 'h': printf("Usage: netd exec [-i] [-t] [-e K=V] [-w DIR] [-u USER] ID|NAME [--] CMD [ARGS...]\n"); return ND_EXIT_OK;
		default: return usage_err("exec", "unknown option");
		}
	}
	if (optind + 1 >= argc)
		return usage_err("exec", "give a container and a command");
	ref = argv[optind++];
	if (!strcmp(argv[optind], "--") && ++optind >= argc)
		return usage_err("exec", "no command given");
	x.argv = argv + optind;
	x.env = env.v;
	if (nd_run_exec(nd_state_dir(), ref, &x, &code, &err) < 0)
		return fail("exec", err);
	return code;
}

static bool is_dir(const char *path)
{
	struct stat sb;

	return stat(path, &sb) == 0 && S_ISDIR(sb.st_mode);
}

int nd_cmd_commit(int argc, char **argv)
{
	_cleanup_err_ struct nd_err *err = NULL;
	char diff_id[ND_DIGEST_LEN + 1];

	if (argc == 2 && is_help(argv[1])) {
		printf("Usage: netd commit ID|NAME REPO[:TAG]\n"
		       "  a new image of the store: the container's image plus its writable layer; prints its ID.\n"
		       "       netd commit ID|NAME DIR  (DIR a path: starts with / or ., or an existing directory)\n"
		       "  save the container's writable layer as DIR/layer.tar (OCI whiteouts); prints its diff_id.\n"
		       "  Stack it on later with netd run --layer DIR/layer.tar.\n");
		return ND_EXIT_OK;
	}
	if (argc != 3 || argv[1][0] == '-')
		return usage_err("commit", "give a container and a directory");
	if (!nd_run_images)
		return exec_oci(argc, argv);
	if (nd_run_commit_image && argv[2][0] != '/' && argv[2][0] != '.' && !is_dir(argv[2]))
		return nd_run_commit_image(argv[1], argv[2]);
	if (nd_run_commit(nd_state_dir(), argv[1], nd_run_images, argv[2], diff_id, &err) < 0)
		return fail("commit", err);
	printf("%s\n", diff_id);
	return ND_EXIT_OK;
}

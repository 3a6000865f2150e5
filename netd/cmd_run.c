/*
 * netd run|ps|stop|rm|logs|exec|commit: the bundled runtime's commands. `netd run` is the
 * container's monitor (never the daemon): it clones the container, attaches its network,
 * waits for it and releases everything when it ends. With -d a forked monitor does the
 * same in the background and the command returns once the container runs.
 */
#include "cmd_run.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "base/cleanup.h"
#include "base/fault.h"
#include "base/proc.h"
#include "base/state.h"
#include "base/strv.h"
#include "cli.h"
#include "kernel/netnsname.h"
#include "networks/network.h" /* ND_ERR_BUSY */
#include "runtime/netsetup.h"
#include "runtime/container.h"
#include "runtime/ctrstate.h"
#include "runtime/oci.h"
#include "runtime/overlay.h"

#define EXIT_SETUP 125 /* Docker's: the runtime failed, the command never ran */
#define DEFAULT_PATH "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
#define MAX_LIST 256


static const char *state_dir(void)
{
	return nd_state_dir();
}

static const char *cg_parent(const char *opt)
{
	const char *e = getenv("NETD_CGROUP_PARENT");

	return opt ? opt : e && *e ? e : "netd";
}

static int fail(const char *what, struct nd_err *e, int code)
{
	fprintf(stderr, "netd %s: %s\n", what, e && e->msg ? e->msg : "failed");
	return code;
}

static int usage_err(const char *what, const char *msg)
{
	fprintf(stderr, "netd %s: %s (see netd %s --help)\n", what, msg, what);
	return ND_EXIT_USAGE;
}

/* ---- netd run ---- */

struct run_opts {
	const char *name, *hostname, *net, *ip, *rootfs, *image, *cwd, *user, *cgroup_parent;
	const char *memory, *cpus, *pids;
	const char *seccomp; /* NULL: the default profile; "unconfined" */
	const char *layers[MAX_LIST];
	size_t n_layers;
	const char *envs[MAX_LIST];
	size_t n_envs;
	bool userns, detach, rm;
	char **args;
	size_t n_args;
};

static void run_usage(FILE *f)
{
	fprintf(f,
		"Usage: netd run [OPTIONS] (--rootfs DIR | --image OCI_DIR[:TAG]) [--] [CMD [ARGS...]]\n\n"
		"  --name NAME          a name usable wherever an ID is\n"
		"  --hostname H         the container's hostname (default: its short ID)\n"
		"  --net MODE           bridge (default), host, none, container:ID, or a network name\n"
		"  --ip IP              the address to request on the network\n"
		"  -m, --memory SIZE    memory limit (64m, 1g)\n"
		"  --cpus N             CPU quota (0.5, 2)\n"
		"  --pids-limit N       at most N tasks\n"
		"  --userns             root inside is uid %d outside\n"
		"  -e, --env K=V        environment (repeatable)\n"
		"  -w, --workdir DIR    working directory\n"
		"  -u, --user U[:G]     user (name or number)\n"
		"  --layer TAR          a layer tar (from netd commit) on top of the rootfs or image\n"
		"  --cgroup-parent P    cgroup parent (default netd, or $NETD_CGROUP_PARENT)\n"
		"  --security-opt OPT   seccomp=unconfined (no seccomp filter); no-new-privileges (always on)\n"
		"  -d, --detach         run in the background, print the ID\n"
		"  --rm                 remove the container when it exits\n",
		ND_USERNS_BASE);
}

/*
 * Docker's --security-opt forms (KEY=VALUE, or the older KEY:VALUE): seccomp=unconfined,
 * and no-new-privileges, which is always on here. A profile file is not taken (yet).
 */
static int security_opt(const char *v, struct run_opts *o)
{
	static const char *const nnp[] = { "no-new-privileges", "no-new-privileges=true", "no-new-privileges:true" };

	if (!strcmp(v, "seccomp=unconfined") || !strcmp(v, "seccomp:unconfined")) {
		o->seccomp = "unconfined";
		return 0;
	}
	for (size_t i = 0; i < ND_ARRAY_SIZE(nnp); i++)
		if (!strcmp(v, nnp[i]))
			return 0;
	fprintf(stderr, "netd run: --security-opt '%s' is not supported (supported: seccomp=unconfined, "
			"no-new-privileges; no_new_privs is always set, seccomp profile files are not read yet)\n", v);
	return -1;
}

static int parse_run(int argc, char **argv, struct run_opts *o)
{
	enum { O_NAME = 256, O_HOST, O_NET, O_IP, O_CPUS, O_PIDS, O_USERNS, O_RM, O_ROOTFS, O_IMAGE, O_LAYER, O_CGP,
	       O_STATE, O_SECOPT };
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
		{ "security-opt", required_argument, NULL, O_SECOPT }, { 0 },
	};
	int ch;

	optind = 1;
	while ((ch = getopt_long(argc, argv, "+m:e:w:u:dh", lo, NULL)) != -1) {
		switch (ch) {
		case O_NAME: o->name = optarg; break;
		case O_HOST: o->hostname = optarg; break;
		case O_NET: o->net = optarg; break;
		case O_IP: o->ip = optarg; break;
		case 'm': o->memory = optarg; break;
		case O_CPUS: o->cpus = optarg; break;
		case O_PIDS: o->pids = optarg; break;
		case O_USERNS: o->userns = true; break;
		case 'e':
			if (o->n_envs == MAX_LIST)
				return usage_err("run", "too many -e");
			o->envs[o->n_envs++] = optarg;
			break;
		case 'w': o->cwd = optarg; break;
		case 'u': o->user = optarg; break;
		case 'd': o->detach = true; break;
		case O_RM: o->rm = true; break;
		case O_ROOTFS: o->rootfs = optarg; break;
		case O_IMAGE: o->image = optarg; break;
		case O_LAYER:
			if (o->n_layers == MAX_LIST)
				return usage_err("run", "too many --layer");
			o->layers[o->n_layers++] = optarg;
			break;
		case O_CGP: o->cgroup_parent = optarg; break;
		case O_STATE: setenv("NETD_STATE_DIR", optarg, 1); break;
		case O_SECOPT:
			if (security_opt(optarg, o) < 0)
				return ND_EXIT_USAGE;
			break;
		case 'h': run_usage(stdout); return -1;
		default: run_usage(stderr); return ND_EXIT_USAGE;
		}
	}
	if (!o->rootfs == !o->image)
		return usage_err("run", "give exactly one of --rootfs and --image");
	o->args = argv + optind;
	o->n_args = (size_t)(argc - optind);
	if (o->rootfs && o->n_args == 0)
		return usage_err("run", "no command given");
	if (o->ip && o->net && (!strcmp(o->net, "host") || !strcmp(o->net, "none") || !strncmp(o->net, "container:", 10)))
		return usage_err("run", "--ip needs a network (bridge or a named one)");
	return 0;
}

/* Fill the record from the options: layers, command, environment. No side effect but the layer store. */
static int build_ctr(const struct run_opts *o, const char *state, struct nd_ctr *c, struct nd_err **err)
{
	struct nd_oci_image img = { 0 }; /* stays empty without ND_WITH_OCI */
	struct nd_strv lower = { 0 }, env = { 0 };
	_cleanup_free_ char *store = NULL;
	char **argv = NULL;
	char buf[PATH_MAX];
	int r = 0;

	if (asprintf(&store, "%s/layers", state) < 0)
		return nd_err_set(err, ND_ERR_INTERNAL, ENOMEM, "out of memory");
	if ((r = nd_state_mkdirs(state, 0700, err)) < 0)
		return r;
	/* Layers are collected bottom first, then reversed: overlay wants the top first. */
	if (o->rootfs) {
		struct stat st;

		if (!realpath(o->rootfs, buf) || stat(buf, &st) < 0 || !S_ISDIR(st.st_mode))
			return nd_err_set(err, ND_CNI_INVALID_CONFIG, errno ? errno : ENOTDIR, "--rootfs '%s': %s", o->rootfs,
					  strerror(errno ? errno : ENOTDIR));
		if (nd_strv_push(&lower, buf) < 0)
			goto oom;
		c->rootfs = strdup(buf);
		if (!(argv = calloc(o->n_args + 1, sizeof(char *))))
			goto oom;
		for (size_t i = 0; i < o->n_args; i++)
			if (!(argv[i] = strdup(o->args[i])))
				goto oom;
	} else {
#ifdef ND_WITH_OCI
		_cleanup_free_ char *dir = NULL, *tag = NULL;
		struct stat st;

		/* A directory whose name has a ':' is a directory, not DIR:TAG. */
		if (stat(o->image, &st) == 0 && S_ISDIR(st.st_mode)) {
			dir = strdup(o->image);
		} else if ((r = nd_oci_split_ref(o->image, &dir, &tag, err)) < 0) {
			goto out;
		}
		if (!dir || !realpath(dir, buf)) {
			r = nd_err_set(err, ND_CNI_INVALID_CONFIG, errno ? errno : ENOMEM, "--image '%s': %s", o->image,
				       strerror(errno ? errno : ENOMEM));
			goto out;
		}
		if ((r = nd_oci_load(buf, tag, &img, err)) < 0)
			goto out;
		for (size_t i = 0; i < img.n_layers; i++) {
			_cleanup_free_ char *ldir = NULL;
			_cleanup_free_ char *blob = NULL;

			if (asprintf(&blob, "%s/blobs/sha256/%s", buf, img.layer_digests[i] + 7) < 0)
				goto oom;
			if ((r = nd_layer_ensure(store, blob, img.layer_digests[i], img.diff_ids[i], &ldir, err)) < 0)
				goto out;
			if (nd_strv_push(&lower, ldir) < 0)
				goto oom;
		}
		if (img.n_layers == 0) {
			r = nd_err_set(err, ND_CNI_INVALID_CONFIG, EINVAL, "image '%s' has no layers", o->image);
			goto out;
		}
		if ((r = nd_oci_argv(&img, o->args, o->n_args, &argv, err)) < 0)
			goto out;
		c->image = strdup(o->image);
		for (char **e = img.env; e && *e; e++)
			if (nd_env_set(&env, *e) < 0)
				goto oom;
#else
		r = nd_err_set(err, ND_ERR_INTERNAL, ENOTSUP, "images are handled by netd-oci");
		goto out;
#endif
	}
#ifdef ND_WITH_OCI
	for (size_t i = 0; i < o->n_layers; i++) {
		_cleanup_free_ char *ldir = NULL;
		char diff_id[ND_DIGEST_LEN + 1];

		if ((r = nd_sha256_file(o->layers[i], diff_id, err)) < 0 ||
		    (r = nd_layer_ensure(store, o->layers[i], NULL, diff_id, &ldir, err)) < 0) {
			nd_err_wrap(err, "--layer '%s'", o->layers[i]);
			goto out;
		}
		if (nd_strv_push(&lower, ldir) < 0)
			goto oom;
	}
#endif
	c->lower = calloc(lower.n + 1, sizeof(char *));
	if (!c->lower)
		goto oom;
	for (size_t i = 0; i < lower.n; i++)
		c->lower[i] = lower.v[lower.n - 1 - i];
	free(TAKE_PTR(lower.v));
	lower.n = 0;
	c->argv = TAKE_PTR(argv);

	if (!nd_env_has(&env, "PATH") && nd_env_set(&env, DEFAULT_PATH) < 0)
		goto oom;
	snprintf(buf, sizeof(buf), "HOSTNAME=%s", c->hostname);
	if (nd_env_set(&env, buf) < 0)
		goto oom;
	for (size_t i = 0; i < o->n_envs; i++) {
		if (!strchr(o->envs[i], '=') || o->envs[i][0] == '=') {
			r = nd_err_set(err, ND_CNI_INVALID_CONFIG, EINVAL, "-e '%s': expected K=V", o->envs[i]);
			goto out;
		}
		if (nd_env_set(&env, o->envs[i]) < 0)
			goto oom;
	}
	if (!nd_env_has(&env, "HOME") && nd_env_set(&env, "HOME=/root") < 0)
		goto oom;
	c->env = TAKE_PTR(env.v);
	env.n = 0;
	c->cwd = strdup(o->cwd ? o->cwd : img.workdir ? img.workdir : "/");
	c->user = o->user ? strdup(o->user) : img.user ? strdup(img.user) : NULL;
	if (c->cwd[0] != '/') {
		r = nd_err_set(err, ND_CNI_INVALID_CONFIG, EINVAL, "working directory '%s' is not absolute", c->cwd);
		goto out;
	}
	goto out;
oom:
	r = nd_err_set(err, ND_ERR_INTERNAL, ENOMEM, "out of memory");
out:
	if (argv)
		for (char **p = argv; *p; p++)
			free(*p);
	free(argv);
	nd_strv_clear(&lower);
	nd_strv_clear(&env);
#ifdef ND_WITH_OCI
	nd_oci_image_clear(&img);
#endif
	return r;
}

static int limits_of(const struct run_opts *o, struct nd_cg_limits *l, struct nd_err **err)
{
	int r;

	if (o->memory && (r = nd_cg_parse_size(o->memory, &l->memory, err)) < 0)
		return nd_err_wrap(err, "--memory");
	if (o->cpus && (r = nd_cg_parse_cpus(o->cpus, &l->cpu_quota, err)) < 0)
		return nd_err_wrap(err, "--cpus");
	if (o->pids) {
		char *end;
		long long v = strtoll(o->pids, &end, 10);

		if (*end || v < 1 || v > (1LL << 30))
			return nd_err_set(err, ND_CNI_INVALID_CONFIG, EINVAL, "--pids-limit '%s' is invalid", o->pids);
		l->pids = v;
	}
	return 0;
}

/* NETD_RUN_TIMING=1: where a start's time goes, on stderr (for the benchmark's author). */
static void phase(const char *what)
{
	static int on = -1;
	static struct timespec t0;
	struct timespec t;

	if (on < 0) {
		on = getenv("NETD_RUN_TIMING") != NULL;
		clock_gettime(CLOCK_MONOTONIC, &t0);
	}
	if (!on)
		return;
	clock_gettime(CLOCK_MONOTONIC, &t);
	fprintf(stderr, "netd run: %7.3f ms %s\n", (double)(t.tv_sec - t0.tv_sec) * 1e3 + (double)(t.tv_nsec - t0.tv_nsec) / 1e6,
		what);
}

static volatile pid_t fwd_pid;

static void forward(int sig)
{
	if (fwd_pid > 0)
		(void)kill(fwd_pid, sig);
}

/* Everything the container had outside its own processes; idempotent, for the monitor and rm. */
static int release(const struct nd_ctr *c, struct nd_err **err)
{
	struct nd_cgroup cg = { 0 };
	int r = nd_ctr_net_release(c, err), r2;

	r2 = nd_cg_open(c->cg_parent ? c->cg_parent : "netd", c->id, &cg, r < 0 ? NULL : err);
	if (r2 >= 0)
		r2 = nd_cg_destroy(&cg, r < 0 ? NULL : err);
	nd_cg_free(&cg);
	return r < 0 ? r : r2;
}

/* <state>/containers/.<id>.removing: a record taken away, its files still being removed. */
static char *removing_dir(const char *state, const char *id)
{
	char *p = NULL;

	return asprintf(&p, "%s/containers/.%s.removing", state, id) < 0 ? NULL : p;
}

/*
 * The name first (no name outlives its record), then one rename takes the record away
 * whole; a kill while the files go leaves a hidden directory, which netd gc removes.
 */
static void remove_ctr(const char *state, const struct nd_ctr *c)
{
	_cleanup_free_ char *dir = nd_ctr_dir(state, c->id), *gone = removing_dir(state, c->id);

	nd_ctr_name_drop(state, c->name, c->id);
	if (dir && gone && rename(dir, gone) == 0) {
		(void)nd_fault("run-remove", NULL);
		(void)nd_rmtree(gone, NULL);
	} else if (dir) {
		(void)nd_rmtree(dir, NULL);
	}
}

/* Join a path below the container dir. */
static char *sub(const char *dir, const char *name)
{
	char *p = NULL;

	return asprintf(&p, "%s/%s", dir, name) < 0 ? NULL : p;
}

/*
 * A fresh ID whose short form names nothing yet (no container of that prefix, no netns
 * "netd-<short>"): the record can name its netns before it exists, and nothing of another
 * container is ever released as this one's.
 */
static int new_id(const char *state, char ret[ND_CTR_ID_LEN + 1], struct nd_err **err)
{
	for (int tries = 0; tries < 16; tries++) {
		char ns[PATH_MAX], short_id[ND_CTR_SHORT + 1], other[ND_CTR_ID_LEN + 1];
		int r = nd_ctr_new_id(ret, err);

		if (r < 0)
			return r;
		snprintf(short_id, sizeof(short_id), "%.*s", ND_CTR_SHORT, ret);
		snprintf(ns, sizeof(ns), "%s/netd-%s", ND_NETNS_RUN_DIR, short_id);
		if (access(ns, F_OK) < 0 && errno == ENOENT && nd_ctr_resolve(state, short_id, other, NULL) == -ENOENT)
			return 0;
	}
	return nd_err_set(err, ND_ERR_INTERNAL, EEXIST, "no free container ID");
}

/*
 * The monitor's whole job. notify >= 0 (detached): "OK\n" or the error goes there once
 * the container runs or has failed. Returns the exit status for `netd run`.
 */
static int monitor(const struct run_opts *o, int notify)
{
	_cleanup_(nd_err_freep) struct nd_err *err = NULL;
	_cleanup_free_ char *cdir = NULL, *upper = NULL, *work = NULL, *merged = NULL, *log = NULL;
	_cleanup_close_ int lock = -1, netns_fd = -1, logfd = -1;
	const char *state = state_dir();
	struct nd_ctr c = { 0 };
	struct nd_ctr_spec spec = { .netns_fd = -1, .stdio = { -1, -1, -1 } };
	struct nd_ctr_proc proc = { .pidfd = -1, .sync = -1 };
	struct nd_cgroup cg = { 0 };
	bool have_record = false, started = false;
	int r, code = EXIT_SETUP;

	phase("monitor");
	if ((r = new_id(state, c.id, &err)) < 0)
		goto fail;
	c.hostname = o->hostname ? strdup(o->hostname) : strndup(c.id, ND_CTR_SHORT);
	c.net = strdup(o->net ? o->net : "bridge");
	c.ip = o->ip ? strdup(o->ip) : NULL;
	c.name = o->name ? strdup(o->name) : NULL;
	c.cg_parent = strdup(cg_parent(o->cgroup_parent));
	c.userns = o->userns;
	c.auto_rm = o->rm;
	c.seccomp = strdup(o->seccomp ? o->seccomp : "default");
	c.detach = o->detach;
	c.created = (long long)time(NULL);
	c.status = strdup("created");
	if ((r = limits_of(o, &c.limits, &err)) < 0 || (r = build_ctr(o, state, &c, &err)) < 0 ||
	    (r = nd_ctr_net_plan(state, &c, &netns_fd, &err)) < 0)
		goto fail;
	phase("options and layers");
	cdir = nd_ctr_dir(state, c.id);
	if (!cdir || !(upper = sub(cdir, "upper")) || !(work = sub(cdir, "work")) || !(merged = sub(cdir, "merged")) ||
	    !(log = sub(cdir, "log"))) {
		r = nd_err_set(&err, ND_ERR_INTERNAL, ENOMEM, "out of memory");
		goto fail;
	}
	/*
	 * The record, locked, before anything the container owns exists, and naming all of it
	 * (netns, network, cgroup, name): whenever the monitor dies, rm and gc find every piece.
	 */
	if ((r = nd_state_mkdirs(cdir, 0700, &err)) < 0 || (r = nd_ctr_lock(state, c.id, false, &lock, &err)) < 0 ||
	    (r = nd_ctr_save(state, &c, &err)) < 0)
		goto fail;
	have_record = true;
	if ((r = nd_fault("run-record", &err)) < 0 ||
	    (c.name && ((r = nd_ctr_name_take(state, c.name, c.id, &err)) < 0 || (r = nd_fault("run-name", &err)) < 0)))
		goto fail;
	if (mkdir(upper, 0755) < 0 || mkdir(work, 0700) < 0 || mkdir(merged, 0755) < 0 ||
	    (c.userns && chown(upper, ND_USERNS_BASE, ND_USERNS_BASE) < 0)) {
		r = nd_err_set(&err, ND_ERR_INTERNAL, errno, "'%s': %s", cdir, strerror(errno));
		goto fail;
	}
	if (o->detach) {
		logfd = open(log, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
		if (logfd < 0) {
			r = nd_err_set(&err, ND_ERR_INTERNAL, errno, "'%s': %s", log, strerror(errno));
			goto fail;
		}
		spec.stdio[1] = spec.stdio[2] = logfd;
		spec.new_session = true;
	}
	if ((r = nd_fault("run-dirs", &err)) < 0)
		goto fail;
	phase("dirs, lock, record");
	if ((r = nd_ctr_net_create(&c, &netns_fd, &err)) < 0 || (r = nd_fault("run-netns", &err)) < 0)
		goto fail;
	phase("netns");
	if ((r = nd_cg_create(c.cg_parent, c.id, &c.limits, &cg, &err)) < 0 || (r = nd_fault("run-cgroup", &err)) < 0)
		goto fail;
	phase("cgroup");

	spec.hostname = c.hostname;
	spec.lower = (const char *const *)c.lower;
	for (char **p = c.lower; *p; p++)
		spec.n_lower++;
	spec.upper = upper;
	spec.work = work;
	spec.merged = merged;
	spec.argv = c.argv;
	spec.env = c.env;
	spec.cwd = c.cwd;
	spec.user = c.user;
	spec.netns_fd = netns_fd;
	spec.cg = &cg;
	spec.userns = c.userns;
	spec.seccomp_unconfined = c.seccomp && !strcmp(c.seccomp, "unconfined");
	if ((r = nd_ctr_spawn(&spec, &proc, &err)) < 0 || (r = nd_fault("run-spawn", &err)) < 0)
		goto fail;
	phase("clone");
	/* The container prepares its root meanwhile: the two cores work in parallel. */
	if ((r = nd_ctr_net_attach(&c, netns_fd, &err)) < 0 || (r = nd_fault("run-attach", &err)) < 0)
		goto fail;
	phase("network attached");
	nd_closep(&netns_fd);
	fwd_pid = proc.pid;
	if (!o->detach) {
		static const int sigs[] = { SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2, SIGWINCH };
		struct sigaction sa = { .sa_handler = forward, .sa_flags = SA_RESTART };

		for (size_t i = 0; i < ND_ARRAY_SIZE(sigs); i++)
			sigaction(sigs[i], &sa, NULL);
	}
	if ((r = nd_ctr_start(&proc, &spec, &err)) < 0) {
		fwd_pid = 0;
		if (err && err->code == ND_CNI_INVALID_CONFIG)
			code = err->errnum == ENOENT ? 127 : 126;
		goto fail;
	}
	started = true;
	if ((r = nd_fault("run-start", &err)) < 0)
		goto fail;
	phase("command started");
	nd_closep(&logfd);
	c.pid = proc.pid;
	c.pid_start = nd_proc_start_time(proc.pid);
	free(c.status);
	c.status = strdup("running");
	if ((r = nd_ctr_save(state, &c, &err)) < 0 || (r = nd_fault("run-running", &err)) < 0)
		goto fail;
	if (notify >= 0) {
		dprintf(notify, "OK %s\n", c.id);
		nd_closep(&notify);
	}
	r = nd_ctr_wait(&proc, &code, &err);
	phase("container exited");
	fwd_pid = 0;
	if (r < 0)
		goto fail;
	c.oom = nd_cg_oom_killed(&cg);
	r = release(&c, c.detach ? NULL : &err);
	(void)nd_fault("run-release", NULL);
	phase("released");
	if (err && !c.detach) {
		fprintf(stderr, "netd run: releasing container %.12s: %s\n", c.id, err->msg);
		nd_err_freep(&err);
	}
	if (c.oom && !c.detach)
		fprintf(stderr, "netd run: container %.12s was killed by the OOM killer (memory limit %s)\n", c.id,
			o->memory ? o->memory : "");
	/* After a failed release the record stays "running" without a monitor: rm and gc retry it. */
	if (r >= 0 && c.auto_rm) {
		remove_ctr(state, &c);
	} else if (r >= 0) {
		free(c.status);
		c.status = strdup("exited");
		c.exit_code = code;
		c.finished = (long long)time(NULL);
		(void)nd_ctr_save(state, &c, NULL);
	}
	nd_ctr_proc_close(&proc);
	nd_cg_free(&cg);
	nd_ctr_clear(&c);
	phase("done");
	return code;

fail:
	/* The container goes first; then all the record names, each release idempotent; then the record. */
	nd_ctr_proc_close(&proc);
	if (have_record)
		(void)release(&c, NULL);
	if (started && !c.auto_rm) {
		free(c.status);
		c.status = strdup("exited");
		(void)nd_ctr_save(state, &c, NULL);
	} else if (have_record) {
		remove_ctr(state, &c);
	} else if (cdir) {
		(void)nd_rmtree(cdir, NULL);
	}
	if (notify >= 0) {
		dprintf(notify, "ERR %d %s\n", code, err && err->msg ? err->msg : "failed");
		close(notify);
	} else {
		fail("run", err, code);
	}
	nd_cg_free(&cg);
	nd_ctr_clear(&c);
	return code;
}

/* -d: a monitor in its own session; we return once it says the container runs. */
static int run_detached(const struct run_opts *o)
{
	int p[2], st;
	char buf[1024] = "";
	ssize_t n;
	size_t len = 0;
	pid_t pid;

	if (pipe2(p, O_CLOEXEC) < 0) {
		fprintf(stderr, "netd run: pipe: %s\n", strerror(errno));
		return EXIT_SETUP;
	}
	fflush(NULL);
	pid = fork();
	if (pid < 0) {
		fprintf(stderr, "netd run: fork: %s\n", strerror(errno));
		return EXIT_SETUP;
	}
	if (pid == 0) {
		int null = open("/dev/null", O_RDWR | O_CLOEXEC);

		close(p[0]);
		(void)setsid();
		/* The monitor outlives us: it must not hold our caller's terminal or pipes. */
		if (null >= 0) {
			dup2(null, 0);
			dup2(null, 1);
			dup2(null, 2);
			close(null);
		}
		/* A second fork: the monitor is not our child, so nobody has to reap it. */
		pid = fork();
		if (pid != 0)
			_exit(pid < 0 ? 1 : 0);
		_exit(monitor(o, p[1]) & 0xff);
	}
	close(p[1]);
	while (len < sizeof(buf) - 1 && (n = read(p[0], buf + len, sizeof(buf) - 1 - len)) != 0) {
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			break;
		len += (size_t)n;
	}
	close(p[0]);
	buf[len] = 0;
	while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
		;
	if (!strncmp(buf, "OK ", 3)) {
		printf("%s", buf + 3);
		return ND_EXIT_OK;
	}
	if (!strncmp(buf, "ERR ", 4)) {
		char *msg = strchr(buf + 4, ' ');
		int code = atoi(buf + 4);

		fprintf(stderr, "netd run: %s", msg ? msg + 1 : "failed\n");
		return code ? code : EXIT_SETUP;
	}
	fprintf(stderr, "netd run: the monitor exited before the container started\n");
	return EXIT_SETUP;
}

int nd_cmd_run(int argc, char **argv)
{
	struct run_opts o = { 0 };
	int r = parse_run(argc, argv, &o);

	if (r != 0)
		return r < 0 ? ND_EXIT_OK : r;
#ifndef ND_WITH_OCI
	/*
	 * Image layers need libarchive and libcrypto, whose loading costs every start of the
	 * process about 1.5 ms: only bin/netd-oci (these same commands, built with them) links
	 * them, and a run from --rootfs alone never loads them.
	 */
	if (o.image || o.n_layers) {
		optind = 0;
		return nd_exec_sibling("netd-oci", argc, argv);
	}
#endif
	if (o.detach) {
		/* The ID is printed by us, so the monitor can report it before setup ends. */
		return run_detached(&o);
	}
	return monitor(&o, -1);
}

/* ---- ps ---- */

static const char *status_of(const char *state, const struct nd_ctr *c, char *buf, size_t size)
{
	if (nd_ctr_monitored(state, c->id))
		return !strcmp(c->status, "running") ? "running" : "created";
	if (!strcmp(c->status, "exited")) {
		snprintf(buf, size, "exited (%d)%s", c->exit_code, c->oom ? " oom" : "");
		return buf;
	}
	return "dead";
}

static json_t *ctr_json(const char *state, const struct nd_ctr *c)
{
	char st[64];
	json_t *ips = json_array(), *argv = json_array();

	for (char **p = c->ips; p && *p; p++)
		json_array_append_new(ips, json_string(*p));
	for (char **p = c->argv; p && *p; p++)
		json_array_append_new(argv, json_string(*p));
	return json_pack("{s:s, s:s?, s:s, s:i, s:s?, s:s?, s:s?, s:o, s:o, s:s?, s:s?, s:I, s:b}", "id", c->id, "name",
			 c->name, "status", status_of(state, c, st, sizeof(st)), "pid",
			 nd_ctr_monitored(state, c->id) ? (int)c->pid : 0, "net", c->net, "network", c->network, "netns",
			 c->netns, "ips", ips, "command", argv, "image", c->image, "rootfs", c->rootfs, "created",
			 (json_int_t)c->created, "oom", c->oom);
}

int nd_cmd_ps(int argc, char **argv)
{
	_cleanup_(nd_err_freep) struct nd_err *err = NULL;
	const char *state = state_dir();
	bool json = nd_cli.json, all = false;
	char **ids = NULL;
	json_t *arr = json_array();

	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--json"))
			json = true;
		else if (!strcmp(argv[i], "-a") || !strcmp(argv[i], "--all"))
			all = true;
		else if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help")) {
			printf("Usage: netd ps [-a] [--json]\n  running containers; -a: every container\n");
			json_decref(arr);
			return ND_EXIT_OK;
		} else {
			json_decref(arr);
			return usage_err("ps", "unknown option");
		}
	}
	if (nd_ctr_list(state, &ids, &err) < 0) {
		json_decref(arr);
		return fail("ps", err, ND_EXIT_FAIL);
	}
	if (!json)
		printf("%-12s  %-16s  %-12s  %-7s  %-12s  %-18s  %s\n", "CONTAINER ID", "NAME", "STATUS", "PID",
		       "NET", "IP", "COMMAND");
	for (char **id = ids; *id; id++) {
		struct nd_ctr c = { 0 };
		char st[64], cmd[64] = "";
		const char *s;

		if (nd_ctr_load(state, *id, &c, NULL) < 0)
			continue;
		s = status_of(state, &c, st, sizeof(st));
		if (!all && strcmp(s, "running")) {
			nd_ctr_clear(&c);
			continue;
		}
		if (json) {
			json_array_append_new(arr, ctr_json(state, &c));
		} else {
			for (char **p = c.argv; p && *p; p++) {
				size_t l = strlen(cmd);

				snprintf(cmd + l, sizeof(cmd) - l, "%s%s", l ? " " : "", *p);
			}
			printf("%-12.12s  %-16s  %-12s  %-7d  %-12s  %-18s  %s\n", c.id, c.name ? c.name : "-", s,
			       strcmp(s, "running") ? 0 : (int)c.pid, c.net ? c.net : "-",
			       c.ips && c.ips[0] ? c.ips[0] : "-", cmd);
		}
		nd_ctr_clear(&c);
	}
	if (json)
		nd_cli_print_json(arr);
	json_decref(arr);
	for (char **id = ids; *id; id++)
		free(*id);
	free(ids);
	return ND_EXIT_OK;
}

/* ---- stop, rm ---- */

/* Wait until the container's monitor has finished (its lock is free or gone). */
static void wait_monitor(const char *state, const char *id)
{
	_cleanup_free_ char *dir = nd_ctr_dir(state, id), *path = dir ? sub(dir, "lock") : NULL;
	_cleanup_close_ int fd = path ? open(path, O_RDONLY | O_CLOEXEC) : -1;

	if (fd >= 0)
		while (flock(fd, LOCK_SH) < 0 && errno == EINTR)
			;
}

static int stop_one(const char *state, const char *ref, int timeout_s, struct nd_err **err)
{
	char id[ND_CTR_ID_LEN + 1];
	struct nd_ctr c = { 0 };
	_cleanup_close_ int pidfd = -1;
	struct pollfd pfd;
	int r;

	if ((r = nd_ctr_resolve(state, ref, id, err)) < 0 || (r = nd_ctr_load(state, id, &c, err)) < 0)
		return r;
	if (nd_ctr_monitored(state, id) && c.pid > 0) {
		/* Never signal a reused pid. */
		if (nd_proc_pidfd(c.pid, c.pid_start, &pidfd) == 0) {
			(void)syscall(SYS_pidfd_send_signal, pidfd, SIGTERM, NULL, 0);
			pfd = (struct pollfd){ .fd = pidfd, .events = POLLIN };
			while ((r = poll(&pfd, 1, timeout_s * 1000)) < 0 && errno == EINTR)
				;
			if (r == 0)
				(void)syscall(SYS_pidfd_send_signal, pidfd, SIGKILL, NULL, 0);
		}
		wait_monitor(state, id);
	}
	nd_ctr_clear(&c);
	return 0;
}

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

int nd_cmd_stop(int argc, char **argv)
{
	const char *state = state_dir();
	int timeout = 10, rc = ND_EXIT_OK;

	if (parse_timeout(&argc, &argv, &timeout) < 0)
		return usage_err("stop", "-t takes seconds");
	if (argc < 2 || !strcmp(argv[1], "-h") || !strcmp(argv[1], "--help")) {
		printf("Usage: netd stop [-t SECONDS] ID|NAME...\n  SIGTERM, then SIGKILL after SECONDS (10)\n");
		return argc < 2 ? ND_EXIT_USAGE : ND_EXIT_OK;
	}
	for (int i = 1; i < argc; i++) {
		_cleanup_(nd_err_freep) struct nd_err *err = NULL;

		if (stop_one(state, argv[i], timeout, &err) < 0)
			rc = fail("stop", err, err && err->code == ND_CNI_UNKNOWN_CONTAINER ? ND_EXIT_NOTFOUND : ND_EXIT_FAIL);
		else
			printf("%s\n", argv[i]);
	}
	return rc;
}

static bool ctr_dir_exists(const char *state, const char *id)
{
	_cleanup_free_ char *dir = nd_ctr_dir(state, id);

	return dir && access(dir, F_OK) == 0;
}

/*
 * With the container's lock held: release all its record names, then the record. A
 * directory without a record (a monitor killed before its first save) owns nothing more.
 */
static int remove_locked(const char *state, const char *id, struct nd_err **err)
{
	_cleanup_(nd_err_freep) struct nd_err *e = NULL;
	struct nd_ctr c = { 0 };
	int r = nd_ctr_load(state, id, &c, &e);

	if (r == -ENOENT) {
		snprintf(c.id, sizeof(c.id), "%s", id);
		remove_ctr(state, &c);
		return 0;
	}
	if (r < 0) {
		if (err && !*err)
			*err = TAKE_PTR(e);
		return r;
	}
	if ((r = release(&c, err)) >= 0)
		remove_ctr(state, &c);
	nd_ctr_clear(&c);
	return r;
}

static int rm_one(const char *state, const char *ref, bool force, struct nd_err **err)
{
	char id[ND_CTR_ID_LEN + 1];
	_cleanup_close_ int lock = -1;
	int r;

	if ((r = nd_ctr_resolve(state, ref, id, err)) < 0)
		return r;
	if (!ctr_dir_exists(state, id)) {
		/* A name left pointing at nothing: free it. */
		nd_ctr_name_drop(state, ref, id);
		return nd_err_set(err, ND_CNI_UNKNOWN_CONTAINER, ENOENT, "no such container: '%s'", ref);
	}
	if (nd_ctr_lock(state, id, false, &lock, NULL) < 0) {
		if (!force)
			return nd_err_set(err, ND_ERR_BUSY, EBUSY, "container %.12s is running: stop it first, or rm -f", id);
		if ((r = stop_one(state, id, 0, err)) < 0 || (r = nd_ctr_lock(state, id, true, &lock, err)) < 0)
			return r;
	}
	return remove_locked(state, id, err);
}

int nd_cmd_rm(int argc, char **argv)
{
	const char *state = state_dir();
	bool force = false;
	int rc = ND_EXIT_OK, i = 1;

	for (; i < argc && argv[i][0] == '-'; i++) {
		if (!strcmp(argv[i], "-f") || !strcmp(argv[i], "--force"))
			force = true;
		else if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help")) {
			printf("Usage: netd rm [-f] ID|NAME...\n  remove stopped containers (-f: stop them first)\n");
			return ND_EXIT_OK;
		} else
			return usage_err("rm", "unknown option");
	}
	if (i == argc)
		return usage_err("rm", "no container given");
	for (; i < argc; i++) {
		_cleanup_(nd_err_freep) struct nd_err *err = NULL;

		if (rm_one(state, argv[i], force, &err) < 0)
			rc = fail("rm", err,
				  err && err->code == ND_CNI_UNKNOWN_CONTAINER ? ND_EXIT_NOTFOUND
				  : err && err->code == ND_ERR_BUSY	 ? ND_EXIT_CONFLICT
									 : ND_EXIT_FAIL);
		else
			printf("%s\n", argv[i]);
	}
	return rc;
}

/* ---- gc ---- */

/*
 * A container nobody monitors (its lock is free, and now ours) that was created or running:
 * its monitor was killed. Release all its record names; remove it with --rm, else mark it
 * dead (released) for ps and rm. A directory without a record owns nothing more.
 */
static int gc_ctr(const char *state, const char *id, size_t *n, struct nd_err **err)
{
	_cleanup_(nd_err_freep) struct nd_err *e = NULL;
	_cleanup_close_ int lock = -1;
	struct nd_ctr c = { 0 };
	int r;

	if (nd_ctr_lock(state, id, false, &lock, NULL) < 0)
		return 0;
	r = nd_ctr_load(state, id, &c, &e);
	if (r == -ENOENT) {
		snprintf(c.id, sizeof(c.id), "%s", id);
		remove_ctr(state, &c);
		(*n)++;
		return 0;
	}
	/* A damaged record stays for rm to report; its netns stays too (netns_owned). */
	if (r < 0 || (strcmp(c.status, "created") && strcmp(c.status, "running"))) {
		nd_ctr_clear(&c);
		return 0;
	}
	if ((r = release(&c, err)) >= 0) {
		(*n)++;
		if (c.auto_rm) {
			remove_ctr(state, &c);
		} else {
			free(c.status);
			c.status = strdup("dead");
			c.finished = (long long)time(NULL);
			r = nd_ctr_save(state, &c, err);
		}
	}
	nd_ctr_clear(&c);
	return r < 0 ? nd_err_wrap(err, "container %.12s", id) : 0;
}

/* Removals cut short (remove_ctr) and names whose container is gone. */
static void gc_files(const char *state)
{
	_cleanup_free_ char *cdir = NULL, *ndir = NULL;
	struct dirent *e;
	DIR *d;

	if (asprintf(&cdir, "%s/containers", state) >= 0 && (d = opendir(cdir))) {
		while ((e = readdir(d))) {
			size_t n = strlen(e->d_name);
			_cleanup_free_ char *p = NULL;

			if (n == ND_CTR_ID_LEN + 10 && e->d_name[0] == '.' && !strcmp(e->d_name + n - 9, ".removing") &&
			    asprintf(&p, "%s/%s", cdir, e->d_name) >= 0)
				(void)nd_rmtree(p, NULL);
		}
		closedir(d);
	}
	if (asprintf(&ndir, "%s/names", state) >= 0 && (d = opendir(ndir))) {
		while ((e = readdir(d))) {
			char target[ND_CTR_ID_LEN + 2];
			ssize_t n = readlinkat(dirfd(d), e->d_name, target, sizeof(target) - 1);

			if (n != ND_CTR_ID_LEN)
				continue;
			target[n] = 0;
			if (!ctr_dir_exists(state, target))
				nd_ctr_name_drop(state, e->d_name, target);
		}
		closedir(d);
	}
}

/* Some container's ID starts with the netns's 12 hex digits (or a name reads so: kept). */
static bool netns_owned(const char *state, const char *ns)
{
	char id[ND_CTR_ID_LEN + 1];

	return nd_ctr_resolve(state, ns + 5, id, NULL) != -ENOENT;
}

int nd_run_gc(json_t *report, struct nd_err **err)
{
	const char *state = state_dir();
	char **nss = NULL, **ids = NULL;
	size_t n_ctr = 0, n_ns = 0;
	int r;

	/*
	 * Netns first: a container records itself before it makes its netns, so a netns listed
	 * now whose container is not found below has no container at all.
	 */
	if ((r = nd_netns_list(&nss, NULL, err)) < 0 || (r = nd_ctr_list(state, &ids, err)) < 0)
		goto out;
	for (char **id = ids; r >= 0 && *id; id++)
		r = gc_ctr(state, *id, &n_ctr, err);
	if (r < 0)
		goto out;
	gc_files(state);
	for (char **ns = nss; r >= 0 && *ns; ns++) {
		if (!nd_netns_runtime_name(*ns) || netns_owned(state, *ns))
			continue;
		if ((r = nd_netns_delete(*ns, err)) == -ENOENT)
			r = 0;
		else if (r >= 0)
			n_ns++;
	}
out:
	nd_strv_free(nss);
	for (char **id = ids; id && *id; id++)
		free(*id);
	free(ids);
	if (r >= 0) {
		json_object_set_new(report, "containers", json_integer((json_int_t)n_ctr));
		json_object_set_new(report, "netns", json_integer((json_int_t)n_ns));
	}
	return r;
}

/* ---- logs, exec, commit ---- */

static int load_ref(const char *what, const char *ref, struct nd_ctr *c, int *rc)
{
	_cleanup_(nd_err_freep) struct nd_err *err = NULL;
	char id[ND_CTR_ID_LEN + 1];

	if (nd_ctr_resolve(state_dir(), ref, id, &err) < 0 || nd_ctr_load(state_dir(), id, c, &err) < 0) {
		*rc = fail(what, err, err && err->code == ND_CNI_UNKNOWN_CONTAINER ? ND_EXIT_NOTFOUND : ND_EXIT_FAIL);
		return -1;
	}
	return 0;
}

int nd_cmd_logs(int argc, char **argv)
{
	_cleanup_free_ char *dir = NULL, *path = NULL;
	_cleanup_close_ int fd = -1;
	struct nd_ctr c = { 0 };
	char buf[65536];
	ssize_t n;
	int rc = ND_EXIT_OK;

	if (argc != 2 || argv[1][0] == '-') {
		printf("Usage: netd logs ID|NAME\n  the output of a detached container (-d)\n");
		return argc == 2 && (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help")) ? ND_EXIT_OK : ND_EXIT_USAGE;
	}
	if (load_ref("logs", argv[1], &c, &rc) < 0)
		return rc;
	dir = nd_ctr_dir(state_dir(), c.id);
	path = dir ? sub(dir, "log") : NULL;
	fd = path ? open(path, O_RDONLY | O_CLOEXEC) : -1;
	if (fd < 0 && errno != ENOENT) {
		fprintf(stderr, "netd logs: '%s': %s\n", path ? path : "", strerror(errno));
		rc = ND_EXIT_FAIL;
	}
	fflush(stdout);
	while (fd >= 0 && (n = read(fd, buf, sizeof(buf))) > 0)
		if (write(STDOUT_FILENO, buf, (size_t)n) != n)
			break;
	nd_ctr_clear(&c);
	return rc;
}

int nd_cmd_exec(int argc, char **argv)
{
	static const struct option lo[] = { { "env", required_argument, NULL, 'e' },
					    { "workdir", required_argument, NULL, 'w' },
					    { "user", required_argument, NULL, 'u' },
					    { "help", no_argument, NULL, 'h' },
					    { 0 } };
	_cleanup_(nd_err_freep) struct nd_err *err = NULL;
	const char *envs[MAX_LIST], *cwd = NULL, *user = NULL;
	size_t n_envs = 0;
	struct nd_ctr c = { 0 };
	struct nd_cgroup cg = { 0 };
	struct nd_strv env = { 0 };
	int ch, rc = ND_EXIT_OK, code = 0;

	optind = 1;
	while ((ch = getopt_long(argc, argv, "+e:w:u:h", lo, NULL)) != -1) {
		switch (ch) {
		case 'e':
			if (n_envs < MAX_LIST)
				envs[n_envs++] = optarg;
			break;
		case 'w': cwd = optarg; break;
		case 'u': user = optarg; break;
		case 'h':
			printf("Usage: netd exec [-e K=V] [-w DIR] [-u USER] ID|NAME [--] CMD [ARGS...]\n");
			return ND_EXIT_OK;
		default: return usage_err("exec", "unknown option");
		}
	}
	if (optind + 1 >= argc)
		return usage_err("exec", "give a container and a command");
	if (load_ref("exec", argv[optind], &c, &rc) < 0)
		return rc;
	optind++;
	if (!strcmp(argv[optind], "--"))
		optind++;
	if (optind >= argc) {
		nd_ctr_clear(&c);
		return usage_err("exec", "no command given");
	}
	if (!nd_ctr_monitored(state_dir(), c.id) || c.pid <= 0) {
		nd_err_set(&err, ND_CNI_UNKNOWN_CONTAINER, ESRCH, "container %.12s is not running", c.id);
		nd_ctr_clear(&c);
		return fail("exec", err, ND_EXIT_FAIL);
	}
	for (char **e = c.env; e && *e; e++)
		(void)nd_env_set(&env, *e);
	for (size_t i = 0; i < n_envs; i++)
		(void)nd_env_set(&env, envs[i]);
	if (nd_cg_open(c.cg_parent ? c.cg_parent : "netd", c.id, &cg, &err) < 0 ||
	    nd_ctr_exec(c.pid, c.pid_start, &cg, argv + optind, env.v, cwd ? cwd : c.cwd, user ? user : c.user,
			c.seccomp && !strcmp(c.seccomp, "unconfined"), &code, &err) < 0) {
		code = fail("exec", err, err && err->errnum == ENOENT ? 127 : 126);
	}
	nd_cg_free(&cg);
	nd_strv_clear(&env);
	nd_ctr_clear(&c);
	return code;
}

int nd_cmd_commit(int argc, char **argv)
{
#ifndef ND_WITH_OCI
	return nd_exec_sibling("netd-oci", argc, argv);
#else
	_cleanup_(nd_err_freep) struct nd_err *err = NULL;
	_cleanup_free_ char *dir = NULL, *upper = NULL, *out = NULL;
	char diff_id[ND_DIGEST_LEN + 1];
	struct nd_ctr c = { 0 };
	int rc = ND_EXIT_OK;

	if (argc != 3 || argv[1][0] == '-') {
		printf("Usage: netd commit ID|NAME DIR\n"
		       "  save the container's writable layer as DIR/layer.tar (OCI whiteouts); prints its diff_id.\n"
		       "  Stack it on later with netd run --layer DIR/layer.tar.\n");
		return argc == 2 && (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help")) ? ND_EXIT_OK : ND_EXIT_USAGE;
	}
	if (load_ref("commit", argv[1], &c, &rc) < 0)
		return rc;
	dir = nd_ctr_dir(state_dir(), c.id);
	upper = dir ? sub(dir, "upper") : NULL;
	out = sub(argv[2], "layer.tar");
	if (!upper || !out)
		rc = ND_EXIT_FAIL;
	else if (nd_state_mkdirs(argv[2], 0755, &err) < 0 ||
		 nd_layer_commit(upper, out, c.userns ? ND_USERNS_BASE : 0, diff_id, &err) < 0)
		rc = fail("commit", err, ND_EXIT_FAIL);
	else
		printf("%s\n", diff_id);
	nd_ctr_clear(&c);
	return rc;
#endif
}

/*
 * The benchmark driver: attaches N containers one after another by executing plugin
 * binaries exactly as a runtime does (env + stdin, one exec per plugin per operation),
 * then detaches them, and prints timing statistics. Run inside a private netns
 * (tests/bench/run.sh arranges it). Modes:
 *   ours  BIN_DIR N   netd-bridge + netd-ipam, ipMasq + isGateway
 *   ref   REF_DIR N   reference bridge + host-local, same settings
 *   floor -       N   one `ip -batch` per container: veth, address, link up, route; its host
 *                     end is then enslaved to a bridge (untimed) so DEL removes a bridge port
 */
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "networks/apiclient.h"

static double now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

/* Run argv with extra env and stdin text; returns the wall time in ms, or -1 on failure. */
static double run(char *const argv[], char *const env[], const char *input)
{
	int in[2];
	pid_t pid;
	int status;
	double t0 = now_ms();

	if (pipe2(in, O_CLOEXEC) < 0)
		return -1;
	pid = fork();
	if (pid == 0) {
		int devnull = open("/dev/null", O_WRONLY);

		dup2(in[0], 0);
		dup2(devnull, 1);
		for (size_t i = 0; env && env[i]; i++)
			putenv(env[i]);
		execv(argv[0], argv);
		_exit(127);
	}
	close(in[0]);
	if (input && write(in[1], input, strlen(input)) < 0)
		perror("write");
	close(in[1]);
	waitpid(pid, &status, 0);
	if (!WIFEXITED(status) || WEXITSTATUS(status)) {
		fprintf(stderr, "bench: %s failed (status %d)\n", argv[0], status);
		return -1;
	}
	return now_ms() - t0;
}

/* A named netns without exec'ing ip: a child unshares and we bind-mount its netns. */
static int make_netns(const char *name)
{
	char path[128], src[64];
	int fd, p[2];
	char c;
	pid_t pid;

	snprintf(path, sizeof(path), "/run/netns/%s", name);
	mkdir("/run/netns", 0755);
	if ((fd = open(path, O_CREAT | O_RDONLY | O_CLOEXEC, 0444)) < 0)
		return -1;
	close(fd);
	if (pipe(p) < 0)
		return -1;
	pid = fork();
	if (pid == 0) {
		if (unshare(CLONE_NEWNET) < 0)
			_exit(1);
		if (write(p[1], "x", 1) < 0)
			_exit(1);
		pause();
		_exit(0);
	}
	close(p[1]);
	if (read(p[0], &c, 1) != 1)
		return -1;
	close(p[0]);
	snprintf(src, sizeof(src), "/proc/%d/ns/net", pid);
	fd = mount(src, path, NULL, MS_BIND, NULL);
	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
	return fd;
}

static void del_netns(const char *name)
{
	char path[128];

	snprintf(path, sizeof(path), "/run/netns/%s", name);
	umount2(path, MNT_DETACH);
	unlink(path);
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

static double pct(const double *v, size_t n, double p)
{
	double *s = malloc(n * sizeof(*s));
	double r;

	memcpy(s, v, n * sizeof(*s));
	qsort(s, n, sizeof(*s), cmp_double);
	r = s[(size_t)(p * (double)(n - 1) + 0.5)];
	free(s);
	return r;
}

#define CONF_FMT                                                                                   \
	"{\"cniVersion\":\"1.0.0\",\"name\":\"bench\",\"type\":\"%s\",\"bridge\":\"benchbr0\"," \
	"\"isGateway\":true,\"isDefaultGateway\":true,\"ipMasq\":true," \
	"\"ipam\":{\"type\":\"%s\",\"dataDir\":\"%s\",\"ranges\":[[{\"subnet\":\"10.128.0.0/16\"}]]}}"

static double plugin_op(const char *dir, const char *type, const char *cmd, const char *ns, const char *conf)
{
	char bin[512], e_cmd[64], e_id[96], e_ns[128], e_path[600];
	char *argv[] = { bin, NULL };
	char e_if[] = "CNI_IFNAME=eth0";
	char *env[] = { e_cmd, e_id, e_ns, e_path, e_if, NULL };

	snprintf(bin, sizeof(bin), "%s/%s", dir, type);
	snprintf(e_cmd, sizeof(e_cmd), "CNI_COMMAND=%s", cmd);
	snprintf(e_id, sizeof(e_id), "CNI_CONTAINERID=%s", ns);
	snprintf(e_ns, sizeof(e_ns), "CNI_NETNS=/run/netns/%s", ns);
	snprintf(e_path, sizeof(e_path), "CNI_PATH=%s", dir);
	return run(argv, env, conf);
}

/*
 * The floor: everything happens from inside the container's netns, so one `ip -batch`
 * suffices; the host end lands in the "host" netns by name. It does not enslave the host
 * end to a bridge (iproute2's batch cannot switch netns), so it is one step cheaper than
 * a real attachment.
 */
static double floor_op(const char *cmd, const char *ns, unsigned int i)
{
	char script[512], nsopt[64];
	char ip[] = "/usr/sbin/ip", o_n[] = "-n", o_b[] = "-batch", dash[] = "-";
	char *argv[] = { ip, o_n, nsopt, o_b, dash, NULL };

	snprintf(nsopt, sizeof(nsopt), "%s", ns);
	if (!strcmp(cmd, "ADD"))
		snprintf(script, sizeof(script),
			 "link add eth0 type veth peer name fl%u netns host\n"
			 "addr add 10.128.%u.%u/16 dev eth0\nlink set eth0 up\n"
			 "route add default via 10.128.0.1\n", i, (i + 2) / 256, (i + 2) % 256);
	else
		snprintf(script, sizeof(script), "link del eth0\n");
	return run(argv, NULL, script);
}

/*
 * After the floor's ADD, and not counted in it: enslave and raise the host end as a real
 * attachment has it, so that the floor's DEL removes a bridge port too (which costs the
 * kernel a grace period of its own). Its own times are reported: the part of an ADD that
 * grows with the bridge's ports is this one.
 */
static double floor_enslave(unsigned int i)
{
	char name[32], ip[] = "/usr/sbin/ip", link[] = "link", set[] = "set", master[] = "master",
		       br[] = "benchbr0", up[] = "up";
	char *argv[] = { ip, link, set, name, master, br, up, NULL };

	snprintf(name, sizeof(name), "fl%u", i);
	return run(argv, NULL, NULL);
}

#define API_SOCK "/run/netd-bench.sock"

static pid_t api_daemon(const char *bin, const char *state)
{
	char exe[512], sdir[256], idir[256];
	pid_t pid = fork();

	snprintf(exe, sizeof(exe), "%s/netd", bin);
	snprintf(sdir, sizeof(sdir), "%s/state", state);
	snprintf(idir, sizeof(idir), "%s/ipam", state);
	if (pid == 0) {
		execl(exe, exe, "daemon", "--socket", API_SOCK, "--state-dir", sdir, "--ipam-dir", idir,
		      "--cni-conf-dir", "", "--log-level", "err", (char *)NULL);
		_exit(127);
	}
	for (int i = 0; i < 200; i++) {
		int st = 0;
		json_t *b = NULL;

		if (nd_api_call(API_SOCK, "GET", "/v1/version", NULL, &st, &b, NULL) == 0 && st == 200) {
			json_decref(b);
			return pid;
		}
		usleep(20000);
	}
	return -1;
}

static double api_op(const char *method, const char *ns)
{
	char path[128];
	json_t *body = NULL, *ans = NULL;
	int st = 0, r;
	double t0 = now_ms();

	if (!strcmp(method, "POST")) {
		snprintf(path, sizeof(path), "/v1/networks/bridge/attachments");
		body = json_pack("{s:s, s:s}", "netns", ns, "containerID", ns);
	} else {
		snprintf(path, sizeof(path), "/v1/networks/bridge/attachments/%s", ns);
	}
	r = nd_api_call(API_SOCK, method, path, body, &st, &ans, NULL);
	json_decref(body);
	json_decref(ans);
	if (r < 0 || st / 100 != 2) {
		fprintf(stderr, "bench: %s %s: status %d\n", method, path, st);
		return -1;
	}
	return now_ms() - t0;
}

static void report(const char *mode, unsigned int n, const double *add, const double *del)
{
	size_t tenth = n / 10;

	printf("%s n=%u add_median=%.3f add_p95=%.3f add_first10=%.3f add_last10=%.3f "
	       "del_median=%.3f del_p95=%.3f",
	       mode, n, pct(add, n, 0.5), pct(add, n, 0.95), pct(add, tenth, 0.5), pct(add + n - tenth, tenth, 0.5),
	       pct(del, n, 0.5), pct(del, n, 0.95));
}

static long status_kib(pid_t pid, const char *key);

/* Attach n netns through the API, note the daemon's RSS, detach them all. */
static int bench_api(const char *bin, const char *state, unsigned int n, double *add, double *del)
{
	char ns[32];
	pid_t pid = api_daemon(bin, state);
	long rss_idle, rss, anon;

	if (pid < 0)
		return 1;
	rss_idle = status_kib(pid, "VmRSS");
	for (unsigned int i = 0; i < n; i++) {
		snprintf(ns, sizeof(ns), "b%u", i);
		if (make_netns(ns) < 0 || (add[i] = api_op("POST", ns)) < 0)
			return 1;
	}
	rss = status_kib(pid, "VmRSS");
	anon = status_kib(pid, "RssAnon");
	for (unsigned int i = 0; i < n; i++) {
		snprintf(ns, sizeof(ns), "b%u", i);
		if ((del[i] = api_op("DELETE", ns)) < 0)
			return 1;
		del_netns(ns);
	}
	report("api", n, add, del);
	printf(" rss_idle_kib=%ld rss_kib=%ld rss_anon_kib=%ld\n", rss_idle, rss, anon);
	kill(pid, SIGTERM);
	waitpid(pid, NULL, 0);
	return 0;
}

/* key is "VmRSS" (all resident pages, shared library text included) or "RssAnon" (heap, stacks). */
static long status_kib(pid_t pid, const char *key)
{
	char path[64], line[256], fmt[64];
	long kib = -1;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/status", (int)pid);
	snprintf(fmt, sizeof(fmt), "%s:", key);
	if (!(f = fopen(path, "re")))
		return -1;
	while (fgets(line, sizeof(line), f))
		if (!strncmp(line, fmt, strlen(fmt)) && (kib = strtol(line + strlen(fmt), NULL, 10)) >= 0)
			break;
	fclose(f);
	return kib;
}

static int rm_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	return remove(path) < 0 ? -1 : 0;
}

static void rm_tree(const char *dir)
{
	(void)nftw(dir, rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

int main(int argc, char **argv)
{
	const char *mode, *dir;
	/* On disk, where a lease store lives; removed at the end (rm_tree). */
	char conf[1024], ns[32], state[] = "/tmp/netd-bench.XXXXXX";
	unsigned int n;
	double *add, *del, *enslave;

	if (argc != 4) {
		fprintf(stderr, "usage: bench ours|ref|floor DIR N\n");
		return 2;
	}
	mode = argv[1];
	dir = argv[2];
	n = (unsigned int)atoi(argv[3]);
	if (n < 10 || !mkdtemp(state))
		return 2;
	add = calloc(n, sizeof(*add));
	del = calloc(n, sizeof(*del));
	enslave = calloc(n, sizeof(*enslave));
	if (!strcmp(mode, "api")) {
		int rc = bench_api(dir, state, n, add, del);

		rm_tree(state);
		return rc;
	}
	snprintf(conf, sizeof(conf), CONF_FMT, !strcmp(mode, "ours") ? "netd-bridge" : "bridge",
		 !strcmp(mode, "ours") ? "netd-ipam" : "host-local", state);
	for (unsigned int i = 0; i < n; i++) {
		snprintf(ns, sizeof(ns), "b%u", i);
		if (make_netns(ns) < 0)
			return 1;
		add[i] = !strcmp(mode, "floor") ? floor_op("ADD", ns, i)
					       : plugin_op(dir, !strcmp(mode, "ours") ? "netd-bridge" : "bridge",
							   "ADD", ns, conf);
		if (add[i] < 0 || (!strcmp(mode, "floor") && (enslave[i] = floor_enslave(i)) < 0))
			return 1;
	}
	for (unsigned int i = 0; i < n; i++) {
		snprintf(ns, sizeof(ns), "b%u", i);
		del[i] = !strcmp(mode, "floor") ? floor_op("DEL", ns, i)
					       : plugin_op(dir, !strcmp(mode, "ours") ? "netd-bridge" : "bridge",
							   "DEL", ns, conf);
		if (del[i] < 0)
			return 1;
		del_netns(ns);
	}
	report(mode, n, add, del);
	if (!strcmp(mode, "floor"))
		printf(" enslave_first10=%.3f enslave_last10=%.3f", pct(enslave, n / 10, 0.5),
		       pct(enslave + n - n / 10, n / 10, 0.5));
	printf("\n");
	free(add);
	free(del);
	free(enslave);
	rm_tree(state);
	return 0;
}

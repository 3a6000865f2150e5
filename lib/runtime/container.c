#include "runtime/container.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <linux/capability.h>
#include <linux/openat2.h>
#include <linux/sched.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/ioctl.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <unistd.h>

#include "base/cleanup.h"
#include "base/fdio.h"
#include "runtime/creds.h"
#include "runtime/etcfiles.h"
#include "runtime/ctrstate.h"
#include "runtime/overlay.h"
#include "runtime/runopts.h"
#include "runtime/seccache.h"
#include "runtime/secprofile.h"
#include "runtime/ttyrelay.h"

#ifndef CLOSE_RANGE_CLOEXEC
#define CLOSE_RANGE_CLOEXEC (1U << 2)
#endif

extern char **environ;

/* One message of the setup channel (SOCK_SEQPACKET keeps them apart). */
enum { MSG_READY = 1, MSG_GO, MSG_EXEC_OK, MSG_ERR };
struct msg {
	int type;
	int errnum;
	int code;
	char text[500];
};

/* ---- in the child: report and die ---- */

static void send_msg(int fd, int type, int errnum, int code, const char *fmt, ...)
	__attribute__((format(printf, 5, 6)));
static void send_msg(int fd, int type, int errnum, int code, const char *fmt, ...)
{
	struct msg m = { .type = type, .errnum = errnum, .code = code };
	va_list ap;

	if (fmt) {
		va_start(ap, fmt);
		vsnprintf(m.text, sizeof(m.text), fmt, ap);
		va_end(ap);
	}
	(void)!send(fd, &m, sizeof(m), MSG_NOSIGNAL);
}

#define DIE(fd, e, ...)                                                                                            \
	do {                                                                                                       \
		send_msg(fd, MSG_ERR, e, ND_ERR_SETUP, __VA_ARGS__);                                            \
		_exit(1);                                                                                          \
	} while (0)

static int mount_at(const char *root, const char *rel, const char *fstype, unsigned long flags, const char *data)
{
	char path[4096];

	snprintf(path, sizeof(path), "%s%s", root, rel);
	if (mkdir(path, 0755) < 0 && errno != EEXIST)
		return -errno;
	return mount(fstype, path, fstype, flags, data) < 0 ? -errno : 0;
}

struct devnode {
	const char *name;
	unsigned int major, minor;
};

/* /dev as Docker makes it: a tmpfs with the few safe device nodes, devpts, shm. */
static void setup_dev(int sync, const char *root, unsigned long long shm_size)
{
	char shm_opts[64];

	static const struct devnode nodes[] = {
		{ "null", 1, 3 }, { "zero", 1, 5 }, { "full", 1, 7 }, { "random", 1, 8 }, { "urandom", 1, 9 }, { "tty", 5, 0 },
	};
	static const char *const links[][2] = {
		{ "pts/ptmx", "ptmx" },	       { "/proc/self/fd", "fd" },     { "/proc/self/fd/0", "stdin" },
		{ "/proc/self/fd/1", "stdout" }, { "/proc/self/fd/2", "stderr" }, { "/proc/kcore", "core" },
	};
	char path[4096];
	int r;

	if ((r = mount_at(root, "/dev", "tmpfs", MS_NOSUID | MS_STRICTATIME, "mode=755,size=65536k")) < 0)
		DIE(sync, -r, "mount /dev: %s", strerror(-r));
	for (size_t i = 0; i < ND_ARRAY_SIZE(nodes); i++) {
		snprintf(path, sizeof(path), "%s/dev/%s", root, nodes[i].name);
		if (mknod(path, S_IFCHR | 0666, makedev(nodes[i].major, nodes[i].minor)) < 0 || chmod(path, 0666) < 0)
			DIE(sync, errno, "mknod %s: %s", path, strerror(errno));
	}
	for (size_t i = 0; i < ND_ARRAY_SIZE(links); i++) {
		snprintf(path, sizeof(path), "%s/dev/%s", root, links[i][1]);
		if (symlink(links[i][0], path) < 0)
			DIE(sync, errno, "symlink %s: %s", path, strerror(errno));
	}
	if ((r = mount_at(root, "/dev/pts", "devpts", MS_NOSUID | MS_NOEXEC, "newinstance,ptmxmode=0666,mode=0620")) < 0)
		DIE(sync, -r, "mount /dev/pts: %s", strerror(-r));
	snprintf(shm_opts, sizeof(shm_opts), "mode=1777,size=%llu", shm_size ? shm_size : 65536ULL * 1024);
	if ((r = mount_at(root, "/dev/shm", "tmpfs", MS_NOSUID | MS_NODEV | MS_NOEXEC, shm_opts)) < 0)
		DIE(sync, -r, "mount /dev/shm: %s", strerror(-r));
	if ((r = mount_at(root, "/dev/mqueue", "mqueue", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL)) < 0)
		DIE(sync, -r, "mount /dev/mqueue: %s", strerror(-r));
}

/*
 * Docker's masked paths: what would reach the host's kernel, hardware or secrets. A file
 * is covered by /dev/null, a directory by an empty read-only tmpfs (runc does the same).
 */
static void mask_paths(int sync, const char *root)
{
	static const char *const masked[] = { "/proc/asound",	    "/proc/acpi",	"/proc/interrupts",
					      "/proc/kcore",	    "/proc/keys",	"/proc/latency_stats",
					      "/proc/timer_list",   "/proc/timer_stats", "/proc/sched_debug",
					      "/proc/scsi",	    "/sys/firmware",	"/sys/devices/virtual/powercap" };
	char path[4096], null[4096];
	struct stat st;

	snprintf(null, sizeof(null), "%s/dev/null", root);
	for (size_t i = 0; i < ND_ARRAY_SIZE(masked); i++) {
		snprintf(path, sizeof(path), "%s%s", root, masked[i]);
		if (lstat(path, &st) < 0) {
			if (errno == ENOENT)
				continue;
			DIE(sync, errno, "mask %s: %s", masked[i], strerror(errno));
		}
		if (S_ISDIR(st.st_mode) ? mount("tmpfs", path, "tmpfs", MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC,
						"mode=555") < 0
					: mount(null, path, NULL, MS_BIND, NULL) < 0)
			DIE(sync, errno, "mask %s: %s", masked[i], strerror(errno));
	}
}

/* Docker's read-only /proc paths: the kernel's knobs stay readable, not writable. */
static void readonly_proc(int sync, const char *root)
{
	static const char *const ro[] = { "/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys", "/proc/sysrq-trigger" };
	char path[4096];

	for (size_t i = 0; i < ND_ARRAY_SIZE(ro); i++) {
		snprintf(path, sizeof(path), "%s%s", root, ro[i]);
		if (mount(path, path, NULL, MS_BIND | MS_REC, NULL) < 0) {
			if (errno == ENOENT)
				continue;
			DIE(sync, errno, "bind %s: %s", ro[i], strerror(errno));
		}
		if (mount(NULL, path, NULL, MS_BIND | MS_REMOUNT | MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL) < 0)
			DIE(sync, errno, "read-only %s: %s", ro[i], strerror(errno));
	}
}

/* root/etc/name, resolved inside root: an image's symlink cannot lead out of it. */
static int open_in_root(int root, const char *name, int flags)
{
	char rel[64];
	struct open_how how = { .flags = (uint64_t)flags | O_CLOEXEC, .resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS };

	snprintf(rel, sizeof(rel), "etc%s%s", *name ? "/" : "", name);
	return (int)syscall(SYS_openat2, root, rel, &how, sizeof(how));
}

/* The file to mount over: the root's own, or a new one in the writable layer (a dangling link replaced). */
static int etc_target(int sync, int root, int etc, const char *name)
{
	int fd = open_in_root(root, name, O_PATH);
	struct stat st;

	if (fd < 0 && errno == ENOENT) {
		fd = openat(etc, name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644);
		if (fd < 0 && errno == EEXIST && unlinkat(etc, name, 0) == 0)
			fd = openat(etc, name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644);
	}
	if (fd < 0)
		DIE(sync, errno, "/etc/%s in the root: %s", name, strerror(errno));
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode))
		DIE(sync, EINVAL, "/etc/%s in the root is not a regular file", name);
	return fd;
}

/*
 * The runtime's hostname, hosts and resolv.conf (lib/runtime/etcfiles.h) bound over the
 * root's, as Docker does: the image's files stay as they were.
 */
static void bind_etc(int sync, const struct nd_ctr_spec *s)
{
	static const char *const files[] = ND_ETC_FILES;
	_cleanup_close_ int root = -1, etc = -1;

	if (!s->etc_dir)
		return;
	if ((root = open(s->merged, O_PATH | O_DIRECTORY | O_CLOEXEC)) < 0)
		DIE(sync, errno, "'%s': %s", s->merged, strerror(errno));
	if (mkdirat(root, "etc", 0755) < 0 && errno != EEXIST)
		DIE(sync, errno, "/etc in the root: %s", strerror(errno));
	if ((etc = open_in_root(root, "", O_PATH | O_DIRECTORY)) < 0)
		DIE(sync, errno, "/etc in the root: %s", strerror(errno));
	for (size_t i = 0; i < ND_ARRAY_SIZE(files); i++) {
		_cleanup_close_ int fd = etc_target(sync, root, etc, files[i]);
		char src[4096], dst[64];

		snprintf(src, sizeof(src), "%s/%s", s->etc_dir, files[i]);
		snprintf(dst, sizeof(dst), "/proc/self/fd/%d", fd);
		if (mount(src, dst, NULL, MS_BIND, NULL) < 0)
			DIE(sync, errno, "bind /etc/%s: %s", files[i], strerror(errno));
	}
}

/* --privileged: every device node of the host's /dev (top level), as Docker gives. */
static void host_devices(int sync, const char *root)
{
	DIR *d = opendir("/dev"); /* a DIE ends the process: nothing to close then */
	char path[4096];
	struct dirent *de;
	struct stat st;

	if (!d)
		DIE(sync, errno, "the host's /dev: %s", strerror(errno));
	while ((de = readdir(d))) {
		if (fstatat(dirfd(d), de->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0 || !(S_ISCHR(st.st_mode) || S_ISBLK(st.st_mode)))
			continue;
		snprintf(path, sizeof(path), "%s/dev/%s", root, de->d_name);
		if (mknod(path, st.st_mode, st.st_rdev) < 0 && errno != EEXIST)
			DIE(sync, errno, "mknod %s: %s", path, strerror(errno));
		(void)!chown(path, st.st_uid, st.st_gid);
	}
	closedir(d);
}

/* --device: the host's node under its container path, with the host node's mode and owner. */
static void add_devices(int sync, const struct nd_ctr_spec *s)
{
	for (char *const *d = s->devices; d && *d; d++) {
		char rel[4096], path[8192];
		struct nd_dev_rule rule;
		struct nd_err *e = NULL;
		struct stat st;

		if (nd_device_parse(*d, &rule, rel, sizeof(rel), &st, &e) < 0)
			DIE(sync, e->errnum, "%s", e->msg);
		snprintf(path, sizeof(path), "%s%s", s->merged, rel);
		/* Its directories under /dev (a tmpfs of the container's own), e.g. /dev/net for /dev/net/tun. */
		for (char *p = path + strlen(s->merged) + 5; *p; p++)
			if (*p == '/') {
				*p = 0;
				(void)mkdir(path, 0755);
				*p = '/';
			}
		(void)unlink(path);
		if (mknod(path, st.st_mode, st.st_rdev) < 0 || chown(path, st.st_uid, st.st_gid) < 0)
			DIE(sync, errno, "--device '%s': %s", *d, strerror(errno));
	}
}

/* --sysctl: through the container's own /proc, before /proc/sys goes read-only. */
static void set_sysctls(int sync, const struct nd_ctr_spec *s)
{
	for (char *const *k = s->sysctls; k && *k; k++) {
		char rel[256], path[4096];
		const char *val;
		struct nd_err *e = NULL;
		int r;

		/* The spec checked it; own_netns true: a host-network container never got a net.* one. */
		if ((r = nd_sysctl_check(*k, true, rel, sizeof(rel), &val, &e)) < 0)
			DIE(sync, e->errnum, "%s", e->msg);
		snprintf(path, sizeof(path), "%s/proc/sys", s->merged);
		if ((r = nd_write_at(path, rel, val)) < 0)
			DIE(sync, -r, "--sysctl '%s': %s", *k, strerror(-r));
	}
}

/* -v, --mount, --tmpfs: targets resolved inside the root (runtime/ctrmount.h). */
static void user_mounts(int sync, const struct nd_ctr_spec *s)
{
	char msg[400];
	int r;

	if (s->n_mounts && (r = nd_ctr_mounts_apply(s->merged, s->mounts, s->n_mounts, msg, sizeof(msg))) < 0)
		DIE(sync, -r, "%s", msg);
}

static void setup_root(int sync, const struct nd_ctr_spec *s)
{
	_cleanup_free_ char *opts = NULL;
	struct nd_err *e = NULL;
	int r;

	if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0)
		DIE(sync, errno, "make / private: %s", strerror(errno));
	/*
	 * nodev: a device node shipped in a layer or made in the writable layer cannot be
	 * opened (EACCES, checked before the device cgroup's EPERM); /dev is a tmpfs of its own.
	 */
	if (nd_ovl_opts(s->lower, s->n_lower, s->upper, s->work, &opts, &e) < 0 ||
	    nd_ovl_mount(s->merged, opts, MS_NODEV, &e) < 0)
		DIE(sync, e->errnum, "%s", e->msg);
	if ((r = mount_at(s->merged, "/proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL)) < 0)
		DIE(sync, -r, "mount /proc: %s", strerror(-r));
	setup_dev(sync, s->merged, s->shm_size);
	add_devices(sync, s);
	set_sysctls(sync, s);
	if ((r = mount_at(s->merged, "/sys", "sysfs", (s->privileged ? 0 : MS_RDONLY) | MS_NOSUID | MS_NODEV | MS_NOEXEC,
			  NULL)) < 0)
		DIE(sync, -r, "mount /sys: %s", strerror(-r));
	user_mounts(sync, s);
	if (s->privileged) {
		host_devices(sync, s->merged);
	} else {
		mask_paths(sync, s->merged);
		readonly_proc(sync, s->merged);
	}
	bind_etc(sync, s);
	/* Last, once every mount point exists: only the root's own mount becomes read-only. */
	if (s->read_only && mount(NULL, s->merged, NULL, MS_REMOUNT | MS_BIND | MS_RDONLY | MS_NODEV, NULL) < 0)
		DIE(sync, errno, "read-only root: %s", strerror(errno));
	/* pivot_root(".", "."): the old root ends up on top of the new one, then goes. */
	if (chdir(s->merged) < 0 || syscall(SYS_pivot_root, ".", ".") < 0 || umount2(".", MNT_DETACH) < 0 ||
	    chdir("/") < 0)
		DIE(sync, errno, "pivot_root into '%s': %s", s->merged, strerror(errno));
}

/* Why the command did not run: ND_ERR_NO_COMMAND (exit 127) or ND_ERR_CANNOT_EXEC (126). */
struct exec_fail {
	int code;
	int errnum;
	char text[400];
};

/* What the command is made of, and how it runs. */
struct cmd_spec {
	char *const *argv, *const *env;
	const char *cwd, *user;
	unsigned long long caps;
	const struct nd_seccomp *filter; /* NULL: unconfined */
	bool pdeath;                     /* die with our parent (the monitor) even after a user change */
	char *const *groups;             /* supplementary groups */
	char *const *ulimits;            /* NAME=SOFT[:HARD], checked */
	bool mkcwd;                      /* create a missing working directory (docker run -w) */
};

/* mkdir -p, as root in the container before the user change (Docker makes -w's directory so). */
static void make_cwd(const char *cwd)
{
	char path[4096];

	snprintf(path, sizeof(path), "%s", cwd);
	for (char *p = path + 1; *p; p++)
		if (*p == '/') {
			*p = 0;
			(void)mkdir(path, 0755);
			*p = '/';
		}
	(void)mkdir(path, 0755);
}

/* --ulimit: set while we still hold CAP_SYS_RESOURCE (a hard limit may go up). */
static int set_ulimits(char *const *ulimits, char *errbuf, size_t errlen)
{
	for (; ulimits && *ulimits; ulimits++) {
		struct nd_err *e = NULL;
		struct rlimit rl;
		int res, r = nd_ulimit_parse(*ulimits, &res, &rl, &e);

		nd_err_free(e);
		if (r >= 0 && setrlimit(res, &rl) < 0)
			r = -errno;
		if (r < 0) {
			snprintf(errbuf, errlen, "--ulimit '%s': %s", *ulimits, strerror(-r));
			return r;
		}
	}
	return 0;
}

/*
 * Become the command: returns only when that failed, with f saying why. filter is
 * installed last: between it and the exec only write, exit and execve itself are
 * called, which the profile allows.
 */
static void try_exec(struct exec_fail *f, const struct cmd_spec *c)
{
	bool exec_failed = false;
	sigset_t none;
	int r;

	sigemptyset(&none);
	for (int sig = 1; sig < NSIG; sig++)
		if (sig != SIGKILL && sig != SIGSTOP)
			signal(sig, SIG_DFL);
	sigprocmask(SIG_SETMASK, &none, NULL);
	if (c->mkcwd && c->cwd)
		make_cwd(c->cwd);
	r = set_ulimits(c->ulimits, f->text, sizeof(f->text));
	if (r == 0)
		r = nd_creds_become(c->user, c->cwd, c->caps, c->groups, f->text, sizeof(f->text));
	/* A change of user clears the parent-death signal: the command must not outlive its monitor. */
	if (r == 0 && c->pdeath)
		(void)prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0);
	if (r == 0) {
		/* Whatever the caller's shell left open, the container does not get it. */
		(void)syscall(SYS_close_range, 3, ~0U, CLOSE_RANGE_CLOEXEC);
		environ = (char **)c->env;
		if (c->filter && (r = nd_seccomp_load(c->filter)) < 0) {
			snprintf(f->text, sizeof(f->text), "seccomp: %s", strerror(-r));
		} else {
			execvp(c->argv[0], c->argv);
			r = -errno;
			exec_failed = true;
			snprintf(f->text, sizeof(f->text), "exec '%s': %s", c->argv[0], strerror(errno));
		}
	}
	f->errnum = -r;
	f->code = exec_failed && r == -ENOENT ? ND_ERR_NO_COMMAND : ND_ERR_CANNOT_EXEC;
}

/* The command's process under an init or exec: never returns. fail is a CLOEXEC pipe: silence means exec worked. */
static __attribute__((noreturn)) void exec_command(int fail, const struct cmd_spec *c)
{
	struct exec_fail f = { 0 };

	try_exec(&f, c);
	(void)!write(fail, &f, sizeof(f));
	_exit(nd_code_info(f.code)->exit);
}

static int status_code(int st)
{
	if (WIFEXITED(st))
		return WEXITSTATUS(st);
	if (WIFSIGNALED(st))
		return 128 + WTERMSIG(st);
	return 255;
}

/* PID 1: forward every signal to the command, reap every child, exit as the command did. */
static __attribute__((noreturn)) void init_loop(pid_t cmd)
{
	sigset_t all;

	sigfillset(&all);
	for (;;) {
		siginfo_t si;
		int sig = sigwaitinfo(&all, &si), st;
		pid_t p;

		if (sig < 0)
			continue;
		if (sig != SIGCHLD) {
			(void)kill(cmd, sig);
			continue;
		}
		while ((p = waitpid(-1, &st, WNOHANG)) > 0)
			if (p == cmd)
				_exit(status_code(st));
	}
}

static void noop(int sig)
{
	(void)sig;
}

/*
 * We are a copy of the monitor, not an exec: without this, `ps` in the container would
 * show the host's `netd run ...` command line as PID 1's. Best effort (CAP_SYS_RESOURCE).
 */
static void hide_cmdline(void)
{
	char buf[2048], *p;
	unsigned long start = 0, end = 0;
	_cleanup_close_ int fd = open("/proc/self/stat", O_RDONLY | O_CLOEXEC);
	ssize_t n = fd >= 0 ? read(fd, buf, sizeof(buf) - 1) : -1;

	(void)prctl(PR_SET_NAME, "init", 0, 0, 0);
	if (n <= 0)
		return;
	buf[n] = 0;
	p = strrchr(buf, ')');
	/* Fields 48 and 49 (arg_start, arg_end), counted from field 3 after the comm. */
	for (int field = 3; p && field <= 48; field++)
		p = strchr(p + 1, ' ');
	if (!p || sscanf(p + 1, "%lu %lu", &start, &end) != 2 || end <= start + 5)
		return;
	/* Our own argv strings, on our own stack: overwrite them in place. */
	memset((void *)start, 0, end - start);
	memcpy((void *)start, "init", 5);
}

/* Set by nd_ctr_spawn before the clone; the child reads its copy. */
static bool born_in_cgroup;

/*
 * Once the command runs, PID 1 needs nothing but to wait, reap and forward signals: it
 * keeps CAP_KILL alone (the command may run as another user, and init must still
 * forward `netd stop`'s SIGTERM to it), gets no_new_privs and the command's filter.
 */
static int confine_init(const struct nd_seccomp *filter)
{
	int r = nd_creds_drop_caps(1ULL << CAP_KILL);

	if (r >= 0 && prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
		r = -errno;
	if (r >= 0 && filter)
		r = nd_seccomp_load(filter);
	return r;
}

/*
 * Fork the command, confine ourselves, then let it go: the command runs only once PID 1
 * holds no more than CAP_KILL, so it never sees a privileged init. Returns the command's
 * pid once its exec succeeded; reports and dies otherwise.
 */
static pid_t start_command(int sync, const struct nd_ctr_spec *s, const struct nd_seccomp *filter)
{
	int fail[2], go[2];
	struct exec_fail f;
	ssize_t n;
	pid_t cmd;
	char c;

	if (pipe2(fail, O_CLOEXEC) < 0 || pipe2(go, O_CLOEXEC) < 0)
		DIE(sync, errno, "pipe: %s", strerror(errno));
	cmd = fork();
	if (cmd < 0)
		DIE(sync, errno, "fork: %s", strerror(errno));
	if (cmd == 0) {
		close(fail[0]);
		close(go[1]);
		close(sync);
		if (s->new_session || s->tty)
			(void)setsid();
		/* The pty becomes the command's controlling terminal: ^C, job control, SIGWINCH. */
		if (s->tty)
			(void)ioctl(0, TIOCSCTTY, 0);
		/* End of file: the init died before confining itself. */
		while ((n = read(go[0], &c, 1)) < 0 && errno == EINTR)
			;
		if (n != 1)
			_exit(1);
		close(go[0]);
		exec_command(fail[1], &(struct cmd_spec){ s->argv, s->env, s->cwd, s->user, s->caps, filter, false,
							  s->group_add, s->ulimits, s->mkcwd });
	}
	close(fail[1]);
	close(go[0]);
	if ((n = confine_init(filter)) < 0)
		DIE(sync, (int)-n, "confine the container's init: %s", strerror((int)-n));
	if (write(go[1], "g", 1) != 1)
		DIE(sync, errno, "start the command: %s", strerror(errno));
	close(go[1]);
	do
		n = read(fail[0], &f, sizeof(f));
	while (n < 0 && errno == EINTR);
	if (n == (ssize_t)sizeof(f)) {
		send_msg(sync, MSG_ERR, f.errnum, f.code, "%s", f.text);
		_exit(1);
	}
	close(fail[0]);
	return cmd;
}

/*
 * Docker's default: we become the command, PID 1 of its namespace. The setup channel is
 * CLOEXEC: the monitor reads end of file once the exec worked, or our reason why not.
 */
static __attribute__((noreturn)) void exec_as_pid1(int sync, const struct nd_ctr_spec *s, const struct nd_seccomp *filter)
{
	struct exec_fail f = { 0 };

	if (s->new_session || s->tty)
		(void)setsid();
	/* The pty becomes the command's controlling terminal: ^C, job control, SIGWINCH. */
	if (s->tty)
		(void)ioctl(0, TIOCSCTTY, 0);
	try_exec(&f, &(struct cmd_spec){ s->argv, s->env, s->cwd, s->user, s->caps, filter, true, s->group_add, s->ulimits,
					 s->mkcwd });
	send_msg(sync, MSG_ERR, f.errnum, f.code, "%s", f.text);
	_exit(nd_code_info(f.code)->exit);
}

/*
 * -t: a pty of the container's own devpts, so that the command's tty is /dev/pts/0 inside.
 * The master goes to the monitor with the READY message (SCM_RIGHTS); the slave is kept.
 */
static int open_pty(int sync)
{
	struct msg m = { .type = MSG_READY };
	char name[64], cbuf[CMSG_SPACE(sizeof(int))] = { 0 };
	struct iovec iov = { .iov_base = &m, .iov_len = sizeof(m) };
	struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = cbuf, .msg_controllen = sizeof(cbuf) };
	struct cmsghdr *cm = CMSG_FIRSTHDR(&mh);
	int ptm = open("/dev/ptmx", O_RDWR | O_NOCTTY | O_CLOEXEC), pts;

	if (ptm < 0 || unlockpt(ptm) < 0 || ptsname_r(ptm, name, sizeof(name)) != 0)
		DIE(sync, errno, "pty: %s", strerror(errno));
	if ((pts = open(name, O_RDWR | O_NOCTTY | O_CLOEXEC)) < 0)
		DIE(sync, errno, "pty '%s': %s", name, strerror(errno));
	cm->cmsg_level = SOL_SOCKET;
	cm->cmsg_type = SCM_RIGHTS;
	cm->cmsg_len = CMSG_LEN(sizeof(int));
	memcpy(CMSG_DATA(cm), &ptm, sizeof(int));
	if (sendmsg(sync, &mh, MSG_NOSIGNAL) != (ssize_t)sizeof(m))
		_exit(1);
	close(ptm);
	return pts;
}

static __attribute__((noreturn)) void child_main(int sync, const struct nd_ctr_spec *s)
{
	struct nd_seccomp *filter = NULL;
	struct nd_err *e = NULL;
	struct msg m;
	pid_t cmd;
	int pts = -1;
	sigset_t all;

	/* If the monitor dies during setup, so do we. */
	(void)prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0);
	hide_cmdline();
	if (s->netns_fd >= 0 && setns(s->netns_fd, CLONE_NEWNET) < 0)
		DIE(sync, errno, "join the network namespace: %s", strerror(errno));
	/* Join the cgroup before unsharing the cgroup namespace, so it becomes the ns's root. */
	if (s->cg && !born_in_cgroup && nd_cg_join_self(s->cg, &e) < 0)
		DIE(sync, e->errnum, "%s", e->msg);
	if (unshare(CLONE_NEWCGROUP) < 0)
		DIE(sync, errno, "cgroup namespace: %s", strerror(errno));
	/*
	 * Loaded from the cache, or compiled (10-40 ms for three ABIs) while the monitor
	 * attaches the network; before the pivot, while the state dir is in sight. The init
	 * and the command install this one copy.
	 */
	if (!s->seccomp_unconfined && nd_seccomp_get(s->seccomp_cache, s->seccomp_profile, s->caps, &filter, &e) < 0)
		DIE(sync, e->errnum, "%s", e->msg);
	setup_root(sync, s);
	if (s->hostname && sethostname(s->hostname, strlen(s->hostname)) < 0)
		DIE(sync, errno, "hostname '%s': %s", s->hostname, strerror(errno));
	/*
	 * The user namespace comes last: the mounts above need the host's root, and root in
	 * the new namespace (host uid ND_USERNS_BASE) owns nothing of the host's.
	 */
	if (s->userns && unshare(CLONE_NEWUSER) < 0)
		DIE(sync, errno, "user namespace: %s", strerror(errno));
	if (s->tty)
		pts = open_pty(sync);
	else
		send_msg(sync, MSG_READY, 0, 0, NULL);
	if (recv(sync, &m, sizeof(m), 0) != (ssize_t)sizeof(m) || m.type != MSG_GO)
		_exit(1);
	if (s->userns && (setgroups(0, NULL) < 0 || setresgid(0, 0, 0) < 0 || setresuid(0, 0, 0) < 0))
		DIE(sync, errno, "become root in the user namespace: %s", strerror(errno));
	for (int i = 0; i < 3; i++)
		if ((pts >= 0 || s->stdio[i] >= 0) && dup2(pts >= 0 ? pts : s->stdio[i], i) < 0)
			DIE(sync, errno, "stdio: %s", strerror(errno));
	if (!s->init)
		exec_as_pid1(sync, s, filter);
	/* Every signal is waited for; a handler makes sure none is dropped as "ignored by init". */
	sigfillset(&all);
	sigprocmask(SIG_SETMASK, &all, NULL);
	for (int sig = 1; sig < NSIG; sig++)
		if (sig != SIGKILL && sig != SIGSTOP)
			signal(sig, noop);
	cmd = start_command(sync, s, filter);
	send_msg(sync, MSG_EXEC_OK, 0, 0, NULL);
	/* Nothing of the monitor's stays open in the container: not the lock, not stdio. */
	(void)syscall(SYS_close_range, 0, ~0U, 0);
	init_loop(cmd);
}

/* Mirrors struct clone_args (linux/sched.h, CLONE_ARGS_SIZE_VER2). */
struct nd_clone_args {
	uint64_t flags, pidfd, child_tid, parent_tid, exit_signal, stack, stack_size, tls;
	uint64_t set_tid, set_tid_size, cgroup;
};

#ifndef CLONE_INTO_CGROUP
#define CLONE_INTO_CGROUP 0x200000000ULL
#endif

int nd_ctr_spawn(const struct nd_ctr_spec *s, struct nd_ctr_proc *ret, struct nd_err **err)
{
	int sp[2], pidfd = -1, cgfd = -1;
	struct nd_clone_args a = { 0 };
	long pid;

	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sp) < 0)
		return nd_err_set(err, ND_ERR_SETUP, errno, "socketpair: %s", strerror(errno));
	a.flags = CLONE_NEWPID | CLONE_NEWNS | CLONE_NEWUTS | CLONE_NEWIPC | CLONE_PIDFD;
	a.pidfd = (uint64_t)(uintptr_t)&pidfd;
	a.exit_signal = SIGCHLD;
	/*
	 * v2: born in its cgroup (Linux 5.7), which spares the migration's wait for an RCU
	 * grace period. Where the kernel refuses, the child joins by itself.
	 */
	if (s->cg && s->cg->v2 && s->cg->dirs[0] && *s->cg->dirs[0])
		cgfd = open(s->cg->dirs[0], O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (cgfd >= 0) {
		a.flags |= CLONE_INTO_CGROUP;
		a.cgroup = (uint64_t)cgfd;
		born_in_cgroup = true;
	}
	/* Like fork: no stack given, the child runs on a copy of ours. */
	pid = syscall(SYS_clone3, &a, sizeof(a));
	if (pid < 0 && cgfd >= 0) {
		a.flags &= ~CLONE_INTO_CGROUP;
		a.cgroup = 0;
		born_in_cgroup = false;
		pid = syscall(SYS_clone3, &a, sizeof(a));
	}
	nd_closep(&cgfd);
	if (pid < 0) {
		int e = errno;

		close(sp[0]);
		close(sp[1]);
		return nd_err_set(err, ND_ERR_SETUP, e, "clone: %s", strerror(e));
	}
	if (pid == 0) {
		close(sp[0]);
		child_main(sp[1], s);
	}
	close(sp[1]);
	ret->pid = (pid_t)pid;
	ret->pidfd = pidfd;
	ret->sync = sp[0];
	ret->pty = -1;
	return 0;
}

static int write_map(pid_t pid, const char *file, const char *map)
{
	char path[64];
	_cleanup_close_ int fd = -1;
	size_t n = strlen(map);

	snprintf(path, sizeof(path), "/proc/%d/%s", (int)pid, file);
	fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0 || write(fd, map, n) != (ssize_t)n)
		return -errno;
	return 0;
}

/*
 * The child's next message; with eof_ok, end of file is one too (m->type 0: the command
 * was exec'd). A descriptor sent with it (the pty's master) lands in p->pty.
 */
static int recv_msg(struct nd_ctr_proc *p, struct msg *m, bool eof_ok, struct nd_err **err)
{
	char cbuf[CMSG_SPACE(sizeof(int))];
	struct iovec iov = { .iov_base = m, .iov_len = sizeof(*m) };
	struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = cbuf, .msg_controllen = sizeof(cbuf) };
	struct cmsghdr *cm;
	ssize_t n;

	do
		n = recvmsg(p->sync, &mh, MSG_CMSG_CLOEXEC);
	while (n < 0 && errno == EINTR);
	if (n == 0 && eof_ok) {
		m->type = 0;
		return 0;
	}
	cm = n > 0 ? CMSG_FIRSTHDR(&mh) : NULL;
	if (cm && cm->cmsg_level == SOL_SOCKET && cm->cmsg_type == SCM_RIGHTS) {
		nd_closep(&p->pty);
		memcpy(&p->pty, CMSG_DATA(cm), sizeof(int));
	}
	if (n != (ssize_t)sizeof(*m))
		return nd_err_set(err, ND_ERR_SETUP, EPIPE, "container init exited during setup");
	if (m->type == MSG_ERR)
		return nd_err_set(err, m->code ? m->code : ND_ERR_INTERNAL, m->errnum ? m->errnum : EIO, "%s", m->text);
	return 0;
}

static void kill_and_reap(struct nd_ctr_proc *p)
{
	int st;

	(void)kill(p->pid, SIGKILL);
	while (waitpid(p->pid, &st, 0) < 0 && errno == EINTR)
		;
	p->pid = 0;
}

int nd_ctr_start(struct nd_ctr_proc *p, const struct nd_ctr_spec *s, struct nd_err **err)
{
	struct msg m = { .type = MSG_GO };
	char map[64];
	int r;

	r = recv_msg(p, &m, false, err);
	if (r >= 0 && m.type != MSG_READY)
		r = nd_err_set(err, ND_ERR_INTERNAL, EPROTO, "container init: unexpected message %d", m.type);
	if (r >= 0 && s->userns) {
		/* We are root outside, so the maps need no setgroups=deny first. */
		snprintf(map, sizeof(map), "0 %d %d\n", ND_USERNS_BASE, ND_USERNS_SIZE);
		if ((r = write_map(p->pid, "uid_map", map)) < 0 || (r = write_map(p->pid, "gid_map", map)) < 0)
			r = nd_err_set(err, ND_ERR_SETUP, -r, "user namespace map: %s", strerror(-r));
	}
	if (r >= 0) {
		m = (struct msg){ .type = MSG_GO };
		if (send(p->sync, &m, sizeof(m), MSG_NOSIGNAL) != (ssize_t)sizeof(m))
			r = nd_err_set(err, ND_ERR_INTERNAL, errno, "container init: %s", strerror(errno));
	}
	if (r >= 0)
		r = recv_msg(p, &m, !s->init, err);
	if (r >= 0 && m.type != (s->init ? MSG_EXEC_OK : 0))
		r = nd_err_set(err, ND_ERR_INTERNAL, EPROTO, "container init: unexpected message %d", m.type);
	nd_closep(&p->sync);
	if (r >= 0 && s->tty && p->pty < 0)
		r = nd_err_set(err, ND_ERR_INTERNAL, EPROTO, "container init: no pty");
	if (r < 0) {
		kill_and_reap(p);
		if (s->tty)
			nd_closep(&p->pty);
	}
	return r;
}

int nd_ctr_wait(struct nd_ctr_proc *p, int *ret_code, struct nd_err **err)
{
	int st;

	while (waitpid(p->pid, &st, 0) < 0)
		if (errno != EINTR)
			return nd_err_set(err, ND_ERR_INTERNAL, errno, "wait for the container: %s", strerror(errno));
	p->pid = 0;
	*ret_code = status_code(st);
	return 0;
}

void nd_ctr_proc_close(struct nd_ctr_proc *p)
{
	if (p->pid > 0)
		kill_and_reap(p);
	nd_closep(&p->pidfd);
	nd_closep(&p->sync);
}

static bool same_ns(pid_t pid, const char *ns)
{
	char a[64], b[64];
	struct stat x, y;

	snprintf(a, sizeof(a), "/proc/self/ns/%s", ns);
	snprintf(b, sizeof(b), "/proc/%d/ns/%s", (int)pid, ns);
	return stat(a, &x) == 0 && stat(b, &y) == 0 && x.st_ino == y.st_ino && x.st_dev == y.st_dev;
}

DEFINE_CLEANUP(struct nd_seccomp, nd_seccomp_free)

/* exec -t, in the container's mount namespace: a pty of its devpts (its /dev/ptmx), or none. */
static void exec_pty(int *ptm, int *pts)
{
	char name[64];

	*ptm = open("/dev/ptmx", O_RDWR | O_NOCTTY | O_CLOEXEC);
	if (*ptm >= 0 && (unlockpt(*ptm) < 0 || ptsname_r(*ptm, name, sizeof(name)) != 0 ||
			  (*pts = open(name, O_RDWR | O_NOCTTY | O_CLOEXEC)) < 0))
		nd_closep(ptm);
}

/* The helper of nd_ctr_exec: join the container, fork the command, wait for it; never returns. */
static __attribute__((noreturn)) void exec_helper(int pidfd, int flags, const struct nd_exec_spec *s,
						  const struct nd_seccomp *filter, int fail)
{
	struct exec_fail f = { 0 };
	struct nd_err *e = NULL;
	pid_t cmd;
	int st, ptm = -1, pts = -1;

	(void)prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0);
	if (s->cg && nd_cg_join_self(s->cg, &e) < 0) {
		f.errnum = e->errnum;
		snprintf(f.text, sizeof(f.text), "%s", e->msg);
	} else if (setns(pidfd, flags) < 0) {
		f.errnum = errno;
		snprintf(f.text, sizeof(f.text), "join the container's namespaces: %s", strerror(errno));
	} else if ((flags & CLONE_NEWUSER) && (setgroups(0, NULL) < 0 || setresgid(0, 0, 0) < 0 || setresuid(0, 0, 0) < 0)) {
		f.errnum = errno;
		snprintf(f.text, sizeof(f.text), "become root in the user namespace: %s", strerror(errno));
	}
	if (f.errnum) {
		f.code = ND_ERR_CANNOT_EXEC;
		(void)!write(fail, &f, sizeof(f));
		_exit(126);
	}
	if (s->tty)
		exec_pty(&ptm, &pts);
	/* Joining a PID namespace takes effect for children: the command is one. */
	cmd = fork();
	if (cmd == 0) {
		if (pts >= 0 && (setsid() < 0 || dup2(pts, 0) < 0 || dup2(pts, 1) < 0 || dup2(pts, 2) < 0 ||
				 ioctl(0, TIOCSCTTY, 0) < 0))
			_exit(126);
		exec_command(fail, &(struct cmd_spec){ s->argv, s->env, s->cwd, s->user, s->caps, filter, false, s->group_add,
						       NULL, false });
	}
	close(fail);
	if (cmd < 0)
		_exit(126);
	signal(SIGINT, SIG_IGN);
	signal(SIGTERM, SIG_IGN);
	if (ptm >= 0) {
		close(pts);
		nd_tty_relay(ptm, NULL, true, s->interactive, -1);
	}
	while (waitpid(cmd, &st, 0) < 0)
		if (errno != EINTR)
			_exit(126);
	_exit(status_code(st));
}

int nd_ctr_exec(pid_t pid, int pidfd, const struct nd_exec_spec *s, int *ret_code, struct nd_err **err)
{
	_cleanup_(nd_seccomp_freep) struct nd_seccomp *filter = NULL;
	int fail[2], flags = CLONE_NEWNS | CLONE_NEWUTS | CLONE_NEWIPC | CLONE_NEWPID | CLONE_NEWCGROUP, st, r;
	struct exec_fail f = { 0 };
	pid_t helper;
	ssize_t n;

	if (!same_ns(pid, "net"))
		flags |= CLONE_NEWNET;
	if (!same_ns(pid, "user"))
		flags |= CLONE_NEWUSER;
	/* The container's own profile, as its command got it. */
	if (!s->seccomp_unconfined && (r = nd_seccomp_get(s->seccomp_cache, s->seccomp_profile, s->caps, &filter, err)) < 0)
		return r;
	if (pipe2(fail, O_CLOEXEC) < 0)
		return nd_err_set(err, ND_ERR_INTERNAL, errno, "pipe: %s", strerror(errno));
	helper = fork();
	if (helper == 0) {
		/* A short-lived child joins, so the caller never leaves its namespaces. */
		close(fail[0]);
		exec_helper(pidfd, flags, s, filter, fail[1]);
	}
	if (helper < 0) {
		r = nd_err_set(err, ND_ERR_INTERNAL, errno, "fork: %s", strerror(errno));
		close(fail[0]);
		close(fail[1]);
		return r;
	}
	close(fail[1]);
	do
		n = read(fail[0], &f, sizeof(f));
	while (n < 0 && errno == EINTR);
	close(fail[0]);
	while (waitpid(helper, &st, 0) < 0)
		if (errno != EINTR)
			return nd_err_set(err, ND_ERR_INTERNAL, errno, "wait: %s", strerror(errno));
	if (n == (ssize_t)sizeof(f))
		return nd_err_set(err, f.code, f.errnum ? f.errnum : EIO, "%s", f.text);
	*ret_code = status_code(st);
	return 0;
}

/*
 * The container process: cloned into new PID, mount, UTS, IPC and cgroup namespaces (and
 * the network namespace it is given), it mounts its overlay root, a fresh /proc, a minimal
 * /dev and a read-only /sys, pivots into the root, and execs the command, which is PID 1
 * in its PID namespace as with `docker run` (the kernel's PID 1 rules apply to it; the
 * monitor outside still reaps it). With init (run --init) a tiny init stays PID 1 instead:
 * it forks the command, forwards signals to it, reaps zombies and exits with its status;
 * once the command runs, it keeps only CAP_KILL and gets no_new_privs and the filter too.
 * The command runs with its capability set (Docker's default one unless asked), no_new_privs
 * and its seccomp profile; its root is mounted nodev and Docker's masked paths are covered.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "base/err.h"
#include "runtime/cgroup.h"
#include "runtime/creds.h" /* nd_ctr_default_caps */
#include "runtime/ctrmount.h"

#define ND_USERNS_BASE 100000
#define ND_USERNS_SIZE 65536

struct nd_ctr_spec {
	const char *hostname;
	const char *const *lower; /* overlay lower directories, top first */
	size_t n_lower;
	const char *upper, *work, *merged;
	char *const *argv;
	char *const *env;
	const char *cwd;            /* NULL: "/" */
	const char *user;           /* NULL: root; "uid[:gid]" or names from the container's /etc files */
	int netns_fd;               /* -1: stay in the caller's netns; else join this one */
	const struct nd_cgroup *cg; /* NULL: none */
	bool userns;                /* root inside is ND_USERNS_BASE outside */
	int stdio[3];               /* -1: inherit */
	bool new_session;           /* setsid() for the command (detached containers) */
	bool seccomp_unconfined;    /* no seccomp filter (else the default profile, lib/runtime/secprofile.h) */
	const char *etc_dir;        /* hostname, hosts, resolv.conf to bind over the root's /etc ones; NULL: none */
	/* issue 13: the command is PID 1 unless init; caps its capability set; a Docker JSON profile. */
	bool init;                  /* the small init as PID 1 in front of the command (run --init) */
	unsigned long long caps;    /* bounding/effective/permitted set of the command (bit N: cap N) */
	const char *seccomp_profile; /* Docker's JSON profile text; NULL: the default profile */
	bool privileged;            /* /sys read-write, host devices in /dev, nothing masked */
	char *const *ulimits;       /* --ulimit NAME=SOFT[:HARD] (checked: runtime/runopts.h) */
	char *const *sysctls;       /* --sysctl KEY=VALUE (checked) */
	char *const *group_add;     /* supplementary groups (names from the container's /etc/group, or numbers) */
	unsigned long long shm_size; /* /dev/shm's size; 0: 64 MiB */
	bool mkcwd;                 /* create the working directory when missing (docker run -w) */
	const char *seccomp_cache;  /* compiled filters' directory (runtime/seccache.h); NULL: none */
	char *const *devices;       /* --device HOST[:CTR[:PERMS]] (checked): made in /dev */
	const struct nd_ctr_mount *mounts; /* -v, --mount, --tmpfs (runtime/ctrmount.h), in order */
	size_t n_mounts;
	bool read_only;             /* --read-only: the root read-only (its mounts stay as they are) */
	bool tty;                   /* -t: the command's stdio is a pty of the container's own devpts (/dev/pts/0) */
};

struct nd_ctr_proc {
	pid_t pid;  /* the init, in our PID namespace */
	int pidfd;
	int sync;   /* our end of the setup channel */
	int pty;    /* -t: the pty's master once nd_ctr_start succeeded (the caller takes it), else unused */
};

/*
 * Clone the container's init. It prepares its root while the caller attaches the
 * network; nd_ctr_start lets it run the command. On failure nothing is left running.
 */
int nd_ctr_spawn(const struct nd_ctr_spec *s, struct nd_ctr_proc *ret, struct nd_err **err);
/*
 * Wait for the init to be ready, write its user namespace maps when asked, let it exec
 * the command, and report why the command did not run: code ND_ERR_NO_COMMAND when it
 * was not found, ND_ERR_CANNOT_EXEC when it (or its user or working directory) failed
 * otherwise. On failure the init has been killed and reaped.
 */
int nd_ctr_start(struct nd_ctr_proc *p, const struct nd_ctr_spec *s, struct nd_err **err);
/* Reap the init: its exit status follows the shell's rule (128+N for a signal). */
int nd_ctr_wait(struct nd_ctr_proc *p, int *ret_code, struct nd_err **err);
void nd_ctr_proc_close(struct nd_ctr_proc *p);

struct nd_exec_spec {
	char *const *argv;
	char *const *env;
	const char *cwd, *user;     /* NULL: "/" and root */
	const struct nd_cgroup *cg; /* NULL: none */
	bool seccomp_unconfined;
	unsigned long long caps;     /* as the container's command got them */
	const char *seccomp_profile; /* NULL: the default profile */
	char *const *group_add;      /* as the container's command got them */
	const char *seccomp_cache;   /* NULL: compile the filter */
	bool tty, interactive;      /* -t: a pty of the container's devpts, relayed by the helper; -i: our stdin in */
};
/*
 * Run s->argv inside the running container whose init is pid, pinned by pidfd (see
 * nd_ctr_pidfd): join its cgroup and every namespace it has (like nsenter), with the
 * same capability set, no_new_privs and seccomp profile, and wait for it. *ret_code as
 * nd_ctr_wait.
 */
int nd_ctr_exec(pid_t pid, int pidfd, const struct nd_exec_spec *s, int *ret_code, struct nd_err **err);


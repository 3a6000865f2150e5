#include "runtime/secprofile.h"

#include <errno.h>
#include <linux/capability.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <sched.h>
#include <stdint.h>
#include <stdio.h>
#include <seccomp.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "base/cleanup.h"

/* The compiled filter: children install it with one system call, no libseccomp work. */
struct nd_seccomp {
	struct sock_fprog prog;
};

#define CAP(c) (1ULL << (c))
#ifndef CAP_PERFMON
#define CAP_PERFMON 38
#endif
#ifndef CAP_BPF
#define CAP_BPF 39
#endif

/*
 * The ordinary system calls: files, memory, processes without namespaces, signals,
 * sockets, time reading, IPC, scheduling of one's own tasks. Names unknown to this
 * libseccomp or absent on this architecture are skipped (their calls stay denied).
 */
static const char *const allowed[] = {
	"accept", "accept4", "access", "adjtimex", "alarm", "bind", "brk", "cachestat", "capget", "capset", "chdir",
	"chmod", "chown", "chown32", "clock_adjtime", "clock_adjtime64", "clock_getres", "clock_getres_time64",
	"clock_gettime", "clock_gettime64", "clock_nanosleep", "clock_nanosleep_time64", "close", "close_range",
	"connect", "copy_file_range", "creat", "dup", "dup2", "dup3", "epoll_create", "epoll_create1", "epoll_ctl",
	"epoll_ctl_old", "epoll_pwait", "epoll_pwait2", "epoll_wait", "epoll_wait_old", "eventfd", "eventfd2",
	"execve", "execveat", "exit", "exit_group", "faccessat", "faccessat2", "fadvise64", "fadvise64_64",
	"fallocate", "fanotify_mark", "fchdir", "fchmod", "fchmodat", "fchmodat2", "fchown", "fchown32", "fchownat",
	"fcntl", "fcntl64", "fdatasync", "fgetxattr", "flistxattr", "flock", "fork", "fremovexattr", "fsetxattr",
	"fstat", "fstat64", "fstatat64", "fstatfs", "fstatfs64", "fsync", "ftruncate", "ftruncate64", "futex",
	"futex_requeue", "futex_time64", "futex_wait", "futex_waitv", "futex_wake", "futimesat", "getcpu", "getcwd",
	"getdents", "getdents64", "getegid", "getegid32", "geteuid", "geteuid32", "getgid", "getgid32", "getgroups",
	"getgroups32", "getitimer", "getpeername", "getpgid", "getpgrp", "getpid", "getppid", "getpriority",
	"getrandom", "getresgid", "getresgid32", "getresuid", "getresuid32", "getrlimit", "get_robust_list",
	"getrusage", "getsid", "getsockname", "getsockopt", "get_thread_area", "gettid", "gettimeofday", "getuid",
	"getuid32", "getxattr", "inotify_add_watch", "inotify_init", "inotify_init1", "inotify_rm_watch",
	"io_cancel", "ioctl", "io_destroy", "io_getevents", "io_pgetevents", "io_pgetevents_time64", "ioprio_get",
	"ioprio_set", "io_setup", "io_submit", "ipc", "kill", "landlock_add_rule", "landlock_create_ruleset",
	"landlock_restrict_self", "lchown", "lchown32", "lgetxattr", "link", "linkat", "listen", "listxattr",
	"llistxattr", "_llseek", "lremovexattr", "lseek", "lsetxattr", "lstat", "lstat64", "madvise",
	"map_shadow_stack", "membarrier", "memfd_create", "memfd_secret", "mincore", "mkdir", "mkdirat", "mknod",
	"mknodat", "mlock", "mlock2", "mlockall", "mmap", "mmap2", "mprotect", "mq_getsetattr", "mq_notify",
	"mq_open", "mq_timedreceive", "mq_timedreceive_time64", "mq_timedsend", "mq_timedsend_time64", "mq_unlink",
	"mremap", "msgctl", "msgget", "msgrcv", "msgsnd", "msync", "munlock", "munlockall", "munmap", "nanosleep",
	"newfstatat", "_newselect", "open", "openat", "openat2", "pause", "pidfd_open", "pidfd_send_signal", "pipe",
	"pipe2", "pkey_alloc", "pkey_free", "pkey_mprotect", "poll", "ppoll", "ppoll_time64", "prctl", "pread64",
	"preadv", "preadv2", "prlimit64", "process_mrelease", "pselect6", "pselect6_time64", "pwrite64", "pwritev",
	"pwritev2", "read", "readahead", "readlink", "readlinkat", "readv", "recv", "recvfrom", "recvmmsg",
	"recvmmsg_time64", "recvmsg", "remap_file_pages", "removexattr", "rename", "renameat", "renameat2",
	"restart_syscall", "rmdir", "rseq", "rt_sigaction", "rt_sigpending", "rt_sigprocmask", "rt_sigqueueinfo",
	"rt_sigreturn", "rt_sigsuspend", "rt_sigtimedwait", "rt_sigtimedwait_time64", "rt_tgsigqueueinfo",
	"sched_getaffinity", "sched_getattr", "sched_getparam", "sched_get_priority_max", "sched_get_priority_min",
	"sched_getscheduler", "sched_rr_get_interval", "sched_rr_get_interval_time64", "sched_setaffinity",
	"sched_setattr", "sched_setparam", "sched_setscheduler", "sched_yield", "seccomp", "select", "semctl",
	"semget", "semop", "semtimedop", "semtimedop_time64", "send", "sendfile", "sendfile64", "sendmmsg",
	"sendmsg", "sendto", "setfsgid", "setfsgid32", "setfsuid", "setfsuid32", "setgid", "setgid32", "setgroups",
	"setgroups32", "setitimer", "setpgid", "setpriority", "setregid", "setregid32", "setresgid", "setresgid32",
	"setresuid", "setresuid32", "setreuid", "setreuid32", "setrlimit", "set_robust_list", "setsid",
	"setsockopt", "set_thread_area", "set_tid_address", "setuid", "setuid32", "setxattr", "shmat", "shmctl",
	"shmdt", "shmget", "shutdown", "sigaltstack", "signalfd", "signalfd4", "sigprocmask", "sigreturn",
	"socketcall", "socketpair", "splice", "stat", "stat64", "statfs", "statfs64", "statx", "symlink",
	"symlinkat", "sync", "sync_file_range", "syncfs", "sysinfo", "tee", "tgkill", "time", "timer_create",
	"timer_delete", "timer_getoverrun", "timer_gettime", "timer_gettime64", "timer_settime",
	"timer_settime64", "timerfd_create", "timerfd_gettime", "timerfd_gettime64", "timerfd_settime",
	"timerfd_settime64", "times", "tkill", "truncate", "truncate64", "ugetrlimit", "umask", "uname", "unlink",
	"unlinkat", "utime", "utimensat", "utimensat_time64", "utimes", "vfork", "vmsplice", "wait4", "waitid",
	"waitpid", "write", "writev",
	/* Since Linux 4.8 ptrace cannot be used to bypass seccomp, so Docker allows these. */
	"ptrace", "process_vm_readv", "process_vm_writev",
	/* Architecture-specific ones (skipped where they do not exist). */
	"arch_prctl", "modify_ldt", "sync_file_range2", "arm_fadvise64_64", "arm_sync_file_range", "breakpoint",
	"cacheflush", "set_tls", "riscv_flush_icache", "s390_pci_mmio_read", "s390_pci_mmio_write",
	"s390_runtime_instr",
};

/* Calls allowed only with one of the capabilities (Docker ties the same calls to them). */
static const struct {
	unsigned long long caps;
	const char *names[26];
} by_cap[] = {
	{ CAP(CAP_SYS_ADMIN),
	  { "bpf", "clone", "clone3", "fanotify_init", "fsconfig", "fsmount", "fsopen", "fspick", "lookup_dcookie",
	    "mount", "mount_setattr", "move_mount", "name_to_handle_at", "open_tree", "perf_event_open", "pivot_root",
	    "quotactl", "quotactl_fd", "setdomainname", "sethostname", "setns", "syslog", "umount", "umount2", "unshare" } },
	{ CAP(CAP_DAC_READ_SEARCH), { "open_by_handle_at" } },
	{ CAP(CAP_SYS_BOOT), { "reboot" } },
	{ CAP(CAP_SYS_CHROOT), { "chroot" } },
	{ CAP(CAP_SYS_MODULE), { "delete_module", "init_module", "finit_module" } },
	{ CAP(CAP_SYS_PACCT), { "acct" } },
	{ CAP(CAP_SYS_PTRACE), { "kcmp", "pidfd_getfd", "process_madvise", "userfaultfd" } },
	{ CAP(CAP_SYS_RAWIO), { "iopl", "ioperm" } },
	{ CAP(CAP_SYS_TIME), { "settimeofday", "stime", "clock_settime", "clock_settime64" } },
	{ CAP(CAP_SYS_TTY_CONFIG), { "vhangup" } },
	{ CAP(CAP_SYS_NICE), { "get_mempolicy", "mbind", "set_mempolicy", "set_mempolicy_home_node" } },
	{ CAP(CAP_SYSLOG), { "syslog" } },
	{ CAP(CAP_BPF), { "bpf" } },
	{ CAP(CAP_PERFMON), { "perf_event_open" } },
};

/*
 * Never allowed, whatever the capabilities (listed for the reader; the default action
 * answers them): keyctl, add_key, request_key (the keyrings are not namespaced),
 * kexec_load, kexec_file_load, swapon, swapoff, io_uring_* (Docker dropped them),
 * nfsservctl, uselib, ustat, sysfs, _sysctl, vm86, create_module, ...
 */

/* Namespace flags clone must not carry without CAP_SYS_ADMIN. */
#define NS_FLAGS                                                                                                   \
	(CLONE_NEWNS | CLONE_NEWUTS | CLONE_NEWIPC | CLONE_NEWUSER | CLONE_NEWPID | CLONE_NEWNET | CLONE_NEWCGROUP)

/* personality(2): Linux, Linux32, UNAME26 and their mix, and the query 0xffffffff. */
static const unsigned long personalities[] = { 0x0, 0x8, 0x20000, 0x20008, 0xffffffffUL };

static int add_name(scmp_filter_ctx ctx, uint32_t action, const char *name, unsigned n_args,
		    const struct scmp_arg_cmp *args)
{
	int nr = seccomp_syscall_resolve_name(name), r;

	if (nr == __NR_SCMP_ERROR)
		return 0;
	r = seccomp_rule_add_array(ctx, action, nr, n_args, args);
	/* Listed twice (syslog for CAP_SYS_ADMIN and CAP_SYSLOG) is fine. */
	if (r == -EEXIST)
		return 0;
	/* A pseudo-number (the call does not exist on these architectures) may be refused. */
	return r < 0 && nr < 0 ? 0 : r;
}

static int add_names(scmp_filter_ctx ctx, const char *const *names, size_t n)
{
	for (size_t i = 0; i < n && names[i]; i++) {
		int r = add_name(ctx, SCMP_ACT_ALLOW, names[i], 0, NULL);

		if (r < 0)
			return r;
	}
	return 0;
}

/* The calls whose arguments decide, and clone/clone3 without CAP_SYS_ADMIN. */
static int add_conditional(scmp_filter_ctx ctx, unsigned long long caps)
{
	/* s390's clone takes the stack first and the flags second. */
#ifdef __s390__
	const unsigned clone_flags_arg = 1;
#else
	const unsigned clone_flags_arg = 0;
#endif
	struct scmp_arg_cmp a;
	int r = 0;

	for (size_t i = 0; r >= 0 && i < ND_ARRAY_SIZE(personalities); i++) {
		a = SCMP_A0(SCMP_CMP_EQ, personalities[i]);
		r = add_name(ctx, SCMP_ACT_ALLOW, "personality", 1, &a);
	}
	/* Every socket family but vsock, which reaches the hypervisor. */
	a = SCMP_A0(SCMP_CMP_NE, AF_VSOCK);
	if (r >= 0)
		r = add_name(ctx, SCMP_ACT_ALLOW, "socket", 1, &a);
	if (r < 0 || (caps & CAP(CAP_SYS_ADMIN)))
		return r;
	a = (struct scmp_arg_cmp){ .arg = clone_flags_arg, .op = SCMP_CMP_MASKED_EQ, .datum_a = NS_FLAGS, .datum_b = 0 };
	r = add_name(ctx, SCMP_ACT_ALLOW, "clone", 1, &a);
	/* clone3's flags are behind a pointer seccomp cannot read: make libc fall back to clone. */
	if (r >= 0)
		r = add_name(ctx, SCMP_ACT_ERRNO(ENOSYS), "clone3", 0, NULL);
	return r;
}

static int build_rules(scmp_filter_ctx ctx, unsigned long long caps)
{
	int r = add_names(ctx, allowed, ND_ARRAY_SIZE(allowed));

	for (size_t i = 0; r >= 0 && i < ND_ARRAY_SIZE(by_cap); i++)
		if (caps & by_cap[i].caps)
			r = add_names(ctx, by_cap[i].names, ND_ARRAY_SIZE(by_cap[i].names));
	return r < 0 ? r : add_conditional(ctx, caps);
}

/* libseccomp 2.5 exports only to an fd: through a memfd into our memory. */
static int export_bpf(scmp_filter_ctx ctx, struct sock_fprog *ret)
{
	_cleanup_close_ int fd = (int)syscall(SYS_memfd_create, "netd-seccomp", MFD_CLOEXEC);
	struct stat st;
	void *buf;
	int r;

	if (fd < 0)
		return -errno;
	if ((r = seccomp_export_bpf(ctx, fd)) < 0)
		return r;
	if (fstat(fd, &st) < 0)
		return -errno;
	if (st.st_size <= 0 || st.st_size % (off_t)sizeof(struct sock_filter) ||
	    st.st_size / (off_t)sizeof(struct sock_filter) > BPF_MAXINSNS)
		return -E2BIG;
	buf = malloc((size_t)st.st_size);
	if (!buf)
		return -ENOMEM;
	if (pread(fd, buf, (size_t)st.st_size, 0) != (ssize_t)st.st_size) {
		free(buf);
		return -EIO;
	}
	ret->filter = buf;
	ret->len = (unsigned short)(st.st_size / (off_t)sizeof(struct sock_filter));
	return 0;
}

int nd_seccomp_build(unsigned long long caps, struct nd_seccomp **ret, struct nd_err **err)
{
	_cleanup_free_ struct nd_seccomp *f = calloc(1, sizeof(*f));
	scmp_filter_ctx ctx;
	int r = 0;

	if (!f)
		return nd_oom(err);
	ctx = seccomp_init(SCMP_ACT_ERRNO(EPERM));
	if (!ctx)
		return nd_err_set(err, ND_ERR_INTERNAL, ENOMEM, "seccomp: cannot create a filter");
	if (seccomp_arch_native() == SCMP_ARCH_X86_64) {
		r = seccomp_arch_add(ctx, SCMP_ARCH_X86);
		if (r >= 0 || r == -EEXIST)
			r = seccomp_arch_add(ctx, SCMP_ARCH_X32);
		if (r == -EEXIST)
			r = 0;
	}
	/*
	 * libseccomp's default (a list) rather than its binary tree: it compiles faster, and
	 * since Linux 5.11 the kernel caches the verdict of every call allowed whatever its
	 * arguments, so the list is walked only for the few others.
	 */
	if (r >= 0)
		r = build_rules(ctx, caps);
	if (r >= 0)
		r = export_bpf(ctx, &f->prog);
	seccomp_release(ctx);
	if (r < 0)
		return nd_err_set(err, ND_ERR_INTERNAL, -r, "seccomp: building the default profile: %s", strerror(-r));
	*ret = TAKE_PTR(f);
	return 0;
}

void nd_seccomp_insns(const struct nd_seccomp *f, const void **ret, size_t *ret_len)
{
	*ret = f->prog.filter;
	*ret_len = (size_t)f->prog.len * sizeof(struct sock_filter);
}

int nd_seccomp_from_insns(const void *insns, size_t len, struct nd_seccomp **ret)
{
	_cleanup_free_ struct nd_seccomp *f = NULL;

	if (!len || len % sizeof(struct sock_filter) || len / sizeof(struct sock_filter) > BPF_MAXINSNS)
		return -EINVAL;
	if (!(f = calloc(1, sizeof(*f))) || !(f->prog.filter = malloc(len)))
		return -ENOMEM;
	memcpy(f->prog.filter, insns, len);
	f->prog.len = (unsigned short)(len / sizeof(struct sock_filter));
	*ret = TAKE_PTR(f);
	return 0;
}

static unsigned long long fnv(unsigned long long h, const char *s)
{
	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 0x100000001b3ULL;
	return (h ^ 0xff) * 0x100000001b3ULL;
}

unsigned long long nd_seccomp_default_hash(void)
{
	unsigned long long h = 0xcbf29ce484222325ULL;
	char num[32];

	for (size_t i = 0; i < ND_ARRAY_SIZE(allowed); i++)
		h = fnv(h, allowed[i]);
	for (size_t i = 0; i < ND_ARRAY_SIZE(by_cap); i++) {
		snprintf(num, sizeof(num), "%llx", by_cap[i].caps);
		h = fnv(h, num);
		for (size_t j = 0; j < ND_ARRAY_SIZE(by_cap[i].names) && by_cap[i].names[j]; j++)
			h = fnv(h, by_cap[i].names[j]);
	}
	/* The conditional rules' values are code, not tables: a change there bumps this. */
	return fnv(h, "conditional-v1");
}

int nd_seccomp_compile(void *ctx, struct nd_seccomp **ret, struct nd_err **err)
{
	_cleanup_free_ struct nd_seccomp *f = calloc(1, sizeof(*f));
	int r;

	if (!f)
		return nd_oom(err);
	if ((r = export_bpf(ctx, &f->prog)) < 0)
		return nd_err_set(err, r == -E2BIG ? ND_ERR_BAD_SPEC : ND_ERR_INTERNAL, -r, "seccomp: compiling the profile: %s",
				  strerror(-r));
	*ret = TAKE_PTR(f);
	return 0;
}

int nd_seccomp_load(const struct nd_seccomp *f)
{
	/* no_new_privs is the caller's (it is part of the container's set-up anyway). */
	return syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, &f->prog) < 0 ? -errno : 0;
}

void nd_seccomp_free(struct nd_seccomp *f)
{
	if (!f)
		return;
	free(f->prog.filter);
	free(f);
}

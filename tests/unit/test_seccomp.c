/*
 * lib/secprofile: the default profile, loaded for real in a child (seccomp needs no
 * privilege under no_new_privs), then probed with the calls it must deny and allow.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <linux/capability.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/personality.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "runtime/container.h"
#include "runtime/secprofile.h"

#ifndef AF_VSOCK
#define AF_VSOCK 40
#endif

/* The child's verdict: 0, or the line of the first check that failed. */
#define CHECK(cond)                                                                                                \
	do {                                                                                                       \
		if (!(cond)) {                                                                                     \
			fprintf(stderr, "check failed (line %d): %s (errno %d)\n", __LINE__, #cond, errno);        \
			_exit(1);                                                                                  \
		}                                                                                                  \
	} while (0)

#define DENIED(call, e) (errno = 0, (call) == -1 && errno == (e))

static void probe_default(void)
{
	long r;
	pid_t p;
	int st;

	/* The keyrings are not namespaced: no key of the host is reachable. */
	CHECK(DENIED(syscall(SYS_keyctl, 0 /* GET_KEYRING_ID */, -3 /* session */, 0), EPERM));
	CHECK(DENIED(syscall(SYS_add_key, "user", "k", "v", 1, -3), EPERM));
	CHECK(DENIED(syscall(SYS_request_key, "user", "k", NULL, 0), EPERM));
	/* No namespace, through unshare or clone; clone3 answers ENOSYS (libc falls back). */
	CHECK(DENIED(syscall(SYS_unshare, CLONE_NEWUSER), EPERM));
	CHECK(DENIED(syscall(SYS_unshare, CLONE_NEWNET), EPERM));
	CHECK(DENIED(syscall(SYS_setns, 0, 0), EPERM));
	CHECK(DENIED(syscall(SYS_clone, CLONE_NEWUSER | SIGCHLD, 0, 0, 0, 0), EPERM));
	CHECK(DENIED(syscall(SYS_clone, CLONE_NEWNET | SIGCHLD, 0, 0, 0, 0), EPERM));
	CHECK(DENIED(syscall(SYS_clone3, NULL, 0), ENOSYS));
	CHECK(DENIED(syscall(SYS_mount, "none", "/", "tmpfs", 0, NULL), EPERM));
	CHECK(DENIED(syscall(SYS_bpf, 0, NULL, 0), EPERM));
	CHECK(DENIED(syscall(SYS_perf_event_open, NULL, 0, -1, -1, 0), EPERM));
	CHECK(DENIED(syscall(SYS_userfaultfd, 0), EPERM));
	CHECK(DENIED(syscall(SYS_kexec_load, 0, 0, NULL, 0), EPERM));
	CHECK(DENIED(syscall(SYS_init_module, NULL, 0, ""), EPERM));
	CHECK(DENIED(syscall(SYS_open_by_handle_at, -1, NULL, 0), EPERM));
	CHECK(DENIED(syscall(SYS_reboot, 0, 0, 0, NULL), EPERM));
	CHECK(DENIED(syscall(SYS_swapon, "/x", 0), EPERM));
	CHECK(DENIED(syscall(SYS_acct, NULL), EPERM));
	CHECK(DENIED(syscall(SYS_iopl, 3), EPERM));
	CHECK(DENIED(syscall(SYS_settimeofday, NULL, NULL), EPERM));
	CHECK(DENIED(syscall(SYS_personality, 0x0400000 /* READ_IMPLIES_EXEC */), EPERM));
	CHECK(DENIED(socket(AF_VSOCK, SOCK_STREAM, 0), EPERM));
	/* Ordinary calls work: fork (clone without namespace flags), sockets, personality query. */
	CHECK(syscall(SYS_getpid) == getpid());
	CHECK((r = syscall(SYS_personality, 0xffffffffUL)) >= 0);
	r = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	CHECK(r >= 0);
	close((int)r);
	p = fork();
	if (p == 0)
		_exit(7);
	CHECK(p > 0 && waitpid(p, &st, 0) == p && WIFEXITED(st) && WEXITSTATUS(st) == 7);
	/* chroot is CAP_SYS_CHROOT's, which the default set has: the filter lets it reach the kernel. */
	CHECK(!DENIED(syscall(SYS_chroot, "/nonexistent-netd"), EPERM));
#ifdef __x86_64__
	/* The 32-bit ABI (int $0x80) goes through the same filter: keyctl is 288 there. */
	p = fork();
	if (p == 0) {
		long pid32, key32;

		/* A kernel booted without ia32 emulation answers int $0x80 with SIGSEGV: no test then. */
		__asm__ volatile("int $0x80" : "=a"(pid32) : "a"(20L) : "memory");
		CHECK(pid32 == getpid());
		__asm__ volatile("int $0x80" : "=a"(key32) : "a"(288L), "b"(0L), "c"(-3L), "d"(0L) : "memory");
		CHECK(key32 == -EPERM);
		_exit(0);
	}
	CHECK(p > 0 && waitpid(p, &st, 0) == p);
	CHECK((WIFEXITED(st) && WEXITSTATUS(st) == 0) || (WIFSIGNALED(st) && WTERMSIG(st) == SIGSEGV));
#endif
}

/* With CAP_SYS_ADMIN the namespace calls reach the kernel (which decides by the caps). */
static void probe_sys_admin(void)
{
	CHECK(syscall(SYS_unshare, 0) == 0);
	CHECK(!DENIED(syscall(SYS_clone3, NULL, 0), ENOSYS));
	CHECK(!DENIED(syscall(SYS_setns, -1, 0), EPERM));
	CHECK(DENIED(syscall(SYS_keyctl, 0, -3, 0), EPERM));
}

static void in_child(unsigned long long caps, void (*probe)(void))
{
	struct nd_seccomp *f = NULL;
	int st;
	pid_t p;

	assert_int_equal(nd_seccomp_build(caps, &f, NULL), 0);
	p = fork();
	assert_true(p >= 0);
	if (p == 0) {
		/* A crash must end this child, not resume cmocka's runner inside it. */
		for (int sig = 1; sig < NSIG; sig++)
			signal(sig, SIG_DFL);
		CHECK(prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) == 0);
		CHECK(nd_seccomp_load(f) == 0);
		probe();
		_exit(0);
	}
	nd_seccomp_free(f);
	assert_int_equal(waitpid(p, &st, 0), p);
	if (!WIFEXITED(st) || WEXITSTATUS(st) != 0)
		fail_msg("the probe failed (status 0x%x): see its message above", st);
}

static void test_default_profile(void **state)
{
	(void)state;
	in_child(nd_ctr_default_caps(), probe_default);
}

static void test_cap_sys_admin_opens_namespaces(void **state)
{
	(void)state;
	in_child(nd_ctr_default_caps() | (1ULL << CAP_SYS_ADMIN), probe_sys_admin);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_default_profile),
		cmocka_unit_test(test_cap_sys_admin_opens_namespaces),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

/*
 * The default seccomp profile of a container, equivalent to Docker's: every system call
 * not allowed answers EPERM. Allowed are the ordinary calls; the ones that reach the
 * kernel's shared state (keyrings, namespaces, mounts, modules, kexec, BPF, perf, clocks,
 * reboot, accounting, raw I/O...) only when the container has the capability Docker ties
 * them to; clone only without namespace flags unless CAP_SYS_ADMIN is held; clone3 answers
 * ENOSYS then, so that libc falls back to clone, which the filter can inspect.
 * On x86_64 the filter covers the x86 and x32 ABIs too (a 32-bit int 0x80 call must not
 * bypass it). Built with libseccomp.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#include "base/err.h"

struct nd_seccomp;

/* The profile for a container whose bounding set is caps (bit N: capability N). */
int nd_seccomp_build(unsigned long long caps, struct nd_seccomp **ret, struct nd_err **err);
/*
 * Install it on the calling thread: one system call, the last step before execve (the
 * filter allows execve and what libc does around it). Needs no_new_privs (or
 * CAP_SYS_ADMIN). -errno.
 */
int nd_seccomp_load(const struct nd_seccomp *f);
void nd_seccomp_free(struct nd_seccomp *f);
/* The compiled program (sock_filter instructions) and back: for the cache (runtime/seccache.h). */
void nd_seccomp_insns(const struct nd_seccomp *f, const void **ret, size_t *ret_len);
int nd_seccomp_from_insns(const void *insns, size_t len, struct nd_seccomp **ret);
/* A hash of the default profile's tables: a cached default filter is this version's. */
unsigned long long nd_seccomp_default_hash(void);
/* A libseccomp context (scmp_filter_ctx) compiled into a filter; the context stays the caller's. */
int nd_seccomp_compile(void *ctx, struct nd_seccomp **ret, struct nd_err **err);


/*
 * The filter of a container: profile (Docker's JSON seccomp profile format, see
 * runtime/seccompjson.h) when given, else the default profile for caps.
 */
int nd_seccomp_for(const char *profile, unsigned long long caps, struct nd_seccomp **ret, struct nd_err **err);

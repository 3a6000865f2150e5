/*
 * The credentials of a container's processes: Docker's default capability set, the user
 * and group named in the container's own /etc/passwd and /etc/group (never the host's),
 * no_new_privs. The calls that change credentials act on the calling process: they run in
 * the container's processes, just before exec.
 */
#pragma once

#include <stddef.h>

/* Docker's default capability set as a bit mask (moby's oci/caps/defaults.go). */
unsigned long long nd_ctr_default_caps(void);
/* Bounding, permitted and effective set to keep; inheritable and ambient empty. 0 or -errno. */
int nd_creds_drop_caps(unsigned long long keep);
/*
 * The command's credentials: the capability set caps first (plus CAP_SETUID/SETGID, which
 * the id changes need, dropped right after them when caps lacks them), then user
 * ("uid[:gid]" or names; NULL: root) with the supplementary groups (names or numbers,
 * may be NULL), then no_new_privs, then the working directory
 * (NULL: "/"). -errno and a message in errbuf.
 */
int nd_creds_become(const char *user, const char *cwd, unsigned long long caps, char *const *groups, char *errbuf,
		    size_t errlen);

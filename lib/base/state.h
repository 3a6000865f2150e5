/*
 * Crash-safe state files for the daemon and the direct (daemon-less) path: each file
 * appears whole or not at all, and one flock serialises every change to a state dir.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "base/err.h"
#include "base/strv.h"

#define ND_STATE_DIR "/var/lib/netd"

/* The state dir: $NETD_STATE_DIR when set (tests, the CLI's --state-dir), else the default. */
const char *nd_state_dir(void);

/* mkdir -p with mode for each created component; an existing directory is fine. */
int nd_state_mkdirs(const char *path, mode_t mode, struct nd_err **err);

/*
 * Write data to path atomically: a temporary file in the same directory, fsync, rename over
 * path, fsync of the directory. A SIGKILL at any point leaves the old or the new file.
 */
int nd_state_write(const char *path, const char *data, size_t len, struct nd_err **err);

/*
 * The same rename dance without fsync: survives the writer being killed (the page cache
 * stays) but not a power cut. For records whose loss recovery tolerates anyway.
 */
int nd_state_write_volatile(const char *path, const char *data, size_t len, struct nd_err **err);

/* Read a whole (small) file; -ENOENT without setting err when absent. *ret is NUL-ended. */
int nd_state_read(const char *path, char **ret, size_t *ret_len, struct nd_err **err);

/* Remove path and fsync its directory; absent is success. */
int nd_state_remove(const char *path, struct nd_err **err);

/* flock(LOCK_EX) on <dir>/lock, created when missing; *ret_fd is the lock (close releases). */
int nd_state_lock(const char *dir, int *ret_fd, struct nd_err **err);

/*
 * Names of the entries of dir that end in suffix ("" for any), suffix stripped, for which
 * valid(name) holds, sorted. A missing dir is an empty list. *ret is a malloc'd
 * NULL-terminated vector (nd_strv_free); ret_n may be NULL.
 */
int nd_state_list(const char *dir, const char *suffix, bool (*valid)(const char *name), char ***ret,
		  size_t *ret_n, struct nd_err **err);

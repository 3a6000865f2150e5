/*
 * Compiled seccomp filters kept in the state dir (<state>/seccomp/<key>.bpf), so that a
 * container start loads one (microseconds) instead of compiling it with libseccomp
 * (10-40 ms for the default profile's three ABIs). The key hashes everything the program
 * depends on: the profile (the default one's tables, or a JSON profile's text), the
 * capability set, this architecture and libseccomp's version. A missing, unreadable or
 * malformed file is compiled again; the directory is root's, mode 0700.
 */
#pragma once

#include "base/err.h"
#include "runtime/secprofile.h"

/* nd_seccomp_for through the cache in dir (NULL: no cache). */
int nd_seccomp_get(const char *dir, const char *profile, unsigned long long caps, struct nd_seccomp **ret,
		   struct nd_err **err);

/* Network namespaces: open, verify, and the short enter/leave that needs a way back. */
#pragma once

#include "base/err.h"

/* Open path O_RDONLY|O_CLOEXEC and verify it is a network namespace (code 4 if not). */
int nd_netns_open(const char *path, int *ret_fd, struct nd_err **err);
/* The check nd_netns_open makes, on an fd opened otherwise (path is for the message). Code 4. */
int nd_netns_verify(int fd, const char *path, struct nd_err **err);

/*
 * Run fn(ud) with the calling thread inside netns_fd and come back, on every path.
 * Returns fn's value, or -errno (err set) if entering or leaving failed. A failure to
 * come back is fatal for the process (abort), because everything after it would act in
 * the wrong namespace.
 */
int nd_netns_run(int netns_fd, int (*fn)(void *ud), void *ud, struct nd_err **err);

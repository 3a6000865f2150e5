/*
 * Processes named by a pid without the pid-reuse race: a pidfd pins the process, and its
 * start time (field 22 of /proc/<pid>/stat), checked after the pidfd is open, tells it
 * apart from a later process that got the same pid. Records keep (pid, start time) pairs.
 */
#pragma once

#include <sys/types.h>

/* Field 22 of /proc/<pid>/stat (clock ticks since boot), 0 when the process is gone. */
unsigned long long nd_proc_start_time(pid_t pid);
/*
 * A pidfd (close-on-exec) of pid when it is still the process that started at start_time;
 * -ESRCH when it is gone or the pid now names another process, else -errno.
 */
int nd_proc_pidfd(pid_t pid, unsigned long long start_time, int *ret_fd);

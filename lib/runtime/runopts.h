/*
 * The values of docker run's flags that the container applies to itself, parsed and
 * checked when the spec becomes a record (so that a bad one changes nothing) and again,
 * already known good, in the container: --ulimit, --sysctl, --stop-signal.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <sys/resource.h>
#include <sys/stat.h>

#include "base/err.h"
#include "runtime/devices.h"

/* "nofile=1024[:2048]" (soft[:hard], "unlimited" or -1) -> the resource and its limits. */
int nd_ulimit_parse(const char *s, int *ret_resource, struct rlimit *ret, struct nd_err **err);
/*
 * "net.ipv4.ip_forward=1": only what the container's own namespaces hold, as Docker allows:
 * net.* (not with the host's network, own_netns false), kernel.msg*, kernel.sem,
 * kernel.shm*, fs.mqueue.*. ret_path (size bytes): /proc/sys's relative path.
 */
int nd_sysctl_check(const char *kv, bool own_netns, char *ret_path, size_t size, const char **ret_value,
		    struct nd_err **err);
/*
 * --device HOST[:CTR[:PERMS]]: HOST must be a device node (char or block); CTR (default
 * HOST) a path under /dev without ".."; PERMS of r, w, m (default rwm). The cgroup rule,
 * the container path (size bytes) and the host node's mode, uid and gid.
 */
int nd_device_parse(const char *spec, struct nd_dev_rule *ret_rule, char *ret_path, size_t size, struct stat *ret_st,
		    struct nd_err **err);
/* "SIGTERM", "TERM", "term" or "15" -> 15; -1 when not a signal. */
int nd_signal_number(const char *s);

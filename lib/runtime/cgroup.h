/*
 * A container's cgroup on a unified (v2) host and on a v1/hybrid host, where each
 * controller has its own hierarchy (a hybrid host's empty cgroup2 mount is not used).
 */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include "base/err.h"
#include "runtime/devices.h"

enum nd_cg_ctrl { ND_CG_MEMORY, ND_CG_CPU, ND_CG_PIDS, ND_CG_DEVICES, ND_CG_NCTRL };

struct nd_cg_limits {
	uint64_t memory;     /* bytes; 0: no limit */
	uint64_t cpu_quota;  /* microseconds per ND_CG_CPU_PERIOD; 0: no limit */
	int64_t pids;        /* 0: no limit */
	bool all_devices;    /* --privileged: no device allow-list */
	uint64_t memory_swap; /* memory + swap in bytes (--memory-swap); 0: no swap; UINT64_MAX: unlimited swap */
	const struct nd_dev_rule *devices; /* --device: allowed besides the defaults (n_devices of them) */
	size_t n_devices;
	uint64_t cpu_shares;  /* --cpu-shares (2-262144, v1's unit); 0: none */
};
#define ND_CG_CPU_PERIOD 100000

struct nd_cgroup {
	bool v2;
	/* v2: dirs[0] is the one directory; v1: one per controller ("" when not mounted). */
	char *dirs[ND_CG_NCTRL];
};

/*
 * Where each hierarchy is mounted, from /proc/self/mountinfo text: v2 when a cgroup2
 * mount is at /sys/fs/cgroup itself, else the v1 mount holding each controller. Pure, so
 * that tests feed it any host's mountinfo. ret_mounts[i] are malloc'd ("" when absent).
 */
int nd_cg_parse_mountinfo(const char *text, bool *ret_v2, char *ret_mounts[ND_CG_NCTRL], struct nd_err **err);

/* "64m", "1g", "4096", "512k" -> bytes (code ND_ERR_BAD_SPEC when invalid). */
int nd_cg_parse_size(const char *s, uint64_t *ret, struct nd_err **err);
/* "0.5", "2", "1.25" -> quota in microseconds per ND_CG_CPU_PERIOD (code ND_ERR_BAD_SPEC when invalid). */
int nd_cg_parse_cpus(const char *s, uint64_t *ret, struct nd_err **err);

/*
 * Create <hierarchy>/<parent>/<name> in every hierarchy the limits need (memory and pids
 * are always made, so that an OOM can be told and the container's tasks counted; on v1
 * cpu only for a quota), write the limits and the device allow-list (lib/runtime/devices.h: v1's
 * devices controller, which must be mounted, or v2's device program). parent is
 * relative, e.g. "netd". On failure nothing is left.
 */
int nd_cg_create(const char *parent, const char *name, const struct nd_cg_limits *lim, struct nd_cgroup *ret,
		 struct nd_err **err);
/* Rebuild the paths of a cgroup made by nd_cg_create (for exec, rm); absent directories are left out. */
int nd_cg_open(const char *parent, const char *name, struct nd_cgroup *ret, struct nd_err **err);
/* Move the calling process in (it writes "0", so it works from inside a new PID namespace). */
int nd_cg_join_self(const struct nd_cgroup *cg, struct nd_err **err);
/* Has the kernel OOM-killed a task of this cgroup? false when unknown. */
bool nd_cg_oom_killed(const struct nd_cgroup *cg);
/*
 * Kill what is left, then remove the directories (and an emptied parent is left alone:
 * other containers share it). Absent is success.
 */
int nd_cg_destroy(const struct nd_cgroup *cg, struct nd_err **err);
void nd_cg_free(struct nd_cgroup *cg);

/*
 * Device access control of a container: the device nodes it may open, as runc allows
 * them by default (null zero full random urandom tty console ptmx and the pts, and mknod of any
 * node, since CAP_MKNOD is in the default capability set). Everything else is refused
 * with EPERM when opened, whichever way the node came into the container (mknod, an image
 * layer). On a v1 host the rules go to the `devices` controller; on a v2 host they are a
 * BPF_PROG_TYPE_CGROUP_DEVICE program attached to the container's cgroup.
 */
#pragma once

#include <linux/bpf.h>
#include <stddef.h>
#include <stdint.h>

#include "base/err.h"

#define ND_DEV_ANY (-1)

/* Access bits, as BPF_DEVCG_ACC_* (and "m", "r", "w" in v1's rules). */
enum { ND_DEV_MKNOD = 1, ND_DEV_READ = 2, ND_DEV_WRITE = 4, ND_DEV_RWM = 7 };

struct nd_dev_rule {
	char type;      /* 'c', 'b', or 'a' (both) */
	int32_t major;  /* ND_DEV_ANY: every major */
	int32_t minor;  /* ND_DEV_ANY: every minor */
	unsigned access; /* ND_DEV_* bits */
};

/* The default allow-list; whatever it does not list is denied. */
extern const struct nd_dev_rule nd_dev_default[];
extern const size_t nd_dev_n_default;

/* "c 1:3 rwm", "b *:* m": a rule as the v1 devices.allow file takes it. */
void nd_dev_rule_v1(const struct nd_dev_rule *r, char *buf, size_t size);

/*
 * The cgroup device program for rules (allow when one matches, else deny) into out
 * (cap instructions). Returns the number of instructions, or -E2BIG. Pure, for tests.
 */
#define ND_DEV_PROG_MAX 256
int nd_dev_prog(const struct nd_dev_rule *rules, size_t n, struct bpf_insn *out, size_t cap);

/* v1: deny everything, then allow the default rules, in the devices cgroup dir. */
int nd_dev_v1_apply(const char *dir, struct nd_err **err);
/* v2: load the default program and attach it to the cgroup directory (BPF_F_ALLOW_MULTI). */
int nd_dev_v2_apply(const char *dir, struct nd_err **err);
/* The same with extra rules (docker run --device) after the default ones; at most ND_DEV_EXTRA_MAX. */
#define ND_DEV_EXTRA_MAX 16
int nd_dev_v1_apply_extra(const char *dir, const struct nd_dev_rule *extra, size_t n, struct nd_err **err);
int nd_dev_v2_apply_extra(const char *dir, const struct nd_dev_rule *extra, size_t n, struct nd_err **err);

#include "runtime/devices.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "base/cleanup.h"
#include "base/fdio.h"

/*
 * runc's default allowed devices (libcontainer/specconv AllowedDevices) less tun, which
 * Docker does not grant either: mknod of any node (the node is useless unless it is
 * listed below), the pseudo devices, the terminal ones and every pts.
 */
const struct nd_dev_rule nd_dev_default[] = {
	{ 'c', ND_DEV_ANY, ND_DEV_ANY, ND_DEV_MKNOD }, { 'b', ND_DEV_ANY, ND_DEV_ANY, ND_DEV_MKNOD },
	{ 'c', 1, 3, ND_DEV_RWM },  /* null */	       { 'c', 1, 5, ND_DEV_RWM },  /* zero */
	{ 'c', 1, 7, ND_DEV_RWM },  /* full */	       { 'c', 1, 8, ND_DEV_RWM },  /* random */
	{ 'c', 1, 9, ND_DEV_RWM },  /* urandom */      { 'c', 5, 0, ND_DEV_RWM },  /* tty */
	{ 'c', 5, 1, ND_DEV_RWM },  /* console */      { 'c', 5, 2, ND_DEV_RWM },  /* ptmx */
	{ 'c', 136, ND_DEV_ANY, ND_DEV_RWM }, /* pts */
};
const size_t nd_dev_n_default = ND_ARRAY_SIZE(nd_dev_default);

void nd_dev_rule_v1(const struct nd_dev_rule *r, char *buf, size_t size)
{
	char maj[16] = "*", min[16] = "*";

	if (r->major != ND_DEV_ANY)
		snprintf(maj, sizeof(maj), "%d", (int)r->major);
	if (r->minor != ND_DEV_ANY)
		snprintf(min, sizeof(min), "%d", (int)r->minor);
	snprintf(buf, size, "%c %s:%s %s%s%s", r->type, maj, min, r->access & ND_DEV_READ ? "r" : "",
		 r->access & ND_DEV_WRITE ? "w" : "", r->access & ND_DEV_MKNOD ? "m" : "");
}

/* ---- the v2 program, hand-assembled ---- */

static struct bpf_insn insn(uint8_t code, uint8_t dst, uint8_t src, int16_t off, int32_t imm)
{
	return (struct bpf_insn){ .code = code, .dst_reg = dst, .src_reg = src, .off = off, .imm = imm };
}

#define LDX_W(dst, src, off) insn(BPF_LDX | BPF_MEM | BPF_W, dst, src, off, 0)
#define MOV_X(dst, src) insn(BPF_ALU64 | BPF_MOV | BPF_X, dst, src, 0, 0)
#define ALU_K(op, dst, imm) insn(BPF_ALU64 | (op) | BPF_K, dst, 0, 0, imm)
#define JNE_K(dst, imm, off) insn(BPF_JMP | BPF_JNE | BPF_K, dst, 0, off, imm)
#define EXIT() insn(BPF_JMP | BPF_EXIT, 0, 0, 0, 0)

/* Registers after the prologue: the request's type, access, major and minor. */
enum { R_TYPE = 2, R_ACC = 3, R_MAJ = 4, R_MIN = 5, R_TMP = 1 };

/* One rule: each test jumps past the block when it fails; the block's end allows. */
static size_t rule_block(const struct nd_dev_rule *r, struct bpf_insn *b)
{
	struct { int reg; int32_t val; bool on; } tests[] = {
		{ R_TYPE, r->type == 'b' ? BPF_DEVCG_DEV_BLOCK : BPF_DEVCG_DEV_CHAR, r->type != 'a' },
		{ R_TMP, 0, (r->access & ND_DEV_RWM) != ND_DEV_RWM },
		{ R_MAJ, r->major, r->major != ND_DEV_ANY },
		{ R_MIN, r->minor, r->minor != ND_DEV_ANY },
	};
	size_t n = 0, jumps[4], nj = 0;

	for (size_t i = 0; i < ND_ARRAY_SIZE(tests); i++) {
		if (!tests[i].on)
			continue;
		if (tests[i].reg == R_TMP) {
			/* Every access asked for must be granted: (asked & ~granted) == 0. */
			b[n++] = MOV_X(R_TMP, R_ACC);
			b[n++] = ALU_K(BPF_AND, R_TMP, (int32_t)(~r->access & ND_DEV_RWM));
		}
		jumps[nj++] = n;
		b[n++] = JNE_K(tests[i].reg, tests[i].val, 0);
	}
	b[n++] = ALU_K(BPF_MOV, 0, 1);
	b[n++] = EXIT();
	for (size_t i = 0; i < nj; i++)
		b[jumps[i]].off = (int16_t)(n - jumps[i] - 1);
	return n;
}

int nd_dev_prog(const struct nd_dev_rule *rules, size_t n, struct bpf_insn *out, size_t cap)
{
	/* struct bpf_cgroup_dev_ctx { u32 access_type (access << 16 | type); u32 major, minor; } */
	const struct bpf_insn prologue[] = {
		LDX_W(R_TYPE, 1, 0),	     MOV_X(R_ACC, R_TYPE),   ALU_K(BPF_RSH, R_ACC, 16),
		ALU_K(BPF_AND, R_TYPE, 0xffff), LDX_W(R_MAJ, 1, 4), LDX_W(R_MIN, 1, 8),
	};
	struct bpf_insn block[16];
	size_t len = 0;

	if (cap < ND_ARRAY_SIZE(prologue) + 2)
		return -E2BIG;
	memcpy(out, prologue, sizeof(prologue));
	len = ND_ARRAY_SIZE(prologue);
	for (size_t i = 0; i < n; i++) {
		size_t k = rule_block(&rules[i], block);

		if (len + k + 2 > cap)
			return -E2BIG;
		memcpy(out + len, block, k * sizeof(*block));
		len += k;
	}
	out[len++] = ALU_K(BPF_MOV, 0, 0);
	out[len++] = EXIT();
	return (int)len;
}

/* The default rules, then extra: into out (ND_DEV_EXTRA_MAX more than the defaults). */
static size_t all_rules(const struct nd_dev_rule *extra, size_t n, struct nd_dev_rule *out)
{
	size_t k = 0;

	for (size_t i = 0; i < nd_dev_n_default; i++)
		out[k++] = nd_dev_default[i];
	for (size_t i = 0; i < n && i < ND_DEV_EXTRA_MAX; i++)
		out[k++] = extra[i];
	return k;
}

int nd_dev_v1_apply(const char *dir, struct nd_err **err)
{
	return nd_dev_v1_apply_extra(dir, NULL, 0, err);
}

int nd_dev_v1_apply_extra(const char *dir, const struct nd_dev_rule *extra, size_t n_extra, struct nd_err **err)
{
	struct nd_dev_rule rules[64 + ND_DEV_EXTRA_MAX];
	size_t n = all_rules(extra, n_extra, rules);
	char rule[64];
	/* One rule per write: the kernel parses each write as one rule. */
	int r = nd_write_at(dir, "devices.deny", "a");

	if (r < 0)
		return nd_err_set(err, ND_ERR_SETUP, -r, "cgroup '%s': devices.deny: %s", dir, strerror(-r));
	for (size_t i = 0; i < n; i++) {
		nd_dev_rule_v1(&rules[i], rule, sizeof(rule));
		if ((r = nd_write_at(dir, "devices.allow", rule)) < 0)
			return nd_err_set(err, ND_ERR_SETUP, -r, "cgroup '%s': devices.allow '%s': %s", dir, rule,
					  strerror(-r));
	}
	return 0;
}

static long sys_bpf(int cmd, union bpf_attr *attr)
{
	return syscall(SYS_bpf, cmd, attr, sizeof(*attr));
}

/* The program's fd (bpf(2) fds are always close-on-exec). */
static int load_prog(const struct bpf_insn *prog, size_t n, char *log, size_t log_size)
{
	union bpf_attr a;
	long fd;

	memset(&a, 0, sizeof(a));
	a.prog_type = BPF_PROG_TYPE_CGROUP_DEVICE;
	a.insns = (uint64_t)(uintptr_t)prog;
	a.insn_cnt = (uint32_t)n;
	a.license = (uint64_t)(uintptr_t)"GPL";
	if (log) {
		a.log_level = 1;
		a.log_buf = (uint64_t)(uintptr_t)log;
		a.log_size = (uint32_t)log_size;
	}
	fd = sys_bpf(BPF_PROG_LOAD, &a);
	return fd < 0 ? -errno : (int)fd;
}

int nd_dev_v2_apply(const char *dir, struct nd_err **err)
{
	return nd_dev_v2_apply_extra(dir, NULL, 0, err);
}

int nd_dev_v2_apply_extra(const char *dir, const struct nd_dev_rule *extra, size_t n_extra, struct nd_err **err)
{
	struct nd_dev_rule rules[64 + ND_DEV_EXTRA_MAX];
	struct bpf_insn prog[ND_DEV_PROG_MAX];
	_cleanup_close_ int cg = -1, pfd = -1;
	char log[4096] = "";
	union bpf_attr a;
	int n = nd_dev_prog(rules, all_rules(extra, n_extra, rules), prog, ND_ARRAY_SIZE(prog));

	if (n < 0)
		return nd_err_set(err, ND_ERR_SETUP, -n, "device program: too many rules");
	pfd = load_prog(prog, (size_t)n, NULL, 0);
	/* Again with the verifier's log, only to say why. */
	if (pfd < 0 && pfd != -EPERM && (pfd = load_prog(prog, (size_t)n, log, sizeof(log))) < 0)
		return nd_err_set(err, ND_ERR_SETUP, -pfd, "device program: load: %s%s%.300s", strerror(-pfd),
				  *log ? ": " : "", log);
	if (pfd < 0)
		return nd_err_set(err, ND_ERR_SETUP, -pfd, "device program: load: %s", strerror(-pfd));
	cg = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (cg < 0)
		return nd_err_set(err, ND_ERR_SETUP, errno, "cgroup '%s': %s", dir, strerror(errno));
	memset(&a, 0, sizeof(a));
	a.target_fd = (uint32_t)cg;
	a.attach_bpf_fd = (uint32_t)pfd;
	a.attach_type = BPF_CGROUP_DEVICE;
	/* Programs of the parents still run too: each must allow (as runc attaches). */
	a.attach_flags = BPF_F_ALLOW_MULTI;
	if (sys_bpf(BPF_PROG_ATTACH, &a) < 0)
		return nd_err_set(err, ND_ERR_SETUP, errno, "cgroup '%s': attach the device program: %s", dir,
				  strerror(errno));
	/* The attachment holds the program for the cgroup's life: our fd may go. */
	return 0;
}

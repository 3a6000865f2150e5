/*
 * lib/devices: the v1 rule strings and the v2 device program, run here by a small
 * interpreter of the instructions it uses, on requests it must allow and deny.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <string.h>

#include "runtime/devices.h"

/* An interpreter of the program's instruction subset; fails the test on anything else. */
static int run(const struct bpf_insn *p, int n, uint32_t access_type, uint32_t major, uint32_t minor)
{
	uint32_t ctx[3] = { access_type, major, minor };
	uint64_t r[11] = { 0 };
	int steps = 0;

	for (int pc = 0; pc < n; pc++) {
		const struct bpf_insn *i = &p[pc];
		uint64_t k = (uint64_t)(int64_t)i->imm;

		assert_true(++steps < 10000);
		switch (i->code) {
		case BPF_LDX | BPF_MEM | BPF_W:
			assert_int_equal(i->src_reg, 1);
			assert_true(i->off >= 0 && i->off <= 8 && i->off % 4 == 0);
			r[i->dst_reg] = ctx[i->off / 4];
			break;
		case BPF_ALU64 | BPF_MOV | BPF_X: r[i->dst_reg] = r[i->src_reg]; break;
		case BPF_ALU64 | BPF_MOV | BPF_K: r[i->dst_reg] = k; break;
		case BPF_ALU64 | BPF_RSH | BPF_K: r[i->dst_reg] >>= k; break;
		case BPF_ALU64 | BPF_AND | BPF_K: r[i->dst_reg] &= k; break;
		case BPF_JMP | BPF_JNE | BPF_K:
			if (r[i->dst_reg] != k)
				pc += i->off;
			assert_true(pc + 1 < n);
			break;
		case BPF_JMP | BPF_EXIT: return (int)r[0];
		default: fail_msg("unexpected instruction 0x%02x at %d", i->code, pc);
		}
	}
	fail_msg("ran off the end of the program");
	return -1;
}

#define REQ(acc, type) (((uint32_t)(acc) << 16) | (type))
#define CHR BPF_DEVCG_DEV_CHAR
#define BLK BPF_DEVCG_DEV_BLOCK

static void test_program_decides_as_the_allow_list(void **state)
{
	static const struct {
		uint32_t req, major, minor;
		int allow;
	} cases[] = {
		{ REQ(ND_DEV_READ | ND_DEV_WRITE, CHR), 1, 3, 1 }, /* /dev/null */
		{ REQ(ND_DEV_READ, CHR), 1, 5, 1 },		      /* zero */
		{ REQ(ND_DEV_WRITE, CHR), 1, 7, 1 },		      /* full */
		{ REQ(ND_DEV_READ, CHR), 1, 8, 1 },		      /* random */
		{ REQ(ND_DEV_READ, CHR), 1, 9, 1 },		      /* urandom */
		{ REQ(ND_DEV_READ | ND_DEV_WRITE, CHR), 5, 0, 1 }, /* tty */
		{ REQ(ND_DEV_READ | ND_DEV_WRITE, CHR), 5, 1, 1 }, /* console */
		{ REQ(ND_DEV_READ | ND_DEV_WRITE, CHR), 5, 2, 1 }, /* ptmx */
		{ REQ(ND_DEV_READ | ND_DEV_WRITE, CHR), 136, 0, 1 },
		{ REQ(ND_DEV_READ, CHR), 136, 4095, 1 },
		{ REQ(ND_DEV_MKNOD, BLK), 7, 0, 1 },	/* mknod of anything is allowed... */
		{ REQ(ND_DEV_MKNOD, CHR), 1, 11, 1 },
		{ REQ(ND_DEV_READ, BLK), 7, 0, 0 },	/* ...opening it is not: a loop device */
		{ REQ(ND_DEV_WRITE, BLK), 7, 0, 0 },
		{ REQ(ND_DEV_READ, BLK), 8, 0, 0 },	/* a disk */
		{ REQ(ND_DEV_WRITE, CHR), 1, 11, 0 },	/* kmsg */
		{ REQ(ND_DEV_READ, CHR), 1, 1, 0 },	/* mem */
		{ REQ(ND_DEV_READ, CHR), 10, 200, 0 },	/* tun */
		{ REQ(ND_DEV_READ, CHR), 4, 0, 0 },	/* a host console tty */
		{ REQ(ND_DEV_READ, BLK), 1, 3, 0 },	/* block 1:3 is not /dev/null */
		{ REQ(ND_DEV_READ | ND_DEV_MKNOD, BLK), 7, 0, 0 },
		{ REQ(ND_DEV_READ, CHR), 137, 0, 0 },
	};
	struct bpf_insn p[ND_DEV_PROG_MAX];
	int n = nd_dev_prog(nd_dev_default, nd_dev_n_default, p, ND_DEV_PROG_MAX);

	(void)state;
	assert_true(n > 0 && n < ND_DEV_PROG_MAX);
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		if (run(p, n, cases[i].req, cases[i].major, cases[i].minor) != cases[i].allow)
			fail_msg("case %zu (%c %u:%u access %u): want %s", i, (cases[i].req & 0xffff) == BLK ? 'b' : 'c',
				 cases[i].major, cases[i].minor, cases[i].req >> 16, cases[i].allow ? "allow" : "deny");
}

static void test_program_edges(void **state)
{
	static const struct nd_dev_rule all = { 'a', ND_DEV_ANY, ND_DEV_ANY, ND_DEV_RWM };
	struct bpf_insn p[ND_DEV_PROG_MAX];
	int n;

	(void)state;
	/* No rule: everything is denied. */
	n = nd_dev_prog(NULL, 0, p, ND_DEV_PROG_MAX);
	assert_true(n > 0);
	assert_int_equal(run(p, n, REQ(ND_DEV_READ, CHR), 1, 3), 0);
	/* 'a *:* rwm' allows everything. */
	n = nd_dev_prog(&all, 1, p, ND_DEV_PROG_MAX);
	assert_int_equal(run(p, n, REQ(ND_DEV_RWM, BLK), 7, 0), 1);
	/* Too small a buffer is refused, never overrun. */
	assert_int_equal(nd_dev_prog(nd_dev_default, nd_dev_n_default, p, 10), -E2BIG);
}

static void test_v1_rules(void **state)
{
	static const char *const want[] = { "c *:* m", "b *:* m", "c 1:3 rwm", "c 1:5 rwm", "c 1:7 rwm", "c 1:8 rwm",
					    "c 1:9 rwm", "c 5:0 rwm", "c 5:1 rwm", "c 5:2 rwm", "c 136:* rwm" };
	char buf[64];

	(void)state;
	assert_int_equal(nd_dev_n_default, sizeof(want) / sizeof(want[0]));
	for (size_t i = 0; i < nd_dev_n_default; i++) {
		nd_dev_rule_v1(&nd_dev_default[i], buf, sizeof(buf));
		assert_string_equal(buf, want[i]);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_program_decides_as_the_allow_list),
		cmocka_unit_test(test_program_edges),
		cmocka_unit_test(test_v1_rules),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

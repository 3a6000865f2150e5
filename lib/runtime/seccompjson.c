#include "runtime/seccompjson.h"

#include <errno.h>
#include <jansson.h>
#include <seccomp.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/utsname.h>

#include "base/cleanup.h"
#include "base/json.h"
#include "runtime/caps.h"

#define PROFILE_MAX (1 << 20)
#define RULES_MAX 4096
#define NAMES_MAX 1024
/* Docker's profiles nest four deep (syscalls, a rule, args, a condition). */
#define DEPTH_MAX 8

DEFINE_CLEANUP(struct nd_seccomp, nd_seccomp_free)

/* What one pass over the profile needs: a context to fill (NULL: check only). */
struct pass {
	scmp_filter_ctx ctx;
	unsigned long long caps;
	uint32_t native;
	struct nd_err **err;
};

#define bad(p, ...) nd_err_set((p)->err, ND_ERR_BAD_SPEC, EINVAL, __VA_ARGS__)

/* "SCMP_ACT_ERRNO" and its errno (errnoRet, else EPERM as Docker) -> a libseccomp action. */
static int action_of(struct pass *p, json_t *name, json_t *errno_ret, uint32_t *ret)
{
	static const struct {
		const char *name;
		uint32_t act;
	} acts[] = { { "SCMP_ACT_KILL", SCMP_ACT_KILL },	   { "SCMP_ACT_KILL_THREAD", SCMP_ACT_KILL },
		     { "SCMP_ACT_KILL_PROCESS", SCMP_ACT_KILL_PROCESS }, { "SCMP_ACT_TRAP", SCMP_ACT_TRAP },
		     { "SCMP_ACT_ALLOW", SCMP_ACT_ALLOW },	   { "SCMP_ACT_LOG", SCMP_ACT_LOG } };
	const char *s = json_string_value(name);
	json_int_t e = 1;

	if (!s)
		return bad(p, "seccomp profile: %s must be a string", "action");
	if (errno_ret && (!json_is_integer(errno_ret) || (e = json_integer_value(errno_ret)) < 0 || e > 4095))
		return bad(p, "seccomp profile: %s must be an errno number (0-4095)", "errnoRet");
	if (!strcmp(s, "SCMP_ACT_ERRNO") || !strcmp(s, "SCMP_ACT_TRACE")) {
		*ret = s[9] == 'E' ? SCMP_ACT_ERRNO((uint32_t)e) : SCMP_ACT_TRACE((uint32_t)e);
		return 0;
	}
	for (size_t i = 0; i < ND_ARRAY_SIZE(acts); i++)
		if (!strcmp(s, acts[i].name)) {
			*ret = acts[i].act;
			return 0;
		}
	return bad(p, "seccomp profile: unknown or unsupported action '%s'", s);
}

/* "SCMP_ARCH_X86_64" or "x86_64" -> libseccomp's token; 0 when unknown. */
static uint32_t arch_of(const char *s)
{
	char low[64];
	size_t i;

	if (!strncmp(s, "SCMP_ARCH_", 10))
		s += 10;
	for (i = 0; i < sizeof(low) - 1 && s[i]; i++)
		low[i] = (char)(s[i] >= 'A' && s[i] <= 'Z' ? s[i] - 'A' + 'a' : s[i]);
	low[i] = 0;
	return seccomp_arch_resolve_name(low);
}

/* Only this machine's ABIs: its own and, on x86_64, x86 and x32 when the profile lists them. */
static int add_arch(struct pass *p, json_t *v)
{
	const char *s = json_string_value(v);
	uint32_t a;
	int r;

	if (!s)
		return bad(p, "seccomp profile: %s must hold strings", "architectures");
	a = arch_of(s);
	if (!a)
		return bad(p, "seccomp profile: unknown architecture '%s'", s);
	if (!p->ctx || a == p->native ||
	    !(p->native == SCMP_ARCH_X86_64 && (a == SCMP_ARCH_X86 || a == SCMP_ARCH_X32)))
		return 0;
	r = seccomp_arch_add(p->ctx, a);
	return r < 0 && r != -EEXIST ? nd_err_set(p->err, ND_ERR_INTERNAL, -r, "seccomp: architecture: %s", strerror(-r))
				     : 0;
}

static int arches(struct pass *p, json_t *prof)
{
	json_t *list = json_object_get(prof, "architectures"), *map = json_object_get(prof, "archMap"), *v, *m;
	size_t i, j;
	int r = 0;

	if ((list && !json_is_array(list)) || (map && !json_is_array(map)))
		return bad(p, "seccomp profile: %s must be an array", list && !json_is_array(list) ? "architectures" : "archMap");
	json_array_foreach(list, i, v) if ((r = add_arch(p, v)) < 0) return r;
	json_array_foreach(map, i, m) {
		const char *main_arch = json_string_value(json_object_get(m, "architecture"));
		json_t *subs = json_object_get(m, "subArchitectures");

		if (!json_is_object(m) || !main_arch || (subs && !json_is_array(subs)))
			return bad(p, "seccomp profile: %s entries need architecture and subArchitectures", "archMap");
		if ((r = add_arch(p, json_object_get(m, "architecture"))) < 0)
			return r;
		if (arch_of(main_arch) != p->native)
			continue;
		json_array_foreach(subs, j, v) if ((r = add_arch(p, v)) < 0) return r;
	}
	return 0;
}

/* Go's name of this machine's architecture (what includes.arches lists), and uname's. */
static bool arch_listed(json_t *list)
{
	struct utsname u;
	const char *go = NULL;
	size_t i;
	json_t *v;

	if (uname(&u) < 0)
		return false;
	go = !strcmp(u.machine, "x86_64") ? "amd64" : !strcmp(u.machine, "aarch64") ? "arm64" : u.machine;
	json_array_foreach(list, i, v) {
		const char *s = json_string_value(v);

		if (s && (!strcmp(s, go) || !strcmp(s, u.machine)))
			return true;
	}
	return false;
}

/* includes.caps all held / excludes.caps none held; arches the same way. */
static int applies(struct pass *p, json_t *rule, bool *ret)
{
	json_t *inc = json_object_get(rule, "includes"), *exc = json_object_get(rule, "excludes");
	json_t *ic = json_object_get(inc, "caps"), *ec = json_object_get(exc, "caps"), *v;
	json_t *ia = json_object_get(inc, "arches"), *ea = json_object_get(exc, "arches");
	size_t i;

	if ((inc && !json_is_object(inc)) || (exc && !json_is_object(exc)) || (ic && !json_is_array(ic)) ||
	    (ec && !json_is_array(ec)) || (ia && !json_is_array(ia)) || (ea && !json_is_array(ea)))
		return bad(p, "seccomp profile: %s must be objects of arrays", "includes/excludes");
	*ret = true;
	json_array_foreach(ic, i, v) {
		int n = json_is_string(v) ? nd_cap_number(json_string_value(v)) : -1;

		if (n < 0)
			return bad(p, "seccomp profile: unknown capability in %s", "includes.caps");
		*ret = *ret && (p->caps & (1ULL << n));
	}
	json_array_foreach(ec, i, v) {
		int n = json_is_string(v) ? nd_cap_number(json_string_value(v)) : -1;

		if (n < 0)
			return bad(p, "seccomp profile: unknown capability in %s", "excludes.caps");
		*ret = *ret && !(p->caps & (1ULL << n));
	}
	if (ia && json_array_size(ia) && !arch_listed(ia))
		*ret = false;
	if (ea && arch_listed(ea))
		*ret = false;
	return 0;
}

static int cmp_of(struct pass *p, json_t *a, struct scmp_arg_cmp *ret)
{
	static const char *const ops[] = { NULL,	   "SCMP_CMP_NE", "SCMP_CMP_LT", "SCMP_CMP_LE",
					   "SCMP_CMP_EQ", "SCMP_CMP_GE", "SCMP_CMP_GT", "SCMP_CMP_MASKED_EQ" };
	json_t *idx = json_object_get(a, "index"), *val = json_object_get(a, "value"), *two = json_object_get(a, "valueTwo");
	const char *op = json_string_value(json_object_get(a, "op"));

	if (!json_is_object(a) || !json_is_integer(idx) || json_integer_value(idx) < 0 || json_integer_value(idx) > 5)
		return bad(p, "seccomp profile: %s needs an index from 0 to 5", "args");
	if (!json_is_integer(val) || (two && !json_is_integer(two)))
		return bad(p, "seccomp profile: %s values must be integers", "args");
	for (int i = 1; op && i < (int)ND_ARRAY_SIZE(ops); i++)
		if (!strcmp(op, ops[i])) {
			*ret = (struct scmp_arg_cmp){ .arg = (unsigned)json_integer_value(idx), .op = (enum scmp_compare)i,
						      .datum_a = (scmp_datum_t)json_integer_value(val),
						      .datum_b = two ? (scmp_datum_t)json_integer_value(two) : 0 };
			return 0;
		}
	return bad(p, "seccomp profile: unknown op '%s'", op ? op : "(none)");
}

/* libseccomp's answers that a profile may cause without being wrong. */
static int add_rule(struct pass *p, uint32_t act, int nr, unsigned n, const struct scmp_arg_cmp *c)
{
	int r = seccomp_rule_add_array(p->ctx, act, nr, n, c);

	/* The default action again (-EACCES), a second rule for a name (-EEXIST), a pseudo-call. */
	if (r == -EACCES || r == -EEXIST || (r < 0 && nr < 0))
		return 0;
	return r < 0 ? nd_err_set(p->err, ND_ERR_BAD_SPEC, -r, "seccomp profile: a rule libseccomp refuses: %s", strerror(-r))
		     : 0;
}

/*
 * One name's rule: the conditions together, except that two on the same argument are
 * alternatives (one rule each), as runc reads Docker's profiles.
 */
static int add_call(struct pass *p, uint32_t act, const char *name, const struct scmp_arg_cmp *c, size_t n)
{
	int nr = seccomp_syscall_resolve_name(name), r = 0;
	bool same = false;

	if (nr == __NR_SCMP_ERROR || !p->ctx)
		return 0;
	for (size_t i = 0; i < n; i++)
		for (size_t j = i + 1; j < n; j++)
			same = same || c[i].arg == c[j].arg;
	if (!same)
		return add_rule(p, act, nr, (unsigned)n, c);
	for (size_t i = 0; r >= 0 && i < n; i++)
		r = add_rule(p, act, nr, 1, &c[i]);
	return r;
}

static int rule(struct pass *p, json_t *rl)
{
	json_t *names = json_object_get(rl, "names"), *one = json_object_get(rl, "name"), *args = json_object_get(rl, "args");
	struct scmp_arg_cmp c[6];
	size_t i, n = 0;
	uint32_t act;
	bool yes = false;
	json_t *v;
	int r;

	if (!json_is_object(rl))
		return bad(p, "seccomp profile: %s must hold objects", "syscalls");
	if ((names && !json_is_array(names)) || (one && !json_is_string(one)) || (!names && !one) ||
	    json_array_size(names) > NAMES_MAX)
		return bad(p, "seccomp profile: a %s entry needs names (an array of strings) or name", "syscalls");
	if ((args && !json_is_array(args)) || json_array_size(args) > 6)
		return bad(p, "seccomp profile: %s must be an array of at most 6 conditions", "args");
	if ((r = action_of(p, json_object_get(rl, "action"), json_object_get(rl, "errnoRet"), &act)) < 0 ||
	    (r = applies(p, rl, &yes)) < 0)
		return r;
	json_array_foreach(args, i, v) if ((r = cmp_of(p, v, &c[n++])) < 0) return r;
	json_array_foreach(names, i, v) {
		if (!json_is_string(v))
			return bad(p, "seccomp profile: %s must be strings", "names");
		if (yes && (r = add_call(p, act, json_string_value(v), c, n)) < 0)
			return r;
	}
	return one && yes ? add_call(p, act, json_string_value(one), c, n) : 0;
}

static int walk(struct pass *p, json_t *prof)
{
	json_t *calls = json_object_get(prof, "syscalls"), *v;
	size_t i;
	int r;

	if (!json_is_object(prof))
		return bad(p, "seccomp profile: %s", "not a JSON object");
	if (calls && (!json_is_array(calls) || json_array_size(calls) > RULES_MAX))
		return bad(p, "seccomp profile: %s must be an array (at most 4096 entries)", "syscalls");
	if ((r = arches(p, prof)) < 0)
		return r;
	json_array_foreach(calls, i, v) if ((r = rule(p, v)) < 0) return r;
	return 0;
}

static int parse(const char *text, size_t len, json_t **ret, struct nd_err **err)
{
	if (len > PROFILE_MAX)
		return nd_err_set(err, ND_ERR_BAD_SPEC, EFBIG, "seccomp profile: larger than 1 MiB");
	if (nd_json_parse_bounded(text, len, DEPTH_MAX, ret, err) < 0)
		return nd_err_wrap(err, "seccomp profile");
	return 0;
}

/* The default action: defaultAction with defaultErrnoRet. */
static int default_action(struct pass *p, json_t *prof, uint32_t *ret)
{
	if (!json_object_get(prof, "defaultAction"))
		return bad(p, "seccomp profile: %s is missing", "defaultAction");
	return action_of(p, json_object_get(prof, "defaultAction"), json_object_get(prof, "defaultErrnoRet"), ret);
}

int nd_seccomp_json_check(const char *text, size_t len, struct nd_err **err)
{
	_cleanup_json_ json_t *prof = NULL;
	struct pass p = { .caps = ~0ULL, .native = seccomp_arch_native(), .err = err };
	uint32_t def;
	int r;

	if ((r = parse(text, len, &prof, err)) < 0)
		return r;
	if (!json_is_object(prof))
		return bad(&p, "seccomp profile: %s", "not a JSON object");
	if ((r = default_action(&p, prof, &def)) < 0)
		return r;
	return walk(&p, prof);
}

int nd_seccomp_json_build(const char *text, unsigned long long caps, struct nd_seccomp **ret, struct nd_err **err)
{
	_cleanup_json_ json_t *prof = NULL;
	struct pass p = { .caps = caps, .native = seccomp_arch_native(), .err = err };
	uint32_t def;
	int r;

	if ((r = parse(text, strlen(text), &prof, err)) < 0)
		return r;
	if (!json_is_object(prof))
		return bad(&p, "seccomp profile: %s", "not a JSON object");
	if ((r = default_action(&p, prof, &def)) < 0)
		return r;
	if (!(p.ctx = seccomp_init(def)))
		return nd_err_set(err, ND_ERR_INTERNAL, ENOMEM, "seccomp: cannot create a filter");
	r = walk(&p, prof);
	if (r >= 0)
		r = nd_seccomp_compile(p.ctx, ret, err);
	seccomp_release(p.ctx);
	return r;
}

int nd_seccomp_for(const char *profile, unsigned long long caps, struct nd_seccomp **ret, struct nd_err **err)
{
	return profile ? nd_seccomp_json_build(profile, caps, ret, err) : nd_seccomp_build(caps, ret, err);
}

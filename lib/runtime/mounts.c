#include "runtime/mounts.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/cleanup.h"
#include "runtime/cgroup.h"

void nd_mnt_clear(struct nd_mnt *m)
{
	free(m->src);
	free(m->dst);
	*m = (struct nd_mnt){ 0 };
}

bool nd_mnt_valid_volume_name(const char *s)
{
	size_t n = s ? strlen(s) : 0;

	if (n < 2 || n > 64)
		return false;
	for (size_t i = 0; i < n; i++) {
		char c = s[i];
		bool alnum = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');

		if (!alnum && (i == 0 || (c != '_' && c != '.' && c != '-')))
			return false;
	}
	return true;
}

/*
 * An absolute path with "//", "/./" and a trailing "/" folded away. ".." is refused: it
 * means nothing a user wants in a mount target, and refusing it keeps the record plain.
 */
static int clean_path(const char *what, const char *p, char **ret, struct nd_err **err)
{
	_cleanup_free_ char *out = malloc(strlen(p) + 2);
	size_t n = 0;

	if (!out)
		return nd_oom(err);
	if (p[0] != '/')
		return nd_err_set(err, ND_ERR_BAD_SPEC, EINVAL, "%s '%s' is not an absolute path", what, p);
	/* The record keeps mounts in the --mount form, whose fields a comma separates. */
	if (strchr(p, ','))
		return nd_err_set(err, ND_ERR_BAD_SPEC, EINVAL, "%s '%s' has a ',' (not supported)", what, p);
	for (const char *c = p; *c;) {
		size_t len;

		while (*c == '/')
			c++;
		len = strcspn(c, "/");
		if (len == 2 && !strncmp(c, "..", 2))
			return nd_err_set(err, ND_ERR_BAD_SPEC, EINVAL, "%s '%s' has a '..' component", what, p);
		if (len && !(len == 1 && *c == '.')) {
			out[n++] = '/';
			memcpy(out + n, c, len);
			n += len;
		}
		c += len;
	}
	if (n == 0)
		out[n++] = '/';
	out[n] = '\0';
	*ret = TAKE_PTR(out);
	return 0;
}

/* "true", "1" or nothing: true; "false", "0": false; else -1. */
static int boolean(const char *v)
{
	if (!v || !strcmp(v, "true") || !strcmp(v, "1"))
		return 1;
	if (!strcmp(v, "false") || !strcmp(v, "0"))
		return 0;
	return -1;
}

static int bad(struct nd_err **err, const char *spec, const char *why)
{
	return nd_err_set(err, ND_ERR_BAD_SPEC, EINVAL, "mount '%s': %s", spec, why);
}

/* One key[=value] of a --mount value into m. */
static int mount_key(const char *spec, char *key, struct nd_mnt *m, struct nd_err **err)
{
	char *v = strchr(key, '=');
	int b;

	if (v)
		*v++ = '\0';
	if (!strcmp(key, "type")) {
		if (!v || !(m->type = !strcmp(v, "bind") ? ND_MNT_BIND : !strcmp(v, "volume") ? ND_MNT_VOLUME
						: !strcmp(v, "tmpfs")			  ? ND_MNT_TMPFS
											  : 0))
			return bad(err, spec, "type must be bind, volume or tmpfs");
	} else if (!strcmp(key, "source") || !strcmp(key, "src")) {
		free(m->src);
		m->src = NULL;
		if (!v || !*v || !(m->src = strdup(v)))
			return v && *v ? nd_oom(err) : bad(err, spec, "empty source");
	} else if (!strcmp(key, "target") || !strcmp(key, "destination") || !strcmp(key, "dst")) {
		free(m->dst);
		m->dst = NULL;
		if (!v || clean_path("target", v, &m->dst, err) < 0)
			return v ? nd_err_wrap(err, "mount '%s'", spec) : bad(err, spec, "empty target");
	} else if (!strcmp(key, "readonly") || !strcmp(key, "ro") || !strcmp(key, "volume-nocopy") ||
		   !strcmp(key, "tmpfs-exec")) {
		if ((b = boolean(v)) < 0)
			return bad(err, spec, "a flag takes true or false");
		*(key[0] == 'v' ? &m->nocopy : key[0] == 't' ? &m->exec : &m->ro) = b;
	} else if (!strcmp(key, "tmpfs-size")) {
		if (!v || nd_cg_parse_size(v, &m->size, err) < 0)
			return v ? nd_err_wrap(err, "mount '%s': tmpfs-size", spec) : bad(err, spec, "tmpfs-size needs a value");
	} else if (!strcmp(key, "tmpfs-mode")) {
		char *end;
		unsigned long mode = v ? strtoul(v, &end, 8) : 0;

		if (!v || !*v || *end || mode > 07777)
			return bad(err, spec, "tmpfs-mode takes an octal mode (1777)");
		m->mode = (unsigned)mode;
	} else {
		return nd_err_set(err, ND_ERR_BAD_SPEC, EINVAL, "mount '%s': unknown key '%s'", spec, key);
	}
	return 0;
}

/* What each type needs, and what it must not have. */
static int mount_check(const char *spec, struct nd_mnt *m, struct nd_err **err)
{
	if (!m->dst)
		return bad(err, spec, "no target");
	if (!strcmp(m->dst, "/"))
		return bad(err, spec, "the target cannot be '/'");
	if (!strcmp(m->dst, "/proc") || !strncmp(m->dst, "/proc/", 6))
		return bad(err, spec, "the target cannot be in /proc");
	if (m->type == ND_MNT_BIND) {
		_cleanup_free_ char *src = NULL;

		if (!m->src)
			return bad(err, spec, "a bind mount needs a source");
		if (clean_path("bind source", m->src, &src, err) < 0)
			return nd_err_wrap(err, "mount '%s'", spec);
		free(m->src);
		m->src = TAKE_PTR(src);
	} else if (m->type == ND_MNT_VOLUME) {
		if (!m->src)
			return bad(err, spec, "anonymous volumes are not supported: give the volume a name");
		if (!nd_mnt_valid_volume_name(m->src))
			return nd_err_set(err, ND_ERR_BAD_SPEC, EINVAL,
					  "mount '%s': '%s' is not a valid volume name ([a-zA-Z0-9][a-zA-Z0-9_.-]+)", spec, m->src);
	} else if (m->src) {
		return bad(err, spec, "a tmpfs has no source");
	}
	if (m->type != ND_MNT_TMPFS && (m->size || m->mode || m->exec))
		return bad(err, spec, "tmpfs options on a mount that is not a tmpfs");
	if (m->type != ND_MNT_VOLUME && m->nocopy)
		return bad(err, spec, "volume-nocopy on a mount that is not a volume");
	return 0;
}

int nd_mnt_parse(const char *spec, struct nd_mnt *ret, struct nd_err **err)
{
	_cleanup_free_ char *copy = strdup(spec);
	struct nd_mnt m = { .type = ND_MNT_VOLUME }; /* Docker's default type */
	char *save = NULL;
	int r = 0;

	if (!copy)
		return nd_oom(err);
	for (char *k = strtok_r(copy, ",", &save); k && r >= 0; k = strtok_r(NULL, ",", &save))
		r = mount_key(spec, k, &m, err);
	if (r >= 0)
		r = mount_check(spec, &m, err);
	if (r < 0) {
		nd_mnt_clear(&m);
		return r;
	}
	*ret = m;
	return 0;
}

char *nd_mnt_format(const struct nd_mnt *m)
{
	static const char *const types[] = { [ND_MNT_BIND] = "bind", [ND_MNT_VOLUME] = "volume", [ND_MNT_TMPFS] = "tmpfs" };
	char *s = NULL;

	if (asprintf(&s, "type=%s%s%s,target=%s%s%s%s", types[m->type], m->src ? ",source=" : "", m->src ? m->src : "",
		     m->dst, m->ro ? ",readonly" : "", m->nocopy ? ",volume-nocopy" : "", m->exec ? ",tmpfs-exec" : "") < 0)
		return NULL;
	if (s && m->type == ND_MNT_TMPFS && m->size) {
		char *t = NULL;

		if (asprintf(&t, "%s,tmpfs-size=%llu", s, (unsigned long long)m->size) < 0)
			t = NULL;
		free(s);
		s = t;
	}
	if (s && m->type == ND_MNT_TMPFS && m->mode) {
		char *t = NULL;

		if (asprintf(&t, "%s,tmpfs-mode=%o", s, m->mode) < 0)
			t = NULL;
		free(s);
		s = t;
	}
	return s;
}

/* m, checked, into its --mount form. */
static int normalised(const char *flag, const char *v, struct nd_mnt *m, char **ret, struct nd_err **err)
{
	int r = mount_check(v, m, err);

	if (r < 0)
		r = nd_err_wrap(err, "%s", flag);
	else if (!(*ret = nd_mnt_format(m)))
		r = nd_oom(err);
	nd_mnt_clear(m);
	return r;
}

int nd_mnt_from_volume_flag(const char *v, char **ret, struct nd_err **err)
{
	_cleanup_free_ char *copy = strdup(v);
	struct nd_mnt m = { 0 };
	char *dst, *opts;

	if (!copy)
		return nd_oom(err);
	if (!(dst = strchr(copy, ':')))
		return nd_err_set(err, ND_ERR_BAD_SPEC, EINVAL,
				  "-v '%s': expected SOURCE:TARGET[:ro] (anonymous volumes are not supported)", v);
	*dst++ = '\0';
	if ((opts = strchr(dst, ':')))
		*opts++ = '\0';
	for (char *save = NULL, *o = opts ? strtok_r(opts, ",", &save) : NULL; o; o = strtok_r(NULL, ",", &save)) {
		if (strcmp(o, "ro") && strcmp(o, "rw"))
			return nd_err_set(err, ND_ERR_BAD_SPEC, EINVAL, "-v '%s': unknown option '%s' (ro or rw)", v, o);
		m.ro = !strcmp(o, "ro");
	}
	m.type = copy[0] == '/' ? ND_MNT_BIND : ND_MNT_VOLUME;
	if (!*copy)
		return nd_err_set(err, ND_ERR_BAD_SPEC, EINVAL, "-v '%s': empty source", v);
	if (!(m.src = strdup(copy)))
		return nd_oom(err);
	if (clean_path("target", dst, &m.dst, err) < 0) {
		nd_mnt_clear(&m);
		return nd_err_wrap(err, "-v '%s'", v);
	}
	return normalised("-v", v, &m, ret, err);
}

/* One option of --tmpfs into m. Docker passes them to the kernel; these are the ones that matter. */
static int tmpfs_opt(const char *v, char *o, struct nd_mnt *m, struct nd_err **err)
{
	char *end;

	if (!strncmp(o, "size=", 5))
		return nd_cg_parse_size(o + 5, &m->size, err) < 0 ? nd_err_wrap(err, "--tmpfs '%s'", v) : 0;
	if (!strncmp(o, "mode=", 5)) {
		unsigned long mode = strtoul(o + 5, &end, 8);

		if (!o[5] || *end || mode > 07777)
			return nd_err_set(err, ND_ERR_BAD_SPEC, EINVAL, "--tmpfs '%s': mode takes an octal mode", v);
		m->mode = (unsigned)mode;
	} else if (!strcmp(o, "ro") || !strcmp(o, "rw")) {
		m->ro = o[1] == 'o';
	} else if (!strcmp(o, "exec") || !strcmp(o, "noexec")) {
		m->exec = o[0] == 'e';
	} else if (strcmp(o, "nosuid") && strcmp(o, "nodev")) {
		/* suid and dev are not offered: a tmpfs is always nosuid,nodev here. */
		return nd_err_set(err, ND_ERR_BAD_SPEC, EINVAL,
				  "--tmpfs '%s': unknown option '%s' (size=, mode=, ro, rw, exec, noexec, nosuid, nodev)", v, o);
	}
	return 0;
}

int nd_mnt_from_tmpfs_flag(const char *v, char **ret, struct nd_err **err)
{
	_cleanup_free_ char *copy = strdup(v);
	struct nd_mnt m = { .type = ND_MNT_TMPFS };
	char *opts;
	int r = 0;

	if (!copy)
		return nd_oom(err);
	if ((opts = strchr(copy, ':')))
		*opts++ = '\0';
	for (char *save = NULL, *o = opts ? strtok_r(opts, ",", &save) : NULL; o && r >= 0; o = strtok_r(NULL, ",", &save))
		r = tmpfs_opt(v, o, &m, err);
	if (r >= 0 && clean_path("--tmpfs", copy, &m.dst, err) < 0)
		r = -EINVAL;
	if (r < 0) {
		nd_mnt_clear(&m);
		return r;
	}
	return normalised("--tmpfs", v, &m, ret, err);
}

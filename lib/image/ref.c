#include "image/ref.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/cleanup.h"

static bool lower_alnum(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
}

/* One path component: [a-z0-9]+((\.|_|__|-+)[a-z0-9]+)* */
static bool component_valid(const char *s, size_t n)
{
	size_t i = 0;

	while (i < n) {
		size_t run = 0;

		while (i < n && lower_alnum(s[i]))
			i++, run++;
		if (run == 0)
			return false;
		if (i == n)
			return true;
		if (s[i] == '.' || s[i] == '_') {
			i += (s[i] == '_' && i + 1 < n && s[i + 1] == '_') ? 2 : 1;
		} else if (s[i] == '-') {
			while (i < n && s[i] == '-')
				i++;
		} else {
			return false;
		}
		if (i == n)
			return false;
	}
	return n > 0;
}

/* host[:port]: dot-separated labels of [A-Za-z0-9-] not starting or ending in '-'. */
static bool domain_valid(const char *s, size_t n)
{
	const char *colon = memchr(s, ':', n);
	size_t host = colon ? (size_t)(colon - s) : n, label = 0;

	if (host == 0)
		return false;
	for (size_t i = 0; i <= host; i++) {
		if (i == host || s[i] == '.') {
			if (label == 0 || s[i - 1] == '-')
				return false;
			label = 0;
		} else if (isalnum((unsigned char)s[i]) || (s[i] == '-' && label > 0)) {
			label++;
		} else {
			return false;
		}
	}
	if (!colon)
		return true;
	if (n - host < 2 || n - host > 6)
		return false;
	for (size_t i = host + 1; i < n; i++)
		if (!isdigit((unsigned char)s[i]))
			return false;
	return true;
}

bool nd_ref_tag_valid(const char *s)
{
	size_t n = strlen(s);

	if (n == 0 || n > ND_REF_TAG_MAX || !(isalnum((unsigned char)s[0]) || s[0] == '_'))
		return false;
	for (size_t i = 1; i < n; i++)
		if (!(isalnum((unsigned char)s[i]) || s[i] == '_' || s[i] == '.' || s[i] == '-'))
			return false;
	return true;
}

static bool digest_valid(const char *s)
{
	if (strncmp(s, "sha256:", 7) || strlen(s) != 71)
		return false;
	for (const char *p = s + 7; *p; p++)
		if (!((*p >= '0' && *p <= '9') || (*p >= 'a' && *p <= 'f')))
			return false;
	return true;
}

/* Docker's splitDockerDomain: is the text before the first '/' a registry? */
static bool is_domain(const char *s, size_t n)
{
	if (n == 9 && !strncmp(s, "localhost", 9))
		return true;
	for (size_t i = 0; i < n; i++)
		if (s[i] == '.' || s[i] == ':' || isupper((unsigned char)s[i]))
			return true;
	return false;
}

static int bad(struct nd_err **err, const char *s, const char *why)
{
	return nd_err_set(err, ND_ERR_BAD_SPEC, EINVAL, "invalid reference format '%s': %s", s, why);
}

/* The path (after the registry) into r->repo, every component checked. */
static int set_repo(struct nd_ref *r, const char *s, const char *path, size_t n, struct nd_err **err)
{
	const char *lib = !strcmp(r->registry, "docker.io") && !memchr(path, '/', n) ? "library/" : "";

	if (n == 0)
		return bad(err, s, "empty repository name");

	for (size_t i = 0; i < n;) {
		const char *slash = memchr(path + i, '/', n - i);
		size_t len = slash ? (size_t)(slash - path - i) : n - i;

		if (!component_valid(path + i, len))
			return bad(err, s, "repository name must be lowercase: [a-z0-9] separated by '.', '_', '__' or '-'");
		i += len + (slash ? 1 : 0);
		if (slash && i == n)
			return bad(err, s, "empty path component");
	}
	if (strlen(r->registry) + 1 + strlen(lib) + n > ND_REF_NAME_MAX)
		return bad(err, s, "name too long");
	snprintf(r->repo, sizeof(r->repo), "%s%.*s", lib, (int)n, path);
	return 0;
}

/* name (no tag, no digest) into registry and repo. */
static int parse_name(struct nd_ref *r, const char *s, const char *name, size_t n, struct nd_err **err)
{
	const char *slash = memchr(name, '/', n);

	if (n == 0)
		return bad(err, s, "empty name");
	if (slash && is_domain(name, (size_t)(slash - name))) {
		size_t dn = (size_t)(slash - name);

		if (!domain_valid(name, dn) || dn > ND_REF_NAME_MAX)
			return bad(err, s, "bad registry name");
		snprintf(r->registry, sizeof(r->registry), "%.*s", (int)dn, name);
		return set_repo(r, s, slash + 1, n - dn - 1, err);
	}
	snprintf(r->registry, sizeof(r->registry), "docker.io");
	return set_repo(r, s, name, n, err);
}

int nd_ref_parse(const char *s, struct nd_ref *ret, struct nd_err **err)
{
	struct nd_ref r = { 0 };
	const char *at = strchr(s, '@'), *end = at ? at : s + strlen(s);
	const char *slash = memrchr(s, '/', (size_t)(end - s)), *colon = memrchr(s, ':', (size_t)(end - s));
	int e;

	if (at && !digest_valid(at + 1))
		return bad(err, s, "digest must be sha256: and 64 lowercase hex digits");
	if (at)
		snprintf(r.digest, sizeof(r.digest), "%s", at + 1);
	/* A ':' after the last '/' starts the tag; before it, it was a port. */
	if (colon && (!slash || colon > slash)) {
		_cleanup_free_ char *tag = strndup(colon + 1, (size_t)(end - colon - 1));

		if (!tag)
			return nd_oom(err);
		if (!nd_ref_tag_valid(tag))
			return bad(err, s, *tag ? "bad tag" : "empty tag");
		snprintf(r.tag, sizeof(r.tag), "%s", tag);
		end = colon;
	}
	if ((e = parse_name(&r, s, s, (size_t)(end - s), err)) < 0)
		return e;
	if (!*r.tag && !*r.digest)
		snprintf(r.tag, sizeof(r.tag), "latest");
	*ret = r;
	return 0;
}

char *nd_ref_repository(const struct nd_ref *r)
{
	char *s = NULL;

	return asprintf(&s, "%s/%s", r->registry, r->repo) < 0 ? NULL : s;
}

char *nd_ref_canonical(const struct nd_ref *r)
{
	char *s = NULL;

	if (*r->tag)
		return asprintf(&s, "%s/%s:%s", r->registry, r->repo, r->tag) < 0 ? NULL : s;
	return asprintf(&s, "%s/%s@%s", r->registry, r->repo, r->digest) < 0 ? NULL : s;
}

const char *nd_ref_familiar(const char *name)
{
	if (!strncmp(name, "docker.io/", 10)) {
		name += 10;
		if (!strncmp(name, "library/", 8) && !strchr(name + 8, '/'))
			name += 8;
	}
	return name;
}

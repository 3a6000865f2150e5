/*
 * What the unit tests that touch files share: a scratch directory under /tmp and its
 * removal, files put there and looked for, addresses from text. Header-only (each test
 * binary is one file); include it after <cmocka.h>.
 */
#pragma once

#include <ftw.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include <jansson.h>

#include "base/ip.h"

#define FX_DIR_LEN 64

/* A fresh directory /tmp/netd-<tag>-XXXXXX in dir; false when it cannot be made. */
static inline bool fx_tmpdir(char dir[FX_DIR_LEN], const char *tag)
{
	snprintf(dir, FX_DIR_LEN, "/tmp/netd-%s-XXXXXX", tag);
	return mkdtemp(dir) != NULL;
}

static inline int fx_rm_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)ftw;
	return flag == FTW_DP ? rmdir(path) : unlink(path);
}

/* dir and everything under it. */
static inline void fx_rmtree(const char *dir)
{
	nftw(dir, fx_rm_entry, 16, FTW_DEPTH | FTW_PHYS);
}

/* dir/name into path. */
static inline const char *fx_path(char path[PATH_MAX], const char *dir, const char *name)
{
	if (snprintf(path, PATH_MAX, "%s/%s", dir, name) >= PATH_MAX)
		fail_msg("test bug: path '%s/%s' too long", dir, name);
	return path;
}

/* dir/name holding content, created or truncated. */
static inline void put(const char *dir, const char *name, const char *content)
{
	char path[PATH_MAX];
	FILE *fp = fopen(fx_path(path, dir, name), "we");

	assert_non_null(fp);
	fputs(content, fp);
	fclose(fp);
}

static inline bool exists(const char *dir, const char *name)
{
	char path[PATH_MAX];

	return access(fx_path(path, dir, name), F_OK) == 0;
}

static inline struct nd_ip ip_of(const char *s)
{
	struct nd_ip ip;

	if (nd_ip_parse(s, &ip, NULL) < 0)
		fail_msg("test bug: cannot parse '%s'", s);
	return ip;
}

/* JSON from text the test wrote; a parse error is the test's own bug. */
static inline json_t *fx_json(const char *text)
{
	json_error_t jerr;
	json_t *j = json_loads(text, 0, &jerr);

	if (!j)
		fail_msg("test bug: '%s': %s", text, jerr.text);
	return j;
}

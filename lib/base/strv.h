/*
 * String vectors: NULL-terminated arrays of malloc'd strings (char **), the form execve,
 * the container records and directory listings use. A struct nd_strv builds one and knows
 * its length; nd_strv_free frees any vector. Environment vectors hold "K=V" entries.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>

struct nd_strv {
	char **v; /* NULL-terminated once anything was pushed; NULL while empty */
	size_t n;
};

/* Append a copy of x; -ENOMEM leaves s as it was. */
int nd_strv_push(struct nd_strv *s, const char *x);
/*
 * The vector built so far, NULL-terminated even when empty (NULL only when out of memory,
 * and then s is cleared); s is left empty and owns nothing.
 */
char **nd_strv_take(struct nd_strv *s);
void nd_strv_clear(struct nd_strv *s);

/* Set kv ("K=V") in env, replacing an earlier K in place; -ENOMEM. */
int nd_env_set(struct nd_strv *env, const char *kv);
/* Does env have an entry "key=..."? */
bool nd_env_has(const struct nd_strv *env, const char *key);

size_t nd_strv_len(char *const *v);
void nd_strv_free(char **v);
void nd_strv_freep(char ***v);
#define _cleanup_strv_ __attribute__((cleanup(nd_strv_freep)))

/*
 * JSON helpers over jansson: typed accessors for config parsing that name the field in
 * their errors, bounded parsing of untrusted text, and building under the one
 * out-of-memory rule.
 */
#pragma once

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#include "base/cleanup.h"
#include "base/err.h"

/* A json_t reference dropped at the end of its scope (jansson's json_decrefp). */
#define _cleanup_json_ _cleanup_(json_decrefp)

/*
 * Each getter: a missing key is an error (code 7) only when required; a key of the wrong
 * type is always an error (code 7) naming the key. JSON null counts as missing.
 * *ret is left alone when the key is absent, so callers preset defaults.
 */
int nd_json_get_str(json_t *o, const char *key, bool required, const char **ret, struct nd_err **err);
int nd_json_get_bool(json_t *o, const char *key, bool *ret, struct nd_err **err);
int nd_json_get_int(json_t *o, const char *key, bool required, json_int_t *ret, struct nd_err **err);
int nd_json_get_obj(json_t *o, const char *key, json_t **ret, struct nd_err **err);
/* Array of at most max entries; *ret is NULL when absent. */
int nd_json_get_array(json_t *o, const char *key, size_t max, json_t **ret, struct nd_err **err);

/*
 * The deepest nesting of arrays and objects in text, strings skipped, without parsing it:
 * linear on any input, so that a parser's recursion can be bounded before it starts.
 */
unsigned int nd_json_depth(const char *buf, size_t len);
/* json_loadb (duplicates refused) after a depth check: code 6 if deeper than max_depth or not JSON. */
int nd_json_parse_bounded(const char *buf, size_t len, unsigned int max_depth, json_t **ret, struct nd_err **err);

/*
 * Salvage from text that need not parse as a whole (too deep, too large, truncated): the
 * string value of each keys[k] that is a member of the top-level object, when it has no
 * escapes and fewer than ND_JSON_TOP_MAX bytes; vals[k] is "" otherwise. First one wins.
 */
#define ND_JSON_TOP_MAX 64
void nd_json_top_strings(const char *buf, size_t len, const char *const keys[], size_t nkeys,
			 char (*vals)[ND_JSON_TOP_MAX]);

/*
 * Building JSON under the one out-of-memory rule (err.h): a value that could not be made
 * is NULL, and setting or appending it fails; each failed step turns *ok false for good.
 * nd_json_built then hands back the whole, or after any failure nothing (NULL), never a
 * part of it.
 */
void nd_json_set(json_t *o, const char *key, json_t *v, bool *ok);
void nd_json_append(json_t *a, json_t *v, bool *ok);
json_t *nd_json_built(json_t *j, bool ok);

/*
 * A JSON array of strings as a string vector (base/strv.h); absent or null gives NULL.
 * -EINVAL when a is not an array of strings, -ENOMEM.
 */
int nd_json_to_strv(json_t *a, char ***ret);
/* A string vector as a JSON array (NULL: JSON null), non-UTF-8 strings left out; NULL when out of memory. */
json_t *nd_json_from_strv(char *const *v);

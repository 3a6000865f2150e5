/* Typed accessors over jansson for config parsing: each names the field in its error. */
#pragma once

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#include "err.h"

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

#include "base/json.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "base/strv.h"

static json_t *lookup(json_t *o, const char *key)
{
	json_t *v = json_is_object(o) ? json_object_get(o, key) : NULL;

	return json_is_null(v) ? NULL : v;
}

/*
 * The value at key into *ret, when it has type (JSON_TRUE stands for either boolean); NULL
 * when absent, an error if required; of another type, an error saying it must be want.
 */
static int typed(json_t *o, const char *key, bool required, json_type type, const char *want, json_t **ret,
		 struct nd_err **err)
{
	json_t *v = lookup(o, key);

	*ret = NULL;
	if (!v)
		return required ? nd_err_set(err, ND_CNI_INVALID_CONFIG, EINVAL, "field '%s' is required", key) : 0;
	if (json_typeof(v) != type && !(type == JSON_TRUE && json_is_boolean(v)))
		return nd_err_set(err, ND_CNI_INVALID_CONFIG, EINVAL, "field '%s' must be %s", key, want);
	*ret = v;
	return 0;
}

int nd_json_get_str(json_t *o, const char *key, bool required, const char **ret, struct nd_err **err)
{
	json_t *v;
	int r = typed(o, key, required, JSON_STRING, "a string", &v, err);

	if (v)
		*ret = json_string_value(v);
	return r;
}

int nd_json_get_bool(json_t *o, const char *key, bool *ret, struct nd_err **err)
{
	json_t *v;
	int r = typed(o, key, false, JSON_TRUE, "true or false", &v, err);

	if (v)
		*ret = json_is_true(v);
	return r;
}

int nd_json_get_int(json_t *o, const char *key, bool required, json_int_t *ret, struct nd_err **err)
{
	json_t *v;
	int r = typed(o, key, required, JSON_INTEGER, "an integer", &v, err);

	if (v)
		*ret = json_integer_value(v);
	return r;
}

int nd_json_get_obj(json_t *o, const char *key, json_t **ret, struct nd_err **err)
{
	json_t *v;
	int r = typed(o, key, false, JSON_OBJECT, "an object", &v, err);

	if (v)
		*ret = v;
	return r;
}

int nd_json_get_array(json_t *o, const char *key, size_t max, json_t **ret, struct nd_err **err)
{
	int r = typed(o, key, false, JSON_ARRAY, "an array", ret, err);

	if (r >= 0 && json_array_size(*ret) > max) {
		*ret = NULL;
		return nd_err_set(err, ND_CNI_INVALID_CONFIG, E2BIG, "field '%s' has more than %zu entries", key, max);
	}
	return r;
}

unsigned int nd_json_depth(const char *buf, size_t len)
{
	unsigned int depth = 0, max = 0;
	bool in_str = false;

	for (size_t i = 0; i < len; i++) {
		char c = buf[i];

		if (in_str) {
			if (c == '\\')
				i++;
			else if (c == '"')
				in_str = false;
		} else if (c == '"') {
			in_str = true;
		} else if (c == '{' || c == '[') {
			if (++depth > max)
				max = depth;
		} else if ((c == '}' || c == ']') && depth) {
			depth--;
		}
	}
	return max;
}

int nd_json_parse_bounded(const char *buf, size_t len, unsigned int max_depth, json_t **ret, struct nd_err **err)
{
	json_error_t jerr;
	json_t *j;

	/* jansson recurses up to 2048 levels: refuse deeper text before it does. */
	if (nd_json_depth(buf, len) > max_depth)
		return nd_err_set(err, ND_CNI_DECODE, EINVAL, "JSON nests deeper than %u levels", max_depth);
	j = json_loadb(buf, len, JSON_REJECT_DUPLICATES, &jerr);
	if (!j)
		return nd_err_set(err, ND_CNI_DECODE, EINVAL, "not JSON: %s (line %d)", jerr.text, jerr.line);
	*ret = j;
	return 0;
}

/* End of the string whose opening quote is at buf[i]: index of its closing quote, or len. */
static size_t string_end(const char *buf, size_t len, size_t i, bool *ret_escaped)
{
	*ret_escaped = false;
	for (i++; i < len && buf[i] != '"'; i++)
		if (buf[i] == '\\') {
			*ret_escaped = true;
			i++;
		}
	return i < len ? i : len;
}

static int key_index(const char *s, size_t n, const char *const keys[], size_t nkeys)
{
	for (size_t k = 0; k < nkeys; k++)
		if (strlen(keys[k]) == n && !memcmp(keys[k], s, n))
			return (int)k;
	return -1;
}

void nd_json_top_strings(const char *buf, size_t len, const char *const keys[], size_t nkeys,
			 char (*vals)[ND_JSON_TOP_MAX])
{
	unsigned int depth = 0;
	bool object = false, want_key = false, want_value = false;
	int pending = -1;

	for (size_t k = 0; k < nkeys; k++)
		vals[k][0] = '\0';
	for (size_t i = 0; i < len; i++) {
		char c = buf[i];

		if (c == '"') {
			bool esc;
			size_t end = string_end(buf, len, i, &esc), n = end - i - 1;

			if (depth == 1 && object && want_key)
				pending = esc ? -1 : key_index(buf + i + 1, n, keys, nkeys);
			else if (depth == 1 && want_value && pending >= 0 && !esc && n < ND_JSON_TOP_MAX &&
				 !vals[pending][0]) {
				memcpy(vals[pending], buf + i + 1, n);
				vals[pending][n] = '\0';
			}
			want_key = want_value = false;
			i = end;
			continue;
		}
		if (c == '{' || c == '[') {
			if (depth++ == 0) {
				object = c == '{';
				want_key = object;
			}
			want_value = false;
		} else if ((c == '}' || c == ']') && depth) {
			depth--;
		} else if (depth == 1 && c == ',') {
			want_key = object;
			pending = -1;
		} else if (depth == 1 && c == ':') {
			want_value = true;
		} else if (depth == 1 && !strchr(" \t\r\n", c)) {
			want_value = false; /* a number, true, false or null */
		}
	}
}

void nd_json_set(json_t *o, const char *key, json_t *v, bool *ok)
{
	/* Steals v even when it fails; a NULL o or v fails. */
	if (json_object_set_new(o, key, v) < 0)
		*ok = false;
}

void nd_json_append(json_t *a, json_t *v, bool *ok)
{
	if (json_array_append_new(a, v) < 0)
		*ok = false;
}

json_t *nd_json_built(json_t *j, bool ok)
{
	if (ok && j)
		return j;
	json_decref(j);
	return NULL;
}

int nd_json_to_strv(json_t *a, char ***ret)
{
	char **v;
	json_t *s;
	size_t i;

	*ret = NULL;
	if (!a || json_is_null(a))
		return 0;
	if (!json_is_array(a))
		return -EINVAL;
	if (!(v = calloc(json_array_size(a) + 1, sizeof(*v))))
		return -ENOMEM;
	json_array_foreach(a, i, s) {
		if (!json_is_string(s) || !(v[i] = strdup(json_string_value(s)))) {
			nd_strv_free(v);
			return json_is_string(s) ? -ENOMEM : -EINVAL;
		}
	}
	*ret = v;
	return 0;
}

json_t *nd_json_from_strv(char *const *v)
{
	json_t *a;

	if (!v)
		return json_null();
	a = json_array();
	/* A string that is not UTF-8 has no JSON form: it is left out (json_string gives NULL). */
	for (; a && *v; v++)
		(void)json_array_append_new(a, json_string(*v));
	return a;
}

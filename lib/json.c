#include "json.h"

#include <errno.h>

static json_t *lookup(json_t *o, const char *key)
{
	json_t *v = json_is_object(o) ? json_object_get(o, key) : NULL;

	return json_is_null(v) ? NULL : v;
}

static int wrong_type(struct nd_err **err, const char *key, const char *want)
{
	return nd_err_set(err, ND_CNI_INVALID_CONFIG, EINVAL, "field '%s' must be %s", key, want);
}

static int missing(struct nd_err **err, const char *key)
{
	return nd_err_set(err, ND_CNI_INVALID_CONFIG, EINVAL, "field '%s' is required", key);
}

int nd_json_get_str(json_t *o, const char *key, bool required, const char **ret, struct nd_err **err)
{
	json_t *v = lookup(o, key);

	if (!v)
		return required ? missing(err, key) : 0;
	if (!json_is_string(v))
		return wrong_type(err, key, "a string");
	*ret = json_string_value(v);
	return 0;
}

int nd_json_get_bool(json_t *o, const char *key, bool *ret, struct nd_err **err)
{
	json_t *v = lookup(o, key);

	if (!v)
		return 0;
	if (!json_is_boolean(v))
		return wrong_type(err, key, "true or false");
	*ret = json_is_true(v);
	return 0;
}

int nd_json_get_int(json_t *o, const char *key, bool required, json_int_t *ret, struct nd_err **err)
{
	json_t *v = lookup(o, key);

	if (!v)
		return required ? missing(err, key) : 0;
	if (!json_is_integer(v))
		return wrong_type(err, key, "an integer");
	*ret = json_integer_value(v);
	return 0;
}

int nd_json_get_obj(json_t *o, const char *key, json_t **ret, struct nd_err **err)
{
	json_t *v = lookup(o, key);

	if (!v)
		return 0;
	if (!json_is_object(v))
		return wrong_type(err, key, "an object");
	*ret = v;
	return 0;
}

int nd_json_get_array(json_t *o, const char *key, size_t max, json_t **ret, struct nd_err **err)
{
	json_t *v = lookup(o, key);

	*ret = NULL;
	if (!v)
		return 0;
	if (!json_is_array(v))
		return wrong_type(err, key, "an array");
	if (json_array_size(v) > max)
		return nd_err_set(err, ND_CNI_INVALID_CONFIG, E2BIG, "field '%s' has more than %zu entries", key, max);
	*ret = v;
	return 0;
}

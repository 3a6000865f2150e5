#include "base/strv.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

int nd_strv_push(struct nd_strv *s, const char *x)
{
	char *copy = strdup(x);
	char **nv;

	if (!copy)
		return -ENOMEM;
	nv = realloc(s->v, (s->n + 2) * sizeof(*nv));
	if (!nv) {
		free(copy);
		return -ENOMEM;
	}
	s->v = nv;
	nv[s->n++] = copy;
	nv[s->n] = NULL;
	return 0;
}

char **nd_strv_take(struct nd_strv *s)
{
	char **v = s->v ? s->v : calloc(1, sizeof(*v));

	s->v = NULL;
	s->n = 0;
	return v;
}

void nd_strv_clear(struct nd_strv *s)
{
	nd_strv_free(s->v);
	s->v = NULL;
	s->n = 0;
}

static char **env_find(const struct nd_strv *env, const char *key, size_t klen)
{
	for (size_t i = 0; i < env->n; i++)
		if (!strncmp(env->v[i], key, klen) && env->v[i][klen] == '=')
			return &env->v[i];
	return NULL;
}

int nd_env_set(struct nd_strv *env, const char *kv)
{
	const char *eq = strchr(kv, '=');
	char **slot = env_find(env, kv, eq ? (size_t)(eq - kv) : strlen(kv));
	char *copy;

	if (!slot)
		return nd_strv_push(env, kv);
	if (!(copy = strdup(kv)))
		return -ENOMEM;
	free(*slot);
	*slot = copy;
	return 0;
}

bool nd_env_has(const struct nd_strv *env, const char *key)
{
	return env_find(env, key, strlen(key)) != NULL;
}

size_t nd_strv_len(char *const *v)
{
	size_t n = 0;

	while (v && v[n])
		n++;
	return n;
}

void nd_strv_free(char **v)
{
	for (size_t i = 0; v && v[i]; i++)
		free(v[i]);
	free(v);
}

void nd_strv_freep(char ***v)
{
	nd_strv_free(*v);
	*v = NULL;
}

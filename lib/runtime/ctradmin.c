#include "runtime/ctradmin.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "base/cleanup.h"
#include "base/strv.h"
#include "runtime/ctrops.h"

int nd_run_rename(const char *state, const char *ref, const char *name, struct nd_err **err)
{
	_cleanup_(nd_ctr_clear) struct nd_ctr c = { 0 };
	_cleanup_free_ char *old = NULL;
	char *dup;
	int r;

	if (!nd_ctr_valid_name(name))
		return nd_err_set(err, ND_ERR_BAD_SPEC, EINVAL,
				  "container name '%s' is invalid (letters, digits and _.- after the first, at most 64)", name);
	if ((r = nd_ctr_find(state, ref, &c, err)) < 0)
		return r;
	if (c.name && !strcmp(c.name, name))
		return nd_err_set(err, ND_ERR_BAD_SPEC, EINVAL, "container '%s' is already named '%s'", ref, name);
	/* The new name first: taking it is the one step that can be refused. */
	if ((r = nd_ctr_name_take(state, name, c.id, err)) < 0)
		return r;
	if (!(dup = strdup(name))) {
		nd_ctr_name_drop(state, name, c.id);
		return nd_oom(err);
	}
	old = c.name;
	c.name = dup;
	if ((r = nd_ctr_save(state, &c, err)) < 0) {
		nd_ctr_name_drop(state, name, c.id);
		return r;
	}
	nd_ctr_name_drop(state, old, c.id);
	return 0;
}

int nd_run_prune(const char *state, char ***ret_ids, struct nd_err **err)
{
	_cleanup_strv_ char **ids = NULL;
	struct nd_strv gone = { 0 };
	int r = nd_ctr_list(state, &ids, err);

	for (char **id = ids; r >= 0 && id && *id; id++) {
		if (nd_ctr_monitored(state, *id))
			continue;
		/* Not forced: one that started meanwhile is running, and stays. */
		if (nd_run_remove(state, *id, false, NULL) >= 0 && nd_strv_push(&gone, *id) < 0)
			r = nd_oom(err);
	}
	if (r < 0) {
		nd_strv_clear(&gone);
		return r;
	}
	*ret_ids = gone.v ? nd_strv_take(&gone) : calloc(1, sizeof(char *));
	return *ret_ids ? 0 : nd_oom(err);
}

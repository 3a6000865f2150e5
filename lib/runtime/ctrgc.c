#include "runtime/ctrgc.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "base/cleanup.h"
#include "base/strv.h"
#include "kernel/netnsname.h"
#include "runtime/ctrops.h"
#include "runtime/ctrstate.h"
#include "runtime/overlay.h"

/*
 * A container nobody monitors (its lock is free, and now ours) that was created or running:
 * its monitor was killed. Release all its record names; remove it with --rm, else mark it
 * dead (released) for ps and rm. A directory without a record owns nothing more.
 */
static int gc_ctr(const char *state, const char *id, size_t *n, struct nd_err **err)
{
	_cleanup_(nd_ctr_clear) struct nd_ctr c = { 0 };
	_cleanup_close_ int lock = -1;
	int r;

	if (nd_ctr_lock(state, id, false, &lock, NULL) < 0)
		return 0;
	r = nd_ctr_load(state, id, &c, NULL);
	if (r == -ENOENT) {
		snprintf(c.id, sizeof(c.id), "%s", id);
		nd_ctr_remove(state, &c);
		(*n)++;
		return 0;
	}
	/* A damaged record stays for rm to report; its netns stays too (netns_owned). */
	if (r < 0 || (strcmp(c.status, "created") && strcmp(c.status, "running")))
		return 0;
	if ((r = nd_ctr_release(&c, err)) < 0)
		return nd_err_wrap(err, "container %.12s", id);
	(*n)++;
	if (c.auto_rm) {
		nd_ctr_remove(state, &c);
		return 0;
	}
	c.finished = (long long)time(NULL);
	if ((r = nd_ctr_set_status(&c, "dead", err)) < 0 || (r = nd_ctr_save(state, &c, err)) < 0)
		return nd_err_wrap(err, "container %.12s", id);
	return 0;
}

/* Removals cut short (nd_ctr_remove). */
static void gc_removals(const char *state)
{
	_cleanup_free_ char *cdir = NULL;
	struct dirent *e;
	DIR *d;

	if (asprintf(&cdir, "%s/containers", state) < 0 || !(d = opendir(cdir)))
		return;
	while ((e = readdir(d))) {
		_cleanup_free_ char *p = NULL;

		if (nd_ctr_removing(e->d_name) && asprintf(&p, "%s/%s", cdir, e->d_name) >= 0)
			(void)nd_rmtree(p, NULL);
	}
	closedir(d);
}

/* Names whose container is gone. */
static void gc_names(const char *state)
{
	_cleanup_free_ char *ndir = NULL;
	struct dirent *e;
	DIR *d;

	if (asprintf(&ndir, "%s/names", state) < 0 || !(d = opendir(ndir)))
		return;
	while ((e = readdir(d))) {
		char target[ND_CTR_ID_LEN + 2];
		ssize_t n = readlinkat(dirfd(d), e->d_name, target, sizeof(target) - 1);

		if (n != ND_CTR_ID_LEN)
			continue;
		target[n] = 0;
		if (!nd_ctr_exists(state, target))
			nd_ctr_name_drop(state, e->d_name, target);
	}
	closedir(d);
}

/* Some container's ID starts with the netns's 12 hex digits (or a name reads so: kept). */
static bool netns_owned(const char *state, const char *ns)
{
	char id[ND_CTR_ID_LEN + 1];

	return nd_ctr_resolve(state, ns + 5, id, NULL) != -ENOENT;
}

int nd_ctr_gc(const char *state, size_t *ret_ctrs, size_t *ret_netns, struct nd_err **err)
{
	_cleanup_strv_ char **nss = NULL, **ids = NULL;
	size_t n_ctr = 0, n_ns = 0;
	int r;

	/*
	 * Netns first: a container records itself before it makes its netns, so a netns listed
	 * now whose container is not found below has no container at all.
	 */
	if ((r = nd_netns_list(&nss, NULL, err)) < 0 || (r = nd_ctr_list(state, &ids, err)) < 0)
		return r;
	for (char **id = ids; *id; id++)
		if ((r = gc_ctr(state, *id, &n_ctr, err)) < 0)
			return r;
	gc_removals(state);
	gc_names(state);
	for (char **ns = nss; *ns; ns++) {
		_cleanup_err_ struct nd_err *e = NULL;

		if (!nd_netns_runtime_name(*ns) || netns_owned(state, *ns))
			continue;
		/* Gone meanwhile (a monitor released it) is as good as deleted by us. */
		if ((r = nd_netns_delete(*ns, &e)) >= 0) {
			n_ns++;
		} else if (r != -ENOENT) {
			return nd_err_move(err, &e, r);
		}
	}
	*ret_ctrs = n_ctr;
	*ret_netns = n_ns;
	return 0;
}

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

/* fn for each entry of <state>/<sub>; an absent directory has none. */
static void each_entry(const char *state, const char *sub, void (*fn)(const char *state, int dfd, const char *name))
{
	_cleanup_free_ char *dir = NULL;
	struct dirent *e;
	DIR *d;

	if (asprintf(&dir, "%s/%s", state, sub) < 0 || !(d = opendir(dir)))
		return;
	while ((e = readdir(d)))
		fn(state, dirfd(d), e->d_name);
	closedir(d);
}

/* A removal cut short (nd_ctr_remove): finish it. */
static void gc_removal(const char *state, int dfd, const char *name)
{
	_cleanup_free_ char *path = NULL;

	(void)dfd;
	if (nd_ctr_removing(name) && asprintf(&path, "%s/containers/%s", state, name) >= 0)
		(void)nd_rmtree(path, NULL);
}

/* A name whose container is gone: drop it. */
static void gc_name(const char *state, int dfd, const char *name)
{
	char target[ND_CTR_ID_LEN + 2];
	ssize_t n = readlinkat(dfd, name, target, sizeof(target) - 1);

	if (n != ND_CTR_ID_LEN)
		return;
	target[n] = 0;
	if (!nd_ctr_exists(state, target))
		nd_ctr_name_drop(state, name, target);
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
	each_entry(state, "containers", gc_removal);
	each_entry(state, "names", gc_name);
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

#include "runtime/creds.h"

#include <errno.h>
#include <grp.h>
#include <linux/capability.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "base/cleanup.h"

#define ND_GROUPS_MAX 64

unsigned long long nd_ctr_default_caps(void)
{
	/* moby's oci/caps/defaults.go. */
	static const int caps[] = { CAP_CHOWN,	    CAP_DAC_OVERRIDE, CAP_FSETID,	    CAP_FOWNER,
				    CAP_MKNOD,	    CAP_NET_RAW,      CAP_SETGID,	    CAP_SETUID,
				    CAP_SETFCAP,    CAP_SETPCAP,      CAP_NET_BIND_SERVICE, CAP_SYS_CHROOT,
				    CAP_KILL,	    CAP_AUDIT_WRITE };
	unsigned long long m = 0;

	for (size_t i = 0; i < ND_ARRAY_SIZE(caps); i++)
		m |= 1ULL << caps[i];
	return m;
}

/* The bounding set to keep (needs CAP_SETPCAP, so it comes first). */
static int bound_caps(unsigned long long keep)
{
	for (int cap = 0; cap < 64; cap++)
		if (!(keep & (1ULL << cap)) && prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) < 0 && errno != EINVAL)
			return -errno;
	return 0;
}

/* Permitted and effective set to keep; inheritable and ambient empty. */
static int set_caps(unsigned long long keep)
{
	struct __user_cap_header_struct h = { .version = _LINUX_CAPABILITY_VERSION_3 };
	struct __user_cap_data_struct d[2] = { 0 };

	/* "Every capability" (--privileged, --cap-add ALL) is every one we have ourselves. */
	if (syscall(SYS_capget, &h, d) < 0)
		return -errno;
	keep &= d[0].permitted | (unsigned long long)d[1].permitted << 32;
	memset(d, 0, sizeof(d));
	(void)prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0);
	d[0].effective = d[0].permitted = (uint32_t)keep;
	d[1].effective = d[1].permitted = (uint32_t)(keep >> 32);
	/* Inheritable stays empty (CVE-2022-24769). */
	return syscall(SYS_capset, &h, d) < 0 ? -errno : 0;
}

int nd_creds_drop_caps(unsigned long long keep)
{
	int r = bound_caps(keep);

	return r < 0 ? r : set_caps(keep);
}

/*
 * In the container's /etc/passwd or /etc/group: the entry named name, or with name NULL
 * the passwd entry whose uid is id. Its id, and its primary group when the file has one.
 */
static int lookup_id(const char *file, const char *name, unsigned long id, unsigned long *ret_id,
		     unsigned long *ret_gid)
{
	FILE *f = fopen(file, "re");
	char line[1024];
	int r = -ENOENT;

	if (!f)
		return -ENOENT;
	while (r < 0 && fgets(line, sizeof(line), f)) {
		char *save = NULL, *n = strtok_r(line, ":", &save), *pw = n ? strtok_r(NULL, ":", &save) : NULL;
		char *idf = pw ? strtok_r(NULL, ":", &save) : NULL, *gid = idf ? strtok_r(NULL, ":", &save) : NULL;

		if (!idf || (name ? strcmp(n, name) : !gid || strtoul(idf, NULL, 10) != id))
			continue;
		*ret_id = strtoul(idf, NULL, 10);
		if (ret_gid && gid)
			*ret_gid = strtoul(gid, NULL, 10);
		r = 0;
	}
	fclose(f);
	return r;
}

static int parse_user(const char *spec, uid_t *ret_uid, gid_t *ret_gid, char *errbuf, size_t errlen)
{
	char u[256], *g;
	unsigned long uid = 0, gid = 0;
	char *end;

	snprintf(u, sizeof(u), "%s", spec);
	g = strchr(u, ':');
	if (g)
		*g++ = 0;
	uid = strtoul(u, &end, 10);
	if (!*u || *end) {
		if (lookup_id("/etc/passwd", u, 0, &uid, &gid) < 0) {
			snprintf(errbuf, errlen, "user '%s' is not in the container's /etc/passwd", u);
			return -ENOENT;
		}
	} else {
		unsigned long pw_uid, pw_gid;

		/* A numeric uid takes its primary group from /etc/passwd when it is there. */
		gid = uid;
		if (lookup_id("/etc/passwd", NULL, uid, &pw_uid, &pw_gid) == 0)
			gid = pw_gid;
	}
	if (g && *g) {
		gid = strtoul(g, &end, 10);
		if (*end && lookup_id("/etc/group", g, 0, &gid, NULL) < 0) {
			snprintf(errbuf, errlen, "group '%s' is not in the container's /etc/group", g);
			return -ENOENT;
		}
	}
	*ret_uid = (uid_t)uid;
	*ret_gid = (gid_t)gid;
	return 0;
}

/* The primary group, then each of groups (a number or a name in the container's /etc/group). */
static int group_list(gid_t gid, char *const *groups, gid_t *ret, size_t *ret_n, char *errbuf, size_t errlen)
{
	size_t n = 0;

	ret[n++] = gid;
	for (; groups && *groups; groups++) {
		unsigned long g;
		char *end;

		if (n == ND_GROUPS_MAX) {
			snprintf(errbuf, errlen, "--group-add: at most %d groups", ND_GROUPS_MAX - 1);
			return -E2BIG;
		}
		g = strtoul(*groups, &end, 10);
		if ((!**groups || *end) && lookup_id("/etc/group", *groups, 0, &g, NULL) < 0) {
			snprintf(errbuf, errlen, "group '%s' is not in the container's /etc/group", *groups);
			return -ENOENT;
		}
		ret[n++] = (gid_t)g;
	}
	*ret_n = n;
	return 0;
}

int nd_creds_become(const char *user, const char *cwd, unsigned long long caps, char *const *groups, char *errbuf,
		    size_t errlen)
{
	gid_t list[ND_GROUPS_MAX];
	size_t n = 0;
	uid_t uid = 0;
	gid_t gid = 0;
	int r;

	if (user && (r = parse_user(user, &uid, &gid, errbuf, errlen)) < 0)
		return r;
	if ((r = group_list(gid, groups, list, &n, errbuf, errlen)) < 0)
		return r;
	/*
	 * The bounding set first (root's exec gets all of it), the id changes with the caller's
	 * CAP_SETUID/SETGID, then root's permitted and effective sets (another user's are
	 * already empty: no keepcaps).
	 */
	if ((r = bound_caps(caps)) < 0) {
		snprintf(errbuf, errlen, "capabilities: %s", strerror(-r));
		return r;
	}
	if (setgroups(n, list) < 0 || setresgid(gid, gid, gid) < 0 || setresuid(uid, uid, uid) < 0) {
		r = -errno;
		snprintf(errbuf, errlen, "user %u:%u: %s", (unsigned)uid, (unsigned)gid, strerror(errno));
		return r;
	}
	if ((r = set_caps(uid == 0 ? caps : 0)) < 0) {
		snprintf(errbuf, errlen, "capabilities: %s", strerror(-r));
		return r;
	}
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0) {
		r = -errno;
		snprintf(errbuf, errlen, "no_new_privs: %s", strerror(errno));
		return r;
	}
	if (chdir(cwd ? cwd : "/") < 0) {
		r = -errno;
		snprintf(errbuf, errlen, "working directory '%s': %s", cwd ? cwd : "/", strerror(errno));
		return r;
	}
	return 0;
}

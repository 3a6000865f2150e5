#include "ipam/store.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/cleanup.h"
#include "base/fdio.h"
#include "base/shortname.h"

#define LAST_PREFIX "last_reserved_ip."
#define LOCK_NAME "lock"
#define INDEX_DIR "attach"
#define INDEX_SEP ':'
/* Lease and index files are tiny; anything larger is not ours. */
#define MAX_FILE 4096
/*
 * An ID longer than this is shortened in its index name (shortname.h), so the name stays
 * under NAME_MAX (255) whatever the ifname (15 at most): a longer name made ADD fail and,
 * worse, every DEL after it, which runtimes retry forever. Its leases hold it whole.
 */
#define INDEX_ID_MAX 200

struct nd_store {
	int dfd;        /* <dir>/<network> */
	int adfd;       /* <dir>/<network>/attach */
	int lockfd;     /* flock()ed until close */
	char *network;  /* for messages */
};

DEFINE_CLEANUP(DIR, closedir)

static int io_err(const struct nd_store *s, struct nd_err **err, int errnum, const char *op,
		  const char *name)
{
	return nd_err_set(err, ND_CNI_IO, errnum, "network '%s': %s '%s': %s", s->network, op, name,
			  strerror(errnum));
}

/* No '/', no control or space characters: nothing a path or the lease format could trip on. */
static bool plain_chars(const char *s)
{
	for (; *s; s++)
		if (*s == '/' || isspace((unsigned char)*s) || iscntrl((unsigned char)*s))
			return false;
	return true;
}

/*
 * The CNI name rules (checked by the caller) forbid much more; this is the last line
 * against building a path out of a hostile string. "a..b" is a valid CNI name and
 * harmless as one component, so only the exact "." and ".." are refused.
 */
static bool valid_component(const char *s)
{
	return s && *s && strcmp(s, ".") && strcmp(s, "..") && plain_chars(s);
}

static bool valid_id(const char *s)
{
	/* Leading '.' would reach hidden files; ':' is the index separator. */
	return valid_component(s) && s[0] != '.' && !strchr(s, INDEX_SEP);
}

static int check_pair(const char *id, const char *ifname, struct nd_err **err)
{
	if (!valid_id(id))
		return nd_err_set(err, ND_CNI_INVALID_CONFIG, EINVAL, "invalid container ID '%s'",
				  id ? id : "");
	if (!valid_component(ifname))
		return nd_err_set(err, ND_CNI_INVALID_CONFIG, EINVAL, "invalid interface name '%s'",
				  ifname ? ifname : "");
	return 0;
}

/* Read a whole small file; -EFBIG when it is larger than max - 1. Result is NUL-terminated. */
static int read_small(int dfd, const char *name, char *buf, size_t max)
{
	_cleanup_close_ int fd = openat(dfd, name, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	long n;

	if (fd < 0)
		return -errno;
	n = nd_read_upto(fd, buf, max - 1);
	if (n < 0)
		return (int)n;
	if ((size_t)n == max - 1)
		return -EFBIG;
	buf[n] = '\0';
	return (int)n;
}

/*
 * Write a whole small file in place. Every file of the store tolerates a torn write,
 * which only a killed process can leave (all writers hold the store lock):
 * - a lease is created O_EXCL and its index, naming it, was written before it, so DEL
 *   and GC recognise an empty lease as a crash leftover of its owner (nd_store_unreserve);
 * - the index is written before any lease it names exists, so a torn index names
 *   nothing that was reserved;
 * - last_reserved_ip is a hint: unreadable, allocation starts from the range start.
 * Temporary names and rename() would cost two more directory operations per file on
 * every ADD for no gain against a kill.
 *
 * No fsync: the atomicity that matters is against a killed process, and the page cache
 * gives it. After a power loss a lease may come back empty, but every container it
 * belonged to is gone too; GC releases such leases (they name no valid attachment).
 */
static int write_file(struct nd_store *s, int dfd, const char *name, const char *content, size_t len,
		      bool exclusive, struct nd_err **err)
{
	int fd = openat(dfd, name, O_WRONLY | O_CREAT | O_CLOEXEC | O_NOFOLLOW | (exclusive ? O_EXCL : 0), 0644), r;

	if (fd < 0 && errno == EEXIST && exclusive)
		return -EEXIST;
	if (fd < 0)
		return io_err(s, err, errno, "cannot create", name);
	/* Mode 0644 whatever the runtime's umask: host-local and people read these. */
	r = fchmod(fd, 0644) < 0 ? -errno : nd_write_all(fd, content, len);
	/*
	 * Overwrite, then cut: ext4 flushes a file truncated to zero when it is closed (its
	 * replace-by-truncate heuristic), which cost 0.4 ms per ADD for last_reserved_ip.
	 */
	if (r == 0 && !exclusive && ftruncate(fd, (off_t)len) < 0)
		r = -errno;
	/* close() can report a delayed write error (NFS, quota); it is still never retried. */
	if (close(fd) < 0 && r == 0)
		r = -errno;
	if (r < 0) {
		if (exclusive)
			(void)unlinkat(dfd, name, 0);
		return io_err(s, err, -r, "cannot write", name);
	}
	return 0;
}

static int mkdir_at(int dfd, const char *name)
{
	if (mkdirat(dfd, name, 0755) == 0)
		/* We created it: make the mode exact whatever the umask. */
		return fchmodat(dfd, name, 0755, 0) < 0 ? -errno : 0;
	return errno == EEXIST ? 0 : -errno;
}

/* mkdir -p, each new level 0755. */
static int mkdir_p(const char *path)
{
	_cleanup_free_ char *p = strdup(path);

	if (!p)
		return -ENOMEM;
	for (char *c = p + 1; *c; c++) {
		int r;

		if (*c != '/')
			continue;
		*c = '\0';
		r = mkdir_at(AT_FDCWD, p);
		*c = '/';
		if (r < 0)
			return r;
	}
	return mkdir_at(AT_FDCWD, p);
}

static int open_dir_at(int dfd, const char *name)
{
	int fd = openat(dfd, name, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

	return fd < 0 ? -errno : fd;
}

static int lock_fd(int fd)
{
	while (flock(fd, LOCK_EX) < 0)
		if (errno != EINTR)
			return -errno;
	return 0;
}

int nd_store_open(const char *dir, const char *network, struct nd_store **ret, struct nd_err **err)
{
	_cleanup_close_ int base = -1;
	struct nd_store *s;
	int r;

	if (!dir || !*dir)
		return nd_err_set(err, ND_CNI_INVALID_CONFIG, EINVAL, "empty data directory");
	if (!valid_component(network))
		return nd_err_set(err, ND_CNI_INVALID_CONFIG, EINVAL, "invalid network name '%s'",
				  network ? network : "");
	s = calloc(1, sizeof(*s));
	if (!s)
		return nd_oom(err);
	s->dfd = s->adfd = s->lockfd = -1;
	s->network = strdup(network);
	if (!s->network) {
		nd_store_close(s);
		return nd_oom(err);
	}

	r = mkdir_p(dir);
	if (r >= 0)
		r = base = open_dir_at(AT_FDCWD, dir);
	if (r < 0) {
		r = io_err(s, err, -r, "cannot open data directory", dir);
		goto fail;
	}
	r = mkdir_at(base, network);
	if (r >= 0)
		r = s->dfd = open_dir_at(base, network);
	if (r < 0) {
		r = io_err(s, err, -r, "cannot open directory", network);
		goto fail;
	}
	s->lockfd = openat(s->dfd, LOCK_NAME, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0644);
	r = s->lockfd < 0 ? -errno : lock_fd(s->lockfd);
	if (r < 0) {
		r = io_err(s, err, -r, "cannot lock", LOCK_NAME);
		goto fail;
	}
	/* Under the lock: concurrent first users race on nothing but EEXIST. */
	r = mkdir_at(s->dfd, INDEX_DIR);
	if (r >= 0)
		r = s->adfd = open_dir_at(s->dfd, INDEX_DIR);
	if (r < 0) {
		r = io_err(s, err, -r, "cannot open directory", INDEX_DIR);
		goto fail;
	}
	*ret = s;
	return 0;
fail:
	nd_store_close(s);
	return r;
}

void nd_store_close(struct nd_store *s)
{
	if (!s)
		return;
	nd_closep(&s->adfd);
	nd_closep(&s->dfd);
	nd_closep(&s->lockfd); /* drops the flock */
	free(s->network);
	free(s);
}

/* ---- leases ---- */

static bool lease_name(const struct nd_ip *ip, char buf[static ND_IP_STRLEN])
{
	return *nd_ip_fmt(ip, buf) != '\0';
}

/* host-local trims the content before comparing; so do we. Modifies buf. */
static char *trim(char *buf)
{
	char *end;

	while (isspace((unsigned char)*buf))
		buf++;
	end = buf + strlen(buf);
	while (end > buf && isspace((unsigned char)end[-1]))
		*--end = '\0';
	return buf;
}

/* Split lease content into id and ifname ("" for a legacy ID-only lease). Modifies buf. */
static void lease_split(char *buf, const char **ret_id, const char **ret_ifname)
{
	char *c = trim(buf), *sep = strstr(c, "\r\n");

	*ret_ifname = "";
	if (sep) {
		*sep = '\0';
		*ret_ifname = sep + 2;
	}
	*ret_id = c;
}

static bool content_owned(char *buf, const char *id, const char *ifname)
{
	const char *lid, *lif;
	bool legacy = !strstr(buf, "\r\n");

	lease_split(buf, &lid, &lif);
	if (strcmp(lid, id))
		return false;
	return legacy || !strcmp(lif, ifname);
}

int nd_store_reserve(struct nd_store *s, const struct nd_ip *ip, const char *id, const char *ifname,
		     struct nd_err **err)
{
	char name[ND_IP_STRLEN];
	_cleanup_free_ char *content = NULL;
	int len, r;

	r = check_pair(id, ifname, err);
	if (r < 0)
		return r;
	if (!lease_name(ip, name))
		return nd_err_set(err, ND_ERR_INTERNAL, EINVAL, "reserve: address without family");
	/* host-local's exact format: no trailing newline. */
	len = asprintf(&content, "%s\r\n%s", id, ifname);
	if (len < 0)
		return nd_oom(err);
	return write_file(s, s->dfd, name, content, (size_t)len, true, err);
}

bool nd_store_owns(struct nd_store *s, const struct nd_ip *ip, const char *id, const char *ifname)
{
	char name[ND_IP_STRLEN], buf[MAX_FILE];

	if (!lease_name(ip, name) || read_small(s->dfd, name, buf, sizeof(buf)) < 0)
		return false;
	return content_owned(buf, id, ifname);
}

/* An empty lease is one its owner was killed writing (write_file): ours if our index names it. */
static bool owns_or_torn(struct nd_store *s, const struct nd_ip *ip, const char *id, const char *ifname)
{
	char name[ND_IP_STRLEN], buf[MAX_FILE];

	if (!lease_name(ip, name) || read_small(s->dfd, name, buf, sizeof(buf)) < 0)
		return false;
	return buf[0] == '\0' || content_owned(buf, id, ifname);
}

int nd_store_unreserve(struct nd_store *s, const struct nd_ip *ip, const char *id, const char *ifname,
		       struct nd_err **err)
{
	char name[ND_IP_STRLEN];

	if (!owns_or_torn(s, ip, id, ifname))
		return 0;
	(void)lease_name(ip, name);
	if (unlinkat(s->dfd, name, 0) < 0)
		return errno == ENOENT ? 0 : io_err(s, err, errno, "cannot remove lease", name);
	return 1;
}

bool nd_store_is_reserved(struct nd_store *s, const struct nd_ip *ip)
{
	char name[ND_IP_STRLEN];
	struct stat st;

	if (!lease_name(ip, name))
		return false;
	/* Anything under that name blocks the address: link() would fail on it. */
	return fstatat(s->dfd, name, &st, AT_SYMLINK_NOFOLLOW) == 0 || errno != ENOENT;
}

/* A directory stream of its own over dfd (fdopendir takes the fd it is given). */
static int open_dir_stream(int dfd, DIR **ret)
{
	int fd = openat(dfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	DIR *d;

	if (fd < 0)
		return -errno;
	d = fdopendir(fd);
	if (!d) {
		int e = errno;

		close(fd);
		return -e;
	}
	*ret = d;
	return 0;
}

/* What a walk over a directory of the store hands each file to. */
struct walk {
	nd_store_visit_fn lease;
	nd_store_index_fn index;
	void *ud;
};

/*
 * fn for each regular file of the directory dfd (dirname in errors) but the temporary ones
 * ('.' first); a non-zero return stops the walk and is returned.
 */
static int each_file(struct nd_store *s, int dfd, const char *dirname,
		     int (*fn)(struct nd_store *s, const char *name, const struct walk *w), const struct walk *w,
		     struct nd_err **err)
{
	_cleanup_(closedirp) DIR *d = NULL;
	struct dirent *de;
	int r = open_dir_stream(dfd, &d);

	if (r < 0)
		return io_err(s, err, -r, "cannot list", dirname);
	while ((errno = 0, de = readdir(d))) {
		if (de->d_name[0] == '.' || (de->d_type != DT_REG && de->d_type != DT_UNKNOWN))
			continue;
		if ((r = fn(s, de->d_name, w)) != 0)
			return r;
	}
	return errno ? io_err(s, err, errno, "cannot list", dirname) : 0;
}

/* Lease files are the entries whose name parses as an address; the rest is ours or junk. */
static int lease_visit(struct nd_store *s, const char *name, const struct walk *w)
{
	char buf[MAX_FILE];
	const char *id = "", *ifname = "";
	struct nd_ip ip;

	if (nd_ip_parse(name, &ip, NULL) < 0)
		return 0;
	if (read_small(s->dfd, name, buf, sizeof(buf)) >= 0)
		lease_split(buf, &id, &ifname);
	return w->lease(&ip, id, ifname, w->ud);
}

int nd_store_foreach(struct nd_store *s, nd_store_visit_fn cb, void *ud, struct nd_err **err)
{
	return each_file(s, s->dfd, ".", lease_visit, &(struct walk){ .lease = cb, .ud = ud }, err);
}

struct find_ctx {
	const char *id, *ifname;
	struct nd_ip *ips;
	size_t max, n;
};

static int find_one(const struct nd_ip *ip, const char *id, const char *ifname, void *ud)
{
	struct find_ctx *f = ud;

	/* Legacy ID-only leases (ifname "") belong to the ID, as in host-local. */
	if (strcmp(id, f->id) || (*ifname && strcmp(ifname, f->ifname)))
		return 0;
	if (f->n < f->max)
		f->ips[f->n] = *ip;
	f->n++;
	return 0;
}

int nd_store_find(struct nd_store *s, const char *id, const char *ifname, struct nd_ip *ret_ips,
		  size_t max, size_t *ret_n, struct nd_err **err)
{
	struct find_ctx f = { .id = id, .ifname = ifname, .ips = ret_ips, .max = max };
	int r;

	r = nd_store_foreach(s, find_one, &f, err);
	if (r < 0)
		return r;
	*ret_n = f.n;
	return 0;
}

/* ---- index ---- */

static int index_name(const char *id, const char *ifname, char **ret, struct nd_err **err)
{
	char short_id[INDEX_ID_MAX + 1];
	int r = check_pair(id, ifname, err);

	if (r < 0)
		return r;
	nd_short_name(id, INDEX_ID_MAX, short_id);
	if (asprintf(ret, "%s%c%s", short_id, INDEX_SEP, ifname) < 0)
		return nd_oom(err);
	return 0;
}

int nd_store_index_write(struct nd_store *s, const char *id, const char *ifname,
			 const struct nd_ip *ips, size_t n, struct nd_err **err)
{
	_cleanup_free_ char *name = NULL, *content = NULL;
	size_t len = 0;
	int r;

	r = index_name(id, ifname, &name, err);
	if (r < 0)
		return r;
	content = malloc(n * ND_IP_STRLEN + 1);
	if (!content)
		return nd_oom(err);
	content[0] = '\0';
	for (size_t i = 0; i < n; i++) {
		char buf[ND_IP_STRLEN];

		len += (size_t)sprintf(content + len, "%s\n", nd_ip_fmt(&ips[i], buf));
	}
	return write_file(s, s->adfd, name, content, len, false, err);
}

static int index_parse(const struct nd_store *s, const char *name, char *buf, struct nd_ip *ret_ips,
		       size_t max, size_t *ret_n, struct nd_err **err)
{
	size_t n = 0;
	char *save = NULL;

	for (char *line = strtok_r(buf, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		struct nd_ip ip;

		if (nd_ip_parse(line, &ip, NULL) < 0)
			return nd_err_set(err, ND_CNI_IO, EBADMSG, "network '%s': index '%s': bad line '%s'",
					  s->network, name, line);
		if (n < max)
			ret_ips[n] = ip;
		n++;
	}
	if (n > max)
		return nd_err_set(err, ND_CNI_IO, EBADMSG, "network '%s': index '%s': %zu addresses, at most %zu",
				  s->network, name, n, max);
	*ret_n = n;
	return 0;
}

int nd_store_index_read(struct nd_store *s, const char *id, const char *ifname, struct nd_ip *ret_ips,
			size_t max, size_t *ret_n, struct nd_err **err)
{
	_cleanup_free_ char *name = NULL;
	char buf[MAX_FILE];
	int r;

	r = index_name(id, ifname, &name, err);
	if (r < 0)
		return r;
	r = read_small(s->adfd, name, buf, sizeof(buf));
	if (r == -ENOENT)
		return r;
	if (r < 0)
		return io_err(s, err, -r, "cannot read index", name);
	return index_parse(s, name, buf, ret_ips, max, ret_n, err);
}

int nd_store_index_remove(struct nd_store *s, const char *id, const char *ifname, struct nd_err **err)
{
	_cleanup_free_ char *name = NULL;
	int r;

	r = index_name(id, ifname, &name, err);
	if (r < 0)
		return r;
	if (unlinkat(s->adfd, name, 0) < 0 && errno != ENOENT)
		return io_err(s, err, errno, "cannot remove index", name);
	return 0;
}

/*
 * A shortened name's ID, from the first lease it lists that names (ID, ifname) with an ID
 * shortening to it; the shortened name itself when none does (then the index names no
 * lease of its owner: a crash leftover, which GC drops as belonging to no valid ID).
 */
static void index_full_id(struct nd_store *s, const char *short_id, const char *ifname, const struct nd_ip *ips,
			  size_t n, char **id)
{
	char buf[MAX_FILE], name[ND_IP_STRLEN], fit[INDEX_ID_MAX + 1];

	for (size_t i = 0; i < n; i++) {
		const char *lid, *lif;
		char *full;

		if (!lease_name(&ips[i], name) || read_small(s->dfd, name, buf, sizeof(buf)) < 0)
			continue;
		lease_split(buf, &lid, &lif);
		nd_short_name(lid, INDEX_ID_MAX, fit);
		if (strcmp(fit, short_id) || (*lif && strcmp(lif, ifname)) || !(full = strdup(lid)))
			continue;
		free(*id);
		*id = full;
		return;
	}
}

/* Our index names are "<id>:<ifname>"; the ID cannot hold ':', so the first one splits. */
static int index_visit(struct nd_store *s, const char *name, const struct walk *w)
{
	_cleanup_free_ char *id = strdup(name), *ifname = NULL;
	struct nd_ip ips[64];
	char buf[MAX_FILE];
	size_t n = 0;
	char *sep;

	if (!id)
		return -ENOMEM;
	sep = strchr(id, INDEX_SEP);
	if (!sep)
		return 0; /* not ours */
	*sep = '\0';
	if (!(ifname = strdup(sep + 1)))
		return -ENOMEM;
	/* Names we would refuse to build are not ours either; never hand them on. */
	if (check_pair(id, ifname, NULL) < 0)
		return 0;
	/* An unreadable or corrupt index is still visited (with no addresses) so GC can drop it. */
	if (read_small(s->adfd, name, buf, sizeof(buf)) < 0 ||
	    index_parse(s, name, buf, ips, ND_ARRAY_SIZE(ips), &n, NULL) < 0)
		n = 0;
	if (nd_short_is(id))
		index_full_id(s, id, ifname, ips, n, &id);
	return w->index(id, ifname, ips, n, w->ud);
}

int nd_store_index_foreach(struct nd_store *s, nd_store_index_fn cb, void *ud, struct nd_err **err)
{
	int r = each_file(s, s->adfd, INDEX_DIR, index_visit, &(struct walk){ .index = cb, .ud = ud }, err);

	return r == -ENOMEM ? nd_oom(err) : r;
}

/* ---- release ---- */

int nd_store_release(struct nd_store *s, const char *id, const char *ifname, struct nd_err **err)
{
	struct nd_ip ips[64];
	size_t n = 0;
	int r;

	r = check_pair(id, ifname, err);
	if (r < 0)
		return r;
	r = nd_store_index_read(s, id, ifname, ips, ND_ARRAY_SIZE(ips), &n, NULL);
	if (r < 0) {
		/* No index (host-local wrote these leases) or a damaged one: scan. */
		r = nd_store_find(s, id, ifname, ips, ND_ARRAY_SIZE(ips), &n, err);
		if (r < 0)
			return r;
		if (n > ND_ARRAY_SIZE(ips))
			return nd_err_set(err, ND_ERR_INTERNAL, E2BIG,
					  "network '%s': container '%s' holds %zu leases", s->network, id, n);
	}
	/* Leases before the index: a crash in between leaves the index for the next DEL. */
	for (size_t i = 0; i < n; i++) {
		r = nd_store_unreserve(s, &ips[i], id, ifname, err);
		if (r < 0)
			return r;
	}
	return nd_store_index_remove(s, id, ifname, err);
}

/* ---- last reserved ---- */

int nd_store_last_get(struct nd_store *s, unsigned int set, struct nd_ip *ret)
{
	char name[sizeof(LAST_PREFIX) + 12], buf[128];
	int r;

	snprintf(name, sizeof(name), LAST_PREFIX "%u", set);
	r = read_small(s->dfd, name, buf, sizeof(buf));
	if (r < 0)
		return r == -EFBIG ? -EINVAL : r;
	return nd_ip_parse(trim(buf), ret, NULL);
}

int nd_store_last_set(struct nd_store *s, unsigned int set, const struct nd_ip *ip, struct nd_err **err)
{
	char name[sizeof(LAST_PREFIX) + 12], buf[ND_IP_STRLEN];

	snprintf(name, sizeof(name), LAST_PREFIX "%u", set);
	/* No newline: host-local parses the whole file with net.ParseIP. */
	nd_ip_fmt(ip, buf);
	return write_file(s, s->dfd, name, buf, strlen(buf), false, err);
}

/* ---- crash leftovers ---- */

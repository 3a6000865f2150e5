/* lib/ipam/store: the on-disk lease store, in a mkdtemp directory under /tmp. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "fixtures.h"
#include "ipam/store.h"

struct fixture {
	char dir[FX_DIR_LEN]; /* the data directory */
	char net[PATH_MAX]; /* <dir>/net1 */
	struct nd_store *s;
};

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));

	if (!fx_tmpdir(f->dir, "store"))
		return -1;
	snprintf(f->net, sizeof(f->net), "%s/net1", f->dir);
	if (nd_store_open(f->dir, "net1", &f->s, NULL) < 0)
		return -1;
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;

	nd_store_close(f->s);
	fx_rmtree(f->dir);
	free(f);
	return 0;
}

/* Whole file content, or NULL when it does not exist. */
static char *slurp(const char *dir, const char *name)
{
	char path[PATH_MAX], *buf = calloc(1, 4096);
	int fd;
	ssize_t n;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		free(buf);
		return NULL;
	}
	n = read(fd, buf, 4095);
	close(fd);
	assert_true(n >= 0);
	return buf;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Directory entries (without . and ..), sorted and joined by ','. */
static char *listing(const char *dir)
{
	char *names[256], *out = calloc(1, 8192);
	size_t n = 0;
	DIR *d = opendir(dir);
	struct dirent *de;

	assert_non_null(d);
	while ((de = readdir(d)) && n < 256)
		if (strcmp(de->d_name, ".") && strcmp(de->d_name, ".."))
			names[n++] = strdup(de->d_name);
	closedir(d);
	qsort(names, n, sizeof(names[0]), cmp_str);
	for (size_t i = 0; i < n; i++) {
		strcat(out, i ? "," : "");
		strcat(out, names[i]);
		free(names[i]);
	}
	return out;
}

#define assert_listing(dir, want)                                                                  \
	do {                                                                                       \
		char *_l = listing(dir);                                                           \
		if (strcmp(_l, want))                                                              \
			fail_msg("%s holds '%s', want '%s'", dir, _l, want);                       \
		free(_l);                                                                          \
	} while (0)

static void test_open_layout(void **state)
{
	struct fixture *f = *state;
	char attach[PATH_MAX + 8];
	struct stat st;

	assert_listing(f->net, "attach,lock");
	assert_int_equal(stat(f->net, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0755);
	snprintf(attach, sizeof(attach), "%s/attach", f->net);
	assert_int_equal(stat(attach, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0755);
}

/* host-local's exact format: "id\r\nifname", no newline; mode 0644 whatever the umask. */
static void test_reserve_format(void **state)
{
	struct fixture *f = *state;
	struct nd_ip ip4 = ip_of("10.0.0.2"), ip6 = ip_of("FD00:0:0:0::0a");
	struct nd_err *err = NULL;
	char path[PATH_MAX + 16];
	struct stat st;
	mode_t old = umask(077);
	char *c;

	assert_int_equal(nd_store_reserve(f->s, &ip4, "ctr1", "eth0", &err), 0);
	assert_int_equal(nd_store_reserve(f->s, &ip6, "ctr1", "eth0", &err), 0);
	umask(old);
	c = slurp(f->net, "10.0.0.2");
	assert_non_null(c);
	assert_string_equal(c, "ctr1\r\neth0");
	free(c);
	c = slurp(f->net, "fd00::a"); /* canonical IPv6 name */
	assert_non_null(c);
	assert_string_equal(c, "ctr1\r\neth0");
	free(c);
	snprintf(path, sizeof(path), "%s/10.0.0.2", f->net);
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0644);
	assert_listing(f->net, "10.0.0.2,attach,fd00::a,lock"); /* no temp left */
	assert_null(err);
}

static void test_reserve_taken(void **state)
{
	struct fixture *f = *state;
	struct nd_ip ip = ip_of("10.0.0.2");
	struct nd_err *err = NULL;
	char *c;

	assert_false(nd_store_is_reserved(f->s, &ip));
	assert_int_equal(nd_store_reserve(f->s, &ip, "ctr1", "eth0", &err), 0);
	assert_true(nd_store_is_reserved(f->s, &ip));
	assert_int_equal(nd_store_reserve(f->s, &ip, "ctr2", "eth0", &err), -EEXIST);
	assert_null(err); /* taken is an answer, not an error */
	c = slurp(f->net, "10.0.0.2");
	assert_string_equal(c, "ctr1\r\neth0");
	free(c);
	assert_listing(f->net, "10.0.0.2,attach,lock");
}

static void test_owns_unreserve(void **state)
{
	struct fixture *f = *state;
	struct nd_ip ip = ip_of("10.0.0.2"), leg = ip_of("10.0.0.3"), none = ip_of("10.0.0.9");

	assert_int_equal(nd_store_reserve(f->s, &ip, "ctr1", "eth0", NULL), 0);
	put(f->net, "10.0.0.3", "old-ctr\n"); /* legacy ID-only, with a newline host-local trims */
	assert_true(nd_store_owns(f->s, &ip, "ctr1", "eth0"));
	assert_false(nd_store_owns(f->s, &ip, "ctr1", "eth1"));
	assert_false(nd_store_owns(f->s, &ip, "ctr2", "eth0"));
	assert_true(nd_store_owns(f->s, &leg, "old-ctr", "eth7"));
	assert_false(nd_store_owns(f->s, &none, "ctr1", "eth0"));
	/* Not the owner: stays. */
	assert_int_equal(nd_store_unreserve(f->s, &ip, "ctr2", "eth0", NULL), 0);
	assert_true(nd_store_is_reserved(f->s, &ip));
	assert_int_equal(nd_store_unreserve(f->s, &ip, "ctr1", "eth0", NULL), 1);
	assert_false(nd_store_is_reserved(f->s, &ip));
	assert_int_equal(nd_store_unreserve(f->s, &ip, "ctr1", "eth0", NULL), 0);
	assert_int_equal(nd_store_unreserve(f->s, &leg, "old-ctr", "eth0", NULL), 1);
	assert_listing(f->net, "attach,lock");
}

static void test_index_roundtrip(void **state)
{
	struct fixture *f = *state;
	struct nd_ip ips[2] = { ip_of("10.0.0.2"), ip_of("fd00::2") }, got[4];
	char *c;
	size_t n = 99;

	assert_int_equal(nd_store_index_read(f->s, "ctr1", "eth0", got, 4, &n, NULL), -ENOENT);
	assert_int_equal(n, 99); /* untouched on failure */
	assert_int_equal(nd_store_index_write(f->s, "ctr1", "eth0", ips, 2, NULL), 0);
	c = slurp(f->net, "attach/ctr1:eth0");
	assert_string_equal(c, "10.0.0.2\nfd00::2\n");
	free(c);
	assert_int_equal(nd_store_index_read(f->s, "ctr1", "eth0", got, 4, &n, NULL), 0);
	assert_int_equal(n, 2);
	assert_true(nd_ip_equal(&got[0], &ips[0]));
	assert_true(nd_ip_equal(&got[1], &ips[1]));
	/* Replaced whole. */
	assert_int_equal(nd_store_index_write(f->s, "ctr1", "eth0", ips, 1, NULL), 0);
	assert_int_equal(nd_store_index_read(f->s, "ctr1", "eth0", got, 4, &n, NULL), 0);
	assert_int_equal(n, 1);
	/* "a.b"+"c" and "a"+"b.c" are different attachments. */
	assert_int_equal(nd_store_index_write(f->s, "a.b", "c", ips, 1, NULL), 0);
	assert_int_equal(nd_store_index_read(f->s, "a", "b.c", got, 4, &n, NULL), -ENOENT);
	assert_int_equal(nd_store_index_remove(f->s, "ctr1", "eth0", NULL), 0);
	assert_int_equal(nd_store_index_remove(f->s, "ctr1", "eth0", NULL), 0);
	assert_int_equal(nd_store_index_remove(f->s, "a.b", "c", NULL), 0);
	assert_listing(f->net, "attach,lock");
	assert_listing(f->net, "attach,lock");
	{
		char attach[PATH_MAX + 8];

		snprintf(attach, sizeof(attach), "%s/attach", f->net);
		assert_listing(attach, "");
	}
}

static void test_index_corrupt(void **state)
{
	struct fixture *f = *state;
	struct nd_err *err = NULL;
	struct nd_ip got[4];
	size_t n;

	put(f->net, "attach/ctr1:eth0", "10.0.0.2\nnot-an-ip\n");
	assert_int_equal(nd_store_index_read(f->s, "ctr1", "eth0", got, 4, &n, &err), -EBADMSG);
	assert_non_null(err);
	assert_int_equal(err->code, ND_CNI_IO);
	assert_non_null(strstr(err->msg, "not-an-ip"));
	nd_err_free(err);
	/* Release still works: it falls back to the scan and drops the bad index. */
	put(f->net, "10.0.0.2", "ctr1\r\neth0");
	assert_int_equal(nd_store_release(f->s, "ctr1", "eth0", NULL), 0);
	assert_listing(f->net, "attach,lock");
}

static void test_release_by_index(void **state)
{
	struct fixture *f = *state;
	struct nd_ip ips[2] = { ip_of("10.0.0.2"), ip_of("fd00::2") }, other = ip_of("10.0.0.3");

	assert_int_equal(nd_store_index_write(f->s, "ctr1", "eth0", ips, 2, NULL), 0);
	assert_int_equal(nd_store_reserve(f->s, &ips[0], "ctr1", "eth0", NULL), 0);
	assert_int_equal(nd_store_reserve(f->s, &ips[1], "ctr1", "eth0", NULL), 0);
	assert_int_equal(nd_store_reserve(f->s, &other, "ctr2", "eth0", NULL), 0);
	assert_int_equal(nd_store_release(f->s, "ctr1", "eth0", NULL), 0);
	assert_listing(f->net, "10.0.0.3,attach,lock");
	/* Idempotent. */
	assert_int_equal(nd_store_release(f->s, "ctr1", "eth0", NULL), 0);
	assert_listing(f->net, "10.0.0.3,attach,lock");
}

/* An index naming an address someone else holds now never releases theirs. */
static void test_release_checks_owner(void **state)
{
	struct fixture *f = *state;
	struct nd_ip ip = ip_of("10.0.0.2");

	assert_int_equal(nd_store_index_write(f->s, "ctr1", "eth0", &ip, 1, NULL), 0);
	assert_int_equal(nd_store_reserve(f->s, &ip, "ctr2", "eth0", NULL), 0);
	assert_int_equal(nd_store_release(f->s, "ctr1", "eth0", NULL), 0);
	assert_listing(f->net, "10.0.0.2,attach,lock");
}

/* Leases host-local wrote (no index): found by scan, including the pre-0.7 ID-only form. */
static void test_release_scan(void **state)
{
	struct fixture *f = *state;
	struct nd_ip got[8];
	size_t n;

	put(f->net, "10.0.0.2", "ctr1\r\neth0");
	put(f->net, "fd00::2", "ctr1\r\neth0");
	put(f->net, "10.0.0.3", "ctr1\r\neth1");
	put(f->net, "10.0.0.4", "ctr2\r\neth0");
	put(f->net, "last_reserved_ip.0", "10.0.0.4");
	assert_int_equal(nd_store_find(f->s, "ctr1", "eth0", got, 8, &n, NULL), 0);
	assert_int_equal(n, 2);
	assert_int_equal(nd_store_release(f->s, "ctr1", "eth0", NULL), 0);
	assert_listing(f->net, "10.0.0.3,10.0.0.4,attach,last_reserved_ip.0,lock");
	put(f->net, "10.0.0.5", "legacy");
	assert_int_equal(nd_store_release(f->s, "legacy", "eth0", NULL), 0);
	assert_listing(f->net, "10.0.0.3,10.0.0.4,attach,last_reserved_ip.0,lock");
}

static void test_last_reserved(void **state)
{
	struct fixture *f = *state;
	struct nd_ip ip = ip_of("fd00::7"), got;
	char *c;

	assert_int_equal(nd_store_last_get(f->s, 1, &got), -ENOENT);
	assert_int_equal(nd_store_last_set(f->s, 1, &ip, NULL), 0);
	c = slurp(f->net, "last_reserved_ip.1");
	assert_string_equal(c, "fd00::7"); /* no newline: host-local parses it whole */
	free(c);
	assert_int_equal(nd_store_last_get(f->s, 1, &got), 0);
	assert_true(nd_ip_equal(&got, &ip));
	put(f->net, "last_reserved_ip.2", "10.0.0.9\n"); /* tolerate a hand-written one */
	assert_int_equal(nd_store_last_get(f->s, 2, &got), 0);
	put(f->net, "last_reserved_ip.3", "junk");
	assert_int_equal(nd_store_last_get(f->s, 3, &got), -EINVAL);
}

struct seen {
	char buf[1024];
	int stop_after;
	int calls;
};

/* The walk made calls visits and saw each of want (NULL-terminated), in any order. */
static void assert_seen(const struct seen *s, int calls, const char *const *want)
{
	assert_int_equal(s->calls, calls);
	for (; *want; want++)
		if (!strstr(s->buf, *want))
			fail_msg("the walk saw '%s', not '%s'", s->buf, *want);
}

static int visit(const struct nd_ip *ip, const char *id, const char *ifname, void *ud)
{
	struct seen *s = ud;
	char a[ND_IP_STRLEN];

	snprintf(s->buf + strlen(s->buf), sizeof(s->buf) - strlen(s->buf), "%s=%s/%s;", nd_ip_fmt(ip, a), id,
		 ifname);
	return ++s->calls == s->stop_after ? 42 : 0;
}

static void test_foreach(void **state)
{
	struct fixture *f = *state;
	struct seen s = { 0 };

	put(f->net, "10.0.0.2", "ctr1\r\neth0");
	put(f->net, "10.0.0.3", "legacy");
	put(f->net, "10.0.0.4", ""); /* left by a host-local killed mid-reservation */
	put(f->net, "last_reserved_ip.0", "10.0.0.4");
	put(f->net, ".netd-tmp.1.0", "ctr9\r\neth0");
	put(f->net, "attach/ctr1:eth0", "10.0.0.2\n");
	put(f->net, "junk", "ctr9\r\neth0");
	assert_int_equal(nd_store_foreach(f->s, visit, &s, NULL), 0);
	assert_seen(&s, 3, (const char *const[]){ "10.0.0.2=ctr1/eth0;", "10.0.0.3=legacy/;", "10.0.0.4=/;", NULL });
	memset(&s, 0, sizeof(s));
	s.stop_after = 2;
	assert_int_equal(nd_store_foreach(f->s, visit, &s, NULL), 42);
	assert_int_equal(s.calls, 2);
}

static int index_visit(const char *id, const char *ifname, const struct nd_ip *ips, size_t n, void *ud)
{
	struct seen *s = ud;

	snprintf(s->buf + strlen(s->buf), sizeof(s->buf) - strlen(s->buf), "%s/%s:%zu;", id, ifname, n);
	s->calls++;
	(void)ips;
	return 0;
}

static void test_index_foreach(void **state)
{
	struct fixture *f = *state;
	struct nd_ip ips[2] = { ip_of("10.0.0.2"), ip_of("fd00::2") };
	struct seen s = { 0 };

	assert_int_equal(nd_store_index_write(f->s, "ctr1", "eth0", ips, 2, NULL), 0);
	assert_int_equal(nd_store_index_write(f->s, "ctr.2", "eth0.5", ips, 1, NULL), 0);
	put(f->net, "attach/.netd-tmp.3.3", "x");
	put(f->net, "attach/no-separator", "10.0.0.9\n");
	assert_int_equal(nd_store_index_foreach(f->s, index_visit, &s, NULL), 0);
	assert_seen(&s, 2, (const char *const[]){ "ctr1/eth0:2;", "ctr.2/eth0.5:1;", NULL });
}

/* An ID of n characters: 'a'..'z' repeated, with c as its last one (so two can differ only there). */
static char *long_id(size_t n, char c)
{
	char *id = malloc(n + 1);

	for (size_t i = 0; i < n; i++)
		id[i] = (char)('a' + i % 26);
	id[n - 1] = c;
	id[n] = '\0';
	return id;
}

/*
 * issue 8 item 12: an ID whose index name would pass NAME_MAX. Its index is named by a
 * shortened ID (200 bytes: the first 183, '~', a hash), leases hold it whole as host-local's
 * do, and every operation keyed by it works; two IDs differing in their last byte only get
 * two indexes. GC's walk hands the callback the whole ID, read back from the lease.
 */
static void test_long_id(void **state)
{
	struct fixture *f = *state;
	char *id = long_id(300, 'x'), *twin = long_id(300, 'y'), *c, *name = NULL, *list = NULL;
	struct nd_ip ip = ip_of("10.0.0.2"), ip2 = ip_of("10.0.0.3"), got[4];
	char attach[PATH_MAX + 8];
	struct seen s = { 0 };
	size_t n = 0;

	snprintf(attach, sizeof(attach), "%s/attach", f->net);
	assert_int_equal(nd_store_index_write(f->s, id, "eth0", &ip, 1, NULL), 0);
	assert_int_equal(nd_store_reserve(f->s, &ip, id, "eth0", NULL), 0);
	assert_int_equal(nd_store_index_write(f->s, twin, "eth0", &ip2, 1, NULL), 0);
	assert_int_equal(nd_store_reserve(f->s, &ip2, twin, "eth0", NULL), 0);
	c = slurp(f->net, "10.0.0.2");
	assert_int_equal(strncmp(c, id, 300), 0); /* the lease holds the ID whole */
	assert_string_equal(c + 300, "\r\neth0");
	free(c);
	list = listing(attach);
	assert_int_equal(strlen(list), 2 * (200 + strlen(":eth0")) + 1);
	assert_non_null(name = strtok(list, ","));
	assert_int_equal(strncmp(name, id, 183), 0);
	assert_int_equal(name[183], '~');
	assert_string_equal(name + 200, ":eth0");
	free(list);
	assert_int_equal(nd_store_index_read(f->s, id, "eth0", got, 4, &n, NULL), 0);
	assert_int_equal(n, 1);
	assert_true(nd_ip_equal(&got[0], &ip));
	assert_true(nd_store_owns(f->s, &ip, id, "eth0"));
	assert_false(nd_store_owns(f->s, &ip, twin, "eth0"));
	assert_int_equal(nd_store_index_foreach(f->s, index_visit, &s, NULL), 0);
	assert_int_equal(s.calls, 2);
	assert_non_null(strstr(s.buf, id));
	assert_non_null(strstr(s.buf, twin));
	assert_int_equal(nd_store_release(f->s, id, "eth0", NULL), 0);
	assert_int_equal(nd_store_release(f->s, id, "eth0", NULL), 0); /* idempotent */
	assert_listing(f->net, "10.0.0.3,attach,lock");
	assert_int_equal(nd_store_release(f->s, twin, "eth0", NULL), 0);
	assert_listing(f->net, "attach,lock");
	assert_listing(attach, "");
	free(id);
	free(twin);
}

/* An index under a shortened name whose leases are gone is visited under that name: GC drops it. */
static void test_long_id_torn_index(void **state)
{
	struct fixture *f = *state;
	char *id = long_id(250, 'x');
	struct nd_ip ip = ip_of("10.0.0.2");
	struct seen s = { 0 };

	assert_int_equal(nd_store_index_write(f->s, id, "eth1", &ip, 1, NULL), 0);
	assert_int_equal(nd_store_index_foreach(f->s, index_visit, &s, NULL), 0);
	assert_int_equal(s.calls, 1);
	assert_null(strstr(s.buf, id));
	assert_non_null(strchr(s.buf, '~'));
	assert_non_null(strstr(s.buf, "/eth1:1;"));
	assert_int_equal(nd_store_release(f->s, id, "eth1", NULL), 0);
	assert_listing(f->net, "attach,lock");
	free(id);
}

static void test_bad_names(void **state)
{
	struct fixture *f = *state;
	static const struct {
		const char *id, *ifname;
	} rows[] = {
		{ "../x", "eth0" }, { "a/b", "eth0" }, { "..", "eth0" }, { ".", "eth0" }, { ".hidden", "eth0" },
		{ "", "eth0" }, { "a:b", "eth0" }, { "a b", "eth0" }, { "a\r\nb", "eth0" }, { "ctr", "" },
		{ "ctr", ".." }, { "ctr", "." }, { "ctr", "e/0" }, { "ctr", "eth 0" }, { "ctr", "eth\n" },
		{ NULL, "eth0" }, { "ctr", NULL },
	};
	struct nd_ip ip = ip_of("10.0.0.2");
	struct nd_store *s = NULL;

	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		struct nd_err *e1 = NULL, *e2 = NULL, *e3 = NULL;

		if (nd_store_reserve(f->s, &ip, rows[i].id, rows[i].ifname, &e1) != -EINVAL ||
		    nd_store_index_write(f->s, rows[i].id, rows[i].ifname, &ip, 1, &e2) != -EINVAL ||
		    nd_store_release(f->s, rows[i].id, rows[i].ifname, &e3) != -EINVAL)
			fail_msg("row %zu accepted", i);
		assert_int_equal(e1->code, ND_CNI_INVALID_CONFIG);
		assert_int_equal(e2->code, ND_CNI_INVALID_CONFIG);
		assert_int_equal(e3->code, ND_CNI_INVALID_CONFIG);
		nd_err_free(e1);
		nd_err_free(e2);
		nd_err_free(e3);
	}
	assert_listing(f->net, "attach,lock");
	static const char *const nets[] = { "..", ".", "a/b", "", "x\ny", NULL };
	for (size_t i = 0; i < sizeof(nets) / sizeof(nets[0]); i++) {
		struct nd_err *err = NULL;

		assert_int_equal(nd_store_open(f->dir, nets[i], &s, &err), -EINVAL);
		assert_int_equal(err->code, ND_CNI_INVALID_CONFIG);
		nd_err_free(err);
	}
	assert_listing(f->dir, "net1");
	/* "a..b" is a valid CNI network name and harmless as one component. */
	assert_int_equal(nd_store_open(f->dir, "a..b", &s, NULL), 0);
	nd_store_close(s);
	assert_listing(f->dir, "a..b,net1");
}

/* Every fd the store holds is close-on-exec: nothing leaks into a delegated plugin. */
static void test_cloexec(void **state)
{
	struct fixture *f = *state;
	DIR *d = opendir("/proc/self/fd");
	struct dirent *de;
	int seen = 0;

	assert_non_null(d);
	while ((de = readdir(d))) {
		char link[300], target[PATH_MAX] = "";
		int fd = atoi(de->d_name);

		snprintf(link, sizeof(link), "/proc/self/fd/%s", de->d_name);
		if (de->d_name[0] == '.' || readlink(link, target, sizeof(target) - 1) < 0)
			continue;
		if (strncmp(target, f->dir, strlen(f->dir)))
			continue;
		seen++;
		if (!(fcntl(fd, F_GETFD) & FD_CLOEXEC))
			fail_msg("fd %d (%s) lacks FD_CLOEXEC", fd, target);
	}
	closedir(d);
	assert_true(seen >= 3); /* directory, attach, lock */
}

/* The lock is held while the store is open: another process cannot take it. */
static void test_lock_held(void **state)
{
	struct fixture *f = *state;
	char lock[PATH_MAX + 8];
	pid_t pid;
	int status;

	snprintf(lock, sizeof(lock), "%s/lock", f->net);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		int fd = open(lock, O_RDWR | O_CLOEXEC);

		_exit(fd >= 0 && flock(fd, LOCK_EX | LOCK_NB) < 0 && errno == EWOULDBLOCK ? 0 : 1);
	}
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	nd_store_close(f->s);
	f->s = NULL;
	pid = fork();
	if (pid == 0) {
		int fd = open(lock, O_RDWR | O_CLOEXEC);

		_exit(fd >= 0 && flock(fd, LOCK_EX | LOCK_NB) == 0 ? 0 : 1);
	}
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
}

static void test_open_errors(void **state)
{
	struct fixture *f = *state;
	char file[PATH_MAX + 8];
	struct nd_store *s = NULL;
	struct nd_err *err = NULL;

	snprintf(file, sizeof(file), "%s/plainfile", f->dir);
	put(f->dir, "plainfile", "x");
	assert_int_equal(nd_store_open(file, "net", &s, &err), -ENOTDIR);
	assert_int_equal(err->code, ND_CNI_IO);
	assert_non_null(strstr(err->msg, "plainfile"));
	nd_err_free(err);
	err = NULL;
	assert_int_equal(nd_store_open("", "net", &s, &err), -EINVAL);
	nd_err_free(err);
	assert_null(s);
}

/* A nested data directory is created level by level. */
static void test_open_creates_path(void **state)
{
	struct fixture *f = *state;
	char deep[PATH_MAX + 16];
	struct nd_store *s = NULL;

	snprintf(deep, sizeof(deep), "%s/a/b/c/", f->dir);
	assert_int_equal(nd_store_open(deep, "n", &s, NULL), 0);
	nd_store_close(s);
	snprintf(deep, sizeof(deep), "%s/a/b/c/n", f->dir);
	assert_listing(deep, "attach,lock");
}

#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_open_layout),      T(test_reserve_format),  T(test_reserve_taken),
		T(test_owns_unreserve),   T(test_index_roundtrip), T(test_index_corrupt),
		T(test_release_by_index), T(test_release_checks_owner), T(test_release_scan),
		T(test_last_reserved),    T(test_foreach),         T(test_index_foreach),
		T(test_bad_names),       T(test_cloexec),         T(test_long_id),
		T(test_long_id_torn_index),
		T(test_lock_held),        T(test_open_errors),     T(test_open_creates_path),
	};

	return cmocka_run_group_tests_name("store", tests, NULL, NULL);
}

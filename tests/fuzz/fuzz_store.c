/*
 * libFuzzer target: the IPAM store's on-disk records, as a crash, an older host-local or a
 * hostile writer of the data directory may leave them. The input is split at NUL bytes into
 * the contents of: the lease of 10.0.0.2, the index "c1:eth0", last_reserved_ip.0, the lease
 * of fd00::2, the name of one more index file, that file's content, the lease of 10.0.0.3.
 * The files are written into a store on a tmpfs and read back through every public path
 * (store and IPAM: lookup, CHECK, ADD, DEL, GC, STATUS). Beyond memory safety it asserts
 * that an ADD that succeeds holds its addresses and that its DEL frees them.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ipam/ipam.h"
#include "ipam/store.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static char root[64], netdir[128], attdir[160];
static struct nd_ipam_conf *conf;

static void wipe(const char *dir);

static void cleanup_dirs(void)
{
	wipe(attdir);
	wipe(netdir);
	rmdir(attdir);
	rmdir(netdir);
	rmdir(root);
}

/* libFuzzer ends a timed run with _Exit: sweep the stores of fuzzers that are gone. */
static void sweep_stale(void)
{
	DIR *d = opendir("/dev/shm");
	struct dirent *de;

	while (d && (de = readdir(d))) {
		long pid;

		if (sscanf(de->d_name, "netd-fuzz-store.%ld", &pid) != 1 || kill((pid_t)pid, 0) == 0 || errno != ESRCH)
			continue;
		snprintf(root, sizeof(root), "/dev/shm/%s", de->d_name);
		snprintf(netdir, sizeof(netdir), "%s/fz", root);
		snprintf(attdir, sizeof(attdir), "%s/attach", netdir);
		cleanup_dirs();
	}
	if (d)
		closedir(d);
}

static void setup(void)
{
	static const char json[] = "{\"cniVersion\":\"1.0.0\",\"name\":\"fz\",\"ipam\":{\"type\":\"netd-ipam\","
				   "\"ranges\":[[{\"subnet\":\"10.0.0.0/29\"}],[{\"subnet\":\"fd00::/125\"}]]}}";
	json_t *j = json_loads(json, 0, NULL);

	sweep_stale();
	snprintf(root, sizeof(root), "/dev/shm/netd-fuzz-store.%ld", (long)getpid());
	snprintf(netdir, sizeof(netdir), "%s/fz", root);
	snprintf(attdir, sizeof(attdir), "%s/attach", netdir);
	mkdir(root, 0755);
	mkdir(netdir, 0755);
	mkdir(attdir, 0755);
	conf = calloc(1, sizeof(*conf));
	if (!j || !conf || nd_ipam_conf_parse(j, NULL, conf, NULL) < 0)
		abort();
	free(conf->data_dir);
	conf->data_dir = strdup(root);
	json_decref(j);
	atexit(cleanup_dirs);
}

static void put(const char *dir, const char *name, const uint8_t *p, size_t n)
{
	char path[512];
	int fd;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0644);
	if (fd < 0)
		return;
	if (write(fd, p, n) < 0) {
		/* tmpfs: cannot happen short of ENOSPC; the input is then simply shorter. */
	}
	close(fd);
}

static void wipe(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *de;

	if (!d)
		return;
	while ((de = readdir(d)))
		if (strcmp(de->d_name, ".") && strcmp(de->d_name, "..") && strcmp(de->d_name, "attach"))
			unlinkat(dirfd(d), de->d_name, 0);
	closedir(d);
}

/* A name usable as one path component in attach/, or NULL. */
static const char *index_file_name(const uint8_t *p, size_t n, char buf[256])
{
	if (n == 0 || n > 255)
		return NULL;
	memcpy(buf, p, n);
	buf[n] = '\0';
	if (strchr(buf, '/') || !strcmp(buf, ".") || !strcmp(buf, ".."))
		return NULL;
	return buf;
}

static int count_lease(const struct nd_ip *ip, const char *id, const char *ifname, void *ud)
{
	(void)ip;
	(void)id;
	(void)ifname;
	++*(int *)ud;
	return 0;
}

static int count_index(const char *id, const char *ifname, const struct nd_ip *ips, size_t n, void *ud)
{
	(void)id;
	(void)ifname;
	(void)ips;
	(void)n;
	++*(int *)ud;
	return 0;
}

static void direct(void)
{
	struct nd_store *s = NULL;
	struct nd_ip ip, ips[16];
	size_t n = 0;
	int count = 0;

	if (nd_store_open(root, "fz", &s, NULL) < 0)
		abort();
	nd_ip_parse("10.0.0.2", &ip, NULL);
	(void)nd_store_owns(s, &ip, "c1", "eth0");
	(void)nd_store_is_reserved(s, &ip);
	(void)nd_store_index_read(s, "c1", "eth0", ips, 16, &n, NULL);
	(void)nd_store_find(s, "c1", "eth0", ips, 16, &n, NULL);
	(void)nd_store_foreach(s, count_lease, &count, NULL);
	(void)nd_store_index_foreach(s, count_index, &count, NULL);
	(void)nd_store_last_get(s, 0, &ip);
	nd_store_close(s);
}

static bool holds(const char *id, const struct nd_ip *ip)
{
	struct nd_ip ips[ND_MAX_IPS];
	size_t n = 0;

	if (nd_ipam_lookup(conf, id, "eth0", ips, ND_MAX_IPS, &n, NULL) < 0)
		return false;
	for (size_t i = 0; i < n; i++)
		if (nd_ip_equal(&ips[i], ip))
			return true;
	return false;
}

static void through_ipam(void)
{
	static const struct nd_attachment valid[] = { { "c1", "eth0" } };
	struct nd_err *err = NULL;
	struct nd_result res;

	(void)nd_ipam_check(conf, "c1", "eth0", NULL);
	(void)nd_ipam_status(conf, NULL);
	nd_result_init(&res);
	if (nd_ipam_add(conf, "fz-new", "eth0", &res, &err) >= 0) {
		for (size_t i = 0; i < res.n_ips; i++)
			if (!holds("fz-new", &res.ips[i].addr.ip))
				abort();
		if (nd_ipam_del(conf, "fz-new", "eth0", NULL) < 0)
			abort();
		for (size_t i = 0; i < res.n_ips; i++)
			if (holds("fz-new", &res.ips[i].addr.ip))
				abort();
	}
	nd_err_free(err);
	nd_result_clear(&res);
	(void)nd_ipam_gc(conf, valid, 1, NULL, NULL, NULL);
	(void)nd_ipam_del(conf, "c1", "eth0", NULL);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const files[] = { "10.0.0.2", "attach/c1:eth0", "last_reserved_ip.0", "fd00::2" };
	const uint8_t *part[7] = { 0 }, *p = data, *end = data + size;
	size_t len[7] = { 0 };
	char name[256];
	const char *extra;

	if (!conf)
		setup();
	for (int i = 0; i < 7 && p <= end; i++) {
		const uint8_t *z = memchr(p, 0, (size_t)(end - p));

		part[i] = p;
		len[i] = (z ? z : end) - p;
		p += len[i] + 1;
	}
	for (int i = 0; i < 4; i++)
		if (part[i])
			put(netdir, files[i], part[i], len[i]);
	if (part[5] && (extra = index_file_name(part[4], len[4], name)))
		put(attdir, extra, part[5], len[5]);
	if (part[6])
		put(netdir, "10.0.0.3", part[6], len[6]);

	direct();
	through_ipam();

	wipe(attdir);
	wipe(netdir);
	return 0;
}

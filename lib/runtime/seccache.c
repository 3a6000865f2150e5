#include "runtime/seccache.h"

#include <errno.h>
#include <fcntl.h>
#include <seccomp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/cleanup.h"
#include "base/fdio.h"
#include "base/state.h"

#define BPF_FILE_MAX (4096 * 8)

static unsigned long long fnv_bytes(unsigned long long h, const void *p, size_t n)
{
	const unsigned char *b = p;

	for (size_t i = 0; i < n; i++)
		h = (h ^ b[i]) * 0x100000001b3ULL;
	return h;
}

static unsigned long long key_of(const char *profile, unsigned long long caps)
{
	const struct scmp_version *v = seccomp_version();
	unsigned long long h = 0xcbf29ce484222325ULL, def = profile ? 0 : nd_seccomp_default_hash();
	unsigned int arch = seccomp_arch_native(), ver[3] = { v ? v->major : 0, v ? v->minor : 0, v ? v->micro : 0 };

	h = fnv_bytes(h, &caps, sizeof(caps));
	h = fnv_bytes(h, &arch, sizeof(arch));
	h = fnv_bytes(h, ver, sizeof(ver));
	h = fnv_bytes(h, &def, sizeof(def));
	return profile ? fnv_bytes(h, profile, strlen(profile)) : h;
}

/* Only a regular file of ours that nobody else may write. */
static int load(const char *path, struct nd_seccomp **ret)
{
	_cleanup_close_ int fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	char buf[BPF_FILE_MAX];
	struct stat st;
	long n;

	if (fd < 0 || fstat(fd, &st) < 0)
		return -errno;
	if (!S_ISREG(st.st_mode) || st.st_uid != geteuid() || (st.st_mode & 022) || st.st_size > BPF_FILE_MAX)
		return -EPERM;
	n = nd_read_upto(fd, buf, sizeof(buf));
	if (n != st.st_size)
		return -EIO;
	return nd_seccomp_from_insns(buf, (size_t)n, ret);
}

int nd_seccomp_get(const char *dir, const char *profile, unsigned long long caps, struct nd_seccomp **ret,
		   struct nd_err **err)
{
	char path[4096];
	const void *insns;
	size_t len;
	int r;

	if (!dir)
		return nd_seccomp_for(profile, caps, ret, err);
	snprintf(path, sizeof(path), "%s/%016llx.bpf", dir, key_of(profile, caps));
	if (load(path, ret) == 0)
		return 0;
	if ((r = nd_seccomp_for(profile, caps, ret, err)) < 0)
		return r;
	/* Best effort: a cache that cannot be written costs the next start a compile, nothing more. */
	nd_seccomp_insns(*ret, &insns, &len);
	if (nd_state_mkdirs(dir, 0700, NULL) >= 0)
		(void)nd_state_write_volatile(path, (const char *)insns, len, NULL);
	return 0;
}

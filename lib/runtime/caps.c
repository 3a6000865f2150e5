#include "runtime/caps.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "base/cleanup.h"
#include "runtime/creds.h"
#include "runtime/ctrstate.h"

/* By number (linux/capability.h), so that the table is its own index. */
static const char *const names[] = {
	"CHOWN",	"DAC_OVERRIDE",	   "DAC_READ_SEARCH", "FOWNER",		"FSETID",	"KILL",
	"SETGID",	"SETUID",	   "SETPCAP",	      "LINUX_IMMUTABLE", "NET_BIND_SERVICE", "NET_BROADCAST",
	"NET_ADMIN",	"NET_RAW",	   "IPC_LOCK",	      "IPC_OWNER",	"SYS_MODULE",	"SYS_RAWIO",
	"SYS_CHROOT",	"SYS_PTRACE",	   "SYS_PACCT",	      "SYS_ADMIN",	"SYS_BOOT",	"SYS_NICE",
	"SYS_RESOURCE", "SYS_TIME",	   "SYS_TTY_CONFIG",  "MKNOD",		"LEASE",	"AUDIT_WRITE",
	"AUDIT_CONTROL", "SETFCAP",	   "MAC_OVERRIDE",    "MAC_ADMIN",	"SYSLOG",	"WAKE_ALARM",
	"BLOCK_SUSPEND", "AUDIT_READ",	   "PERFMON",	      "BPF",		"CHECKPOINT_RESTORE",
};

int nd_cap_number(const char *name)
{
	if (!strncasecmp(name, "CAP_", 4))
		name += 4;
	for (size_t i = 0; i < ND_ARRAY_SIZE(names); i++)
		if (!strcasecmp(name, names[i]))
			return (int)i;
	return -1;
}

unsigned long long nd_caps_all(void)
{
	_cleanup_close_ int fd = open("/proc/sys/kernel/cap_last_cap", O_RDONLY | O_CLOEXEC);
	char buf[16] = "";
	long last = (long)ND_ARRAY_SIZE(names) - 1;

	if (fd >= 0 && read(fd, buf, sizeof(buf) - 1) > 0)
		last = strtol(buf, NULL, 10);
	if (last < 0 || last > 63)
		last = (long)ND_ARRAY_SIZE(names) - 1;
	return last == 63 ? ~0ULL : (1ULL << (last + 1)) - 1;
}

static bool has_all(char *const *v)
{
	for (; v && *v; v++)
		if (!strcasecmp(*v, "ALL"))
			return true;
	return false;
}

/* The names of v (ALL aside) as a mask. */
static int mask_of(const char *flag, char *const *v, unsigned long long *ret, struct nd_err **err)
{
	unsigned long long m = 0;

	for (; v && *v; v++) {
		int n = strcasecmp(*v, "ALL") ? nd_cap_number(*v) : -2;

		if (n == -1)
			return nd_err_set(err, ND_ERR_BAD_SPEC, EINVAL, "%s: unknown capability '%s'", flag, *v);
		if (n >= 0)
			m |= 1ULL << n;
	}
	*ret = m;
	return 0;
}

int nd_caps_resolve(char *const *add, char *const *drop, bool privileged, unsigned long long *ret,
		    struct nd_err **err)
{
	unsigned long long a, d, base = nd_ctr_default_caps();
	int r;

	if ((r = mask_of("--cap-add", add, &a, err)) < 0 || (r = mask_of("--cap-drop", drop, &d, err)) < 0)
		return r;
	if (privileged || has_all(add))
		base = nd_caps_all();
	else if (has_all(drop))
		base = 0;
	*ret = privileged ? base : ((base & ~d) | a) & nd_caps_all();
	return 0;
}

unsigned long long nd_ctr_caps(const struct nd_ctr *c)
{
	unsigned long long caps;

	if (nd_caps_resolve(c->cap_add, c->cap_drop, c->privileged, &caps, NULL) < 0)
		return nd_ctr_default_caps();
	return caps;
}

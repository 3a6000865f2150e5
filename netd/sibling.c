/* Running another netd executable installed beside this one. */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"

int nd_exec_sibling(const char *name, int argc, char **argv)
{
	char self[PATH_MAX], bin[PATH_MAX + 32];
	ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);
	char **args = calloc((size_t)argc + 2, sizeof(char *));
	char *slash;
	int errnum;

	if (n <= 0 || !args) {
		errnum = errno;
		free(args);
		return nd_cli_failf(NULL, ND_ERR_INTERNAL, "cannot find its own executable: %s", strerror(errnum));
	}
	self[n] = '\0';
	slash = strrchr(self, '/');
	if (slash)
		*slash = '\0';
	snprintf(bin, sizeof(bin), "%s/%s", self, name);
	args[0] = bin;
	memcpy(args + 1, argv, (size_t)argc * sizeof(char *));
	execv(bin, args);
	errnum = errno;
	free(args);
	return nd_cli_failf(NULL, ND_ERR_INTERNAL, "cannot run '%s': %s", bin, strerror(errnum));
}

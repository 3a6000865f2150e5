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

	if (n <= 0 || !args) {
		fprintf(stderr, "netd: cannot find its own executable: %s\n", strerror(errno));
		free(args);
		return ND_EXIT_FAIL;
	}
	self[n] = '\0';
	slash = strrchr(self, '/');
	if (slash)
		*slash = '\0';
	snprintf(bin, sizeof(bin), "%s/%s", self, name);
	args[0] = bin;
	memcpy(args + 1, argv, (size_t)argc * sizeof(char *));
	execv(bin, args);
	fprintf(stderr, "netd: cannot run '%s': %s\n", bin, strerror(errno));
	free(args);
	return ND_EXIT_FAIL;
}

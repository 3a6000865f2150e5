/*
 * devcg DIR: attach netd's v2 device program (lib/runtime/devices.c, the very function a v2 host's
 * container cgroup gets) to the cgroup2 directory DIR. For t_sec_runtime.sh, which proves
 * on a hybrid host's cgroup2 mount that the program denies what it must.
 */
#include <stdio.h>

#include "runtime/devices.h"

int main(int argc, char **argv)
{
	struct nd_err *err = NULL;

	if (argc != 2) {
		fprintf(stderr, "usage: devcg CGROUP2_DIR\n");
		return 2;
	}
	if (nd_dev_v2_apply(argv[1], &err) < 0) {
		fprintf(stderr, "devcg: %s\n", err->msg);
		nd_err_free(err);
		return 1;
	}
	return 0;
}

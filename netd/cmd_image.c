/*
 * The image commands' entry in both CLIs (pull, images, rmi, tag, image): bin/netd-oci
 * sets nd_image_main (netd/img_cmds.c, over lib/image and libcurl); bin/netd, which
 * links neither, execs bin/netd-oci for them.
 */
#include <stdlib.h>
#include <string.h>

#include "base/cleanup.h"
#include "cli.h"

int (*nd_image_main)(int argc, char **argv);

int nd_cmd_image(int argc, char **argv)
{
	_cleanup_free_ char **args = NULL;
	int n = 0;

	if (nd_image_main)
		return nd_image_main(argc, argv);
	if (!(args = calloc((size_t)argc + 2, sizeof(char *))))
		return nd_cli_failf(argv[0], ND_ERR_INTERNAL, "out of memory");
	/* --json is the one global option that does not travel in the environment. */
	if (nd_cli.json)
		args[n++] = (char *)"--json";
	memcpy(args + n, argv, (size_t)argc * sizeof(char *));
	return nd_exec_sibling("netd-oci", argc + n, args);
}

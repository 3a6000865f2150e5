/*
 * bin/netd: the CLI without image support, so that no start of it loads libarchive and
 * libcrypto; --image, --layer and commit exec bin/netd-oci (netd/cmd_run.c).
 */
#include "cli.h"

int main(int argc, char **argv)
{
	return nd_cli_main(argc, argv);
}

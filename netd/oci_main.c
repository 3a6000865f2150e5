/*
 * bin/netd-oci: the same CLI with the OCI image operations (runtime/ociimage.h, over
 * libarchive and libcrypto), which bin/netd execs for --image, --layer and commit.
 */
#include "cli.h"
#include "cmd_run.h"
#include "runtime/ociimage.h"

int main(int argc, char **argv)
{
	nd_run_images = &nd_oci_images;
	nd_run_resolve = nd_img_resolve;
	nd_image_main = nd_img_main;
	nd_run_commit_image = nd_img_commit;
	return nd_cli_main(argc, argv);
}

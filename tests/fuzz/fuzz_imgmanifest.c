/*
 * libFuzzer target: what a registry sends (manifest, index, config JSON) through the
 * parsers netd pull uses: the index's manifest pick, the manifest's layers, the config.
 */
#include <stdint.h>
#include <stdlib.h>

#include "base/json.h"
#include "runtime/oci.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct nd_oci_image img = { 0 };
	struct nd_err *err = NULL;
	json_t *j = NULL, *d;

	if (nd_json_parse_bounded((const char *)data, size, 32, &j, &err) < 0) {
		nd_err_free(err);
		return 0;
	}
	(void)nd_oci_pick_manifest(j, NULL, &d, NULL);
	(void)nd_oci_pick_manifest(j, "latest", &d, NULL);
	if (nd_oci_parse_config(j, &img, NULL) >= 0)
		(void)nd_oci_parse_manifest(j, &img, NULL);
	nd_oci_image_clear(&img);
	img = (struct nd_oci_image){ 0 };
	(void)nd_oci_parse_manifest(j, &img, NULL);
	nd_oci_image_clear(&img);
	json_decref(j);
	return 0;
}

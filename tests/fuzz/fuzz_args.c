/* libFuzzer target: CNI_ARGS parsing and the name validators. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "cni/cni.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const known[] = { "IP", "MAC", "K8S_POD_NAME", NULL };
	char *s = strndup((const char *)data, size), *v = NULL;
	struct nd_err *err = NULL;

	if (!s)
		return 0;
	nd_cni_args_validate(s, known, &err);
	nd_err_free(err);
	nd_cni_args_get(s, "IP", &v);
	free(v);
	nd_cni_args_get(s, "IgnoreUnknown", &v);
	free(v);
	nd_cni_valid_id(s);
	nd_cni_valid_ifname(s);
	free(s);
	return 0;
}

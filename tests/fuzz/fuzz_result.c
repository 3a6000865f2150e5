/* libFuzzer target: a result from JSON (prevResult, a delegated plugin's stdout) and back. */
#include <stdint.h>
#include <stdlib.h>

#include "cni/cni.h"
#include "cni/result.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	json_t *j = json_loadb((const char *)data, size, 0, NULL);
	struct nd_err *err = NULL;
	struct nd_result r;

	if (!j)
		return 0;
	if (nd_result_from_json(j, &r, &err) >= 0) {
		for (size_t i = 0; nd_cni_versions[i]; i++) {
			struct nd_result back;
			json_t *o = nd_result_to_json(&r, nd_cni_versions[i]);

			/* Whatever we emit, we must be able to read again. */
			if (nd_result_from_json(o, &back, NULL) < 0 || back.n_ips != r.n_ips)
				abort();
			nd_result_clear(&back);
			json_decref(o);
		}
		nd_result_clear(&r);
	}
	nd_err_free(err);
	json_decref(j);
	return 0;
}

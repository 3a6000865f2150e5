/* libFuzzer target: runtimeConfig.portMappings parsing (lib/portmap/pmconf.c). */
#include <stdint.h>
#include <stdlib.h>

#include <jansson.h>

#include "portmap/pmconf.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	json_t *j = json_loadb((const char *)data, size, JSON_DECODE_ANY | JSON_REJECT_DUPLICATES, NULL);
	struct nd_err *err = NULL;
	struct nd_pm *m = NULL;
	size_t n = 0;
	char s[ND_PM_STRLEN];

	if (!j)
		return 0;
	if (nd_pm_parse(j, &m, &n, &err) == 0)
		for (size_t i = 0; i < n; i++)
			(void)nd_pm_host_fmt(&m[i], s);
	free(m);
	nd_err_free(err);
	json_decref(j);
	return 0;
}

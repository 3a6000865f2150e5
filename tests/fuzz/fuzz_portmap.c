/* libFuzzer target: runtimeConfig.portMappings (lib/portmap/pmconf.c) and -p (pmspec.c) parsing. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "portmap/pmconf.h"
#include "portmap/pmspec.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* The same bytes as one -p argument; whatever parses must print and parse back the same. */
static void publish(const uint8_t *data, size_t size)
{
	char *s = strndup((const char *)data, size), buf[ND_PM_PUBLISH_STRLEN];
	struct nd_pm *v = NULL, *w = NULL;
	size_t n = 0, k = 0;

	if (s && nd_pm_parse_publish(s, &v, &n, NULL) == 0)
		for (size_t i = 0; i < n && i < 4; i++) {
			k = 0;
			if (v[i].host_port == 0)
				v[i].host_port = 1;
			if (nd_pm_parse_publish(nd_pm_publish_fmt(&v[i], buf), &w, &k, NULL) != 0 || k != 1 ||
			    w[0].host_port != v[i].host_port || w[0].ctr_port != v[i].ctr_port || w[0].proto != v[i].proto)
				abort();
			free(w);
			w = NULL;
		}
	free(v);
	free(s);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	json_t *j = json_loadb((const char *)data, size, JSON_DECODE_ANY | JSON_REJECT_DUPLICATES, NULL);
	struct nd_err *err = NULL;
	struct nd_pm *m = NULL;
	size_t n = 0;
	char s[ND_PM_STRLEN];

	publish(data, size);
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

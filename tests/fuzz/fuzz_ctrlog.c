/* libFuzzer target: a json-file log line (netd logs reads what a container's output became). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "runtime/ctrlog.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct nd_log_entry e;
	char *s = strndup((const char *)data, size);
	int64_t ns;

	if (nd_log_parse((const char *)data, size, &e) == 0)
		free(e.msg);
	if (s) {
		(void)nd_log_parse_time(s, &ns);
		free(s);
	}
	return 0;
}

/* libFuzzer target: the mount specs (-v, --tmpfs, --mount, and the record's form). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "runtime/mounts.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s = strndup((const char *)data, size), *out = NULL;
	struct nd_err *err = NULL;
	struct nd_mnt m;

	if (!s)
		return 0;
	if (nd_mnt_from_volume_flag(s, &out, &err) == 0) {
		/* What a flag gives, the record's parser takes. */
		if (nd_mnt_parse(out, &m, NULL) < 0)
			abort();
		nd_mnt_clear(&m);
	}
	free(out);
	out = NULL;
	nd_err_free(err);
	err = NULL;
	if (nd_mnt_from_tmpfs_flag(s, &out, &err) == 0) {
		if (nd_mnt_parse(out, &m, NULL) < 0)
			abort();
		nd_mnt_clear(&m);
	}
	free(out);
	nd_err_free(err);
	err = NULL;
	if (nd_mnt_parse(s, &m, &err) == 0) {
		out = nd_mnt_format(&m);
		nd_mnt_clear(&m);
		free(out);
	}
	nd_err_free(err);
	nd_mnt_valid_volume_name(s);
	free(s);
	return 0;
}

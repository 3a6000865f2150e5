/* libFuzzer target: image references (netd pull/run/tag operands) and their canonical form. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "image/ref.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s = strndup((const char *)data, size);
	struct nd_err *err = NULL;
	struct nd_ref r, again;

	if (!s)
		return 0;
	if (nd_ref_parse(s, &r, &err) == 0) {
		char *c = nd_ref_canonical(&r);

		/* The canonical form is a reference that names the same thing. */
		if (!c || nd_ref_parse(c, &again, NULL) < 0 || strcmp(again.registry, r.registry) ||
		    strcmp(again.repo, r.repo) || strcmp(again.tag, r.tag))
			abort();
		free(c);
	} else if (!err || err->code != ND_ERR_BAD_SPEC) {
		abort();
	}
	nd_err_free(err);
	free(s);
	return 0;
}

/*
 * libFuzzer target: a seccomp profile in Docker's JSON format, as `netd run --security-opt
 * seccomp=FILE` reads it, through the checker and (when it passes) the compiler for two
 * capability sets. Invariant: a profile the checker accepts compiles, or is refused with
 * an error, never a crash; the checker and the compiler agree on what is malformed.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "runtime/creds.h"
#include "runtime/seccompjson.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct nd_err *err = NULL;
	struct nd_seccomp *f = NULL;
	char *text;

	if (nd_seccomp_json_check((const char *)data, size, &err) < 0 || memchr(data, 0, size)) {
		nd_err_free(err);
		return 0;
	}
	text = strndup((const char *)data, size);
	if (!text)
		return 0;
	for (int i = 0; i < 2; i++) {
		if (nd_seccomp_json_build(text, i ? ~0ULL : nd_ctr_default_caps(), &f, &err) < 0) {
			/* Only libseccomp's own limits may refuse what the checker took. */
			if (!err || (err->code != ND_ERR_BAD_SPEC && err->code != ND_ERR_INTERNAL))
				abort();
			nd_err_free(err);
			err = NULL;
		}
		nd_seccomp_free(f);
		f = NULL;
	}
	free(text);
	return 0;
}

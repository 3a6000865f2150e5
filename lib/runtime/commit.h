/*
 * A container's writable layer saved as a layer tar (netd commit): the reverse of the
 * layer store's unpacking. Over libarchive and libcrypto, like runtime/layer.h.
 */
#pragma once

#include <sys/types.h>

#include "base/err.h"
#include "runtime/digest.h"

/*
 * An overlay upper directory as a layer tar at out (pax; written aside, renamed into
 * place): overlay whiteouts become ".wh." files, opaque directories get ".wh..wh..opq",
 * owners are shifted down by id_shift (a user-namespaced container's files). The same
 * directory always gives the same tar. ret_diff_id is the tar's sha256.
 */
int nd_layer_commit(const char *upper, const char *out, uid_t id_shift, char ret_diff_id[ND_DIGEST_LEN + 1],
		    struct nd_err **err);

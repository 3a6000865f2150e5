/* Executing a delegated CNI plugin (the IPAM named in a config) the way a runtime would. */
#pragma once

#include <jansson.h>

#include "base/err.h"

/*
 * Find type in the colon-separated cni_path, run it with our environment but
 * CNI_COMMAND=command, feed conf on stdin and parse its stdout. On success *ret_out is the
 * parsed stdout (NULL when empty). A non-zero exit becomes code ND_ERR_PLUGIN carrying the
 * plugin's own error message (and its code when it printed a CNI error object).
 */
int nd_exec_plugin(const char *cni_path, const char *type, const char *command, json_t *conf, json_t **ret_out,
		   struct nd_err **err);

/* The process around a CNI plugin: read, dispatch to a table of operations, print. */
#pragma once

#include "cni/cni.h"
#include "cni/result.h"

struct nd_cni_plugin {
	const char *name; /* for messages */
	/* Operations left NULL succeed without doing anything. */
	int (*add)(const struct nd_cni_req *req, struct nd_result *ret, struct nd_err **err);
	int (*del)(const struct nd_cni_req *req, struct nd_err **err);
	int (*check)(const struct nd_cni_req *req, struct nd_err **err);
	int (*gc)(const struct nd_cni_req *req, struct nd_err **err);
	int (*status)(const struct nd_cni_req *req, struct nd_err **err);
};

/* Returns the process exit status: 0, or 1 after printing a CNI error object to stdout. */
int nd_cni_main(const struct nd_cni_plugin *p);

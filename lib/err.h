/* One error convention: a failing function returns -errno and fills one nd_err. */
#pragma once

#include <stdarg.h>

/* CNI spec 1.1 error codes (section "Error"); 100+ are netd's own, see README. */
enum nd_cni_code {
	ND_CNI_INCOMPATIBLE_VERSION = 1,
	ND_CNI_UNSUPPORTED_FIELD = 2,
	ND_CNI_UNKNOWN_CONTAINER = 3,
	ND_CNI_INVALID_ENV = 4,
	ND_CNI_IO = 5,
	ND_CNI_DECODE = 6,
	ND_CNI_INVALID_CONFIG = 7,
	ND_CNI_TRY_AGAIN = 11,
	ND_CNI_UNAVAILABLE = 50,        /* STATUS: plugin cannot serve ADDs */
	ND_CNI_UNAVAILABLE_NOADDR = 51, /* STATUS: no address available */
	ND_ERR_INTERNAL = 100,          /* unexpected kernel or library failure */
	ND_ERR_POOL_EXHAUSTED = 101,    /* no free address in the range set */
	ND_ERR_ADDR_IN_USE = 102,       /* requested address is taken */
	ND_ERR_EXISTS = 103,            /* attachment (container, ifname) exists */
	ND_ERR_BRIDGE_FULL = 104,       /* bridge has 1023 ports (kernel limit; port 0 is reserved) */
	ND_ERR_CHECK_FAILED = 105,      /* CHECK found a missing or wrong object */
	ND_ERR_PLUGIN = 106,            /* a delegated plugin failed */
};

struct nd_err {
	int code;   /* CNI code */
	int errnum; /* positive errno behind it, 0 if none */
	char *msg;  /* "outer context: ... : innermost cause" */
};

/*
 * Set *err (when err != NULL and *err is unset) and return -errnum, or -EINVAL when
 * errnum is 0, so that "return nd_err_set(...)" reads naturally.
 */
int nd_err_set(struct nd_err **err, int code, int errnum, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

/* Prefix context to an existing error; returns -errnum of it (or -EIO). */
int nd_err_wrap(struct nd_err **err, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

void nd_err_free(struct nd_err *err);
void nd_err_freep(struct nd_err **err);
#define _cleanup_err_ __attribute__((cleanup(nd_err_freep)))

/*
 * The client side of the daemon's REST API (HTTP/1.1 over its unix socket), for the CLI
 * and lib/networks/attach.c. Deliberately small: one request per connection, "Connection: close",
 * the whole answer read to EOF, so no HTTP parsing beyond the status line.
 */
#pragma once

#include <jansson.h>

#include "base/err.h"

#define ND_API_SOCKET "/run/netd/netd.sock"
#define ND_API_BODY_MAX (1u << 20)

/* $NETD_SOCKET when set, else ND_API_SOCKET. */
const char *nd_api_socket(void);

/*
 * method path (path parts are percent-encoded by the caller via nd_api_escape); body may
 * be NULL. Returns -ENOENT or -ECONNREFUSED without setting err when no daemon listens
 * (callers fall back to the direct path), other -errno with err set, or 0 with the HTTP
 * status and the parsed body (NULL when empty).
 */
int nd_api_call(const char *sock, const char *method, const char *path, json_t *body, int *ret_status,
		json_t **ret_body, struct nd_err **err);
/*
 * An error answer {"message","code"} as an nd_err: its code, or its HTTP status's when it
 * carries none we know; errnum ENOENT, EEXIST, ENOSPC or EIO by the code's class. Returns
 * -errnum, as nd_err_set.
 */
int nd_api_error(int status, json_t *body, struct nd_err **err);
/* Percent-encode everything but RFC 3986 unreserved characters into ret (size 3*len+1). */
void nd_api_escape(const char *s, char *ret, size_t size);

/* One error convention: a failing function returns -errno and fills one nd_err. */
#pragma once

#include <stdarg.h>
#include <stdbool.h>

/*
 * Every error code of netd, in one enum; err.c's table gives each its CNI code, HTTP
 * status and CLI exit code (README "Errors"). 1-51 are the CNI spec's (1.1, section
 * "Error"), 100-111 netd's codes shared by the plugins, the API and the CLI, 120+ the
 * runtime's, which never reach a CNI runtime.
 */
enum nd_code {
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
	ND_ERR_NOT_FOUND = 107,         /* no such network, netns or attachment */
	ND_ERR_BUSY = 108,              /* in use: attachments left, a name or subnet taken */
	ND_ERR_REFUSED = 109,           /* well-formed but not allowed (a peer, a netns, the default network) */
	ND_ERR_TOO_LARGE = 110,         /* an API request body over the daemon's maxBodyBytes */
	ND_ERR_METHOD = 111,            /* an API path that exists, asked with a method it does not serve */
	ND_ERR_PORT_IN_USE = 112,       /* a host port published by another attachment or bound by a host process */
	ND_ERR_NO_CONTAINER = 120,      /* no container by that name or ID */
	ND_ERR_NOT_RUNNING = 121,       /* the container is not running */
	ND_ERR_RUNNING = 122,           /* the container is running (rm without -f) */
	ND_ERR_NO_COMMAND = 123,        /* the command was not found in the container (exit 127) */
	ND_ERR_CANNOT_EXEC = 124,       /* the command could not be run (exit 126) */
	ND_ERR_NO_IMAGE = 125,          /* no such image, layer or tag */
	ND_ERR_BAD_IMAGE = 126,         /* an image or layer failed its digest or format check */
	ND_ERR_BAD_SPEC = 127,          /* an invalid option or value (a container's, or any CLI usage error) */
	ND_ERR_SETUP = 128,             /* the container could not be set up (namespaces, mounts, cgroups) */
};
/* The older name of the same enum. */
#define nd_cni_code nd_code

/*
 * The CLI's exit statuses (docs/daemon.md "Exit codes"). Each code's is the table's; two
 * are not error codes: a bad command line, and a daemon that does not answer.
 */
enum nd_exit {
	ND_EXIT_OK = 0,
	ND_EXIT_FAIL = 1,      /* the operation failed */
	ND_EXIT_USAGE = 2,     /* bad command line, invalid config or value */
	ND_EXIT_NOTFOUND = 3,  /* no such network, netns, attachment or container */
	ND_EXIT_CONFLICT = 4,  /* exists already, in use, address taken */
	ND_EXIT_NODAEMON = 5,  /* the command needs the daemon and it does not answer */
	ND_EXIT_EXHAUSTED = 6, /* no free address or pool, bridge full */
	ND_EXIT_CANNOT_EXEC = 126, /* the command cannot be run (as a shell says) */
	ND_EXIT_NO_COMMAND = 127,  /* the command was not found */
};

/* What one code means at each edge. */
struct nd_code_info {
	int code;
	const char *name;     /* stable, for --json and logs: "not-found" */
	int cni;              /* the code a plugin prints (netd's 100+ pass through) */
	unsigned int http;    /* the API's status */
	int exit;             /* the CLI's exit status, enum nd_exit */
};
/* The table's row for code; an unknown code gets the row of ND_ERR_INTERNAL. */
const struct nd_code_info *nd_code_info(int code);
/* Whether code has a row of its own (a newer daemon may answer with a code we lack). */
bool nd_code_known(int code);
/*
 * The code an answer stands for when it carries none we know: netd's first code (100-119)
 * with that HTTP status, else ND_ERR_INTERNAL.
 */
int nd_code_of_http(unsigned int http);

struct nd_err {
	int code;   /* enum nd_code */
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

/*
 * Out of memory, the one rule: every allocation is checked, and its failure is an
 * ordinary error (code ND_ERR_INTERNAL, ENOMEM), so a plugin still answers with a CNI
 * error object and the daemon keeps serving. "return nd_oom(err);"
 */
int nd_oom(struct nd_err **err);

void nd_err_free(struct nd_err *err);
void nd_err_freep(struct nd_err **err);
#define _cleanup_err_ __attribute__((cleanup(nd_err_freep)))

/*
 * Hand on a failure that was met with a private error slot (one that may also be
 * ignored, e.g. an absent file): *from moves to *to unless *to already holds one.
 * Returns r, so that "return nd_err_move(err, &e, r);" reads naturally.
 */
int nd_err_move(struct nd_err **to, struct nd_err **from, int r);

/* The netd CLI's shared pieces: global options, talking to the daemon, exit codes. */
#pragma once

#include <jansson.h>
#include <stdbool.h>

#include "base/err.h"

/* Exit codes scripts can rely on (docs/daemon.md). */
enum nd_exit {
	ND_EXIT_OK = 0,
	ND_EXIT_FAIL = 1,      /* the operation failed */
	ND_EXIT_USAGE = 2,     /* bad command line */
	ND_EXIT_NOTFOUND = 3,  /* no such network, netns or attachment */
	ND_EXIT_CONFLICT = 4,  /* exists already, in use, address taken */
	ND_EXIT_NODAEMON = 5,  /* the command needs the daemon and it does not answer */
	ND_EXIT_EXHAUSTED = 6, /* no free address or pool */
};

struct nd_cli {
	const char *socket;
	bool json;
	const char *cni_conf_dir, *cni_cache_dir, *cni_path;
};
extern struct nd_cli nd_cli;

/* The CLI: global options, then the subcommand (main.c); returns the exit status. */
int nd_cli_main(int argc, char **argv);

/*
 * A request to the daemon's API; when no daemon answers and allow_local is set, the same
 * request served in-process (lib/ against the state dir). *ret_local tells which it was.
 * Returns 0 with the HTTP status and body, or -errno with err set (-ECONNREFUSED and
 * no err when no daemon answers and !allow_local).
 */
int nd_cli_request(const char *method, const char *path, json_t *body, bool allow_local, int *ret_status,
		   json_t **ret_body, bool *ret_local, struct nd_err **err);
/* Print an API error answer (or err) and return the matching exit code. */
int nd_cli_fail_answer(const char *what, int status, json_t *body);
int nd_cli_fail(const char *what, const struct nd_err *e);
void nd_cli_print_json(json_t *j);

/* Daemon-less `netd add/del`: libcni's behaviour over the network's conflist (cniexec.c). */
int nd_cniexec_add(const char *network, const char *id, const char *netns, const char *ifname, const char *args,
		   json_t **ret_result, struct nd_err **err);
int nd_cniexec_del(const char *network, const char *id, const char *netns, const char *ifname,
		   struct nd_err **err);

/* exec NAME from netd's own directory with argv (the subcommand first); returns only on failure. */
int nd_exec_sibling(const char *name, int argc, char **argv);

int nd_cmd_daemon(int argc, char **argv);
int nd_cmd_network(int argc, char **argv);
int nd_cmd_add(int argc, char **argv);
int nd_cmd_del(int argc, char **argv);
int nd_cmd_netns(int argc, char **argv);
int nd_cmd_gc(int argc, char **argv);
int nd_cmd_reload(int argc, char **argv);
int nd_cmd_status(int argc, char **argv);
int nd_cmd_version(int argc, char **argv);

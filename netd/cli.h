/* The netd CLI's shared pieces: global options, talking to the daemon, errors and their exit codes. */
#pragma once

#include <jansson.h>
#include <stdbool.h>

#include "base/err.h"

/* Exit codes scripts can rely on are enum nd_exit (lib/base/err.h), each code's from its table. */

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
/*
 * The CLI's edge for errors (output.c): "netd WHAT: message" (or "netd: message" when what
 * is NULL) on stderr and, with --json, {"message", "code", "name"} on stdout. Returns the
 * code's exit status (lib/base/err.c's table).
 */
int nd_cli_fail(const char *what, const struct nd_err *e);
/* The same for a failure the CLI finds itself. */
int nd_cli_failf(const char *what, int code, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
/* An API error answer, by its code, or by its HTTP status when it carries no code we know. */
int nd_cli_fail_answer(const char *what, int status, json_t *body);
/* A bad command line: the message (as nd_cli_failf, code ND_ERR_BAD_SPEC), then usage on stderr. */
int nd_cli_usage_error(const char *usage, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
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
/* The runtime's (cmd_run.c). */
int nd_cmd_run(int argc, char **argv);
int nd_cmd_ps(int argc, char **argv);
int nd_cmd_stop(int argc, char **argv);
int nd_cmd_rm(int argc, char **argv);
int nd_cmd_logs(int argc, char **argv);
int nd_cmd_exec(int argc, char **argv);
int nd_cmd_commit(int argc, char **argv);
/* netd port (cmd_port.c); Docker's "0.0.0.0:8080->80/tcp" for a recorded mapping (ps's PORTS). */
int nd_cmd_port(int argc, char **argv);
const char *nd_port_docker_fmt(const char *rec);
/* netd dns query NAME [--network N] (cmd_dns.c) */
int nd_cmd_dns(int argc, char **argv);
/* The image commands (cmd_image.c): bin/netd-oci's nd_image_main, or an exec of it. */
int nd_cmd_image(int argc, char **argv);
extern int (*nd_image_main)(int argc, char **argv);
/* bin/netd-oci's (img_cmds.c): pull, images, rmi, tag, image inspect; run's image lookup. */
int nd_img_main(int argc, char **argv);
int nd_img_resolve(const char *image, char **ret, struct nd_err **err);
int nd_img_commit(const char *ctr, const char *name);
/* issue 13, part 1 (cmd_ctr.c) */
int nd_cmd_inspect(int argc, char **argv);
int nd_cmd_rename(int argc, char **argv);
int nd_cmd_container(int argc, char **argv);
int nd_cmd_volume(int argc, char **argv);
int nd_cmd_kill(int argc, char **argv);
int nd_cmd_pause(int argc, char **argv);
int nd_cmd_unpause(int argc, char **argv);
int nd_cmd_start(int argc, char **argv);
int nd_cmd_restart(int argc, char **argv);
int nd_cmd_attach(int argc, char **argv);

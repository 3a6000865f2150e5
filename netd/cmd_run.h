/*
 * The runtime's commands of the netd CLI (netd/main.c dispatches to them):
 * netd run|ps|stop|rm|logs|exec|commit. Each takes argv from the subcommand name on
 * (argv[0] = "run") and returns the process exit status.
 */
#pragma once

#include <jansson.h>

#include "base/err.h"

int nd_cmd_run(int argc, char **argv);
int nd_cmd_ps(int argc, char **argv);
int nd_cmd_stop(int argc, char **argv);
int nd_cmd_rm(int argc, char **argv);
int nd_cmd_logs(int argc, char **argv);
int nd_cmd_exec(int argc, char **argv);
int nd_cmd_commit(int argc, char **argv);
/*
 * netd gc's runtime part: containers whose monitor is gone while they were created or
 * running are released (and removed with --rm, else marked dead); netns named like the
 * runtime's ("netd-<12 hex>") that no container owns are deleted; so are removals cut
 * short and names left pointing at nothing. Adds "containers" and "netns" counts to report.
 */
int nd_run_gc(json_t *report, struct nd_err **err);

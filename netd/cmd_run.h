/*
 * The runtime's commands of the netd CLI (netd/main.c dispatches to them):
 * netd run|ps|stop|rm|logs|exec|commit. Each takes argv from the subcommand name on
 * (argv[0] = "run") and returns the process exit status.
 */
#pragma once

int nd_cmd_run(int argc, char **argv);
int nd_cmd_ps(int argc, char **argv);
int nd_cmd_stop(int argc, char **argv);
int nd_cmd_rm(int argc, char **argv);
int nd_cmd_logs(int argc, char **argv);
int nd_cmd_exec(int argc, char **argv);
int nd_cmd_commit(int argc, char **argv);

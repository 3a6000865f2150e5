/*
 * Weak stand-ins for the runtime's commands (netd/cmd_run.h): the runtime's own
 * netd/cmd_run.c defines the strong symbols, which the linker then prefers.
 */
#include <stdio.h>

#include "cmd_run.h"

static int not_implemented(char **argv)
{
	fprintf(stderr, "netd %s: not implemented in this build\n", argv[0]);
	return 1;
}

__attribute__((weak)) int nd_cmd_run(int argc, char **argv)
{
	(void)argc;
	return not_implemented(argv);
}

__attribute__((weak)) int nd_cmd_ps(int argc, char **argv)
{
	(void)argc;
	return not_implemented(argv);
}

__attribute__((weak)) int nd_cmd_stop(int argc, char **argv)
{
	(void)argc;
	return not_implemented(argv);
}

__attribute__((weak)) int nd_cmd_rm(int argc, char **argv)
{
	(void)argc;
	return not_implemented(argv);
}

__attribute__((weak)) int nd_cmd_logs(int argc, char **argv)
{
	(void)argc;
	return not_implemented(argv);
}

__attribute__((weak)) int nd_cmd_exec(int argc, char **argv)
{
	(void)argc;
	return not_implemented(argv);
}

__attribute__((weak)) int nd_cmd_commit(int argc, char **argv)
{
	(void)argc;
	return not_implemented(argv);
}

__attribute__((weak)) int nd_run_gc(json_t *report, struct nd_err **err)
{
	(void)report;
	(void)err;
	return 0;
}

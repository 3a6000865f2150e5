/*
 * netd kill|pause|unpause: signals and the cgroup freezer for running containers
 * (lib/runtime/ctrctl.h). Each container done is printed, as Docker does.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>

#include "base/cleanup.h"
#include "base/state.h"
#include "cli.h"
#include "runtime/ctrctl.h"

static int fail(const char *what, const struct nd_err *e)
{
	(void)nd_cli_fail(what, e);
	return nd_code_info(e ? e->code : ND_ERR_INTERNAL)->exit;
}

int nd_cmd_kill(int argc, char **argv)
{
	static const char usage[] = "Usage: netd kill [-s SIGNAL] ID|NAME...\n  send SIGNAL (default KILL) to each container\n";
	int sig = SIGKILL, i = 1, rc = ND_EXIT_OK;

	if (argc > 1 && (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help"))) {
		printf("%s", usage);
		return ND_EXIT_OK;
	}
	if (argc > 2 && (!strcmp(argv[1], "-s") || !strcmp(argv[1], "--signal"))) {
		if (nd_signal_parse(argv[2], &sig) < 0)
			return nd_cli_usage_error(usage, "kill: '%s' is not a signal", argv[2]);
		i = 3;
	}
	if (i >= argc || argv[i][0] == '-')
		return nd_cli_usage_error(usage, "kill: give a container");
	for (; i < argc; i++) {
		_cleanup_err_ struct nd_err *err = NULL;

		if (nd_run_kill(nd_state_dir(), argv[i], sig, &err) < 0)
			rc = fail("kill", err);
		else
			printf("%s\n", argv[i]);
	}
	return rc;
}

static int pause_cmd(const char *what, bool pause, int argc, char **argv)
{
	int rc = ND_EXIT_OK;

	if (argc > 1 && (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help"))) {
		printf("Usage: netd %s ID|NAME...\n  %s every process of each container (cgroup freezer)\n", what,
		       pause ? "freeze" : "thaw");
		return ND_EXIT_OK;
	}
	if (argc < 2 || argv[1][0] == '-')
		return nd_cli_usage_error(NULL, "%s: give a container", what);
	for (int i = 1; i < argc; i++) {
		_cleanup_err_ struct nd_err *err = NULL;

		if (nd_run_pause(nd_state_dir(), argv[i], pause, &err) < 0)
			rc = fail(what, err);
		else
			printf("%s\n", argv[i]);
	}
	return rc;
}

int nd_cmd_pause(int argc, char **argv)
{
	return pause_cmd("pause", true, argc, argv);
}

int nd_cmd_unpause(int argc, char **argv)
{
	return pause_cmd("unpause", false, argc, argv);
}

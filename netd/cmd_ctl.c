/*
 * netd kill|pause|unpause: signals and the cgroup freezer for running containers
 * (lib/runtime/ctrctl.h); netd start|restart: a stopped container started again from its
 * record (lib/runtime/lifecycle.h, spec->existing). Each container done is printed, as
 * Docker does.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "base/cleanup.h"
#include "base/state.h"
#include "cli.h"
#include "runtime/ctrctl.h"
#include "runtime/ctrops.h"
#include "runtime/lifecycle.h"
#include "runtime/ttyrelay.h"

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

/* -a: we are the monitor, attached to the output; the command's status is ours. */
static int start_attached(const struct nd_run_spec *spec)
{
	_cleanup_(nd_run_clear) struct nd_run run = ND_RUN_INIT;
	_cleanup_err_ struct nd_err *err = NULL, *release = NULL;
	int code = 0;

	if (nd_run_start(spec, &run, &err) < 0 || nd_run_wait(&run, &code, &release, &err) < 0)
		return fail("start", err);
	if (release)
		(void)nd_cli_fail("start", release);
	return code;
}

/* One container started again: detached (a monitor of its own), or attached. */
static int start_one(const char *ref, bool attach, struct nd_err **err)
{
	struct nd_run_spec spec = { .state = nd_state_dir(), .detach = !attach };
	char id[ND_CTR_ID_LEN + 1];
	int r = nd_ctr_resolve(spec.state, ref, id, err);

	if (r < 0)
		return r;
	spec.existing = id;
	if (attach)
		return start_attached(&spec);
	return nd_run_detached(&spec, id, err);
}

int nd_cmd_start(int argc, char **argv)
{
	static const char usage[] = "Usage: netd start [-a] ID|NAME...\n"
				    "  start stopped containers again (writable layer, mounts, network and name kept);\n"
				    "  -a: stay attached to its output, exit with its status\n";
	bool attach = argc > 1 && (!strcmp(argv[1], "-a") || !strcmp(argv[1], "--attach"));
	int i = attach ? 2 : 1, rc = ND_EXIT_OK;

	if (argc > 1 && (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help"))) {
		printf("%s", usage);
		return ND_EXIT_OK;
	}
	if (i >= argc || argv[i][0] == '-' || (attach && argc != 3))
		return nd_cli_usage_error(usage, "start: give a container (one with -a)");
	if (attach) {
		_cleanup_err_ struct nd_err *err = NULL;
		int r = start_one(argv[i], true, &err);

		return r < 0 ? fail("start", err) : r;
	}
	for (; i < argc; i++) {
		_cleanup_err_ struct nd_err *err = NULL;

		if (start_one(argv[i], false, &err) < 0)
			rc = fail("start", err);
		else
			printf("%s\n", argv[i]);
	}
	return rc;
}

int nd_cmd_restart(int argc, char **argv)
{
	static const char usage[] = "Usage: netd restart [-t SECONDS] ID|NAME...\n  stop (SIGTERM, SIGKILL after SECONDS), then start\n";
	int timeout = 10, i = 1, rc = ND_EXIT_OK;
	char *end;

	if (argc > 1 && (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help"))) {
		printf("%s", usage);
		return ND_EXIT_OK;
	}
	if (argc > 2 && (!strcmp(argv[1], "-t") || !strcmp(argv[1], "--time"))) {
		timeout = (int)strtol(argv[2], &end, 10);
		if (!argv[2][0] || *end || timeout < 0 || timeout > 3600)
			return nd_cli_usage_error(usage, "restart: -t takes seconds");
		i = 3;
	}
	if (i >= argc || argv[i][0] == '-')
		return nd_cli_usage_error(usage, "restart: give a container");
	for (; i < argc; i++) {
		_cleanup_err_ struct nd_err *err = NULL;

		if (nd_run_stop(nd_state_dir(), argv[i], timeout, &err) < 0 || start_one(argv[i], false, &err) < 0)
			rc = fail("restart", err);
		else
			printf("%s\n", argv[i]);
	}
	return rc;
}

int nd_cmd_attach(int argc, char **argv)
{
	static const char usage[] = "Usage: netd attach ID|NAME\n"
				    "  our terminal on a container run with -d -t (and -i); Ctrl-P Ctrl-Q detaches\n";
	const struct timespec nap = { 0, 50 * 1000 * 1000 };
	_cleanup_(nd_ctr_clear) struct nd_ctr c = { 0 };
	_cleanup_err_ struct nd_err *err = NULL;
	_cleanup_free_ char *dir = NULL;
	const char *state = nd_state_dir();
	bool detached = false;

	if (argc == 2 && (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help"))) {
		printf("%s", usage);
		return ND_EXIT_OK;
	}
	if (argc != 2 || argv[1][0] == '-')
		return nd_cli_usage_error(usage, "attach: give one container");
	if (nd_ctr_find(state, argv[1], &c, &err) < 0)
		return fail("attach", err);
	if (!nd_ctr_monitored(state, c.id))
		return nd_cli_failf("attach", ND_ERR_NOT_RUNNING, "container '%s' is not running", argv[1]);
	if (!(dir = nd_ctr_dir(state, c.id)))
		return fail("attach", NULL);
	if (nd_tty_attach(dir, &detached, &err) < 0)
		return fail("attach", err);
	if (detached)
		return ND_EXIT_OK;
	/* The container ended: its status is ours, once its monitor has recorded it. */
	for (int i = 0; i < 200 && nd_ctr_monitored(state, c.id); i++)
		nanosleep(&nap, NULL);
	nd_ctr_clear(&c);
	if (nd_ctr_find(state, argv[1], &c, NULL) < 0)
		return ND_EXIT_OK;
	return c.exit_code;
}

/*
 * netd inspect: the container commands of issue 13 (part 1) that are not run's own, in
 * their own file so that cmd_run.c stays run's. Each parses, calls lib/runtime, prints.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/cleanup.h"
#include "base/json.h"
#include "base/state.h"
#include "cli.h"
#include "runtime/caps.h"
#include "runtime/ctrstate.h"

/* The record, plus what only the moment knows (its state) and the profile as an object. */
static json_t *inspect_json(const char *state, const struct nd_ctr *c)
{
	json_t *j = nd_ctr_json(c), *prof = NULL;
	char buf[64];
	const char *st = nd_ctr_status(state, c, buf, sizeof(buf));
	bool ok = j != NULL;

	if (c->seccomp_profile)
		prof = json_loads(c->seccomp_profile, 0, NULL);
	nd_json_set(j, "seccompProfile", prof ? prof : json_null(), &ok);
	nd_json_set(j, "state", json_pack("{s:s, s:b}", "status", st, "running", !strcmp(st, "running")), &ok);
	nd_json_set(j, "capabilities", json_integer((json_int_t)nd_ctr_caps(c)), &ok);
	return nd_json_built(j, ok);
}

int nd_cmd_inspect(int argc, char **argv)
{
	_cleanup_json_ json_t *arr = json_array();
	const char *state = nd_state_dir();
	int rc = ND_EXIT_OK;

	if (argc == 2 && (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help"))) {
		printf("Usage: netd inspect ID|NAME...\n  each container's whole record as JSON (an array):\n"
		       "  config, state, limits, network, security (capabilities, seccomp profile)\n");
		return ND_EXIT_OK;
	}
	if (argc < 2 || argv[1][0] == '-')
		return nd_cli_usage_error("Usage: netd inspect ID|NAME...\n", "give at least one container");
	if (!arr)
		return nd_cli_fail("inspect", NULL);
	for (int i = 1; i < argc; i++) {
		_cleanup_(nd_ctr_clear) struct nd_ctr c = { 0 };
		_cleanup_err_ struct nd_err *err = NULL;
		json_t *j;

		if (nd_ctr_find(state, argv[i], &c, &err) < 0) {
			rc = nd_cli_fail("inspect", err);
			continue;
		}
		if (!(j = inspect_json(state, &c)) || json_array_append_new(arr, j) < 0)
			return nd_cli_fail("inspect", NULL);
	}
	/* Docker prints what it found, and fails for what it did not. */
	if (json_array_size(arr) || rc == ND_EXIT_OK) {
		char *text = json_dumps(arr, JSON_INDENT(2) | JSON_SORT_KEYS);

		if (text)
			printf("%s\n", text);
		free(text);
	}
	return rc;
}

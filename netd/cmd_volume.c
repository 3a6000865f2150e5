/*
 * netd volume create|ls|inspect|rm|prune: named volumes (lib/runtime/volume.h), as
 * `docker volume` shows them. Errors through the CLI's one printer (--json aware).
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "base/cleanup.h"
#include "base/json.h"
#include "base/state.h"
#include "base/strv.h"
#include "cli.h"
#include "runtime/volume.h"

#define VOLUME_USAGE                                                                                               \
	"Usage: netd volume COMMAND\n\n"                                                                           \
	"  create NAME          make a volume (an existing one is fine)\n"                                         \
	"  ls [-q]              list volumes (--json: an array)\n"                                                  \
	"  inspect NAME...      each volume as JSON (Name, Mountpoint, CreatedAt, UsedBy...)\n"                    \
	"  rm NAME...           remove volumes no container uses\n"                                               \
	"  prune [-f]           remove every volume no container uses\n"

static int fail(const char *what, const struct nd_err *e)
{
	(void)nd_cli_fail(what, e);
	return nd_code_info(e ? e->code : ND_ERR_INTERNAL)->exit;
}

static int vol_create(int argc, char **argv)
{
	_cleanup_err_ struct nd_err *err = NULL;

	if (argc != 2 || argv[1][0] == '-')
		return nd_cli_usage_error(VOLUME_USAGE, "volume create: give one name");
	if (nd_vol_create(nd_state_dir(), argv[1], NULL, &err) < 0)
		return fail("volume create", err);
	printf("%s\n", argv[1]);
	return ND_EXIT_OK;
}

static int vol_ls(int argc, char **argv)
{
	_cleanup_err_ struct nd_err *err = NULL;
	_cleanup_strv_ char **names = NULL;
	bool quiet = argc == 2 && !strcmp(argv[1], "-q");

	if (argc > 2 || (argc == 2 && !quiet))
		return nd_cli_usage_error(VOLUME_USAGE, "volume ls: unknown option");
	if (nd_vol_list(nd_state_dir(), &names, &err) < 0)
		return fail("volume ls", err);
	if (nd_cli.json) {
		_cleanup_json_ json_t *j = nd_json_from_strv(names ? names : (char *[]){ NULL });

		nd_cli_print_json(j);
		return ND_EXIT_OK;
	}
	if (!quiet)
		printf("%-8s  %s\n", "DRIVER", "VOLUME NAME");
	for (char **n = names; n && *n; n++)
		quiet ? printf("%s\n", *n) : printf("%-8s  %s\n", "local", *n);
	return ND_EXIT_OK;
}

static int vol_inspect(int argc, char **argv)
{
	_cleanup_json_ json_t *arr = json_array();
	int rc = ND_EXIT_OK;

	if (argc < 2)
		return nd_cli_usage_error(VOLUME_USAGE, "volume inspect: give a name");
	if (!arr)
		return fail("volume inspect", NULL);
	for (int i = 1; i < argc; i++) {
		_cleanup_err_ struct nd_err *err = NULL;
		json_t *j = NULL;

		if (nd_vol_inspect(nd_state_dir(), argv[i], &j, &err) < 0)
			rc = fail("volume inspect", err);
		else
			json_array_append_new(arr, j);
	}
	if (json_array_size(arr))
		nd_cli_print_json(arr);
	return rc;
}

static int vol_rm(int argc, char **argv)
{
	int rc = ND_EXIT_OK, i = 1;

	if (i < argc && (!strcmp(argv[i], "-f") || !strcmp(argv[i], "--force")))
		i++; /* accepted as Docker does; a volume in use is refused all the same */
	if (i >= argc)
		return nd_cli_usage_error(VOLUME_USAGE, "volume rm: give a name");
	for (; i < argc; i++) {
		_cleanup_err_ struct nd_err *err = NULL;

		if (nd_vol_remove(nd_state_dir(), argv[i], &err) < 0)
			rc = fail("volume rm", err);
		else
			printf("%s\n", argv[i]);
	}
	return rc;
}

static int vol_prune(int argc, char **argv)
{
	_cleanup_err_ struct nd_err *err = NULL;
	_cleanup_strv_ char **gone = NULL;

	for (int i = 1; i < argc; i++)
		if (strcmp(argv[i], "-f") && strcmp(argv[i], "--force") && strcmp(argv[i], "-a") && strcmp(argv[i], "--all"))
			return nd_cli_usage_error(VOLUME_USAGE, "volume prune: unknown option '%s'", argv[i]);
	if (nd_vol_prune(nd_state_dir(), &gone, &err) < 0)
		return fail("volume prune", err);
	if (nd_cli.json) {
		_cleanup_json_ json_t *j = nd_json_from_strv(gone);

		nd_cli_print_json(j);
		return ND_EXIT_OK;
	}
	printf("Deleted Volumes:\n");
	for (char **n = gone; *n; n++)
		printf("%s\n", *n);
	return ND_EXIT_OK;
}

int nd_cmd_volume(int argc, char **argv)
{
	static const struct {
		const char *name;
		int (*fn)(int argc, char **argv);
	} subs[] = { { "create", vol_create }, { "ls", vol_ls },	 { "list", vol_ls },
		     { "inspect", vol_inspect }, { "rm", vol_rm }, { "remove", vol_rm }, { "prune", vol_prune } };

	if (argc < 2 || !strcmp(argv[1], "-h") || !strcmp(argv[1], "--help")) {
		printf("%s", VOLUME_USAGE);
		return argc < 2 ? ND_EXIT_USAGE : ND_EXIT_OK;
	}
	for (size_t i = 0; i < ND_ARRAY_SIZE(subs); i++)
		if (!strcmp(argv[1], subs[i].name))
			return subs[i].fn(argc - 1, argv + 1);
	return nd_cli_usage_error(VOLUME_USAGE, "unknown volume command '%s'", argv[1]);
}

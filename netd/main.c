/*
 * The CLI entry of bin/netd and bin/netd-oci (netd_main.c, oci_main.c): global options,
 * then a table of subcommands.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/cleanup.h"
#include "cli.h"
#include "cmd_run.h"
#include "networks/apiclient.h"

static const struct cmd {
	const char *name;
	int (*fn)(int argc, char **argv);
	const char *help;
} cmds[] = {
	{ "daemon", nd_cmd_daemon, "run the daemon in the foreground" },
	{ "network", nd_cmd_network, "create|ls|inspect|rm networks" },
	{ "add", nd_cmd_add, "attach a netns to a network" },
	{ "del", nd_cmd_del, "detach a netns from a network" },
	{ "netns", nd_cmd_netns, "add|ls|del|exec named network namespaces" },
	{ "gc", nd_cmd_gc, "release attachments whose netns is gone, and leftovers" },
	{ "reload", nd_cmd_reload, "re-apply every bridge and rule from the state" },
	{ "status", nd_cmd_status, "the daemon's state: networks, attachments, pools" },
	{ "version", nd_cmd_version, "versions of the CLI and the daemon" },
	{ "run", nd_cmd_run, "run a container" },
	{ "ps", nd_cmd_ps, "list containers" },
	{ "stop", nd_cmd_stop, "stop a container" },
	{ "rm", nd_cmd_rm, "remove a container" },
	{ "logs", nd_cmd_logs, "a container's output" },
	{ "exec", nd_cmd_exec, "run a command in a container" },
	{ "commit", nd_cmd_commit, "save a container as an image" },
	{ "port", nd_cmd_port, "a container's published ports" },
	{ "dns", nd_cmd_dns, "dns query NAME: a container's addresses on the networks' DNS" },
	{ "pull", nd_cmd_image, "fetch an image from a registry into the image store" },
	{ "images", nd_cmd_image, "list the images of the store" },
	{ "rmi", nd_cmd_image, "remove images (their unused layers and blobs too)" },
	{ "tag", nd_cmd_image, "give an image another name" },
	{ "image", nd_cmd_image, "inspect an image" },
	{ "push", nd_cmd_image, "upload an image to a registry" },
	{ "login", nd_cmd_image, "store credentials for a registry" },
	{ "logout", nd_cmd_image, "remove a registry's credentials" },
	{ "save", nd_cmd_image, "write images to a tar (OCI layout + docker manifest.json)" },
	{ "load", nd_cmd_image, "read images from an OCI or docker archive" },
	{ "inspect", nd_cmd_inspect, "a container's whole record as JSON" },
	{ "rename", nd_cmd_rename, "rename a container" },
	{ "container", nd_cmd_container, "prune: remove every container that is not running" },
	{ "volume", nd_cmd_volume, "create|ls|inspect|rm|prune named volumes" },
	{ "kill", nd_cmd_kill, "send a signal to a container" },
	{ "pause", nd_cmd_pause, "freeze a container's processes" },
	{ "unpause", nd_cmd_unpause, "thaw a paused container" },
	{ "start", nd_cmd_start, "start a stopped container again" },
	{ "restart", nd_cmd_restart, "stop, then start a container" },
	{ "attach", nd_cmd_attach, "attach the terminal to a -d -t container" },
};

static void usage(FILE *f)
{
	fprintf(f, "Usage: netd [--socket PATH] [--state-dir DIR] [--json] COMMAND [ARGS...]\n\n"
		   "Container networking: networks, attachments, named netns, a daemon with a REST API.\n\n"
		   "Commands:\n");
	for (size_t i = 0; i < ND_ARRAY_SIZE(cmds); i++)
		fprintf(f, "  %-9s %s\n", cmds[i].name, cmds[i].help);
	fprintf(f, "\nGlobal options:\n"
		   "  --socket PATH      daemon socket (default " ND_API_SOCKET ", or $NETD_SOCKET)\n"
		   "  --state-dir DIR    state used when no daemon runs (default /var/lib/netd)\n"
		   "  --cni-conf-dir DIR conflists for daemon-less add/del (default /etc/cni/net.d)\n"
		   "  --json             machine-readable output\n"
		   "  -h, --help         this text; COMMAND --help for each command\n\n"
		   "Exit codes: 0 ok, 1 failed, 2 usage, 3 not found, 4 conflict, 5 no daemon, 6 exhausted.\n");
}

int nd_cli_main(int argc, char **argv)
{
	static const struct option lo[] = {
		{ "socket", required_argument, NULL, 's' }, { "state-dir", required_argument, NULL, 'd' },
		{ "cni-conf-dir", required_argument, NULL, 'C' }, { "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' }, { 0 },
	};
	int ch;

	/* "+": options after the command name are the command's own. */
	while ((ch = getopt_long(argc, argv, "+h", lo, NULL)) != -1) {
		switch (ch) {
		case 's': setenv("NETD_SOCKET", optarg, 1); break;
		case 'd': setenv("NETD_STATE_DIR", optarg, 1); break;
		case 'C': nd_cli.cni_conf_dir = optarg; break;
		case 'j': nd_cli.json = true; break;
		case 'h': usage(stdout); return ND_EXIT_OK;
		default: usage(stderr); return ND_EXIT_USAGE;
		}
	}
	if (optind >= argc) {
		usage(stderr);
		return ND_EXIT_USAGE;
	}
	nd_cli.socket = nd_api_socket();
	if (!nd_cli.cni_conf_dir)
		nd_cli.cni_conf_dir = getenv("NETD_CNI_CONF_DIR") ?: "/etc/cni/net.d";
	nd_cli.cni_cache_dir = getenv("NETD_CNI_CACHE_DIR") ?: "/var/lib/cni/results";
	nd_cli.cni_path = getenv("CNI_PATH") ?: "/opt/cni/bin";
	for (size_t i = 0; i < ND_ARRAY_SIZE(cmds); i++)
		if (!strcmp(argv[optind], cmds[i].name)) {
			char **sub = argv + optind;
			int subc = argc - optind;

			/* 0, not 1: glibc re-initialises getopt (ordering mode included) only then. */
			optind = 0;
			return cmds[i].fn(subc, sub);
		}
	return nd_cli_usage_error(NULL, "unknown command '%s' (netd --help lists them)", argv[optind]);
}

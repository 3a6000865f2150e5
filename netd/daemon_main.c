/* netd-daemon: what `netd daemon` runs (see nd_cmd_daemon in cmd_net.c). */
#include "daemon.h"

int main(int argc, char **argv)
{
	return nd_daemon_main(argc, argv);
}

/*
 * The /etc files every container gets, as Docker writes them: hostname, hosts (localhost
 * entries, --add-host lines, the container's own address and names) and resolv.conf (on
 * a network with DNS, its gateway, whose embedded server answers container names and
 * forwards the rest; on the default network, the host's servers minus loopback ones, or
 * --dns). They live in the container's state dir and are bind-mounted over the root's
 * /etc/{hostname,hosts,resolv.conf}, so an image's own files are never modified.
 */
#pragma once

#include "base/err.h"
#include "runtime/ctrstate.h"

#define ND_ETC_FILES { "hostname", "hosts", "resolv.conf" }

/* What a run asks of them (struct nd_run_spec's fields of the same names). */
struct nd_etc_opts {
	const char *hostname;
	char *const *dns, *const *dns_search, *const *dns_opt, *const *add_hosts, *const *aliases;
};

/* --dns, --dns-search, --dns-option, --add-host, --network-alias well-formed (code ND_ERR_BAD_SPEC). */
int nd_etc_check(const struct nd_etc_opts *s, struct nd_err **err);
/* The three files, empty, in dir: the mount sources, filled by nd_etc_write before the command runs. */
int nd_etc_create(const char *dir, struct nd_err **err);
/*
 * Their content, once the network is attached (c->ips known): written in place (the same
 * inodes stay bind-mounted). host_resolv: the host's resolv.conf path (NULL: /etc/resolv.conf).
 */
int nd_etc_write(const struct nd_etc_opts *s, const char *state, const struct nd_ctr *c, const char *dir,
		 const char *host_resolv, struct nd_err **err);

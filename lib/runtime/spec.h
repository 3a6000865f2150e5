/*
 * What `netd run` asks for: struct nd_run_spec, which the CLI fills from its arguments
 * (and a later API from a request), and how it becomes a container record: command,
 * environment, layers, limits. Nothing here touches the system but the layer store.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#include "base/err.h"
#include "runtime/ctrstate.h"
#include "runtime/etcfiles.h"
#include "runtime/image.h"

struct nd_run_spec {
	const char *state;         /* the state dir */
	const char *name;          /* NULL: none */
	const char *hostname;      /* NULL: the short ID */
	const char *net;           /* bridge (NULL), host, none, container:ID or a network name */
	const char *ip;            /* the address to ask the network for, or NULL */
	const char *rootfs;        /* exactly one of rootfs (a directory) and image ("DIR[:TAG]") */
	const char *image;
	char *const *layers;       /* layer tars stacked on top, bottom first; NULL-terminated, may be NULL */
	char *const *args;         /* the command; with an image, what replaces its Cmd */
	size_t n_args;
	char *const *env;          /* "K=V" over the image's and the defaults; NULL-terminated, may be NULL */
	const char *cwd, *user;    /* NULL: the image's, else "/" and root */
	const char *cgroup_parent; /* NULL: $NETD_CGROUP_PARENT, else "netd" */
	const char *memory, *cpus, *pids; /* limits as written ("64m", "0.5", "100"); NULL: none */
	bool seccomp_unconfined, userns, detach, rm;
	const struct nd_image_ops *images; /* NULL: no images or layer tars (bin/netd) */
	void (*phase)(const char *what);   /* told as each start-up step ends (NETD_RUN_TIMING); may be NULL */
	char *const *publish;      /* -p arguments (Docker's syntax, portmap/pmspec.h); NULL-terminated, may be NULL */
	bool publish_all;          /* -P: every port the image exposes, on free host ports */
	/* Docker's DNS options (lib/runtime/etcfiles.h); each NULL-terminated, may be NULL. */
	char *const *dns;        /* --dns IP */
	char *const *dns_search; /* --dns-search DOMAIN ("." : none) */
	char *const *dns_opt;    /* --dns-option OPT */
	char *const *add_hosts;  /* --add-host NAME:IP (IP may be host-gateway) */
	char *const *aliases;    /* --network-alias NAME */
	/* issue 13, run flags (part 1) */
	bool init, privileged;             /* --init, --privileged */
	char *const *cap_add, *const *cap_drop; /* NULL-terminated, may be NULL */
	const char *seccomp_profile;       /* a Docker JSON profile's text (seccomp=FILE), or NULL */
	char *const *labels;               /* -l K=V (or K, an empty value); NULL-terminated, may be NULL */
	const char *entrypoint;            /* --entrypoint: replaces the image's Entrypoint and Cmd */
	const char *stop_signal, *stop_timeout, *shm_size, *memory_swap; /* as written; NULL: none */
	char *const *ulimits, *const *sysctls, *const *group_add; /* NULL-terminated, may be NULL */
	char *const *devices;              /* --device HOST[:CTR[:PERMS]]; NULL-terminated, may be NULL */
	const char *cpu_shares;            /* --cpu-shares as written, or NULL */
	char *const *volumes;      /* -v SRC:DST[:ro] values; NULL-terminated, may be NULL (runtime/mounts.h) */
	char *const *mounts;       /* --mount values */
	char *const *tmpfs;        /* --tmpfs DST[:OPTS] values */
	bool read_only;            /* --read-only */
	char *const *log_opts;     /* --log-opt max-size=,max-file= values (runtime/ctrlog.h) */
	const char *existing;      /* netd start: the id of a stopped container to start again (its record is the spec) */
	const char *restart;       /* --restart no|on-failure[:N]|always|unless-stopped (kept by a -d monitor) */
	bool tty, interactive;     /* -t: a pty (the monitor relays it); -i: our stdin goes to it */
};

/* The spec's /etc file options (runtime/etcfiles.h). */
struct nd_etc_opts nd_spec_etc(const struct nd_run_spec *s);
/* Does the spec need nd_image_ops (an image, or layer tars)? */
bool nd_spec_needs_images(const struct nd_run_spec *s);
/* The combinations a spec must not have (code ND_ERR_BAD_SPEC); changes nothing. */
int nd_spec_check(const struct nd_run_spec *s, struct nd_err **err);
/*
 * Everything of the record but its network (c->id set by the caller): names, limits,
 * layers (top first, unpacked into <state>/layers when an image or a tar needs it),
 * command, environment (PATH, HOSTNAME and HOME get defaults), working directory, user.
 */
int nd_spec_to_ctr(const struct nd_run_spec *s, struct nd_ctr *c, struct nd_err **err);
/* --restart's value: *ret_max the N of on-failure:N (0: no limit); code ND_ERR_BAD_SPEC. */
int nd_spec_restart_policy(const char *v, int *ret_max, struct nd_err **err);

/*
 * Container records: <state>/containers/<id>/config.json (written whole: a temporary file
 * renamed into place), a lock file the container's monitor holds for the container's
 * whole life (so "running" needs no pid that could be reused), and <state>/names/<name>, a
 * symlink to the id, made with symlink(2) so that a name is taken atomically.
 */
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>
#include <jansson.h>

#include "base/err.h"
#include "runtime/cgroup.h"

#define ND_CTR_ID_LEN 64
#define ND_CTR_SHORT 12

struct nd_ctr {
	char id[ND_CTR_ID_LEN + 1];
	char *name;     /* NULL when none */
	char *hostname;
	char **argv;    /* NULL-terminated */
	char **env;     /* NULL-terminated */
	char *cwd;
	char *user;     /* NULL: root */
	char *net;      /* as asked: bridge, none, host, container:<id>, or a network name */
	char *network;  /* the attached network, NULL when none */
	char *netns;    /* the netns name this container owns under /var/run/netns, or NULL */
	char *ip;       /* the requested address, or NULL */
	char **ips;     /* attached addresses (CIDR), NULL-terminated, may be NULL */
	char *image;    /* --image reference, or NULL */
	char *rootfs;   /* --rootfs directory, or NULL */
	char **lower;   /* overlay lower directories, top first */
	char *cg_parent;
	char *seccomp;  /* the seccomp profile: "default" (NULL in older records) or "unconfined" */
	struct nd_cg_limits limits;
	bool userns;
	bool auto_rm;
	bool detach;
	pid_t pid;                  /* the container's init, in the host's PID namespace */
	unsigned long long pid_start; /* its start time (field 22 of /proc/pid/stat) */
	char *status;               /* created, running, exited */
	int exit_code;
	bool oom;
	long long created, finished; /* unix seconds */
	char **ports;               /* published ports, "[HOSTIP:]HOSTPORT:CTRPORT/PROTO" each (pmspec.h); may be NULL */
	char **aliases; /* --network-alias: more names for the network's DNS, may be NULL */
	char **dns;     /* --dns servers: the DNS server forwards this container's queries there */
	/* issue 13, run flags (part 1): optional in the JSON, so older records load. */
	bool init;              /* --init: the small init is PID 1, not the command */
	bool privileged;        /* --privileged */
	char **cap_add, **cap_drop; /* as given (NULL-terminated, may be NULL) */
	char *seccomp_profile;  /* seccomp "custom": the JSON profile's text (--security-opt seccomp=FILE) */
	char **labels;          /* -l K=V (NULL-terminated, may be NULL) */
	char *stop_signal;      /* --stop-signal as given; NULL: SIGTERM */
	int stop_timeout;       /* --stop-timeout seconds; -1: not given (stop's own, 10) */
	char **ulimits;         /* --ulimit NAME=SOFT[:HARD] */
	char **sysctls;         /* --sysctl KEY=VALUE (namespaced ones) */
	char **group_add;       /* --group-add GROUP (name or number) */
	unsigned long long shm_size; /* --shm-size bytes; 0: 64 MiB */
	char *entrypoint;       /* --entrypoint, or NULL */
	char **devices;         /* --device HOST[:CTR[:PERMS]] as given (limits.devices: their rules, at creation) */
	char **mounts;              /* -v, --mount, --tmpfs in --mount form (runtime/mounts.h); may be NULL */
	bool read_only;             /* --read-only: the root filesystem is mounted read-only */
	uint64_t log_max_size;      /* --log-opt max-size= (0: no limit) */
	unsigned log_max_file;      /* --log-opt max-file= (0: 1) */
	char *restart;              /* --restart: no (NULL), on-failure[:N], always, unless-stopped */
	int restart_count;          /* starts by the restart policy so far */
	bool tty;                   /* -t */
};

void nd_ctr_clear(struct nd_ctr *c);
/* c->status = status (created, running, exited, dead); -ENOMEM leaves it as it was. */
int nd_ctr_set_status(struct nd_ctr *c, const char *status, struct nd_err **err);

/* <state>/containers/<id> (malloc'd). */
char *nd_ctr_dir(const char *state, const char *id);
/* Does the container's directory exist (with or without a record)? */
bool nd_ctr_exists(const char *state, const char *id);
/* A new random id (64 hex digits). */
int nd_ctr_new_id(char ret[ND_CTR_ID_LEN + 1], struct nd_err **err);
/* Docker's name rule: ^[a-zA-Z0-9][a-zA-Z0-9_.-]*$, at most 64 bytes. */
bool nd_ctr_valid_name(const char *name);

int nd_ctr_save(const char *state, const struct nd_ctr *c, struct nd_err **err);
/* The record as saved (a new reference), or NULL when out of memory. */
json_t *nd_ctr_json(const struct nd_ctr *c);
/* -ENOENT with code ND_ERR_NO_CONTAINER when there is no such record. */
int nd_ctr_load(const char *state, const char *id, struct nd_ctr *ret, struct nd_err **err);

/* A name, a full id or an unambiguous id prefix -> the id. Code ND_ERR_NO_CONTAINER when unknown. */
int nd_ctr_resolve(const char *state, const char *ref, char ret[ND_CTR_ID_LEN + 1], struct nd_err **err);
/* nd_ctr_resolve, then nd_ctr_load: the record a user's reference names. */
int nd_ctr_find(const char *state, const char *ref, struct nd_ctr *ret, struct nd_err **err);
/* Take name for id; code ND_ERR_EXISTS (103) when another container has it. */
int nd_ctr_name_take(const char *state, const char *name, const char *id, struct nd_err **err);
/* Drop name if it still points at id. */
void nd_ctr_name_drop(const char *state, const char *name, const char *id);
/* Ids of every record, sorted by creation (oldest first); NULL-terminated. */
int nd_ctr_list(const char *state, char ***ret, struct nd_err **err);

/* The monitor's lock: exclusive, held for the container's life. wait: block for it. */
int nd_ctr_lock(const char *state, const char *id, bool wait, int *ret_fd, struct nd_err **err);
/* Does a monitor hold the container's lock? */
bool nd_ctr_monitored(const char *state, const char *id);
/*
 * A pidfd of the container's init when the container runs: a monitor holds it and the
 * recorded (pid, start time) is still that process (base/proc.h). Code ND_ERR_NOT_RUNNING otherwise.
 */
int nd_ctr_pidfd(const char *state, const struct nd_ctr *c, int *ret_fd, struct nd_err **err);
/*
 * What ps shows: "running" or "created" while a monitor holds the lock, "exited (N)" (and
 * " oom") after a normal end, else "dead" (its monitor was killed). Written into buf.
 */
const char *nd_ctr_status(const char *state, const struct nd_ctr *c, char *buf, size_t size);

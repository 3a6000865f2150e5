/*
 * A container's extra filesystems as Docker's flags give them: -v|--volume SRC:DST[:OPTS],
 * --mount type=bind|volume|tmpfs,..., --tmpfs DST[:OPTS]. Every form is normalised into
 * the --mount syntax (what the container record keeps, one string per mount), and parsed
 * from it into struct nd_mnt. Pure parsing: nothing here touches the system.
 */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include "base/err.h"

enum nd_mnt_type { ND_MNT_BIND = 1, ND_MNT_VOLUME, ND_MNT_TMPFS };

struct nd_mnt {
	enum nd_mnt_type type;
	char *src;       /* bind: an absolute host path; volume: the volume's name; tmpfs: NULL */
	char *dst;       /* absolute, inside the container, never "/" */
	bool ro;
	bool exec;       /* tmpfs: allow exec (--tmpfs defaults to noexec, as Docker) */
	bool nocopy;     /* volume: do not seed an empty volume from the image */
	uint64_t size;   /* tmpfs: bytes, 0 for the kernel's default */
	unsigned mode;   /* tmpfs: the root's mode, 0 for 1777 */
};

void nd_mnt_clear(struct nd_mnt *m);

/* One --mount value (also the record's form) into *ret; code ND_ERR_BAD_SPEC naming the fault. */
int nd_mnt_parse(const char *spec, struct nd_mnt *ret, struct nd_err **err);
/* -v SRC:DST[:ro|rw] into the --mount form (malloc'd). A SRC starting with '/' is a bind, else a volume name. */
int nd_mnt_from_volume_flag(const char *v, char **ret, struct nd_err **err);
/* --tmpfs DST[:OPTS] (OPTS: size=, mode=, ro, rw, exec, noexec, nosuid, nodev) into the --mount form. */
int nd_mnt_from_tmpfs_flag(const char *v, char **ret, struct nd_err **err);
/* m back into the --mount form (malloc'd); NULL when out of memory. */
char *nd_mnt_format(const struct nd_mnt *m);
/* Docker's volume name rule: ^[a-zA-Z0-9][a-zA-Z0-9_.-]+$, at most 64 bytes. */
bool nd_mnt_valid_volume_name(const char *name);

/*
 * Container logs in Docker's json-file format: <dir>/log holds one JSON object per line,
 * {"log":"<the line, with its \n>","stream":"stdout|stderr","time":"<RFC 3339, ns, UTC>"}.
 * The monitor writes it (every container, foreground ones too); with a size limit it
 * rotates: log -> log.1 -> ... -> log.<max_file-1> (max_file 1: the file starts over).
 * Readers (netd logs) read log.N ... log.1, log in that order, and can follow the file.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/err.h"

/* Docker's json-file cuts a line longer than this into several entries (the last ends in \n). */
#define ND_LOG_LINE_MAX 16384

struct nd_log {
	int fd;            /* the current file (O_APPEND), -1 when closed */
	char *path;        /* <dir>/log */
	uint64_t size;     /* bytes in the current file */
	uint64_t max_size; /* 0: no limit */
	unsigned max_file; /* files kept, counting the current one (>= 1) */
	struct {
		char buf[ND_LOG_LINE_MAX];
		size_t n;
	} part[2];         /* per stream (stdout, stderr): a line not ended yet */
};

/* Parse --log-opt values (max-size=10m, max-file=3) into *max_size, *max_file; code ND_ERR_BAD_SPEC. */
int nd_log_parse_opt(const char *opt, uint64_t *max_size, unsigned *max_file, struct nd_err **err);
/* Open (create, append) path for writing. */
int nd_log_open(const char *path, uint64_t max_size, unsigned max_file, struct nd_log *ret, struct nd_err **err);
/* Output of stream (1 stdout, 2 stderr): every complete line becomes an entry; a failed write is dropped. */
void nd_log_feed(struct nd_log *l, int stream, const char *data, size_t n);
/* Write what is left of unfinished lines, then close. */
void nd_log_close(struct nd_log *l);

struct nd_log_entry {
	int stream;       /* 1 stdout, 2 stderr */
	int64_t time_ns;  /* unix time in ns */
	char *msg;        /* malloc'd, msg_len bytes (may hold NULs) */
	size_t msg_len;
	char time[40];    /* the time as written */
};
/* One line of the file; -EBADMSG when it is not an entry. */
int nd_log_parse(const char *line, size_t len, struct nd_log_entry *ret);
/* "2026-01-02T03:04:05.123456789Z" (or without fraction, or with +hh:mm) into ns; -EINVAL. */
int nd_log_parse_time(const char *s, int64_t *ret_ns);

struct nd_log_read {
	const char *path;  /* <dir>/log */
	long tail;         /* < 0: all; else only the last tail entries */
	int64_t since_ns;  /* 0: all; else only entries at or after */
	bool follow;
	/* follow: is the writer still there? When not, the read ends at the end of the file. */
	bool (*alive)(void *alive_arg);
	void *alive_arg;
	/* Each entry, oldest first; a negative return stops the read (and is returned). */
	int (*emit)(const struct nd_log_entry *e, void *arg);
	void *arg;
};
int nd_log_read(const struct nd_log_read *o, struct nd_err **err);

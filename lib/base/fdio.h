/* Whole-buffer I/O on file descriptors: each loop across EINTR and short counts, once. */
#pragma once

#include <stddef.h>

/* write() until len bytes are out, across EINTR and short writes; 0 or -errno. */
int nd_write_all(int fd, const void *buf, size_t len);
/* The same over a socket with send(MSG_NOSIGNAL): a peer gone is -EPIPE, not SIGPIPE. */
int nd_send_all(int fd, const void *buf, size_t len);
/* read() until EOF or max bytes, across EINTR and short reads; the count or -errno. */
long nd_read_upto(int fd, void *buf, size_t max);
/*
 * read() until EOF into a buffer that grows as needed: *ret (malloc'd, NUL-terminated, of
 * *ret_len bytes; ret_len may be NULL) and 0, or -EFBIG when there is more than max,
 * -ENOMEM, -errno.
 */
int nd_read_all(int fd, size_t max, char **ret, size_t *ret_len);
/*
 * val into the existing file dir/file in a single write(2), as kernel interface files
 * (cgroup knobs, device rules) want: the kernel parses each write as one value. 0 or -errno.
 */
int nd_write_at(const char *dir, const char *file, const char *val);

/* Whole-buffer I/O on file descriptors and small files. */
#pragma once

#include <stddef.h>

/* write() until len bytes are out, across EINTR and short writes; 0 or -errno. */
int nd_write_all(int fd, const void *buf, size_t len);
/* read() until EOF or max bytes, across EINTR and short reads; the count or -errno. */
long nd_read_upto(int fd, void *buf, size_t max);
/*
 * The whole file at path into a malloc'd, NUL-terminated buffer: 0, -EFBIG when it holds
 * more than max bytes, -ENOMEM, or the -errno of open/read (-ENOENT when absent).
 */
int nd_read_file(const char *path, size_t max, char **ret, size_t *ret_len);
/*
 * val into the existing file dir/file in a single write(2), as kernel interface files
 * (cgroup knobs, device rules) want: the kernel parses each write as one value. 0 or -errno.
 */
int nd_write_at(const char *dir, const char *file, const char *val);

/* Whole-buffer I/O on file descriptors. */
#pragma once

#include <stddef.h>

/* write() until len bytes are out, across EINTR and short writes; 0 or -errno. */
int nd_write_all(int fd, const void *buf, size_t len);
/* read() until EOF or max bytes, across EINTR and short reads; the count or -errno. */
long nd_read_upto(int fd, void *buf, size_t max);

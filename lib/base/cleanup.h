/* Scope-bound cleanup helpers: the one cleanup convention of netd. */
#pragma once

#include <errno.h>
#include <stdlib.h>
#include <unistd.h>

#define _cleanup_(f) __attribute__((cleanup(f)))

static inline void nd_freep(void *p)
{
	free(*(void **)p);
}

static inline void nd_closep(int *fd)
{
	if (*fd >= 0) {
		int saved = errno;
		/* close() is never retried on Linux: the fd is gone either way. */
		(void)close(*fd);
		errno = saved;
	}
	*fd = -1;
}

#define _cleanup_free_ _cleanup_(nd_freep)
#define _cleanup_close_ _cleanup_(nd_closep)

/* DEFINE_CLEANUP(struct rtnl_link, rtnl_link_put) gives _cleanup_(rtnl_link_putp). */
#define DEFINE_CLEANUP(type, fn)                                                                   \
	static inline void fn##p(type **p)                                                         \
	{                                                                                          \
		if (*p)                                                                            \
			fn(*p);                                                                    \
		*p = NULL;                                                                         \
	}

#define TAKE_PTR(p)                                                                                \
	({                                                                                         \
		__typeof__(p) _tp = (p);                                                           \
		(p) = NULL;                                                                        \
		_tp;                                                                               \
	})

#define TAKE_FD(fd)                                                                                \
	({                                                                                         \
		int _tf = (fd);                                                                    \
		(fd) = -1;                                                                         \
		_tf;                                                                               \
	})

#define ND_ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

/*
 * Named fault points for the test suite (tests/integ). NETD_FAULT=<point>:fail makes the
 * step fail as if the kernel refused it; NETD_FAULT=<point>:kill SIGKILLs the process there.
 * NETD_FAULT=<point>@<n>:fail|kill acts at the n-th time the process reaches the point (the
 * first by default): some steps repeat per address or route.
 * NETD_FAULT_TRACE=<file> appends each point reached, so tests can list every step.
 *
 * Compiled into test builds only (-DND_TEST_HOOKS: make's build-test/ and the SAN build).
 * A release binary has no fault point, reads neither variable and holds neither name: an
 * environment variable must not be able to make a shipped plugin fail, kill itself, or
 * append to a file it names (tests/check_release.sh checks bin/).
 */
#pragma once

#include "base/err.h"

#ifdef ND_TEST_HOOKS
int nd_fault(const char *point, struct nd_err **err);
#else
static inline int nd_fault(const char *point, struct nd_err **err)
{
	(void)point;
	(void)err;
	return 0;
}
#endif

/*
 * Named fault points for the test suite (tests/integ). NETD_FAULT=<point>:fail makes the
 * step fail as if the kernel refused it; NETD_FAULT=<point>:kill SIGKILLs the process there.
 * NETD_FAULT=<point>@<n>:fail|kill acts at the n-th time the process reaches the point (the
 * first by default): some steps repeat per address or route.
 * NETD_FAULT_TRACE=<file> appends each point reached, so tests can list every step.
 * Unset in production: then a fault point costs one getenv.
 */
#pragma once

#include "base/err.h"

int nd_fault(const char *point, struct nd_err **err);

/* Kernel settings through /proc/sys, of the netns the caller is in (no sysctl exec). */
#pragma once

#include "base/err.h"

/* Write value to /proc/sys/<key> (dots or slashes) unless it already reads so. */
int nd_sysctl_ensure(const char *key, const char *value, struct nd_err **err);

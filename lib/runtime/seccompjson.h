/*
 * Docker's JSON seccomp profile (`docker run --security-opt seccomp=FILE`, the format of
 * moby's profiles/seccomp/default.json): defaultAction, defaultErrnoRet, architectures or
 * archMap, and syscalls: [{names|name, action, errnoRet, args: [{index, value, valueTwo,
 * op}], includes/excludes: {caps, arches}}]. Rules whose includes/excludes do not match
 * the container's capabilities or this machine's architecture are skipped, as Docker does.
 * Parsed with jansson, compiled with libseccomp.
 */
#pragma once

#include <stddef.h>

#include "base/err.h"
#include "runtime/secprofile.h"

/* Check text is a profile this parser takes (code ND_ERR_BAD_SPEC naming what is wrong). */
int nd_seccomp_json_check(const char *text, size_t len, struct nd_err **err);
/* Compile the profile text for a container whose capability set is caps. */
int nd_seccomp_json_build(const char *text, unsigned long long caps, struct nd_seccomp **ret, struct nd_err **err);

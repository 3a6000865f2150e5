/*
 * Capability names as `docker run --cap-add/--cap-drop` takes them ("NET_RAW",
 * "CAP_NET_RAW", any case, "ALL") and the set a container's command gets from them.
 */
#pragma once

#include <stdbool.h>

#include "base/err.h"

/* The capability numbered by name (with or without "CAP_", any case); -1 when unknown. */
int nd_cap_number(const char *name);
/* Every capability this kernel knows (0 .. /proc/sys/kernel/cap_last_cap). */
unsigned long long nd_caps_all(void);
/*
 * Docker's rule: privileged gets every capability; else the default set, or every one
 * when add holds ALL, or none when drop holds ALL; then drop's names go and add's come
 * (an add wins over a drop of the same name). An unknown name is code ND_ERR_BAD_SPEC.
 */
int nd_caps_resolve(char *const *add, char *const *drop, bool privileged, unsigned long long *ret,
		    struct nd_err **err);

struct nd_ctr;
/* The set a container's record asks for (checked when it was made; the default set if not). */
unsigned long long nd_ctr_caps(const struct nd_ctr *c);

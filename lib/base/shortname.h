/*
 * Names made of a string too long for where it goes (a file name, an nft comment): the
 * first max - 17 bytes, '~', then 16 hex digits of a 64-bit FNV-1a hash of the whole
 * string. '~' is outside the CNI name alphabet, so a shortened name never equals a real
 * name, and the prefix keeps it readable. The hash is not a defence against collisions
 * made on purpose: the strings come from the runtime, which is trusted like root.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#define ND_SHORT_MARK '~'
#define ND_SHORT_MIN 18 /* the smallest max: one byte of the string, the mark, the hash */

/* s itself when it has at most max bytes, else its shortened form; ret holds max + 1 bytes. */
void nd_short_name(const char *s, size_t max, char *ret);
/* Whether name is a shortened one (holds the mark). */
bool nd_short_is(const char *name);

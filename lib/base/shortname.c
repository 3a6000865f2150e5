#include "base/shortname.h"

#include <stdint.h>
#include <stdio.h>
#include <string.h>

void nd_short_name(const char *s, size_t max, char *ret)
{
	size_t n = strlen(s), keep;
	uint64_t h = 0xcbf29ce484222325ULL; /* FNV-1a 64, as for host veth names */

	if (n <= max) {
		memcpy(ret, s, n + 1);
		return;
	}
	for (const char *p = s; *p; p++)
		h = (h ^ (unsigned char)*p) * 0x100000001b3ULL;
	keep = max < ND_SHORT_MIN ? 1 : max - (ND_SHORT_MIN - 1);
	memcpy(ret, s, keep);
	snprintf(ret + keep, ND_SHORT_MIN, "%c%016llx", ND_SHORT_MARK, (unsigned long long)h);
}

bool nd_short_is(const char *name)
{
	return strchr(name, ND_SHORT_MARK) != NULL;
}

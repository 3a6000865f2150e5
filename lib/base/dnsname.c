#include "base/dnsname.h"

#include <string.h>

static bool label_char(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' || c == '_';
}

bool nd_dns_name_valid(const char *s)
{
	size_t len = s ? strlen(s) : 0, label = 0;

	if (!len || len > 253 || *s == '.' || *s == '-')
		return false;
	for (; *s; s++) {
		if (*s == '.') {
			if (!label || s[1] == '-')
				return false;
			label = 0;
		} else if (!label_char(*s) || ++label > 63) {
			return false;
		}
	}
	return true;
}

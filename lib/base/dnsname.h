/* Host names as DNS carries them (RFC 1123 labels, '_' tolerated as Docker does). Pure. */
#pragma once

#include <stdbool.h>

/* Dot-separated labels of 1-63 of [A-Za-z0-9_-], not starting with '-', 253 bytes at most. */
bool nd_dns_name_valid(const char *s);

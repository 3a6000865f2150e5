/*
 * Generated container names, as Docker gives unnamed containers: "adjective_surname"
 * (our own word lists: adjectives, and surnames of scientists and engineers).
 */
#pragma once

#include <stddef.h>

/* A random "adjective_surname" into buf (at most 64 bytes with its NUL). */
void nd_ctr_gen_name(char *buf, size_t size);

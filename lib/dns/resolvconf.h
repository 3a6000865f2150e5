/*
 * /etc/resolv.conf, both ways: the host's read (its nameservers are the embedded DNS
 * server's upstreams and, on the default network, the containers' own), and a
 * container's written (resolv.conf(5) syntax, Docker's content).
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#include "base/err.h"
#include "base/ip.h"

/* resolv.conf(5) reads at most 3 nameservers (MAXNS); so do we. */
#define ND_RESOLV_MAXNS 3
#define ND_RESOLV_MAXLIST 8
#define ND_RESOLV_ITEM 256

struct nd_resolv {
	struct nd_ip ns[ND_RESOLV_MAXNS];
	size_t n_ns;
	char search[ND_RESOLV_MAXLIST][ND_RESOLV_ITEM];
	size_t n_search;
	char options[ND_RESOLV_MAXLIST][ND_RESOLV_ITEM];
	size_t n_options;
};

/* Parse resolv.conf text: nameserver, search (domain too), options; unknown lines are skipped. */
void nd_resolv_parse(const char *text, struct nd_resolv *ret);
/* Read path (a missing file is an empty config, as libc treats it). */
int nd_resolv_read(const char *path, struct nd_resolv *ret, struct nd_err **err);
/* 127.0.0.0/8 and ::1: reachable from the host's netns only. */
bool nd_resolv_is_loopback(const struct nd_ip *ip);
/*
 * Drop loopback nameservers (a container cannot reach the host's 127.0.0.53); when none
 * is left, Docker's fallback: Google's public servers 8.8.8.8 and 8.8.4.4.
 */
void nd_resolv_for_container(struct nd_resolv *r);
/* The file's text (malloc'd), with a first comment line naming who wrote it. */
char *nd_resolv_format(const struct nd_resolv *r);
/* Add a nameserver (ignored beyond ND_RESOLV_MAXNS); code 7 when s is not an address. */
int nd_resolv_add_ns(struct nd_resolv *r, const char *s, struct nd_err **err);

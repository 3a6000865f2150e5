/* IP addresses and prefixes: parsing, formatting, arithmetic. Pure; no I/O. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/err.h"

/* Big-endian bytes; an IPv4 address uses a[0..3]. family is AF_INET or AF_INET6. */
struct nd_ip {
	int family;
	uint8_t a[16];
};

struct nd_cidr {
	struct nd_ip ip;
	unsigned int len;
};

#define ND_IP_STRLEN 46   /* INET6_ADDRSTRLEN */
#define ND_CIDR_STRLEN 50

size_t nd_ip_bytes(int family); /* 4 or 16 */
bool nd_ip_is_set(const struct nd_ip *ip);
bool nd_ip_equal(const struct nd_ip *x, const struct nd_ip *y);
int nd_ip_cmp(const struct nd_ip *x, const struct nd_ip *y); /* same family only */

/*
 * Parse a bare address ("10.0.0.1", "fd00::1"). Strict: no spaces, no trailing junk, no
 * leading zeros in IPv4 octets. A ':' makes it IPv6, so IPv4-mapped forms
 * ("::ffff:10.0.0.1") stay IPv6. Errors carry code 7 (ND_CNI_INVALID_CONFIG).
 */
int nd_ip_parse(const char *s, struct nd_ip *ret, struct nd_err **err);
/*
 * Parse "addr/len" (len decimal, no sign or leading zero, at most 32 or 128); host bits
 * are kept (use nd_cidr_network to clear them).
 */
int nd_cidr_parse(const char *s, struct nd_cidr *ret, struct nd_err **err);

/*
 * Formatters write into buf and return it; they cannot fail. IPv6 is RFC 5952 text, as
 * Go's net.IP prints it and so as host-local names lease files (glibc's inet_ntop differs
 * for ::a.b.c.d); IPv4-mapped keeps its dotted tail. Family 0 gives "".
 */
char *nd_ip_fmt(const struct nd_ip *ip, char buf[static ND_IP_STRLEN]);
char *nd_cidr_fmt(const struct nd_cidr *c, char buf[static ND_CIDR_STRLEN]);

void nd_cidr_network(const struct nd_cidr *c, struct nd_cidr *ret); /* host bits cleared */
bool nd_cidr_contains(const struct nd_cidr *c, const struct nd_ip *ip);
bool nd_cidr_overlap(const struct nd_cidr *x, const struct nd_cidr *y);
/* Last address of the prefix (the IPv4 broadcast address). */
void nd_cidr_last(const struct nd_cidr *c, struct nd_ip *ret);

/* ip += delta with carry; returns false (ip unchanged) on wrap past all-zeros/all-ones. */
bool nd_ip_add(struct nd_ip *ip, int64_t delta);

/*
 * Whether c may be a container network's subnet (the daemon's API and the netd-ipam and
 * netd-bridge plugins share this): not shorter than /ND_SUBNET4_MIN_LEN (IPv4) or
 * /ND_SUBNET6_MIN_LEN (IPv6), and overlapping no special-purpose class: 0.0.0.0/8,
 * loopback, link-local, multicast, 240.0.0.0/4 (with 255.255.255.255), ::, ::1,
 * IPv4-mapped. Code 7 with a message naming the class.
 */
#define ND_SUBNET4_MIN_LEN 8u
#define ND_SUBNET6_MIN_LEN 32u
int nd_subnet_check(const struct nd_cidr *c, struct nd_err **err);
/* gw lies inside subnet and is neither its network address nor its IPv4 broadcast. Code 7. */
int nd_gateway_check(const struct nd_cidr *subnet, const struct nd_ip *gw, struct nd_err **err);

#include "base/ip.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

size_t nd_ip_bytes(int family)
{
	switch (family) {
	case AF_INET:
		return 4;
	case AF_INET6:
		return 16;
	default:
		return 0;
	}
}

bool nd_ip_is_set(const struct nd_ip *ip)
{
	return nd_ip_bytes(ip->family) != 0;
}

bool nd_ip_equal(const struct nd_ip *x, const struct nd_ip *y)
{
	return x->family == y->family && !memcmp(x->a, y->a, nd_ip_bytes(x->family));
}

int nd_ip_cmp(const struct nd_ip *x, const struct nd_ip *y)
{
	int r;

	/* Mixed families are a caller bug; still give a total order (v4 before v6). */
	if (x->family != y->family)
		return x->family < y->family ? -1 : 1;
	r = memcmp(x->a, y->a, nd_ip_bytes(x->family));
	return (r > 0) - (r < 0);
}

/*
 * inet_pton is strict already (no spaces, no leading zeros in IPv4 octets, no trailing
 * junk); the family is chosen by the presence of ':' so that IPv4-mapped forms such as
 * "::ffff:10.0.0.1" stay IPv6 instead of being folded to IPv4 the way Go's net.IP does.
 */
static bool ip_from_str(const char *s, struct nd_ip *ret)
{
	struct nd_ip ip = { 0 };

	if (!s || !*s)
		return false;
	ip.family = strchr(s, ':') ? AF_INET6 : AF_INET;
	if (inet_pton(ip.family, s, ip.a) != 1)
		return false;
	*ret = ip;
	return true;
}

int nd_ip_parse(const char *s, struct nd_ip *ret, struct nd_err **err)
{
	if (!ip_from_str(s, ret))
		return nd_err_set(err, ND_CNI_INVALID_CONFIG, EINVAL, "invalid IP address '%s'", s ? s : "");
	return 0;
}

/* A prefix length: 1-3 decimal digits, no sign, no spaces, no leading zero. */
static bool prefix_len_from_str(const char *s, unsigned int max, unsigned int *ret)
{
	unsigned int v = 0;
	size_t n = strlen(s);

	if (n == 0 || n > 3 || (n > 1 && s[0] == '0'))
		return false;
	for (size_t i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return false;
		v = v * 10 + (unsigned int)(s[i] - '0');
	}
	if (v > max)
		return false;
	*ret = v;
	return true;
}

int nd_cidr_parse(const char *s, struct nd_cidr *ret, struct nd_err **err)
{
	char buf[ND_CIDR_STRLEN];
	struct nd_cidr c = { 0 };
	char *slash;

	if (!s || strlen(s) >= sizeof(buf))
		goto bad;
	strcpy(buf, s);
	slash = strchr(buf, '/');
	if (!slash)
		goto bad;
	*slash = '\0';
	if (!ip_from_str(buf, &c.ip))
		goto bad;
	if (!prefix_len_from_str(slash + 1, (unsigned int)nd_ip_bytes(c.ip.family) * 8, &c.len))
		goto bad;
	*ret = c;
	return 0;
bad:
	return nd_err_set(err, ND_CNI_INVALID_CONFIG, EINVAL, "invalid CIDR '%s'", s ? s : "");
}

/*
 * RFC 5952 by hand instead of inet_ntop for IPv6: glibc still prints the deprecated
 * IPv4-compatible form ("::1.2.3.4" for ::102:304), while Go's net.IP (host-local) prints
 * hex. The text is a lease file name shared with host-local, so it must match exactly.
 * IPv4-mapped addresses keep the dotted tail (RFC 5952 section 5), as inet_ntop does.
 */
static void ip6_fmt(const uint8_t a[16], char buf[static ND_IP_STRLEN])
{
	static const uint8_t mapped[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff };
	unsigned int w[8];
	int best = -1, best_len = 0;
	char *p = buf;

	if (!memcmp(a, mapped, sizeof(mapped))) {
		sprintf(buf, "::ffff:%u.%u.%u.%u", a[12], a[13], a[14], a[15]);
		return;
	}
	for (int i = 0; i < 8; i++)
		w[i] = (unsigned int)a[2 * i] << 8 | a[2 * i + 1];
	/* The longest run of two or more zero words is "::"; the first one wins a tie. */
	for (int i = 0; i < 8;) {
		int j = i;

		while (j < 8 && w[j] == 0)
			j++;
		if (j - i > best_len && j - i >= 2) {
			best = i;
			best_len = j - i;
		}
		i = j > i ? j : i + 1;
	}
	for (int i = 0; i < 8; i++) {
		if (i == best) {
			p += sprintf(p, "::");
			i += best_len - 1;
			continue;
		}
		p += sprintf(p, "%s%x", (i == 0 || i == best + best_len) ? "" : ":", w[i]);
	}
	*p = '\0';
}

char *nd_ip_fmt(const struct nd_ip *ip, char buf[static ND_IP_STRLEN])
{
	buf[0] = '\0';
	if (ip->family == AF_INET6)
		ip6_fmt(ip->a, buf);
	else if (ip->family == AF_INET)
		(void)inet_ntop(AF_INET, ip->a, buf, ND_IP_STRLEN);
	return buf;
}

char *nd_cidr_fmt(const struct nd_cidr *c, char buf[static ND_CIDR_STRLEN])
{
	char ip[ND_IP_STRLEN];

	snprintf(buf, ND_CIDR_STRLEN, "%s/%u", nd_ip_fmt(&c->ip, ip), c->len);
	return buf;
}

/* Byte i of a netmask of len bits. */
static uint8_t mask_byte(unsigned int len, size_t i)
{
	if (len >= (i + 1) * 8)
		return 0xff;
	if (len <= i * 8)
		return 0;
	return (uint8_t)(0xff00u >> (len - i * 8));
}

void nd_cidr_network(const struct nd_cidr *c, struct nd_cidr *ret)
{
	struct nd_cidr n = *c;

	for (size_t i = 0; i < sizeof(n.ip.a); i++)
		n.ip.a[i] &= mask_byte(c->len, i);
	*ret = n;
}

bool nd_cidr_contains(const struct nd_cidr *c, const struct nd_ip *ip)
{
	if (c->ip.family != ip->family || !nd_ip_is_set(ip))
		return false;
	for (size_t i = 0; i < nd_ip_bytes(ip->family); i++) {
		uint8_t m = mask_byte(c->len, i);

		if ((c->ip.a[i] & m) != (ip->a[i] & m))
			return false;
	}
	return true;
}

/* Two prefixes overlap exactly when the shorter one contains the other's network. */
bool nd_cidr_overlap(const struct nd_cidr *x, const struct nd_cidr *y)
{
	if (x->ip.family != y->ip.family)
		return false;
	return x->len <= y->len ? nd_cidr_contains(x, &y->ip) : nd_cidr_contains(y, &x->ip);
}

void nd_cidr_last(const struct nd_cidr *c, struct nd_ip *ret)
{
	struct nd_ip ip = c->ip;

	for (size_t i = 0; i < nd_ip_bytes(ip.family); i++)
		ip.a[i] |= (uint8_t)~mask_byte(c->len, i);
	*ret = ip;
}

/* Big-endian add (or subtract) of a 64-bit magnitude; false when it carries out. */
bool nd_ip_add(struct nd_ip *ip, int64_t delta)
{
	/* Negating in unsigned arithmetic keeps INT64_MIN defined. */
	uint64_t mag = delta < 0 ? 0 - (uint64_t)delta : (uint64_t)delta;
	size_t n = nd_ip_bytes(ip->family);
	uint8_t a[16];
	unsigned int carry = 0;

	if (n == 0)
		return false;
	memcpy(a, ip->a, n);
	for (size_t i = n; i-- > 0;) {
		unsigned int d = (unsigned int)(mag & 0xff);

		mag >>= 8;
		if (delta >= 0) {
			unsigned int v = a[i] + d + carry;

			a[i] = (uint8_t)v;
			carry = v >> 8;
		} else {
			int v = (int)a[i] - (int)d - (int)carry;

			carry = v < 0;
			a[i] = (uint8_t)(v + (v < 0 ? 256 : 0));
		}
	}
	/* Left-over magnitude (delta wider than an IPv4 address) is a wrap too. */
	if (carry || mag)
		return false;
	memcpy(ip->a, a, n);
	return true;
}

/* Address classes no container network may overlap (RFC 6890 special-purpose ranges). */
static const struct {
	const char *cidr;
	const char *what;
} special[] = {
	{ "0.0.0.0/8", "'this network' (0.0.0.0/8)" },
	{ "127.0.0.0/8", "loopback (127.0.0.0/8)" },
	{ "169.254.0.0/16", "link-local (169.254.0.0/16)" },
	{ "224.0.0.0/4", "multicast (224.0.0.0/4)" },
	{ "240.0.0.0/4", "reserved (240.0.0.0/4, with the broadcast address 255.255.255.255)" },
	{ "::/128", "the unspecified address (::)" },
	{ "::1/128", "loopback (::1)" },
	{ "::ffff:0:0/96", "IPv4-mapped (::ffff:0:0/96)" },
	{ "fe80::/10", "link-local (fe80::/10)" },
	{ "ff00::/8", "multicast (ff00::/8)" },
};

int nd_subnet_check(const struct nd_cidr *c, struct nd_err **err)
{
	unsigned int min = c->ip.family == AF_INET ? ND_SUBNET4_MIN_LEN : ND_SUBNET6_MIN_LEN;
	char buf[ND_CIDR_STRLEN];

	if (!nd_ip_bytes(c->ip.family))
		return nd_err_set(err, ND_CNI_INVALID_CONFIG, EINVAL, "subnet has no address family");
	nd_cidr_fmt(c, buf);
	/* A prefix this short would swallow routes the host needs (0.0.0.0/0: all of them). */
	if (c->len < min)
		return nd_err_set(err, ND_CNI_INVALID_CONFIG, EINVAL,
				  "subnet %s is too large: the prefix must be /%u or longer", buf, min);
	for (size_t i = 0; i < sizeof(special) / sizeof(special[0]); i++) {
		struct nd_cidr s;

		if (nd_cidr_parse(special[i].cidr, &s, NULL) < 0 || s.ip.family != c->ip.family)
			continue;
		if (nd_cidr_overlap(&s, c))
			return nd_err_set(err, ND_CNI_INVALID_CONFIG, EINVAL, "subnet %s overlaps %s addresses", buf,
					  special[i].what);
	}
	return 0;
}

int nd_gateway_check(const struct nd_cidr *subnet, const struct nd_ip *gw, struct nd_err **err)
{
	char a[ND_IP_STRLEN], buf[ND_CIDR_STRLEN];
	struct nd_cidr net;
	struct nd_ip last;

	nd_cidr_network(subnet, &net);
	nd_cidr_last(&net, &last);
	nd_ip_fmt(gw, a);
	nd_cidr_fmt(&net, buf);
	if (gw->family != net.ip.family || !nd_cidr_contains(&net, gw))
		return nd_err_set(err, ND_CNI_INVALID_CONFIG, EINVAL, "gateway %s is outside subnet %s", a, buf);
	/* IPv6 has no broadcast, but its network address is the subnet-router anycast address. */
	if (nd_ip_equal(gw, &net.ip))
		return nd_err_set(err, ND_CNI_INVALID_CONFIG, EINVAL, "gateway %s is the network address of %s", a, buf);
	if (net.ip.family == AF_INET && nd_ip_equal(gw, &last))
		return nd_err_set(err, ND_CNI_INVALID_CONFIG, EINVAL, "gateway %s is the broadcast address of %s", a,
				  buf);
	return 0;
}

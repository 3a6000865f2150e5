/* libFuzzer target: address and prefix parsing, formatting round-trip, arithmetic. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "base/ip.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s = strndup((const char *)data, size), buf[ND_CIDR_STRLEN], buf2[ND_CIDR_STRLEN];
	struct nd_cidr c, c2, net;
	struct nd_ip ip, last;

	if (!s)
		return 0;
	if (nd_cidr_parse(s, &c, NULL) >= 0) {
		/* What we print must parse back to the same prefix. */
		nd_cidr_fmt(&c, buf);
		if (nd_cidr_parse(buf, &c2, NULL) < 0 || !nd_ip_equal(&c.ip, &c2.ip) || c.len != c2.len)
			abort();
		nd_cidr_network(&c, &net);
		nd_cidr_last(&c, &last);
		if (!nd_cidr_contains(&net, &c.ip) || !nd_cidr_contains(&net, &last) || !nd_cidr_overlap(&c, &net))
			abort();
		ip = c.ip;
		nd_ip_add(&ip, (int64_t)size - 64);
		nd_cidr_fmt(&net, buf2);
	}
	if (nd_ip_parse(s, &ip, NULL) >= 0)
		nd_ip_fmt(&ip, buf);
	free(s);
	return 0;
}

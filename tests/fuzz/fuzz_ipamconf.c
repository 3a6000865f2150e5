/*
 * libFuzzer target: the IPAM config (ranges, range sets, gateways, routes, requested
 * addresses from CNI_ARGS, args.cni.ips and runtimeConfig.ips/ipRanges) and GC's
 * cni.dev/valid-attachments. The input is CNI_ARGS, a NUL byte, then the network config.
 * Beyond memory safety it asserts what nd_ipam_conf_parse promises (ipam.h): every range
 * inside its subnet with start <= end, the gateway inside the subnet, one family per set,
 * each requested address inside a set.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "cni/cni.h"
#include "ipam/ipam.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check(const struct nd_ipam_conf *c)
{
	for (size_t s = 0; s < c->n_sets; s++) {
		const struct nd_rangeset *set = &c->sets[s];

		if (set->n == 0 || set->n > ND_MAX_RANGES)
			abort();
		for (size_t i = 0; i < set->n; i++) {
			const struct nd_range *r = &set->r[i];

			if (r->subnet.ip.family != set->r[0].subnet.ip.family ||
			    !nd_cidr_contains(&r->subnet, &r->start) || !nd_cidr_contains(&r->subnet, &r->end) ||
			    nd_ip_cmp(&r->start, &r->end) > 0 ||
			    (nd_ip_is_set(&r->gw) && !nd_cidr_contains(&r->subnet, &r->gw)))
				abort();
		}
	}
	for (size_t i = 0; i < c->n_requested; i++) {
		bool in = false;

		for (size_t s = 0; s < c->n_sets; s++)
			for (size_t j = 0; j < c->sets[s].n; j++)
				in |= nd_cidr_contains(&c->sets[s].r[j].subnet, &c->requested[i]);
		if (!in)
			abort();
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const uint8_t *z = memchr(data, 0, size);
	char *args = z ? strndup((const char *)data, (size_t)(z - data)) : NULL;
	size_t off = z ? (size_t)(z - data) + 1 : 0;
	json_t *conf = json_loadb((const char *)data + off, size - off, 0, NULL);
	struct nd_attachment *valid = NULL;
	struct nd_ipam_conf c;
	struct nd_err *err = NULL;
	size_t n = 0;

	if (conf) {
		if (nd_ipam_conf_parse(conf, args, &c, &err) >= 0) {
			check(&c);
			nd_ipam_conf_clear(&c);
		}
		nd_err_freep(&err);
		if (nd_cni_valid_attachments(conf, &valid, &n, &err) >= 0) {
			for (size_t i = 0; i < n; i++)
				if (!valid[i].id || !valid[i].ifname)
					abort();
			free(valid);
		}
		nd_err_freep(&err);
		json_decref(conf);
	}
	free(args);
	return 0;
}

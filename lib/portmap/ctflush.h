/*
 * Forget conntrack entries of a published port, so that the next packet meets the current
 * mapping: a UDP flow keeps its entry (and its DNAT to a dead container) as long as packets
 * keep coming, and the reference plugin never flushes on DEL (plugins#1190). Through
 * ctnetlink on our own libmnl socket (close-on-exec), with libnetfilter_conntrack's parser.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/err.h"
#include "base/ip.h"

struct nd_ct_match {
	uint8_t proto;
	uint16_t port;          /* the original direction's destination port (the host port) */
	struct nd_ip dst;       /* original destination; family 0: any */
	struct nd_ip reply_src; /* reply source (the container after DNAT); family 0: any */
};

/* Delete every entry matching one of m[0..n) (one dump of the table); absent entries are fine. */
int nd_ct_flush(const struct nd_ct_match *m, size_t n, struct nd_err **err);

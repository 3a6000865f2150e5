/* The daemon's DNS server, started after start-up repair and fed by the API's changes. */
#pragma once

#include "daemon.h"

/* Start the server, load every network with DNS and its attachments, hook d->on_change. */
int nd_dnsglue_start(struct nd_daemon *d, struct nd_err **err);
void nd_dnsglue_stop(struct nd_daemon *d);

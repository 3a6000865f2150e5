/* Logging to stderr only: stdout belongs to the CNI result. */
#pragma once

enum nd_log_level { ND_LOG_ERR = 0, ND_LOG_WARN, ND_LOG_INFO, ND_LOG_DEBUG };

/* Level comes from NETD_LOG (err|warn|info|debug), default warn. */
void nd_log(enum nd_log_level lvl, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

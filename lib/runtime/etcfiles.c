#include "runtime/etcfiles.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/cleanup.h"
#include "base/dnsname.h"
#include "base/fdio.h"
#include "base/ip.h"
#include "dns/resolvconf.h"
#include "networks/network.h"

static bool valid_dns_name(const char *s)
{
	return nd_dns_name_valid(s);
}

/* NAME:IP (Docker's split: at the first colon, so IPv6 addresses keep theirs). */
static int check_add_host(const char *v, struct nd_err **err)
{
	const char *colon = strchr(v, ':');
	_cleanup_free_ char *name = colon ? strndup(v, (size_t)(colon - v)) : NULL;
	struct nd_ip ip;

	if (!colon || !name || !valid_dns_name(name) ||
	    (strcmp(colon + 1, "host-gateway") && nd_ip_parse(colon + 1, &ip, NULL) < 0))
		return nd_err_set(err, ND_ERR_BAD_SPEC, EINVAL, "--add-host '%s': want NAME:IP or NAME:host-gateway", v);
	return 0;
}

static int check_list(char *const *v, const char *opt, bool (*ok)(const char *), struct nd_err **err)
{
	for (; v && *v; v++)
		if (!ok(*v))
			return nd_err_set(err, ND_ERR_BAD_SPEC, EINVAL, "%s '%s' is invalid", opt, *v);
	return 0;
}

static bool is_ip(const char *s)
{
	struct nd_ip ip;

	return nd_ip_parse(s, &ip, NULL) >= 0;
}

static bool is_search(const char *s)
{
	return !strcmp(s, ".") || valid_dns_name(s);
}

static bool is_option(const char *s)
{
	return *s && strlen(s) < ND_RESOLV_ITEM && !strpbrk(s, " \t\r\n");
}

int nd_etc_check(const struct nd_etc_opts *s, struct nd_err **err)
{
	int r;

	if ((r = check_list(s->dns, "--dns", is_ip, err)) < 0 || (r = check_list(s->dns_search, "--dns-search", is_search, err)) < 0 ||
	    (r = check_list(s->dns_opt, "--dns-option", is_option, err)) < 0 ||
	    (r = check_list(s->aliases, "--network-alias", valid_dns_name, err)) < 0 ||
	    (s->hostname && (r = check_list((char *const[]){ (char *)s->hostname, NULL }, "--hostname", valid_dns_name, err)) < 0))
		return r;
	for (char *const *v = s->add_hosts; v && *v; v++)
		if ((r = check_add_host(*v, err)) < 0)
			return r;
	return 0;
}

int nd_etc_create(const char *dir, struct nd_err **err)
{
	static const char *const files[] = ND_ETC_FILES;

	for (size_t i = 0; i < 3; i++) {
		char path[4096];
		int fd;

		snprintf(path, sizeof(path), "%s/%s", dir, files[i]);
		if ((fd = open(path, O_WRONLY | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0644)) < 0)
			return nd_err_set(err, ND_ERR_SETUP, errno, "'%s': %s", path, strerror(errno));
		close(fd);
	}
	return 0;
}

/* In place: the bind mount holds the inode, so no rename. */
static int put(const char *dir, const char *file, const char *text, struct nd_err **err)
{
	char path[4096];
	_cleanup_close_ int fd = -1;

	snprintf(path, sizeof(path), "%s/%s", dir, file);
	if (!text)
		return nd_oom(err);
	if ((fd = open(path, O_WRONLY | O_TRUNC | O_NOFOLLOW | O_CLOEXEC)) < 0 || nd_write_all(fd, text, strlen(text)) < 0)
		return nd_err_set(err, ND_ERR_SETUP, errno, "'%s': %s", path, strerror(errno));
	return 0;
}

/* The container's network definition, when it has one that exists (NULL otherwise). */
static bool load_network(const char *state, const struct nd_ctr *c, struct nd_network *ret)
{
	return c->network && nd_network_load(state, c->network, ret, NULL) >= 0;
}

/* The gateway host-gateway means: the container's network's (Docker's default bridge gateway). */
static const struct nd_ip *host_gateway(const struct nd_network *n, bool have, bool v6)
{
	if (!have)
		return NULL;
	if (v6 ? n->gateway6.family : n->gateway.family)
		return v6 ? &n->gateway6 : &n->gateway;
	return n->gateway.family ? &n->gateway : n->gateway6.family ? &n->gateway6 : NULL;
}

static void add_hosts(FILE *f, const struct nd_etc_opts *s, const struct nd_network *n, bool have)
{
	char buf[ND_IP_STRLEN];

	for (char *const *v = s->add_hosts; v && *v; v++) {
		const char *colon = strchr(*v, ':');
		const struct nd_ip *gw = host_gateway(n, have, false);

		if (strcmp(colon + 1, "host-gateway"))
			fprintf(f, "%s\t%.*s\n", colon + 1, (int)(colon - *v), *v);
		else if (gw)
			fprintf(f, "%s\t%.*s\n", nd_ip_fmt(gw, buf), (int)(colon - *v), *v);
	}
}

static char *hosts_text(const struct nd_etc_opts *s, const struct nd_ctr *c, const struct nd_network *n, bool have)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	if (!f)
		return NULL;
	/* Docker's lines, in its order. */
	fputs("127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\nfe00::0\tip6-localnet\n"
	      "ff00::0\tip6-mcastprefix\nff02::1\tip6-allnodes\nff02::2\tip6-allrouters\n", f);
	add_hosts(f, s, n, have);
	for (char **ip = c->ips; ip && *ip; ip++) {
		int addr_len = (int)strcspn(*ip, "/");

		fprintf(f, "%.*s\t%s", addr_len, *ip, c->hostname);
		if (c->name && strcmp(c->name, c->hostname))
			fprintf(f, " %s", c->name);
		fputc('\n', f);
	}
	if (fclose(f) != 0) {
		free(buf);
		return NULL;
	}
	return buf;
}

/* --dns-search and --dns-option replace the host's (Docker); "." means no search list. */
static void resolv_overrides(const struct nd_etc_opts *s, struct nd_resolv *r)
{
	if (s->dns_search && s->dns_search[0]) {
		r->n_search = 0;
		for (char *const *v = s->dns_search; *v && r->n_search < ND_RESOLV_MAXLIST; v++)
			if (strcmp(*v, "."))
				snprintf(r->search[r->n_search++], ND_RESOLV_ITEM, "%s", *v);
	}
	if (s->dns_opt && s->dns_opt[0]) {
		r->n_options = 0;
		for (char *const *v = s->dns_opt; *v && r->n_options < ND_RESOLV_MAXLIST; v++)
			snprintf(r->options[r->n_options++], ND_RESOLV_ITEM, "%s", *v);
	}
}

/*
 * Docker's rule: with a network's own DNS the only nameserver is the network's resolver
 * (its --dns servers become that resolver's upstreams for this container) and ndots:0;
 * without, --dns or the host's servers, loopback ones left out (unreachable from here).
 * --net=host keeps the host's file as it is: the same netns reaches the same servers.
 */
static int resolv_text(const struct nd_etc_opts *s, const struct nd_ctr *c, const struct nd_network *n, bool have,
		       const char *host_resolv, char **ret, struct nd_err **err)
{
	struct nd_resolv r;
	int rc = nd_resolv_read(host_resolv ? host_resolv : "/etc/resolv.conf", &r, err);
	bool own_dns = have && n->dns && n->gateway.family;

	if (rc < 0)
		return rc;
	if (own_dns || (s->dns && s->dns[0]))
		r.n_ns = 0;
	if (own_dns) {
		r.ns[r.n_ns++] = n->gateway;
		r.n_options = 0;
		snprintf(r.options[r.n_options++], ND_RESOLV_ITEM, "ndots:0");
	} else {
		for (char *const *v = s->dns; v && *v; v++)
			(void)nd_resolv_add_ns(&r, *v, NULL);
		if (strcmp(c->net ? c->net : "", "host"))
			nd_resolv_for_container(&r);
	}
	resolv_overrides(s, &r);
	if (!(*ret = nd_resolv_format(&r)))
		return nd_oom(err);
	return 0;
}

int nd_etc_write(const struct nd_etc_opts *s, const char *state, const struct nd_ctr *c, const char *dir,
		 const char *host_resolv, struct nd_err **err)
{
	_cleanup_free_ char *hostname = NULL, *hosts = NULL, *resolv = NULL;
	struct nd_network n = { 0 };
	bool have = load_network(state, c, &n);
	int r;

	if (asprintf(&hostname, "%s\n", c->hostname) < 0)
		hostname = NULL;
	hosts = hosts_text(s, c, &n, have);
	r = resolv_text(s, c, &n, have, host_resolv, &resolv, err);
	if (have)
		nd_network_clear(&n);
	if (r < 0 || (r = put(dir, "hostname", hostname, err)) < 0 || (r = put(dir, "hosts", hosts, err)) < 0)
		return r;
	return put(dir, "resolv.conf", resolv, err);
}

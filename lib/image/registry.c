#include "image/registry.h"

#include <curl/curl.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "base/cleanup.h"
#include "base/fdio.h"
#include "base/json.h"
#include "runtime/digest.h"

#define MAX_MANIFEST (4 << 20)
#define ATTEMPTS 5
#define SYSTEM_CAS "/etc/ssl/certs/ca-certificates.crt"

static const char accept_hdr[] =
	"Accept: application/vnd.oci.image.index.v1+json, application/vnd.oci.image.manifest.v1+json, "
	"application/vnd.docker.distribution.manifest.list.v2+json, "
	"application/vnd.docker.distribution.manifest.v2+json";

struct nd_registry {
	CURL *c;
	char *host, *base, *repo, *actions;
	char *authz; /* "Authorization: ..." or NULL */
	char *creds; /* "user:password" or NULL */
	char *cas;   /* the system CAs and certs.d's, when certs.d has any */
	size_t cas_len;
	char *cert, *key;
	bool may_http;
	long stall;
};

/* What one request brought back; the body goes to memory (buf, up to max) or to fd. */
struct resp {
	long status;
	char *www_auth, *dcd, *ctype, *location;
	char *buf;
	size_t len, max;
	int fd;
	int tee;  /* where the blob's bytes are copied as they come (an unpacker's pipe), or -1 */
	struct nd_sha256 *h;
	int64_t got, offset; /* bytes this request wrote; bytes already in fd before it */
	CURL *c;
	bool restart_done, io_failed;
	/* What an upload sends: a file (PUT of a blob) or bytes (PUT of a manifest), or nothing. */
	FILE *up_file;
	const char *up_data, *up_type;
	size_t up_len;
};

static void resp_reset(struct resp *p)
{
	free(p->www_auth);
	free(p->dcd);
	free(p->ctype);
	free(p->location);
	free(p->buf);
	p->www_auth = p->dcd = p->ctype = p->location = p->buf = NULL;
	p->len = 0;
	p->status = 0;
	p->got = 0;
	p->io_failed = false;
}

DEFINE_CLEANUP(CURL, curl_easy_cleanup)
DEFINE_CLEANUP(struct curl_slist, curl_slist_free_all)

/* ---- callbacks ---- */

static char *header_value(const char *line, size_t n, const char *name)
{
	size_t k = strlen(name);

	if (n <= k + 1 || strncasecmp(line, name, k) || line[k] != ':')
		return NULL;
	line += k + 1, n -= k + 1;
	while (n && (*line == ' ' || *line == '\t'))
		line++, n--;
	while (n && (line[n - 1] == '\r' || line[n - 1] == '\n' || line[n - 1] == ' '))
		n--;
	return strndup(line, n);
}

static void keep(char **slot, char *v)
{
	if (v) {
		free(*slot);
		*slot = v;
	}
}

static size_t on_header(char *b, size_t size, size_t n, void *ud)
{
	struct resp *p = ud;

	(void)size;
	/* Each response of a redirect chain starts with its status line: only the last counts. */
	if (n > 5 && !strncmp(b, "HTTP/", 5)) {
		free(p->www_auth), free(p->dcd), free(p->ctype), free(p->location);
		p->www_auth = p->dcd = p->ctype = p->location = NULL;
		return n;
	}
	keep(&p->location, header_value(b, n, "Location"));
	keep(&p->www_auth, header_value(b, n, "WWW-Authenticate"));
	keep(&p->dcd, header_value(b, n, "Docker-Content-Digest"));
	keep(&p->ctype, header_value(b, n, "Content-Type"));
	return n;
}

/* A 200 to a Range request is the whole blob again: start the partial file over. */
static int restart_if_whole(struct resp *p, long status)
{
	if (p->offset == 0 || p->restart_done)
		return 0;
	p->restart_done = true;
	if (status != 200)
		return 0;
	nd_sha256_free(p->h);
	p->h = NULL;
	/* The copy already sent cannot be taken back: end it; its reader fails and reads the file. */
	if (p->tee >= 0)
		close(p->tee);
	p->tee = -1;
	if (ftruncate(p->fd, 0) < 0 || lseek(p->fd, 0, SEEK_SET) < 0 || nd_sha256_new(&p->h, NULL) < 0)
		return -1;
	p->offset = 0;
	return 0;
}

static size_t to_memory(struct resp *p, const char *b, size_t n)
{
	char *nb;

	if (p->len + n > p->max)
		return 0; /* an error answer or a manifest larger than we take */
	if (!(nb = realloc(p->buf, p->len + n + 1)))
		return 0;
	memcpy(nb + p->len, b, n);
	p->buf = nb;
	p->len += n;
	p->buf[p->len] = 0;
	return n;
}

static size_t on_body(char *b, size_t size, size_t n, void *ud)
{
	struct resp *p = ud;
	long st = 0;

	(void)size;
	curl_easy_getinfo(p->c, CURLINFO_RESPONSE_CODE, &st);
	if (p->fd < 0 || (st != 200 && st != 206))
		return to_memory(p, b, n);
	if (restart_if_whole(p, st) < 0 || nd_write_all(p->fd, b, n) < 0) {
		p->io_failed = true;
		return 0;
	}
	/* A reader that stopped (its layer was there, or it failed) no longer gets copies. */
	if (p->tee >= 0 && nd_write_all(p->tee, b, n) < 0) {
		close(p->tee);
		p->tee = -1;
	}
	nd_sha256_update(p->h, b, n);
	p->got += (int64_t)n;
	return n;
}

/* ---- configuration: plain HTTP, CAs, credentials ---- */

static bool listed(const char *list, const char *host)
{
	size_t n = strlen(host);

	for (const char *s = list; s && *s;) {
		size_t len = strcspn(s, ",");

		if (len == n && !strncmp(s, host, n))
			return true;
		s += len + (s[len] == ',');
	}
	return false;
}

/* localhost and 127.0.0.0/8 (with any port), as Docker; else the configured list. */
static bool may_use_http(const char *host)
{
	size_t n = strcspn(host, ":");
	char name[256];

	snprintf(name, sizeof(name), "%.*s", (int)n, host);
	if (!strcmp(name, "localhost") || !strncmp(name, "127.", 4))
		return true;
	return listed(getenv("NETD_INSECURE_REGISTRIES"), host) || listed(getenv("NETD_INSECURE_REGISTRIES"), name);
}

static int append_file(char **buf, size_t *len, const char *path)
{
	_cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC);
	_cleanup_free_ char *data = NULL;
	size_t n;
	char *nb;

	if (fd < 0 || nd_read_all(fd, 8 << 20, &data, &n) < 0)
		return 0; /* a system without a CA bundle: certs.d's alone */
	if (!(nb = realloc(*buf, *len + n + 2)))
		return -ENOMEM;
	memcpy(nb + *len, data, n);
	*len += n;
	nb[(*len)++] = '\n';
	nb[*len] = 0;
	*buf = nb;
	return 0;
}

/* certs.d/HOST[:PORT]: *.crt added to the system CAs; client.cert and client.key. */
static int load_certs(struct nd_registry *r, struct nd_err **err)
{
	const char *base = getenv("NETD_CERTS_DIR") ?: "/etc/netd/certs.d";
	_cleanup_free_ char *dir = NULL;
	struct dirent *e;
	DIR *d;

	if (asprintf(&dir, "%s/%s", base, r->host) < 0)
		return nd_oom(err);
	if (!(d = opendir(dir)))
		return 0;
	while ((e = readdir(d))) {
		_cleanup_free_ char *p = NULL;
		size_t n = strlen(e->d_name);

		if (asprintf(&p, "%s/%s", dir, e->d_name) < 0)
			break;
		if (n > 4 && !strcmp(e->d_name + n - 4, ".crt")) {
			if (!r->cas && append_file(&r->cas, &r->cas_len, SYSTEM_CAS) < 0)
				break;
			if (append_file(&r->cas, &r->cas_len, p) < 0)
				break;
		} else if (!strcmp(e->d_name, "client.cert")) {
			free(r->cert), r->cert = TAKE_PTR(p);
		} else if (!strcmp(e->d_name, "client.key")) {
			free(r->key), r->key = TAKE_PTR(p);
		}
	}
	closedir(d);
	return e ? nd_oom(err) : 0;
}

char *nd_registry_auth_file(void)
{
	const char *env = getenv("NETD_AUTH_FILE"), *home = getenv("HOME");
	char *p = NULL;

	if (env && *env)
		return strdup(env);
	return asprintf(&p, "%s/.docker/config.json", home && *home ? home : "/root") < 0 ? NULL : p;
}

char *nd_registry_creds(const char *registry)
{
	_cleanup_free_ char *path = nd_registry_auth_file(), *data = NULL;
	_cleanup_close_ int fd = path ? open(path, O_RDONLY | O_CLOEXEC) : -1;
	_cleanup_json_ json_t *j = NULL;
	const char *b64;
	unsigned char out[1024];
	size_t len;
	int n;

	if (fd < 0 || nd_read_all(fd, 1 << 20, &data, &len) < 0 || nd_json_parse_bounded(data, len, 16, &j, NULL) < 0)
		return NULL;
	b64 = json_string_value(json_object_get(json_object_get(json_object_get(j, "auths"), registry), "auth"));
	if (!b64 && !strcmp(registry, "docker.io"))
		b64 = json_string_value(json_object_get(
			json_object_get(json_object_get(j, "auths"), "https://index.docker.io/v1/"), "auth"));
	if (!b64 || strlen(b64) > 4 * (sizeof(out) / 3) - 4 || (n = EVP_DecodeBlock(out, (const unsigned char *)b64, (int)strlen(b64))) < 0)
		return NULL;
	/* EVP_DecodeBlock counts the padding's zero bytes. */
	while (n > 0 && out[n - 1] == 0)
		n--;
	return memchr(out, ':', (size_t)n) ? strndup((char *)out, (size_t)n) : NULL;
}

static char *basic_header(const char *creds)
{
	size_t n = strlen(creds);
	char *h = malloc(32 + 4 * ((n + 2) / 3) + 1);

	if (!h)
		return NULL;
	strcpy(h, "Authorization: Basic ");
	EVP_EncodeBlock((unsigned char *)h + strlen(h), (const unsigned char *)creds, (int)n);
	return h;
}

/* ---- requests ---- */

static bool transient_status(long st)
{
	return st == 408 || st == 429 || (st >= 500 && st <= 599);
}

static bool transient_curl(CURLcode cc)
{
	return cc == CURLE_COULDNT_CONNECT || cc == CURLE_RECV_ERROR || cc == CURLE_SEND_ERROR ||
	       cc == CURLE_OPERATION_TIMEDOUT || cc == CURLE_GOT_NOTHING || cc == CURLE_PARTIAL_FILE ||
	       cc == CURLE_HTTP2 || cc == CURLE_HTTP2_STREAM;
}

static void backoff(int attempt)
{
	struct timespec ts = { .tv_sec = 0, .tv_nsec = 200000000L };

	for (int i = 0; i < attempt && ts.tv_sec < 8; i++) {
		ts.tv_sec = ts.tv_sec * 2 + (ts.tv_nsec * 2) / 1000000000L;
		ts.tv_nsec = (ts.tv_nsec * 2) % 1000000000L;
	}
	nanosleep(&ts, NULL);
}

static void set_transport(struct nd_registry *r, const char *url, struct resp *p)
{
	CURL *c = r->c;

	curl_easy_reset(c);
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(c, CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 1L);
	curl_easy_setopt(c, CURLOPT_MAXREDIRS, 5L);
	/* Our Authorization header goes to the registry's host only, never where it redirects. */
	curl_easy_setopt(c, CURLOPT_UNRESTRICTED_AUTH, 0L);
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT, 30L);
	curl_easy_setopt(c, CURLOPT_LOW_SPEED_LIMIT, 1L);
	curl_easy_setopt(c, CURLOPT_LOW_SPEED_TIME, r->stall);
	curl_easy_setopt(c, CURLOPT_USERAGENT, "netd");
	curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, on_header);
	curl_easy_setopt(c, CURLOPT_HEADERDATA, p);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, p);
	if (r->cas) {
		struct curl_blob b = { .data = r->cas, .len = r->cas_len, .flags = CURL_BLOB_NOCOPY };

		curl_easy_setopt(c, CURLOPT_CAINFO_BLOB, &b);
	}
	if (r->cert && r->key) {
		curl_easy_setopt(c, CURLOPT_SSLCERT, r->cert);
		curl_easy_setopt(c, CURLOPT_SSLKEY, r->key);
	}
}

/* The request's body: a file streamed, or bytes; POST without either sends an empty body. */
static void set_upload(CURL *c, struct resp *p)
{
	if (p->up_file) {
		curl_easy_setopt(c, CURLOPT_UPLOAD, 1L);
		curl_easy_setopt(c, CURLOPT_READDATA, p->up_file);
		curl_easy_setopt(c, CURLOPT_INFILESIZE_LARGE, (curl_off_t)p->up_len);
	} else if (p->up_data) {
		curl_easy_setopt(c, CURLOPT_POSTFIELDS, p->up_data);
		curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)p->up_len);
	}
}

/*
 * One request: method NULL is GET, "HEAD" has no body; hdrs are extra headers (ours added).
 * Returns 0 with p->status, or the transfer's failure (*ret_cc) with err set.
 */
static int perform(struct nd_registry *r, const char *method, const char *url, const char *const *hdrs,
		   struct resp *p, CURLcode *ret_cc, struct nd_err **err)
{
	_cleanup_(curl_slist_free_allp) struct curl_slist *list = NULL;
	char ebuf[CURL_ERROR_SIZE] = "";
	CURLcode cc;

	for (; hdrs && *hdrs; hdrs++)
		if (!(list = curl_slist_append(list, *hdrs)))
			return nd_oom(err);
	if (r->authz && !(list = curl_slist_append(list, r->authz)))
		return nd_oom(err);
	p->c = r->c;
	if (p->up_file)
		rewind(p->up_file);
	set_transport(r, url, p);
	curl_easy_setopt(r->c, CURLOPT_HTTPHEADER, list);
	curl_easy_setopt(r->c, CURLOPT_ERRORBUFFER, ebuf);
	if (method && !strcmp(method, "HEAD"))
		curl_easy_setopt(r->c, CURLOPT_NOBODY, 1L);
	else if (method)
		curl_easy_setopt(r->c, CURLOPT_CUSTOMREQUEST, method);
	set_upload(r->c, p);
	cc = curl_easy_perform(r->c);
	*ret_cc = cc;
	curl_easy_getinfo(r->c, CURLINFO_RESPONSE_CODE, &p->status);
	if (cc == CURLE_OK)
		return 0;
	if (p->io_failed)
		return nd_err_set(err, ND_ERR_INTERNAL, errno ?: EIO, "writing the download: %s", strerror(errno ?: EIO));
	return nd_err_set(err, ND_ERR_INTERNAL, EIO, "%s: %s", url, *ebuf ? ebuf : curl_easy_strerror(cc));
}

/* ---- authentication ---- */

/* The value of key in a challenge's parameters (key="value", comma-separated). */
static char *challenge_param(const char *ch, const char *key)
{
	size_t k = strlen(key);

	for (const char *s = ch; (s = strstr(s, key)); s += k) {
		const char *v, *end;

		if ((s != ch && s[-1] != ' ' && s[-1] != ',') || s[k] != '=')
			continue;
		v = s + k + 1;
		if (*v == '"') {
			end = strchr(++v, '"');
			return end ? strndup(v, (size_t)(end - v)) : NULL;
		}
		return strndup(v, strcspn(v, ", "));
	}
	return NULL;
}

static char *token_url(struct nd_registry *r, const char *realm, const char *service)
{
	_cleanup_free_ char *scope = NULL;
	char *esvc = NULL, *escope = NULL, *url = NULL;

	if (asprintf(&scope, "repository:%s:%s", r->repo, r->actions) < 0)
		return NULL;
	esvc = curl_easy_escape(r->c, service ? service : "", 0);
	escope = curl_easy_escape(r->c, scope, 0);
	/* A login asks for no scope: only whether the credentials are good. */
	if (esvc && escope &&
	    asprintf(&url, "%s%sservice=%s%s%s", realm, strchr(realm, '?') ? "&" : "?", esvc, *r->repo ? "&scope=" : "",
		     *r->repo ? escope : "") < 0)
		url = NULL;
	curl_free(esvc);
	curl_free(escope);
	return url;
}

static int denied(struct nd_registry *r, struct nd_err **err)
{
	if (!r->creds)
		return nd_err_set(err, ND_ERR_REFUSED, EACCES,
				  "registry '%s' refused access to '%s' without credentials (netd login %s)", r->host,
				  r->repo, r->host);
	return nd_err_set(err, ND_ERR_REFUSED, EACCES, "registry '%s' refused the credentials for '%s' (unauthorized)",
			  r->host, r->repo);
}

/* A Bearer token from the challenge's realm, with the stored credentials when there are any. */
static int bearer(struct nd_registry *r, const char *ch, struct nd_err **err)
{
	_cleanup_free_ char *realm = challenge_param(ch, "realm"), *svc = challenge_param(ch, "service");
	_cleanup_free_ char *url = NULL, *basic = NULL, *authz = TAKE_PTR(r->authz);
	_cleanup_json_ json_t *j = NULL;
	struct resp p = { .fd = -1, .tee = -1, .max = 1 << 20 };
	const char *hdrs[2] = { 0 }, *tok;
	CURLcode cc;
	int rc;

	if (!realm || strncmp(realm, "http", 4) || !(url = token_url(r, realm, svc)))
		return nd_err_set(err, ND_ERR_INTERNAL, EPROTO, "registry '%s': bad Bearer challenge '%s'", r->host, ch);
	if (r->creds && !(basic = basic_header(r->creds)))
		return nd_oom(err);
	hdrs[0] = basic;
	rc = perform(r, NULL, url, hdrs, &p, &cc, err);
	if (rc >= 0 && (p.status == 401 || p.status == 403))
		rc = denied(r, err);
	else if (rc >= 0 && p.status != 200)
		rc = nd_err_set(err, ND_ERR_INTERNAL, EPROTO, "token server '%s': HTTP %ld", realm, p.status);
	else if (rc >= 0 && nd_json_parse_bounded(p.buf ? p.buf : "", p.len, 8, &j, NULL) < 0)
		rc = nd_err_set(err, ND_ERR_INTERNAL, EPROTO, "token server '%s': not JSON", realm);
	if (rc >= 0 && !(tok = json_string_value(json_object_get(j, "token"))) &&
	    !(tok = json_string_value(json_object_get(j, "access_token"))))
		rc = nd_err_set(err, ND_ERR_INTERNAL, EPROTO, "token server '%s' gave no token", realm);
	if (rc >= 0 && asprintf(&r->authz, "Authorization: Bearer %s", tok) < 0)
		rc = nd_oom(err);
	resp_reset(&p);
	return rc;
}

/* Answer a 401's challenge (Bearer or Basic). */
static int authenticate(struct nd_registry *r, const char *ch, struct nd_err **err)
{
	if (ch && !strncasecmp(ch, "Bearer ", 7))
		return bearer(r, ch, err);
	if (ch && !strncasecmp(ch, "Basic", 5)) {
		if (!r->creds)
			return denied(r, err);
		free(r->authz);
		return (r->authz = basic_header(r->creds)) ? 0 : nd_oom(err);
	}
	return nd_err_set(err, ND_ERR_INTERNAL, EPROTO, "registry '%s': 401 with an unknown challenge '%s'", r->host,
			  ch ? ch : "");
}

/*
 * perform() with a 401 answered once (a token expires: the next 401 fetches a new one)
 * and, when retry, transient failures retried with backoff.
 */
static int request(struct nd_registry *r, const char *method, const char *url, const char *const *hdrs,
		   struct resp *p, bool retry, struct nd_err **err)
{
	bool reauthed = false;
	CURLcode cc;
	int rc;

	for (int attempt = 0;; attempt++) {
		_cleanup_err_ struct nd_err *e = NULL;

		resp_reset(p);
		rc = perform(r, method, url, hdrs, p, &cc, &e);
		if (rc < 0 && retry && transient_curl(cc) && attempt + 1 < ATTEMPTS) {
			backoff(attempt);
			continue;
		}
		if (rc < 0) {
			if (err && !*err)
				*err = TAKE_PTR(e);
			return rc;
		}
		if (p->status == 401 && !reauthed) {
			reauthed = true;
			if ((rc = authenticate(r, p->www_auth, err)) < 0)
				return rc;
			attempt--;
			continue;
		}
		if (retry && transient_status(p->status) && attempt + 1 < ATTEMPTS) {
			backoff(attempt);
			continue;
		}
		return p->status == 401 ? denied(r, err) : 0;
	}
}

/* ---- the client ---- */

void nd_registry_free(struct nd_registry *r)
{
	if (!r)
		return;
	if (r->c)
		curl_easy_cleanup(r->c);
	free(r->host), free(r->base), free(r->repo), free(r->actions), free(r->authz), free(r->creds);
	free(r->cas), free(r->cert), free(r->key);
	free(r);
}
DEFINE_CLEANUP(struct nd_registry, nd_registry_free)

/* GET /v2/ over base; 0 when it answers as a registry (200, or a 401 we then answer). */
static int ping(struct nd_registry *r, CURLcode *ret_cc, struct nd_err **err)
{
	_cleanup_free_ char *url = NULL;
	struct resp p = { .fd = -1, .tee = -1, .max = 1 << 16 };
	int rc;

	if (asprintf(&url, "%s/v2/", r->base) < 0)
		return nd_oom(err);
	rc = perform(r, NULL, url, NULL, &p, ret_cc, err);
	if (rc >= 0 && p.status == 401)
		rc = authenticate(r, p.www_auth, err);
	else if (rc >= 0 && p.status != 200)
		rc = nd_err_set(err, ND_ERR_INTERNAL, EPROTO, "'%s' is not a registry (GET /v2/: HTTP %ld)", r->host,
				p.status);
	resp_reset(&p);
	return rc;
}

static bool is_loopback(const char *host)
{
	size_t n = strcspn(host, ":");

	return (n == 9 && !strncmp(host, "localhost", 9)) || !strncmp(host, "127.", 4);
}

/* base = scheme://host, pinged (transient failures retried). */
static int try_scheme(struct nd_registry *r, const char *scheme, CURLcode *cc, struct nd_err **err)
{
	int rc = -EIO;

	free(r->base);
	if (asprintf(&r->base, "%s://%s", scheme, r->host) < 0) {
		r->base = NULL;
		return nd_oom(err);
	}
	for (int attempt = 0; attempt < ATTEMPTS; attempt++) {
		nd_err_freep(err);
		if ((rc = ping(r, cc, err)) >= 0 || !transient_curl(*cc))
			break;
		backoff(attempt);
	}
	return rc;
}

/*
 * HTTPS first, plain HTTP only where allowed and only when HTTPS could not be spoken
 * (Docker's rule). Loopback is the exception, as its traffic never leaves the host:
 * plain HTTP first there (a TLS handshake with its CA bundle costs more than the whole
 * re-pull of a present image), HTTPS when that is not a registry (a TLS-only port).
 */
static int connect_registry(struct nd_registry *r, struct nd_err **err)
{
	_cleanup_err_ struct nd_err *e = NULL;
	bool loop = is_loopback(r->host);
	CURLcode cc = CURLE_OK;
	int rc = try_scheme(r, loop ? "http" : "https", &cc, &e);

	if (rc < 0 && rc != -ENOMEM && (!e || e->code != ND_ERR_REFUSED) &&
	    (loop || (cc != CURLE_OK && r->may_http)))
		rc = try_scheme(r, loop ? "https" : "http", &cc, &e);
	if (rc < 0 && err && !*err)
		*err = TAKE_PTR(e);
	return rc;
}

int nd_registry_open(const char *registry, const char *repo, const char *actions, struct nd_registry **ret,
		     struct nd_err **err)
{
	_cleanup_(nd_registry_freep) struct nd_registry *r = calloc(1, sizeof(*r));
	const char *stall = getenv("NETD_PULL_STALL_TIMEOUT");
	int rc;

	if (!r)
		return nd_oom(err);
	/* Docker Hub's API lives on registry-1.docker.io. */
	r->host = strdup(!strcmp(registry, "docker.io") ? "registry-1.docker.io" : registry);
	r->repo = strdup(repo);
	r->actions = strdup(actions);
	r->creds = nd_registry_creds(registry);
	r->stall = stall && atol(stall) > 0 ? atol(stall) : 30;
	if (!r->host || !r->repo || !r->actions || !(r->c = curl_easy_init()))
		return nd_oom(err);
	r->may_http = may_use_http(r->host);
	if ((rc = load_certs(r, err)) < 0 || (rc = connect_registry(r, err)) < 0)
		return rc;
	*ret = TAKE_PTR(r);
	return 0;
}

static void digest_of(const void *data, size_t len, char ret[72])
{
	struct nd_sha256 *h = NULL;

	ret[0] = 0;
	if (nd_sha256_new(&h, NULL) < 0)
		return;
	nd_sha256_update(h, data, len);
	nd_sha256_done(h, ret);
	nd_sha256_free(h);
}

static int not_found(struct nd_registry *r, const char *what, const char *ref, struct nd_err **err)
{
	return nd_err_set(err, ND_ERR_NO_IMAGE, ENOENT, "No such image: %s/%s%s%s (%s unknown to the registry)", r->host,
			  r->repo, ref[0] == 's' && !strncmp(ref, "sha256:", 7) ? "@" : ":", ref, what);
}

int nd_registry_manifest(struct nd_registry *r, const char *ref, char **ret_body, size_t *ret_len,
			 char **ret_media_type, char ret_digest[72], struct nd_err **err)
{
	_cleanup_free_ char *url = NULL;
	const char *hdrs[] = { accept_hdr, NULL };
	struct resp p = { .fd = -1, .tee = -1, .max = MAX_MANIFEST };
	char got[72];
	int rc;

	if (asprintf(&url, "%s/v2/%s/manifests/%s", r->base, r->repo, ref) < 0)
		return nd_oom(err);
	if ((rc = request(r, NULL, url, hdrs, &p, true, err)) < 0)
		goto out;
	if (p.status == 404) {
		rc = not_found(r, "manifest", ref, err);
		goto out;
	}
	if (p.status != 200) {
		rc = nd_err_set(err, ND_ERR_INTERNAL, EPROTO, "%s: HTTP %ld: %.200s", url, p.status, p.buf ? p.buf : "");
		goto out;
	}
	digest_of(p.buf ? p.buf : "", p.len, got);
	if ((!strncmp(ref, "sha256:", 7) && strcmp(ref, got)) || (p.dcd && strcmp(p.dcd, got))) {
		rc = nd_err_set(err, ND_ERR_BAD_IMAGE, EBADMSG, "manifest %s of %s/%s: digest mismatch (got %s)",
				p.dcd && strcmp(p.dcd, got) ? p.dcd : ref, r->host, r->repo, got);
		goto out;
	}
	memcpy(ret_digest, got, sizeof(got));
	*ret_media_type = p.ctype ? strndup(p.ctype, strcspn(p.ctype, ";")) : strdup("");
	*ret_len = p.len;
	*ret_body = p.buf ? TAKE_PTR(p.buf) : strdup("");
out:
	resp_reset(&p);
	return rc;
}

/* The bytes already in the partial file fed to the hash; its length, or -1. */
static int64_t rehash_partial(int fd, struct nd_sha256 *h, int64_t size, int *tee)
{
	char buf[65536];
	int64_t have = 0;
	ssize_t n;

	if (lseek(fd, 0, SEEK_SET) < 0)
		return -1;
	while ((n = read(fd, buf, sizeof(buf))) > 0) {
		nd_sha256_update(h, buf, (size_t)n);
		if (*tee >= 0 && nd_write_all(*tee, buf, (size_t)n) < 0) {
			close(*tee);
			*tee = -1;
		}
		have += n;
	}
	/* More than the blob holds: not ours to trust; start over. */
	if (n < 0 || have > size)
		return ftruncate(fd, 0) < 0 || lseek(fd, 0, SEEK_SET) < 0 ? -1 : -2;
	return have;
}

/* Fetch into p->fd from p->offset on until the blob is whole or attempts run out. */
static int fetch_rest(struct nd_registry *r, const char *url, int64_t size, struct resp *p, int64_t *fetched,
		      struct nd_err **err)
{
	char range[64];
	int rc = 0;

	for (int attempt = 0; attempt < ATTEMPTS; attempt++) {
		const char *hdrs[2] = { NULL, NULL };

		if (p->offset >= size)
			return 0;
		snprintf(range, sizeof(range), "Range: bytes=%lld-", (long long)p->offset);
		hdrs[0] = p->offset > 0 ? range : NULL;
		p->restart_done = false;
		nd_err_free(err ? TAKE_PTR(*err) : NULL);
		rc = request(r, NULL, url, hdrs, p, false, err);
		*fetched += p->got;
		p->offset += p->got;
		if (rc >= 0 && p->status == 404)
			return -ENOENT;
		if (rc >= 0 && (p->status == 200 || p->status == 206))
			return p->offset == size ? 0
						 : nd_err_set(err, ND_ERR_BAD_IMAGE, EBADMSG, "blob: %lld bytes, expected %lld",
							      (long long)p->offset, (long long)size);
		if (rc >= 0 && !transient_status(p->status))
			return nd_err_set(err, ND_ERR_INTERNAL, EPROTO, "%s: HTTP %ld", url, p->status);
		if (p->io_failed)
			return rc;
		backoff(attempt);
	}
	return rc < 0 ? rc : nd_err_set(err, ND_ERR_INTERNAL, EIO, "%s: HTTP %ld after %d attempts", url, p->status, ATTEMPTS);
}

static int finish_blob(const char *digest, struct resp *p, int fd, const char *partial, const char *path,
		       struct nd_err **err)
{
	char got[ND_DIGEST_LEN + 1];

	nd_sha256_done(p->h, got);
	if (strcmp(got, digest)) {
		/* Corrupt, not partial: nothing of it may be resumed or kept. */
		(void)unlink(partial);
		return nd_err_set(err, ND_ERR_BAD_IMAGE, EBADMSG, "blob %s: digest mismatch (got %s)", digest, got);
	}
	if (fsync(fd) < 0 || rename(partial, path) < 0)
		return nd_err_set(err, ND_ERR_INTERNAL, errno, "blob '%s': %s", path, strerror(errno));
	return 0;
}

static int blob_fetch(struct nd_registry *r, const char *digest, int64_t size, const char *partial,
		      const char *path, int *tee, int64_t *ret_fetched, struct nd_err **err)
{
	_cleanup_free_ char *url = NULL;
	_cleanup_close_ int fd = -1;
	struct resp p = { .fd = -1, .max = 1 << 16, .tee = -1 };
	int64_t have;
	int rc;

	*ret_fetched = 0;
	if (!nd_digest_valid(digest) || size < 0)
		return nd_err_set(err, ND_ERR_BAD_IMAGE, EINVAL, "bad blob descriptor '%s'", digest ? digest : "");
	if (asprintf(&url, "%s/v2/%s/blobs/%s", r->base, r->repo, digest) < 0)
		return nd_oom(err);
	if (access(path, F_OK) == 0)
		return 0;
	if ((fd = open(partial, O_RDWR | O_CREAT | O_CLOEXEC, 0600)) < 0)
		return nd_err_set(err, ND_ERR_INTERNAL, errno, "blob '%s': %s", partial, strerror(errno));
	/* One download per blob: a concurrent pull of the same blob waits, then finds it. */
	while (flock(fd, LOCK_EX) < 0)
		if (errno != EINTR)
			return nd_err_set(err, ND_ERR_INTERNAL, errno, "lock '%s': %s", partial, strerror(errno));
	/* Someone else's download finished while we waited: the name we hold is no partial now. */
	if (access(path, F_OK) == 0) {
		(void)unlink(partial);
		return 0;
	}
	if (nd_sha256_new(&p.h, err) < 0)
		return -ENOMEM;
	if ((have = rehash_partial(fd, p.h, size, tee)) == -2) {
		if (*tee >= 0)
			close(*tee);
		*tee = -1;
		nd_sha256_free(p.h);
		p.h = NULL;
		have = nd_sha256_new(&p.h, err) < 0 ? -1 : 0;
	}
	if (have < 0) {
		nd_sha256_free(p.h);
		return nd_err_set(err, ND_ERR_INTERNAL, errno ?: EIO, "blob '%s': %s", partial, strerror(errno ?: EIO));
	}
	p.fd = fd;
	p.offset = have;
	p.tee = *tee;
	rc = fetch_rest(r, url, size, &p, ret_fetched, err);
	*tee = p.tee;
	if (rc == -ENOENT)
		rc = not_found(r, "blob", digest, err);
	if (rc >= 0)
		rc = finish_blob(digest, &p, fd, partial, path, err);
	nd_sha256_free(p.h);
	p.h = NULL;
	resp_reset(&p);
	return rc;
}

int nd_registry_blob(struct nd_registry *r, const char *digest, int64_t size, const char *partial,
		     const char *path, int tee, int64_t *ret_fetched, struct nd_err **err)
{
	int rc = blob_fetch(r, digest, size, partial, path, &tee, ret_fetched, err);

	/* The copy ends with the download: its reader sees the end of the blob. */
	if (tee >= 0)
		close(tee);
	return rc;
}

int nd_registry_blob_mem(struct nd_registry *r, const char *digest, int64_t size, char **ret, size_t *ret_len,
			 struct nd_err **err)
{
	_cleanup_free_ char *url = NULL;
	struct resp p = { .fd = -1, .tee = -1, .max = MAX_MANIFEST };
	char got[72];
	int rc;

	if (!nd_digest_valid(digest) || size < 0 || size > MAX_MANIFEST)
		return nd_err_set(err, ND_ERR_BAD_IMAGE, EINVAL, "bad config descriptor '%s'", digest ? digest : "");
	if (asprintf(&url, "%s/v2/%s/blobs/%s", r->base, r->repo, digest) < 0)
		return nd_oom(err);
	if ((rc = request(r, NULL, url, NULL, &p, true, err)) >= 0 && p.status == 404)
		rc = not_found(r, "blob", digest, err);
	else if (rc >= 0 && p.status != 200)
		rc = nd_err_set(err, ND_ERR_INTERNAL, EPROTO, "%s: HTTP %ld", url, p.status);
	if (rc >= 0) {
		digest_of(p.buf ? p.buf : "", p.len, got);
		if (strcmp(got, digest) || (int64_t)p.len != size)
			rc = nd_err_set(err, ND_ERR_BAD_IMAGE, EBADMSG, "blob %s: digest mismatch (got %s, %zu bytes)",
					digest, got, p.len);
	}
	if (rc >= 0) {
		*ret_len = p.len;
		*ret = p.buf ? TAKE_PTR(p.buf) : strdup("");
	}
	resp_reset(&p);
	return rc;
}

/* ---- push ---- */

int nd_registry_blob_exists(struct nd_registry *r, const char *digest, bool *ret, struct nd_err **err)
{
	_cleanup_free_ char *url = NULL;
	struct resp p = { .fd = -1, .tee = -1, .max = 1 << 16 };
	int rc;

	if (asprintf(&url, "%s/v2/%s/blobs/%s", r->base, r->repo, digest) < 0)
		return nd_oom(err);
	if ((rc = request(r, "HEAD", url, NULL, &p, true, err)) >= 0) {
		if (p.status == 200 || p.status == 404)
			*ret = p.status == 200;
		else
			rc = nd_err_set(err, ND_ERR_INTERNAL, EPROTO, "HEAD %s: HTTP %ld", url, p.status);
	}
	resp_reset(&p);
	return rc;
}

/* POST of an upload, a cross-repository mount when from is set: 201 mounted, 202 *ret_location. */
static int start_upload(struct nd_registry *r, const char *digest, const char *from, bool *ret_mounted,
			char **ret_location, struct nd_err **err)
{
	_cleanup_free_ char *url = NULL;
	struct resp p = { .fd = -1, .tee = -1, .max = 1 << 16, .up_data = "", .up_len = 0 };
	int rc;

	if ((from ? asprintf(&url, "%s/v2/%s/blobs/uploads/?mount=%s&from=%s", r->base, r->repo, digest, from)
		  : asprintf(&url, "%s/v2/%s/blobs/uploads/", r->base, r->repo)) < 0)
		return nd_oom(err);
	if ((rc = request(r, "POST", url, NULL, &p, true, err)) < 0)
		goto out;
	*ret_mounted = p.status == 201;
	if (p.status == 201)
		goto out;
	if (p.status != 202 || !p.location)
		rc = nd_err_set(err, p.status == 403 ? ND_ERR_REFUSED : ND_ERR_INTERNAL, EPROTO,
				"registry '%s' refused an upload to '%s' (HTTP %ld)", r->host, r->repo, p.status);
	else if (p.location[0] == '/' ? asprintf(ret_location, "%s%s", r->base, p.location) < 0
				      : !(*ret_location = strdup(p.location)))
		rc = nd_oom(err);
out:
	resp_reset(&p);
	return rc;
}

int nd_registry_push_blob(struct nd_registry *r, const char *digest, int64_t size, const char *path,
			  const char *from, bool *ret_mounted, struct nd_err **err)
{
	_cleanup_free_ char *loc = NULL, *url = NULL;
	const char *hdrs[] = { "Content-Type: application/octet-stream", NULL };
	struct resp p = { .fd = -1, .tee = -1, .max = 1 << 16, .up_len = (size_t)size };
	_cleanup_close_ int fd = -1;
	int rc;

	if ((rc = start_upload(r, digest, from, ret_mounted, &loc, err)) < 0 || *ret_mounted)
		return rc;
	if (asprintf(&url, "%s%sdigest=%s", loc, strchr(loc, '?') ? "&" : "?", digest) < 0)
		return nd_oom(err);
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0 || !(p.up_file = fdopen(fd, "rb")))
		return nd_err_set(err, ND_ERR_NO_IMAGE, errno, "blob %s is not in the image store", digest);
	fd = -1; /* the FILE owns it */
	if ((rc = request(r, "PUT", url, hdrs, &p, true, err)) >= 0 && p.status != 201)
		rc = nd_err_set(err, ND_ERR_INTERNAL, EPROTO, "registry '%s' refused blob %s (HTTP %ld: %.200s)", r->host,
				digest, p.status, p.buf ? p.buf : "");
	fclose(p.up_file);
	resp_reset(&p);
	return rc;
}

int nd_registry_put_manifest(struct nd_registry *r, const char *tag, const char *media_type, const char *body,
			     size_t len, struct nd_err **err)
{
	_cleanup_free_ char *url = NULL, *ct = NULL;
	struct resp p = { .fd = -1, .tee = -1, .max = 1 << 16, .up_data = body, .up_len = len };
	const char *hdrs[2] = { NULL, NULL };
	int rc;

	if (asprintf(&url, "%s/v2/%s/manifests/%s", r->base, r->repo, tag) < 0 ||
	    asprintf(&ct, "Content-Type: %s", media_type) < 0)
		return nd_oom(err);
	hdrs[0] = ct;
	if ((rc = request(r, "PUT", url, hdrs, &p, true, err)) >= 0 && p.status != 201)
		rc = nd_err_set(err, ND_ERR_INTERNAL, EPROTO, "registry '%s' refused the manifest (HTTP %ld: %.200s)",
				r->host, p.status, p.buf ? p.buf : "");
	resp_reset(&p);
	return rc;
}

int nd_registry_login(const char *registry, const char *creds, struct nd_err **err)
{
	_cleanup_(nd_registry_freep) struct nd_registry *r = calloc(1, sizeof(*r));
	_cleanup_free_ char *url = NULL;
	struct resp p = { .fd = -1, .tee = -1, .max = 1 << 16 };
	int rc;

	if (!r)
		return nd_oom(err);
	r->host = strdup(!strcmp(registry, "docker.io") ? "registry-1.docker.io" : registry);
	r->repo = strdup("");
	r->actions = strdup("");
	r->creds = strdup(creds);
	r->stall = 30;
	if (!r->host || !r->repo || !r->actions || !r->creds || !(r->c = curl_easy_init()))
		return nd_oom(err);
	r->may_http = may_use_http(r->host);
	if ((rc = load_certs(r, err)) < 0 || (rc = connect_registry(r, err)) < 0)
		return rc;
	/* Basic is only answered, not checked, by the ping: ask again with the credentials. */
	if (asprintf(&url, "%s/v2/", r->base) < 0)
		return nd_oom(err);
	if ((rc = request(r, NULL, url, NULL, &p, true, err)) >= 0 && p.status != 200)
		rc = denied(r, err);
	resp_reset(&p);
	return rc;
}

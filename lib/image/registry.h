/*
 * A client of one repository on a registry (OCI distribution spec, Docker Registry HTTP
 * API v2) over libcurl: GET /v2/ and the WWW-Authenticate challenge (Bearer: a token from
 * the realm for scope repository:REPO:ACTIONS, anonymous or with the stored credentials;
 * Basic), manifests with the Accept list of every kind we read, blobs into a partial file
 * resumed with Range, each checked against its digest and size.
 *
 * Transport: HTTPS verified against the system CAs plus the .crt files of certs.d/HOST[:PORT]
 * ($NETD_CERTS_DIR, default /etc/netd/certs.d, Docker's layout; client.cert + client.key
 * there are the client's); plain HTTP only for localhost, 127.0.0.0/8 and registries
 * listed in $NETD_INSECURE_REGISTRIES (comma-separated HOST[:PORT]), and only after HTTPS
 * failed, as Docker does. Redirects are followed; libcurl never sends our Authorization
 * header to another host (CURLOPT_UNRESTRICTED_AUTH off). Credentials come from the
 * Docker config.json ($NETD_AUTH_FILE, else ~/.docker/config.json).
 *
 * Transient failures (connection errors, 408, 429, 5xx, a transfer stalled for
 * $NETD_PULL_STALL_TIMEOUT seconds, default 30) are retried with backoff, resuming blobs.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/err.h"

struct nd_registry;

/*
 * A client of repo on registry (as in a reference: "docker.io" means
 * registry-1.docker.io), pinged and authenticated for actions ("pull" or "pull,push").
 */
int nd_registry_open(const char *registry, const char *repo, const char *actions, struct nd_registry **ret,
		     struct nd_err **err);
void nd_registry_free(struct nd_registry *r);

/*
 * The manifest that ref (a tag or a digest) names: its bytes, media type and digest
 * (computed; a Docker-Content-Digest header that disagrees is an error, as is a body
 * whose digest is not ref when ref is a digest). Code ND_ERR_NO_IMAGE when unknown.
 */
int nd_registry_manifest(struct nd_registry *r, const char *ref, char **ret_body, size_t *ret_len,
			 char **ret_media_type, char ret_digest[72], struct nd_err **err);

/*
 * The blob digest of size bytes into path, through partial: bytes already there are kept
 * and resumed with Range (a per-blob flock on it makes a concurrent pull of the same
 * blob wait, then find it); moved to path only when whole and verified. Every byte is
 * also written to tee (when >= 0; closed when this returns, whatever happens), so that
 * an unpacker reads the blob while it downloads. *ret_fetched counts the bytes transferred.
 */
int nd_registry_blob(struct nd_registry *r, const char *digest, int64_t size, const char *partial,
		     const char *path, int tee, int64_t *ret_fetched, struct nd_err **err);

/* Small blob (a config) in memory, verified. */
int nd_registry_blob_mem(struct nd_registry *r, const char *digest, int64_t size, char **ret, size_t *ret_len,
			 struct nd_err **err);

/* "user:password" for registry from the auth file, malloc'd, or NULL. */
char *nd_registry_creds(const char *registry);

/* Does the repository hold the blob (HEAD)? */
int nd_registry_blob_exists(struct nd_registry *r, const char *digest, bool *ret, struct nd_err **err);
/*
 * The blob at path uploaded (POST, then one PUT ?digest=), or mounted from repository from
 * of the same registry when from is set and the registry offers it (*ret_mounted).
 */
int nd_registry_push_blob(struct nd_registry *r, const char *digest, int64_t size, const char *path,
			  const char *from, bool *ret_mounted, struct nd_err **err);
/* PUT of a manifest under tag (or digest). */
int nd_registry_put_manifest(struct nd_registry *r, const char *tag, const char *media_type, const char *body,
			     size_t len, struct nd_err **err);
/* Do "user:password" open registry (GET /v2/ with them, through its challenge)? ND_ERR_REFUSED if not. */
int nd_registry_login(const char *registry, const char *creds, struct nd_err **err);
/* The auth file's path (malloc'd): $NETD_AUTH_FILE, else ~/.docker/config.json. */
char *nd_registry_auth_file(void);

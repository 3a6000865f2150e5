#include "runtime/digest.h"

#include <errno.h>
#include <fcntl.h>
#include <openssl/evp.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/fdio.h"

struct nd_sha256 {
	EVP_MD_CTX *ctx;
};

bool nd_digest_valid(const char *d)
{
	if (!d || strncmp(d, "sha256:", 7) || strlen(d) != ND_DIGEST_LEN)
		return false;
	for (d += 7; *d; d++)
		if (!((*d >= '0' && *d <= '9') || (*d >= 'a' && *d <= 'f')))
			return false;
	return true;
}

int nd_sha256_new(struct nd_sha256 **ret, struct nd_err **err)
{
	struct nd_sha256 *h = calloc(1, sizeof(*h));

	if (!h || !(h->ctx = EVP_MD_CTX_new()) || EVP_DigestInit_ex(h->ctx, EVP_sha256(), NULL) != 1) {
		nd_sha256_free(h);
		return nd_err_set(err, ND_ERR_INTERNAL, ENOMEM, "sha256: cannot initialise");
	}
	*ret = h;
	return 0;
}

void nd_sha256_update(struct nd_sha256 *h, const void *data, size_t len)
{
	EVP_DigestUpdate(h->ctx, data, len);
}

void nd_sha256_done(struct nd_sha256 *h, char ret[ND_DIGEST_LEN + 1])
{
	static const char hx[] = "0123456789abcdef";
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int n = 0;

	EVP_DigestFinal_ex(h->ctx, md, &n);
	memcpy(ret, "sha256:", 7);
	for (int i = 0; i < 32; i++) {
		ret[7 + 2 * i] = hx[md[i] >> 4];
		ret[8 + 2 * i] = hx[md[i] & 15];
	}
	ret[ND_DIGEST_LEN] = 0;
}

void nd_sha256_free(struct nd_sha256 *h)
{
	if (h)
		EVP_MD_CTX_free(h->ctx);
	free(h);
}

int nd_sha256_file(const char *path, char ret[ND_DIGEST_LEN + 1], struct nd_err **err)
{
	_cleanup_(nd_sha256_freep) struct nd_sha256 *h = NULL;
	_cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC);
	char buf[65536];
	long n;
	int r;

	/* A --layer tar that is not there is a missing layer. */
	if (fd < 0)
		return nd_err_set(err, errno == ENOENT ? ND_ERR_NO_IMAGE : ND_ERR_INTERNAL, errno, "'%s': %s", path,
				  strerror(errno));
	if ((r = nd_sha256_new(&h, err)) < 0)
		return r;
	while ((n = nd_read_upto(fd, buf, sizeof(buf))) > 0)
		nd_sha256_update(h, buf, (size_t)n);
	if (n < 0)
		return nd_err_set(err, ND_ERR_INTERNAL, (int)-n, "'%s': %s", path, strerror((int)-n));
	nd_sha256_done(h, ret);
	return 0;
}

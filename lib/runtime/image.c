#include "runtime/image.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "base/strv.h"

void nd_image_clear(struct nd_image *img)
{
	nd_strv_free(img->lower);
	nd_strv_free(img->argv);
	nd_strv_free(img->env);
	free(img->workdir);
	free(img->user);
	nd_strv_free(img->exposed);
	memset(img, 0, sizeof(*img));
}

int nd_image_file_err(struct nd_err **err, int errnum, const char *path)
{
	int code = errnum == ENOENT || errnum == ENOTDIR ? ND_ERR_NO_IMAGE : ND_ERR_INTERNAL;

	return nd_err_set(err, code, errnum, "'%s': %s", path, strerror(errnum));
}

#include "runtime/image.h"

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
	memset(img, 0, sizeof(*img));
}

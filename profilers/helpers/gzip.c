// SPDX-License-Identifier: MIT
/* A gzip file written whole: beside its path, then renamed into place. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zlib.h>
#include "gzip.h"

int qz_gzip__write_file(const char *path, const void *buf, size_t len)
{
	size_t tlen = strlen(path) + 32;
	char *tmp = malloc(tlen);
	gzFile gz;
	int err = 0;

	if (!tmp)
		return -ENOMEM;
	snprintf(tmp, tlen, "%s.tmp.%d", path, (int)getpid());
	gz = gzopen(tmp, "wb");
	if (!gz) {
		err = errno ? -errno : -ENOMEM;
		free(tmp);
		return err;
	}
	for (size_t off = 0; off < len && !err;) {
		unsigned chunk = len - off > (1u << 30) ? 1u << 30 : (unsigned)(len - off);
		int n = gzwrite(gz, (const char *)buf + off, chunk);

		if (n <= 0)
			err = -EIO;
		off += (size_t)(n > 0 ? n : 0);
	}
	if (gzclose(gz) != Z_OK && !err)
		err = -EIO;
	if (!err && rename(tmp, path))
		err = -errno;
	if (err)
		unlink(tmp);
	free(tmp);
	return err;
}

/* SPDX-License-Identifier: MIT */
/* gzip (zlib) files for pprof profiles. */
#ifndef QUAZAR_PROFILERS_GZIP_H
#define QUAZAR_PROFILERS_GZIP_H

#include <stddef.h>

/*
 * Write len bytes of buf gzipped to path, through path.tmp.PID renamed
 * into place, so a reader never sees half a file. 0 or -errno.
 */
int qz_gzip__write_file(const char *path, const void *buf, size_t len);

#endif

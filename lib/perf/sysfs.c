// SPDX-License-Identifier: MIT
/* Small file readers for sysfs, tracefs and /proc, and error messages. */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "perf_internal.h"

/* Read a whole small file, NUL terminated, trailing newline cut. */
int qz_read_file(const char *path, char *buf, size_t len)
{
	ssize_t n, got = 0;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return -errno;
	while ((size_t)got < len - 1) {
		n = read(fd, buf + got, len - 1 - (size_t)got);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			n = -errno;
			close(fd);
			return (int)n;
		}
		if (n == 0)
			break;
		got += n;
	}
	close(fd);
	buf[got] = '\0';
	while (got > 0 && (buf[got - 1] == '\n' || buf[got - 1] == ' '))
		buf[--got] = '\0';
	return (int)got;
}

int qz_read_u64_file(const char *path, uint64_t *val)
{
	char buf[64], *end;
	int err = qz_read_file(path, buf, sizeof(buf));

	if (err < 0)
		return err;
	errno = 0;
	*val = strtoull(buf, &end, 0);
	if (errno || end == buf || *end)
		return -EINVAL;
	return 0;
}

void qz_set_err(const struct qz_attr_opts *opts, const char *fmt, ...)
{
	char *errbuf = QZ_OPT(opts, errbuf, NULL);
	size_t errlen = QZ_OPT(opts, errlen, 0);
	struct qz_logger log = {
		.fn = QZ_OPT(opts, log, NULL),
		.ctx = QZ_OPT(opts, log_ctx, NULL),
	};
	char line[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	if (errbuf && errlen)
		snprintf(errbuf, errlen, "%s", line);
	qz_log(&log, QZ_LOG_ERROR, "%s", line);
}

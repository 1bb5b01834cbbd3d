// SPDX-License-Identifier: MIT
#include <stdio.h>
#include "../internal.h"

void qz_log(const struct qz_logger *log, enum qz_log_level level,
	    const char *fmt, ...)
{
	char line[1024];
	va_list ap;

	if (!log || !log->fn)
		return;
	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	log->fn(level, line, log->ctx);
}

// SPDX-License-Identifier: MIT
/* Where and why a selector or a filter failed to parse. */
#include <stdarg.h>
#include <stdio.h>
#include "select_internal.h"

void qz__parse_error(struct qz_parse_error *err, int column, const char *fmt,
		     ...)
{
	va_list ap;

	if (!err)
		return;
	err->column = column < 0 ? 0 : column;
	va_start(ap, fmt);
	vsnprintf(err->message, sizeof(err->message), fmt, ap);
	va_end(ap);
}

QZ_API void qz_parse_error__format(const struct qz_parse_error *err,
				   const char *text, char *buf, size_t len)
{
	if (buf && len)
		buf[0] = '\0';
	if (err)
		qz__caret_format(text, err->column, err->message, buf, len);
}

// SPDX-License-Identifier: MIT
/* Caret diagnostics: the input, and a caret under where it went wrong. */
#include <stdio.h>
#include <string.h>
#include "util.h"

void qz__caret_format(const char *text, int column, const char *message,
		      char *buf, size_t len)
{
	size_t tlen, col, n = 0;

	if (!buf || !len)
		return;
	buf[0] = '\0';
	text = text ? text : "";
	tlen = strlen(text);
	col = column < 0 ? 0 : (size_t)column;
	if (col > tlen)
		col = tlen;

	/* Tabs stay tabs under the caret so it lines up in a terminal. */
	n = (size_t)snprintf(buf, len, "%s\n", text);
	for (size_t i = 0; i < col && n + 1 < len; i++)
		buf[n++] = text[i] == '\t' ? '\t' : ' ';
	if (n < len)
		buf[n] = '\0';
	if (n < len)
		snprintf(buf + n, len - n, "^ %s", message);
}

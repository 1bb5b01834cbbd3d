// SPDX-License-Identifier: MIT
/* Caret diagnostics, edit distances and globs for selectors and filters. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
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
	size_t tlen, col, n = 0;

	if (!buf || !len)
		return;
	buf[0] = '\0';
	if (!err)
		return;
	text = text ? text : "";
	tlen = strlen(text);
	col = err->column < 0 ? 0 : (size_t)err->column;
	if (col > tlen)
		col = tlen;

	/* Tabs stay tabs under the caret so it lines up in a terminal. */
	n = (size_t)snprintf(buf, len, "%s\n", text);
	for (size_t i = 0; i < col && n + 1 < len; i++)
		buf[n++] = text[i] == '\t' ? '\t' : ' ';
	if (n < len)
		buf[n] = '\0';
	if (n < len)
		snprintf(buf + n, len - n, "^ %s", err->message);
}

int qz__edit_distance(const char *a, size_t alen, const char *b, size_t blen,
		      int max)
{
	int stack_row[64], *row = stack_row, best, ret;

	if ((alen > blen ? alen - blen : blen - alen) > (size_t)max)
		return max + 1;
	if (blen + 1 > 64) {
		row = malloc((blen + 1) * sizeof(*row));
		if (!row)
			return max + 1;
	}
	for (size_t j = 0; j <= blen; j++)
		row[j] = (int)j;
	for (size_t i = 1; i <= alen; i++) {
		int diag = row[0];

		row[0] = (int)i;
		best = row[0];
		for (size_t j = 1; j <= blen; j++) {
			int up = row[j], v;

			v = diag + (a[i - 1] != b[j - 1]);
			if (up + 1 < v)
				v = up + 1;
			if (row[j - 1] + 1 < v)
				v = row[j - 1] + 1;
			diag = up;
			row[j] = v;
			if (v < best)
				best = v;
		}
		if (best > max) {
			ret = max + 1;
			goto out;
		}
	}
	ret = row[blen] > max ? max + 1 : row[blen];
out:
	if (row != stack_row)
		free(row);
	return ret;
}

/* One [...] class at pat (past the '['); *used is its length incl. ']'. */
static int class_match(const char *pat, size_t plen, char c, size_t *used)
{
	size_t i = 0;
	bool neg = false, hit = false;

	if (i < plen && (pat[i] == '!' || pat[i] == '^')) {
		neg = true;
		i++;
	}
	for (bool first = true; i < plen && (first || pat[i] != ']'); first = false) {
		char lo = pat[i], hi = lo;

		if (i + 2 < plen && pat[i + 1] == '-' && pat[i + 2] != ']') {
			hi = pat[i + 2];
			i += 3;
		} else {
			i++;
		}
		if (c >= lo && c <= hi)
			hit = true;
	}
	if (i >= plen)
		return -1; /* no closing ']': treat '[' as a literal */
	*used = i + 1;
	return hit != neg;
}

bool qz__glob_match(const char *pat, size_t plen, const char *s, size_t slen)
{
	size_t p = 0, i = 0, star_p = (size_t)-1, star_i = 0;

	/* Greedy with one backtrack point: linear in practice, never exponential. */
	while (i < slen) {
		if (p < plen && pat[p] == '*') {
			star_p = ++p;
			star_i = i;
			continue;
		}
		if (p < plen) {
			size_t used = 1;
			int m;

			if (pat[p] == '?') {
				m = 1;
			} else if (pat[p] == '[' &&
				   (m = class_match(pat + p + 1, plen - p - 1, s[i], &used)) >= 0) {
				used += 1;
			} else {
				if (pat[p] == '\\' && p + 1 < plen)
					p++;
				m = pat[p] == s[i];
			}
			if (m) {
				p += used;
				i++;
				continue;
			}
		}
		if (star_p == (size_t)-1)
			return false;
		p = star_p;
		i = ++star_i;
	}
	while (p < plen && pat[p] == '*')
		p++;
	return p == plen;
}

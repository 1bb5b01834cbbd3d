// SPDX-License-Identifier: MIT
/* Shell-style globs, for tracepoint names and the filter's ~ operator. */
#include "util.h"

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

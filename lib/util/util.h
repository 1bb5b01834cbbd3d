/* SPDX-License-Identifier: MIT */
/*
 * Text helpers every area may use: edit distances for "did you mean",
 * globs and caret diagnostics. Private; they know no library type, so
 * util stays at the bottom of the areas.
 */
#ifndef QUAZAR_UTIL_H
#define QUAZAR_UTIL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/*
 * edit_distance.c: Levenshtein distance between a[0..alen) and
 * b[0..blen), or max + 1 as soon as it is known to exceed max (keeps
 * suggestions cheap).
 */
int qz__edit_distance(const char *a, size_t alen, const char *b, size_t blen,
		      int max);

/* The largest distance still worth suggesting for a word of len chars. */
static inline int qz__suggest_limit(size_t len)
{
	return len < 4 ? 1 : len < 9 ? 2 : 3;
}

/* glob.c: shell-style glob over a bounded string: * ? [a-z] [!x]. */
bool qz__glob_match(const char *pat, size_t plen, const char *s, size_t slen);

static inline bool qz__has_glob(const char *s)
{
	for (; *s; s++)
		if (*s == '*' || *s == '?' || *s == '[')
			return true;
	return false;
}

static inline bool qz__has_glob_n(const char *s, int n)
{
	for (int i = 0; i < n; i++)
		if (s[i] == '*' || s[i] == '?' || s[i] == '[')
			return true;
	return false;
}

/*
 * caret.c: write a two-line diagnostic into buf, text (NULL: "") and a
 * caret under column (clamped to the text) followed by message:
 *	<text>
 *	      ^ <message>
 */
void qz__caret_format(const char *text, int column, const char *message,
		      char *buf, size_t len);

/*
 * exit_reasons.c: the name of a KVM exit reason, isa 1 (VMX) or 2 (SVM)
 * as kvm:kvm_exit gives it; NULL when unknown. Static.
 */
const char *qz__exit_reason(uint64_t isa, uint64_t reason);

#endif

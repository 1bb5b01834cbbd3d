/* SPDX-License-Identifier: MIT */
/* What lib/select and lib/tp share privately: diagnostics and distances. */
#ifndef QUAZAR_SELECT_INTERNAL_H
#define QUAZAR_SELECT_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <errno.h>
#include <quazar/select.h>

/* Fill err (may be NULL) with a column and a printf message. */
__attribute__((format(printf, 3, 4)))
void qz__parse_error(struct qz_parse_error *err, int column, const char *fmt,
		     ...);

/*
 * Levenshtein distance between a[0..alen) and b[0..blen), or max + 1 as
 * soon as it is known to exceed max (keeps suggestions cheap).
 */
int qz__edit_distance(const char *a, size_t alen, const char *b, size_t blen,
		      int max);

/* The largest distance still worth suggesting for a word of len chars. */
static inline int qz__suggest_limit(size_t len)
{
	return len < 4 ? 1 : len < 9 ? 2 : 3;
}

/* Shell-style glob over a bounded string: * ? [a-z] [!x]. */
bool qz__glob_match(const char *pat, size_t plen, const char *s, size_t slen);

static inline bool qz__has_glob(const char *s)
{
	for (; *s; s++)
		if (*s == '*' || *s == '?' || *s == '[')
			return true;
	return false;
}

/* names.c: the hardware/software name table. */
int qz__builtin_lookup(const char *name, size_t len, enum qz_spec_kind *kind,
		       uint64_t *config);
/* The builtin name closest to name[0..len), or NULL if none is close. */
const char *qz__builtin_closest(const char *name, size_t len);

/* attrs.c: parse one ATTR (text[start..end)) into spec. */
int qz__parse_attr(struct qz_event_spec *spec, const char *text, int start,
		   int end, struct qz_parse_error *err);

#endif

/* SPDX-License-Identifier: MIT */
/* What the selector and the filter share privately. */
#ifndef QUAZAR_SELECT_INTERNAL_H
#define QUAZAR_SELECT_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <errno.h>
#include <quazar/select.h>
#include "../util/util.h"

/* parse_error.c: fill err (may be NULL) with a column and a message. */
__attribute__((format(printf, 3, 4)))
void qz__parse_error(struct qz_parse_error *err, int column, const char *fmt,
		     ...);

/* names.c: the hardware/software name table. */
int qz__builtin_lookup(const char *name, size_t len, enum qz_spec_kind *kind,
		       uint64_t *config);
/* The builtin name closest to name[0..len), or NULL if none is close. */
const char *qz__builtin_closest(const char *name, size_t len);

/* attrs.c: parse one ATTR (text[start..end)) into spec. */
int qz__parse_attr(struct qz_event_spec *spec, const char *text, int start,
		   int end, struct qz_parse_error *err);

#endif

/* SPDX-License-Identifier: MIT */
/* Printing events kept by multi-trace, as text lines or JSON objects. */
#ifndef QUAZAR_PROFILERS_MT_PRINT_H
#define QUAZAR_PROFILERS_MT_PRINT_H

#include <stdio.h>
#include <string.h>
#include <quazar/json.h>
#include "relations.h"

struct qz_session;
struct qz_stack_printer;
struct folded;

struct mt_printer {
	struct qz_session *session;
	struct qz_stack_printer *stacks;
	struct folded *flame;		/* --flame-graph: printed stacks counted */
	char line[4096];
};

const char *qz_mt__short_name(struct qz_session *s, int index);
/* One trace-style line (and its stack), prefixed by mark; printers count
 * the stacks they print into flame, when set. */
void qz_mt__print_text(struct mt_printer *p, const struct mt_rec *r,
		   const char *mark, FILE *f);
/* An object: time, event, cpu, pid, tid, comm, fields, stack. */
void qz_mt__print_json(struct mt_printer *p, const struct mt_rec *r,
		   struct qz_json *j);
/* ns as microseconds with 3 decimals. */
void qz_mt__fmt_us(uint64_t ns, char *buf, size_t len);

#endif

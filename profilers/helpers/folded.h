/* SPDX-License-Identifier: MIT */
/*
 * Folded stacks for flame graphs: "comm;outer;...;inner COUNT" per line,
 * the input of flamegraph.pl.
 */
#ifndef QUAZAR_PROFILERS_FOLDED_H
#define QUAZAR_PROFILERS_FOLDED_H

#include <stdint.h>
#include <quazar/event.h>
#include "callchain.h"

struct folded;
struct qz_session;

/* Stacks for FILE.folded (the --flame-graph FILE). */
struct folded *folded_new(struct qz_stack_printer *printer, const char *file);
void folded_free(struct folded *f);
/*
 * One sample's callchain as a folded line, "comm;root;...;leaf", into
 * line; returns its length (cut to fit).
 */
size_t folded_line(struct qz_stack_printer *printer, const char *comm,
		   const struct qz_sample *smp, char *line, size_t size);
/* Count a line made by folded_line. */
void folded_count(struct folded *f, const char *line);
/* Count one sample's callchain under comm. */
void folded_add(struct folded *f, const char *comm, const struct qz_sample *smp);
/* Write FILE.folded, every stack with its count; log where, or why not. */
void folded_write(struct folded *f, struct qz_session *s);

#endif

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

/* Stacks for FILE.folded and FILE.svg (the --flame-graph FILE). */
struct folded *qz_folded__new(struct qz_stack_printer *printer, const char *file);
void qz_folded__free(struct folded *f);
/* The SVG's title and what a count is ("samples", "bytes"); borrowed. */
void qz_folded__set_graph(struct folded *f, const char *title, const char *count_name);
/*
 * One sample's callchain as a folded line, "comm;root;...;leaf", into
 * line; returns its length (cut to fit). Kernel frames end in "_[k]", as
 * stackcollapse-perf.pl --kernel writes them.
 */
size_t qz_folded__line(struct qz_stack_printer *printer, const char *comm,
		   const struct qz_sample *smp, char *line, size_t size);
/* Count a line made by qz_folded__line, once or n times (bytes, ...). */
void qz_folded__count(struct folded *f, const char *line);
void qz_folded__count_n(struct folded *f, const char *line, uint64_t n);
/* Count one sample's callchain under comm. */
void qz_folded__add(struct folded *f, const char *comm, const struct qz_sample *smp);
/*
 * Write FILE.folded, every stack with its count, and its flame graph
 * FILE.svg; log where, or why not.
 */
void qz_folded__write(struct folded *f, struct qz_session *s);

#endif

/* SPDX-License-Identifier: MIT */
/*
 * Raw stacks (stacktab.h) to text when they are reported: folded lines
 * and leaf keys. Stacks share most of their frames, and intervals most of
 * their stacks: each frame's name is looked up once and kept, by (pid,
 * generation, address), which names one code location for good.
 */
#ifndef QUAZAR_PROFILERS_STACKFOLD_H
#define QUAZAR_PROFILERS_STACKFOLD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <quazar/stack.h>
#include "stacktab.h"

struct qz_stackfold;

/* sym is borrowed. NULL on ENOMEM. */
struct qz_stackfold *qz_stackfold__new(struct qz_symbolizer *sym);
void qz_stackfold__free(struct qz_stackfold *f);
/*
 * Call once per report: every so often the names are forgotten, so a
 * JIT map written since, or a file that could not be read, gets a new
 * chance, and the cache stays bounded.
 */
void qz_stackfold__interval(struct qz_stackfold *f);

/*
 * "comm;root;...;leaf" into line (cut to fit); kernel frames end in
 * "_[k]" with kmark, as stackcollapse-perf.pl --kernel marks them. A
 * frame without a symbol is "[module]" when its file is known, else
 * "[unknown]". Returns the length.
 */
size_t qz_stackfold__line(struct qz_stackfold *f, const struct qz_stack_entry *e, bool kmark,
			  char *line, size_t size);
/*
 * The leaf frame as "sym\tmodule\tbuild_id" (build_id may be empty), the
 * key of a functions table; counted in the frames when count (a stack
 * already counted by qz_stackfold__line is not).
 */
void qz_stackfold__leaf(struct qz_stackfold *f, const struct qz_stack_entry *e, char *key,
			size_t size, bool count);
/* Frames named since new, weighted by their stacks' samples, and those of them without a symbol. */
uint64_t qz_stackfold__frames(const struct qz_stackfold *f);
uint64_t qz_stackfold__unknown(const struct qz_stackfold *f);

#endif

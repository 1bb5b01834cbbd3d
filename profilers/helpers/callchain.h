/* SPDX-License-Identifier: MIT */
/* Callchains of samples, symbolized, as text or JSON. */
#ifndef QUAZAR_PROFILERS_STACK_H
#define QUAZAR_PROFILERS_STACK_H

#include <stdio.h>
#include <quazar/json.h>
#include <quazar/event.h>
#include <quazar/stack.h>

struct qz_stack_printer;

struct qz_stack_printer *qz_stack_printer__new(void);
void qz_stack_printer__free(struct qz_stack_printer *p);
struct qz_symbolizer *qz_stack_printer__symbolizer(struct qz_stack_printer *p);
/* One line per frame: "\t<addr> <symbol>+<off> (<module>)". */
void qz_stack_printer__text(struct qz_stack_printer *p,
			    const struct qz_sample *smp, FILE *f);
/* An array of {"addr","sym","off","module"} frames. */
void qz_stack_printer__json(struct qz_stack_printer *p,
			    const struct qz_sample *smp, struct qz_json *j);
/* "sym+0x1f" (or the hex address) of one frame, into buf. */
void qz_stack_printer__frame(struct qz_stack_printer *p, pid_t pid, bool user,
			     uint64_t addr, char *buf, size_t len);

/*
 * Walk a callchain: calls fn for each real frame with whether it is a
 * user-space address; context markers are consumed.
 */
void qz_callchain__walk(const uint64_t *ips, uint64_t nr,
			void (*fn)(uint64_t addr, bool user, void *ctx), void *ctx);

#endif

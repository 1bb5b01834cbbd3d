/* SPDX-License-Identifier: MIT */
/*
 * One event as trace prints it: a text line in perf script's shape, or
 * the members of a JSON object (time, event, cpu, pid, tid, comm, fields,
 * stack). For the profilers that show the events behind their numbers.
 */
#ifndef QUAZAR_PROFILERS_EVLINE_H
#define QUAZAR_PROFILERS_EVLINE_H

#include <stdio.h>
#include <quazar/json.h>
#include <quazar/session.h>
#include "callchain.h"

struct evline {
	struct qz_stack_printer *stacks;	/* borrowed; NULL: no stacks */
	char buf[4096];
};

/* "comm pid/tid [cpu] sec.usec: name: fields\n", then the stack. */
void qz_evline__text(struct evline *l, const struct qz_event *ev, FILE *f);
/* The event's members into the open JSON object j. */
void qz_evline__json(struct evline *l, const struct qz_event *ev, struct qz_json *j);

#endif

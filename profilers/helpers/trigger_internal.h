/* SPDX-License-Identifier: MIT */
/* What trigger.c (watching, firing) and trigger_report.c share. */
#ifndef QUAZAR_PROFILERS_TRIGGER_INTERNAL_H
#define QUAZAR_PROFILERS_TRIGGER_INTERNAL_H

#include <time.h>
#include <quazar/stack.h>
#include "stackfold.h"
#include "stacktab.h"
#include "strcount.h"
#include "trigger.h"

struct trigger_cpu {
	uint64_t busy_ns, sys_ns;	/* this interval, from sample periods */
	/* A capture: from the interval that crossed the threshold, for --for. */
	bool capturing;
	uint64_t start, end;		/* CLOCK_MONOTONIC ns, as samples' time */
	uint64_t next_allowed;		/* no new trigger before */
	double pct;			/* what fired it */
	struct timespec wall;		/* when, for file names and reports */
	struct qz_stacktab *raw;	/* read since the last interval */
	struct strcount *folded;	/* resolved, kernel frames marked */
	struct strcount *functions;	/* leaves: "sym\tmodule\tbuild_id" */
	uint64_t samples, idle, frames, unknown, dropped;
};

struct qz_trigger {
	struct qz_session *session;
	struct qz_symbolizer *sym;
	struct qz_stackfold *fold;
	struct qz_trigger_opts o;
	char *dir;
	int idx;			/* the cpu-clock event */
	uint64_t base_period, burst_period;
	long nr_cpus;
	struct trigger_cpu *cpus;
	uint64_t interval_start;
	uint64_t fired;
};

/* trigger_report.c: the capture's raw stacks into its text tables. */
void qz__trigger_resolve(struct qz_trigger *t, struct trigger_cpu *tc);
/* The capture is over: files, then one line or one JSON report. */
void qz__trigger_report(struct qz_trigger *t, int cpu, struct qz_output *out);

#endif

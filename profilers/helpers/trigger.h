/* SPDX-License-Identifier: MIT */
/*
 * The "sys high" trigger, perf-prof's profile --than done properly: each
 * CPU is sampled on cpu-clock at a low base rate, and its busy % (or
 * kernel-mode %) is taken every interval. When a CPU crosses the
 * threshold its rate is raised and its stacks captured for a while; then
 * one line (or one JSON report) says which CPU, how busy, its top
 * functions and where the flame graph went. What profile --than and the
 * sys-high profiler share.
 */
#ifndef QUAZAR_PROFILERS_TRIGGER_H
#define QUAZAR_PROFILERS_TRIGGER_H

#include <stdbool.h>
#include <stdint.h>
#include <quazar/session.h>

#define QZ_TRIGGER_BASE_HZ 99		/* watching: what plain profile does */
#define QZ_TRIGGER_BURST_HZ 999		/* capturing, unless -F says */
#define QZ_TRIGGER_FOR_NS 5000000000ull

struct qz_trigger_opts {
	int than;		/* percent, 1-100 */
	bool sys;		/* kernel-mode %, not busy % */
	uint64_t for_ns;	/* how long to capture; 0: QZ_TRIGGER_FOR_NS */
	const char *dir;	/* --flame-graph DIR: files go there; may be NULL */
	uint64_t burst_period_ns; /* 0: 1 s / QZ_TRIGGER_BURST_HZ */
	const char *name;	/* of the profiler, for messages */
};

struct qz_trigger;

/*
 * From a profiler's init: check the options against the env, add the
 * cpu-clock events. NULL with the error logged and *err set.
 */
struct qz_trigger *qz_trigger__new(struct qz_session *s, const struct qz_trigger_opts *opts,
				   int *err);
void qz_trigger__free(struct qz_trigger *t);
void qz_trigger__sample(struct qz_trigger *t, const struct qz_event *ev);
void qz_trigger__interval(struct qz_trigger *t, struct qz_output *out, bool final);

#endif

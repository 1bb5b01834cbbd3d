/* SPDX-License-Identifier: MIT */
/*
 * Event selectors, perf-prof compatible:
 *
 *	EVENT,EVENT,...    EVENT = sys:name[/filter/ATTR/ATTR/.../]
 *
 * plus hardware/software event names (cycles, page-faults, ...), PMU terms
 * (pmu/config=0x..,period=N/) and uprobes (uprobe:/path:symbol[+off],
 * uretprobe:/path:symbol). Parsing is pure syntax; qz_evsel__new_from_spec
 * then resolves a spec to an event through the perf layer.
 */
#ifndef QUAZAR_SELECT_H
#define QUAZAR_SELECT_H

#include <stdbool.h>
#include <stdint.h>
#include <quazar/common.h>
#include <quazar/attr.h>

#ifdef __cplusplus
extern "C" {
#endif

struct qz_evsel;

enum qz_spec_kind {
	QZ_SPEC_TRACEPOINT,	/* sys:name, name may hold a glob */
	QZ_SPEC_HARDWARE,	/* cycles, instructions, ... */
	QZ_SPEC_SOFTWARE,	/* cpu-clock, page-faults, ... */
	QZ_SPEC_PMU,		/* pmu/term=value,.../ */
	QZ_SPEC_UPROBE,		/* uprobe:/path:symbol[+off] */
	QZ_SPEC_URETPROBE,	/* uretprobe:/path:symbol */
	/*
	 * A profiler as an event source: name[/OPTIONS/ATTR/.../], e.g.
	 * profile/-F 5000 -N 10/untraced/. name holds the profiler,
	 * profiler_opts its options; a session resolves it (see
	 * qz_session_opts.nest). Written name/-.../ (options), name//ATTR/
	 * or, where the caller allows, a bare name that is no event.
	 */
	QZ_SPEC_PROFILER,
};

#define QZ_SPEC_MAX_FIELDS 8

/* One event of a selector. All strings are owned by the selector. */
struct qz_event_spec {
	enum qz_spec_kind kind;
	char *text;		/* the event as written, for messages */
	int column;		/* 0-based column of the event in the input */
	char *sys;		/* tracepoint system, or PMU name */
	char *name;		/* tracepoint/event name; uprobe symbol */
	char *path;		/* uprobe binary */
	uint64_t offset;	/* uprobe offset past the symbol */
	char *filter;		/* the filter between the first slashes, or NULL */
	int filter_column;	/* column of the filter's first character */
	char *pmu_terms;	/* raw "config=0x..,period=N" for QZ_SPEC_PMU */

	/* Attributes (ATTR), NULL/0 when absent. */
	bool stack;
	int max_stack;
	char *alias;
	char *top_by[QZ_SPEC_MAX_FIELDS];
	int nr_top_by;
	char *top_add[QZ_SPEC_MAX_FIELDS];
	int nr_top_add;
	char *comm;		/* comm=FIELD: names a top key */
	char *ptr;		/* kmemleak */
	char *size;		/* kmemleak */
	char *delay;
	char *key;		/* multi-trace */
	char *role;		/* multi-trace role= expression, as written */
	bool untraced;
	char *cpus;		/* cpus=LIST */
	uint64_t period;	/* period=N (sample period), 0 = default */
	bool exclude_user, exclude_kernel; /* :u / :k modifiers */

	/* Added after the first agreement: append only. */
	uint64_t config;	/* PERF_COUNT_HW_* / PERF_COUNT_SW_* for those kinds */
	char *printkey;		/* printkey=EXPR: how top/multi-trace print a key */
	bool trigger;		/* multi-trace: output on this event, not per interval */
	int max_stack_set;	/* 1 when max-stack= was given (0 is a valid depth) */
	uint64_t freq;		/* freq=HZ (sample frequency), 0 = default */
	char *profiler_opts;	/* QZ_SPEC_PROFILER: the options, as written */
	int profiler_opts_column; /* column of the options' first character */
};

struct qz_selector {
	struct qz_event_spec *events;
	int nr_events;
};

/* Where and why a parse failed; message names the input and a fix. */
struct qz_parse_error {
	int column;		/* 0-based, into the text given */
	char message[256];
};

/*
 * Parse one selector string (a comma list). Appends to *sel so repeated
 * -e options accumulate; on failure *sel is left as it was. 0, or
 * -QZ_ERR_SELECTOR/-QZ_ERR_FILTER (a filter with unbalanced parentheses
 * or quotes, or no closing '/') with *err filled in. Filters are only
 * checked for balance here: qz_filter__compile() checks the rest against
 * the event's format, and the kernel may accept more than it does.
 */
QZ_API int qz_selector__parse(struct qz_selector *sel, const char *text,
			      struct qz_parse_error *err);

enum qz_selector_flags {
	/* A bare name that is no event (task-state) is a QZ_SPEC_PROFILER. */
	QZ_SELECTOR_PROFILERS = 1 << 0,
};

/* qz_selector__parse with enum qz_selector_flags. */
QZ_API int qz_selector__parse_flags(struct qz_selector *sel, const char *text,
				    unsigned flags, struct qz_parse_error *err);
/* Free what the selector owns (not sel itself); accepts NULL. */
QZ_API void qz_selector__clear(struct qz_selector *sel);

/*
 * Write a two-line caret diagnostic for err into buf:
 *	<text>
 *	      ^ <message>
 */
QZ_API void qz_parse_error__format(const struct qz_parse_error *err,
				   const char *text, char *buf, size_t len);

/*
 * Classify a hardware/software event name ("cycles", "page-faults", ...):
 * 0 with *kind and *config (PERF_COUNT_HW_* / PERF_COUNT_SW_*) set, or
 * -QZ_ERR_UNKNOWN_EVENT.
 */
QZ_API int qz_select__builtin_event(const char *name, enum qz_spec_kind *kind,
				    uint64_t *config);
/*
 * The i-th builtin event name (0-based) for listings, or NULL past the end;
 * *kind says hardware or software. Names are static.
 */
QZ_API const char *qz_select__builtin_name(int i, enum qz_spec_kind *kind);

/*
 * A selector's event to an attr: kind, exclude_user/kernel, period, stack
 * and max_stack. Tracepoints, uprobes and breakpoints sample every event
 * (period 1); hardware/software/PMU events count unless the spec gives a
 * period. A software event given a period above 1 does not record
 * PERF_SAMPLE_PERIOD: with it the kernel samples every event. For uprobes config1 points at spec->path (borrowed); evsels made
 * by qz_evsel__new_from_spec keep their own copy.
 */
QZ_API int qz_attr__from_spec(struct perf_event_attr *attr,
			      const struct qz_event_spec *spec,
			      const struct qz_attr_opts *opts);
/* An event from a selector spec: qz_attr__from_spec plus its filter. */
QZ_API struct qz_evsel *qz_evsel__new_from_spec(const struct qz_event_spec *spec,
						const struct qz_attr_opts *opts);

#ifdef __cplusplus
}
#endif

#endif

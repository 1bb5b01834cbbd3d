/* SPDX-License-Identifier: MIT */
/*
 * A session runs one profiler instance: it turns the env's selectors into
 * events, opens them on the right CPUs and threads, reads the rings in
 * time order, decodes and filters each event, and calls the profiler. The
 * CLI runs one on its main thread; the agent runs one per collector thread.
 */
#ifndef QUAZAR_SESSION_H
#define QUAZAR_SESSION_H

#include <stdbool.h>
#include <stdint.h>
#include <quazar/common.h>
#include <quazar/perf.h>
#include <quazar/profiler.h>
#include <quazar/output.h>
#include <quazar/select.h>

#ifdef __cplusplus
extern "C" {
#endif

struct qz_tp_event;
struct qz_filter;

/* One decoded event, as a profiler's sample callback sees it. All borrowed. */
struct qz_event {
	const struct qz_sample *sample;
	int index;			/* which session event: see add_events */
	const struct qz_event_spec *spec; /* its selector entry and attrs */
	struct qz_tp_event *tp;		/* tracepoint format, or NULL */
	struct qz_session *session;
};

/* The comm of the event's thread, or "" (borrowed; looked up on demand). */
QZ_API const char *qz_event__comm(const struct qz_event *ev);

struct qz_session_opts {
	size_t sz;
	qz_log_fn log;		/* errors and debug lines */
	void *log_ctx;
	/*
	 * Called once from run, on its thread, when the events are open and
	 * the loop is about to start (err 0), or when init or open failed
	 * (err < 0, already logged). Lets a caller wait for a good start.
	 */
	void (*ready)(int err, void *ctx);
	void *ready_ctx;
};

/*
 * A session for prof over env (both borrowed, must outlive it) writing to
 * out (borrowed). Nothing is opened until run. NULL + errno on failure.
 */
QZ_API struct qz_session *qz_session__new(const struct qz_profiler *prof,
					  struct qz_env *env,
					  struct qz_output *out,
					  const struct qz_session_opts *opts);
QZ_API void qz_session__free(struct qz_session *s);

/*
 * For profilers' init: add the events of a selector string (tracepoint
 * globs expanded). Returns the index of the first event added, or a
 * negative error after logging a message that quotes the selector and
 * points at the column. sample_type bits are added to the defaults
 * (TID, TIME, CPU, PERIOD, RAW for tracepoints, CALLCHAIN with stack/-g).
 */
QZ_API int qz_session__add_events(struct qz_session *s, const char *selector,
				  uint64_t sample_type);
/*
 * Sample these user registers (PERF_SAMPLE_REGS_USER, mask as in
 * perf_event_attr.sample_regs_user) with event index: how uprobe events
 * read arguments and return values. Call from init, before run opens.
 */
QZ_API int qz_session__set_regs_user(struct qz_session *s, int index,
				     uint64_t mask);
/* Events are counted, never sampled (stat). Call before add_events. */
QZ_API void qz_session__set_counting(struct qz_session *s, bool counting);
/* Follow COMM/FORK/EXIT so events keep their comm (default on). */
QZ_API void qz_session__set_track_tasks(struct qz_session *s, bool on);
QZ_API int qz_session__nr_events(const struct qz_session *s);
QZ_API const struct qz_event_spec *qz_session__spec(const struct qz_session *s,
						    int index);
QZ_API struct qz_tp_event *qz_session__tp_event(const struct qz_session *s,
						int index);
QZ_API struct qz_evsel *qz_session__evsel(struct qz_session *s, int index);
/*
 * Compile an expression over event index's fields (an attr such as role=,
 * evaluated with qz_filter__eval); the session owns it. NULL + errno after
 * logging an error that names attr and points at the column.
 */
QZ_API const struct qz_filter *qz_session__expr(struct qz_session *s, int index,
					       const char *attr, const char *text);
/* The name to show for an event: alias=, else sys:name, else the text. */
QZ_API const char *qz_session__event_name(const struct qz_session *s, int index);
QZ_API struct qz_env *qz_session__env(struct qz_session *s);
/* Where the profiler writes (borrowed). */
QZ_API struct qz_output *qz_session__output(struct qz_session *s);
QZ_API struct qz_evlist *qz_session__evlist(struct qz_session *s);
QZ_API struct qz_tasks *qz_session__tasks(struct qz_session *s);
/* Log a line through the session's log callback (for profilers). */
QZ_API void qz_session__log(struct qz_session *s, enum qz_log_level level,
			    const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/*
 * Open everything and run until stopped, until the workload (-- cmd) exits,
 * or until -N events; then drain the rings and make the final report.
 * Returns 0 or a negative error (already logged).
 */
QZ_API int qz_session__run(struct qz_session *s);
/* Ask run to finish: async-signal-safe and thread-safe. */
QZ_API void qz_session__stop(struct qz_session *s);

struct qz_session_stats {
	uint64_t samples;	/* delivered to the profiler */
	uint64_t filtered;	/* dropped by a user-space filter */
	uint64_t lost;		/* dropped by the kernel: ring full */
	uint64_t late;		/* past the --order window */
	int nr_cpus;
	uint64_t lost_per_cpu[1024];
};
QZ_API void qz_session__stats(const struct qz_session *s,
			      struct qz_session_stats *stats);

/* Write the common event fields ("event","cpu","pid","tid","comm"). */
QZ_API void qz_event__json_header(const struct qz_event *ev, struct qz_json *j);

#ifdef __cplusplus
}
#endif

#endif

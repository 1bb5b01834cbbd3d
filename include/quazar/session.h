/* SPDX-License-Identifier: MIT */
/*
 * A session runs one handler (struct qz_session_ops) over a set of events:
 * it turns the env's selectors into events, opens them on the right CPUs and
 * threads, reads the rings in time order, decodes and filters each event,
 * and calls the handler. Sessions share nothing: run one per thread.
 */
#ifndef QUAZAR_SESSION_H
#define QUAZAR_SESSION_H

#include <stdbool.h>
#include <stdint.h>
#include <quazar/common.h>
#include <quazar/event.h>
#include <quazar/options.h>
#include <quazar/output.h>
#include <quazar/select.h>

#ifdef __cplusplus
extern "C" {
#endif

struct qz_tp_event;
struct qz_filter;
struct qz_evsel;
struct qz_evlist;
struct qz_tasks;
struct qz_symbolizer;
struct qz_session;
struct qz_event;

#define QZ_MAX_EVENT_ARGS 16	/* -e options */

/*
 * The options every session reads, perf-prof compatible. A handler keeps its own options in its own struct and table. Times are
 * in nanoseconds, 0 = unset. Strings are owned by the env.
 */
struct qz_env {
	struct qz_strv events;		/* -e, in order: relations follow it */
	char *cpus, *pids, *tids, *cgroup;
	uint64_t interval_ns;		/* -i, given in ms */
	uint64_t mmap_pages;		/* -m, per CPU; 0 = default */
	int watermark;			/* --watermark percent; -1 = default */
	uint64_t exit_n;		/* -N */
	char *output;			/* -o */
	bool order;			/* --order */
	uint64_t order_window_ns;	/* --order-window, given in ms */
	bool callchain;			/* -g */
	bool json;			/* --json */
	bool exclude_user, exclude_kernel, exclude_guest, exclude_host;
	bool user_callchain, kernel_callchain; /* default true */
	int verbose;
	bool quiet;
	bool inherit;
	bool monotonic, tsc;
	uint64_t usage_self_ns;		/* --usage-self, given in ms: the usage line every period */
	uint64_t sampling_limit;	/* --sampling-limit: samples per second per instance */
	char *perfeval_cpus, *perfeval_pids; /* --perfeval-cpus/-pids */
	uint64_t clock_offset;		/* --clock-offset: added to every sample's time */
	char *kvmclock;			/* --kvmclock UUID: refused, see docs/perf-prof.md */
	bool ptrace;			/* --ptrace: follow new threads of -p and -- cmd */

	/* After `--`: a command to run and trace. NULL-terminated, borrowed. */
	char **workload;
};

/* An env with the defaults (owned; free with qz_env__free). NULL + errno. */
QZ_API struct qz_env *qz_env__new(void);
QZ_API void qz_env__free(struct qz_env *env);
/* The table of the common options, whose values land in struct qz_env. */
QZ_API const struct qz_option *qz_env__options(void);

/* What a session calls with the events it reads. */
struct qz_session_ops {
	unsigned default_interval_ms;	/* 0: report only at exit */
	bool default_order;
	/* Results do not depend on event order: without --order the
	 * session reads the rings one after another instead of merging. */
	bool any_order;

	/* Check options, add events to the session; *ctx is its state. */
	int (*init)(struct qz_session *session, void **ctx);
	void (*sample)(void *ctx, const struct qz_event *event);
	/* Events the kernel dropped on a CPU (-1: unknown). */
	void (*lost)(void *ctx, int cpu, uint64_t lost);
	/* Report what was gathered since the last call; final at exit. */
	void (*interval)(void *ctx, struct qz_output *out, bool final);
	void (*deinit)(void *ctx);
	/*
	 * Optional: write the current state (pending entries, rows so far)
	 * to out without resetting anything (SIGUSR1, qz_session__request).
	 * The session writes its own counters first.
	 */
	void (*status)(void *ctx, struct qz_output *out);
	/*
	 * Optional, with --ptrace: thread tid was just created by parent and
	 * stays stopped until this returns. Default: every event opened on
	 * the threads (-p, -- cmd) is opened on tid too (qz_session__follow).
	 */
	void (*thread)(void *ctx, int tid, int parent);
};

/* One decoded event, as the handler's sample callback sees it. All borrowed. */
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
	/*
	 * Where status (SIGUSR1), usage (SIGUSR2, --usage-self) and perfeval
	 * lines go; NULL: the session's own output. Borrowed.
	 */
	struct qz_output *status_out;
	/*
	 * Called for each event of a selector before it is added: 0, or a
	 * negative error after logging why (an attribute the handler does
	 * not read, say). NULL: every event is taken.
	 */
	int (*check_spec)(struct qz_session *s, const struct qz_event_spec *spec,
			  void *ctx);
	/*
	 * An event of a selector that names a profiler, not an event
	 * (QZ_SPEC_PROFILER: task-state, profile/-F 99/): add what it stands
	 * for with qz_session__add_nested and return the first index added,
	 * a negative error after logging why, or -ENOENT without logging
	 * when the name is no profiler (the session says so, with
	 * nest_names to suggest from). NULL: such events are refused.
	 */
	int (*nest)(struct qz_session *s, const struct qz_event_spec *spec, void *ctx);
	void *hook_ctx;			/* for check_spec and nest */
	const char *const *nest_names;	/* NULL-ended, borrowed */
};

/*
 * A session calling ops over env, writing to out. ops_opts is the handler's
 * own options, handed back by qz_session__ops_opts. All borrowed: they must
 * outlive the session. Nothing is opened until run. NULL + errno on failure.
 */
QZ_API struct qz_session *qz_session__new(const struct qz_session_ops *ops,
					  const void *ops_opts,
					  struct qz_env *env,
					  struct qz_output *out,
					  const struct qz_session_opts *opts);
QZ_API void qz_session__free(struct qz_session *s);

/*
 * For the handler's init: add the events of a selector string (tracepoint
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
/*
 * Attach BPF program prog_fd to event index when it opens, and to its
 * clones (qz_evsel__set_bpf): a program that returns 0 drops the sample
 * in the kernel. The fd is borrowed: keep it open while the session runs.
 * Call from init. 0, -EINVAL, or -EEXIST when the event has another.
 */
QZ_API int qz_session__set_bpf(struct qz_session *s, int index, int prog_fd);
/*
 * Call fn(handler ctx) on the loop's thread when fd is readable, every
 * 100 ms (so a source that wakes at a watermark is still read promptly),
 * before each interval report and once more before the final one: for a
 * handler's own sources, such as the rings of BPF program output. fd is
 * borrowed. Call from init. 0, -EINVAL, -ENOSPC (at most 8), or
 * -EOPNOTSUPP in a nested session (qz_session__add_nested: the loop is
 * its parent's).
 */
QZ_API int qz_session__add_fd(struct qz_session *s, int fd, void (*fn)(void *ctx));
/*
 * Count event member in event leader's group instead of sampling it: its
 * count since open arrives with every sample of the leader, which must ask
 * for PERF_SAMPLE_READ (read as a group). The member's filter must run in
 * the kernel: one it rejects fails the open. Call from init, after both
 * were added. 0, or -EINVAL for bad indexes or a leader that is a member.
 */
QZ_API int qz_session__set_group(struct qz_session *s, int leader, int member);
/*
 * Run another handler inside this session, over spec (a QZ_SPEC_PROFILER
 * of one of its selectors): what its init adds to its own session joins
 * this one's events and rings, and each of those events goes to both
 * handlers, to the nested one first. Its -N ends its own events, its -i
 * its own reports, which it writes to this session's output; -m and
 * --watermark size the shared rings (the larger ring, the earlier
 * wakeup), --order orders them all. Its env must watch what this one
 * does: events of another -p/-t/--cgroup/-- cmd are refused. hook_ctx is
 * its own check_spec/nest context. The nested session owns env and
 * ops_opts through release(release_arg), called when it is freed (also
 * on failure). Call from init; returns the index of the first event
 * added, or a negative error (logged). Nests one level deep.
 */
QZ_API int qz_session__add_nested(struct qz_session *s, const struct qz_event_spec *spec,
				  const struct qz_session_ops *ops, const void *ops_opts,
				  struct qz_env *env, void *hook_ctx,
				  void (*release)(void *arg), void *release_arg);
/* The session event index runs in, or NULL; its own index there. */
QZ_API struct qz_session *qz_session__nested(const struct qz_session *s, int index,
					     int *nested_index);
/* The session s runs inside (qz_session__add_nested), or NULL; borrowed. */
QZ_API struct qz_session *qz_session__parent(const struct qz_session *s);
/* Events are counted, never sampled (stat). Call before add_events. */
QZ_API void qz_session__set_counting(struct qz_session *s, bool counting);
/* Follow COMM/FORK/EXIT so events keep their comm (default on). */
QZ_API void qz_session__set_track_tasks(struct qz_session *s, bool on);
/*
 * The sample fields (PERF_SAMPLE_* bits) the handler reads from
 * qz_event.sample; the others may be left zero, and are not decoded.
 * Default ~0ull: all. qz_event__comm reads TID; qz_event__json_header reads
 * CPU and TID. Call from init.
 */
QZ_API void qz_session__set_sample_fields(struct qz_session *s, uint64_t fields);
QZ_API int qz_session__nr_events(const struct qz_session *s);
QZ_API const struct qz_event_spec *qz_session__spec(const struct qz_session *s,
						    int index);
QZ_API struct qz_tp_event *qz_session__tp_event(const struct qz_session *s,
						int index);
QZ_API struct qz_evsel *qz_session__evsel(struct qz_session *s, int index);
/*
 * Compile an expression over event index's fields and variables (an attr
 * such as role=, key=, evaluated with qz_filter__eval_sample); the session
 * owns it. A number: a string is refused. NULL + errno after logging an
 * error that names attr and points at the column.
 */
QZ_API const struct qz_filter *qz_session__expr(struct qz_session *s, int index,
					       const char *attr, const char *text);
/*
 * qz_session__expr with enum qz_filter_flags: the value may be a string
 * (comm=; qz_filter__is_str tells), and QZ_FILTER_KEY | QZ_FILTER_PRINTF
 * compiles a printkey= over `key` alone. Expressions may call ksymbol()
 * and comm_get(); without a tracepoint they read the variables only
 * (_cpu, _pid, _tid, _time, _period). Evaluate with the _sample
 * functions of quazar/filter.h.
 */
QZ_API const struct qz_filter *qz_session__expr_flags(struct qz_session *s, int index,
						      const char *attr, const char *text,
						      unsigned flags);
/* The name to show for an event: alias=, else sys:name, else the text. */
QZ_API const char *qz_session__event_name(const struct qz_session *s, int index);
QZ_API struct qz_env *qz_session__env(struct qz_session *s);
/* The handler's own options, as given to qz_session__new (borrowed). */
QZ_API const void *qz_session__ops_opts(const struct qz_session *s);
/*
 * Sample every event that has no period= of its own every period events
 * (or ns, for clocks), or at freq Hz when freq is not 0. Call from init.
 */
QZ_API void qz_session__set_sampling(struct qz_session *s, uint64_t period,
				     uint64_t freq);
/* Where the handler writes (borrowed). */
QZ_API struct qz_output *qz_session__output(struct qz_session *s);
QZ_API struct qz_evlist *qz_session__evlist(struct qz_session *s);
QZ_API struct qz_tasks *qz_session__tasks(struct qz_session *s);
/*
 * The session's symbolizer (borrowed; NULL + errno when it cannot be
 * made). Asking for it, from init, makes the session follow every
 * process's mappings (MMAP2, COMM, FORK, EXIT records, /proc at start)
 * and read the rings in time order. Keep (pid, qz_symbolizer__gen(),
 * address) per sample and resolve in the interval callback: after each
 * one the session reaps (qz_symbolizer__reap) what exited processes left.
 */
QZ_API struct qz_symbolizer *qz_session__symbolizer(struct qz_session *s);
/* Log a line through the session's log callback (for handlers). */
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

/* What qz_session__request asks the running loop for. */
enum qz_session_request {
	QZ_SESSION_STATUS = 1u << 0,	/* the handler's state now (SIGUSR1) */
	QZ_SESSION_USAGE = 1u << 1,	/* the session's own resource use (SIGUSR2) */
	QZ_SESSION_CHILD = 1u << 2,	/* a child changed state (SIGCHLD, --ptrace) */
};
/*
 * Ask the loop to do `what` (QZ_SESSION_* bits) on its own thread, soon:
 * async-signal-safe and thread-safe. Nothing stops.
 */
QZ_API void qz_session__request(struct qz_session *s, unsigned what);
/*
 * Call fn(handler ctx) every period_ns on the loop's thread (stat
 * --period). Call from init; 0 or -EINVAL.
 */
QZ_API int qz_session__set_tick(struct qz_session *s, uint64_t period_ns,
				void (*fn)(void *ctx));
/*
 * Open the events on every CPU for any thread even with -p/-t/-- cmd, as a
 * handler that scopes by tracepoint filters does (task-state): the
 * workload still runs, and its exit still ends the run. Call from init.
 */
QZ_API void qz_session__set_system_wide(struct qz_session *s, bool on);
/*
 * The pid of the -- cmd workload, forked now (held before exec) if it was
 * not yet; -ESRCH without a workload, or -errno.
 */
QZ_API int qz_session__workload_pid(struct qz_session *s);
/*
 * With --ptrace: follow tid (attach by ptrace; its new threads are
 * reported to ops->thread). From init or ops->thread. 0 or -errno.
 */
QZ_API int qz_session__follow(struct qz_session *s, int tid);
/*
 * Open a copy of event index's evsel, now, while the session runs: for
 * thread tid (>= 0) on the evlist's CPUs, or for any thread (tid -1), with
 * filter (NULL: the event's own). Its samples come as event index. For
 * ops->thread. 0 or -errno (logged).
 */
QZ_API int qz_session__add_clone(struct qz_session *s, int index, int tid,
				 const char *filter);

/* Set sz to sizeof(struct qz_session_stats): the library fills what it covers. */
struct qz_session_stats {
	size_t sz;
	uint64_t samples;	/* delivered to the handler */
	uint64_t filtered;	/* dropped by a user-space filter */
	uint64_t lost;		/* dropped by the kernel: ring full */
	uint64_t late;		/* past the --order window */
	uint64_t dropped;	/* over --sampling-limit */
};
/* 0, or -EINVAL when stats->sz is too small. */
QZ_API int qz_session__stats(const struct qz_session *s,
			     struct qz_session_stats *stats);
/* Events the kernel dropped on one CPU so far. */
QZ_API uint64_t qz_session__cpu_lost(const struct qz_session *s, int cpu);

/* Write the common event fields ("event","cpu","pid","tid","comm"). */
QZ_API void qz_event__json_header(const struct qz_event *ev, struct qz_json *j);

#ifdef __cplusplus
}
#endif

#endif

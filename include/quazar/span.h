/* SPDX-License-Identifier: MIT */
/*
 * Spans annotated with the calling thread's perf counters.
 *
 *	struct qz_span *s = qz_span__begin("handle", NULL);
 *	qz_span__set_attr(s, "http.route", "/users");
 *	...
 *	qz_span__end(s);
 *
 * Spans nest through a per-thread stack: a span begun while another is open
 * on the same thread is its child. Ids follow W3C trace-context (16-byte
 * trace id, 8-byte span id) and a span can continue a `traceparent`.
 *
 * Each thread's counter group (task-clock, page-faults, context-switches,
 * cpu-migrations, and cycles, instructions, cache-misses where a hardware
 * PMU exists) is opened on the thread's first span and closed when the
 * thread exits; every boundary is one read() of the group, or rdpmc where
 * the PMU allows it. Without perf access spans still work: they carry no
 * counters and a reason, logged once, and no error reaches the caller.
 *
 * Nothing on the begin/end path allocates: spans live in a per-thread
 * stack allocated with the thread's first span.
 */
#ifndef QUAZAR_SPAN_H
#define QUAZAR_SPAN_H

#include <stdbool.h>
#include <stdint.h>
#include <quazar/common.h>

#ifdef __cplusplus
extern "C" {
#endif

#define QZ_SPAN_TRACE_ID_LEN 16
#define QZ_SPAN_ID_LEN 8
/* "00-" 32 hex "-" 16 hex "-" 2 hex, and the NUL. */
#define QZ_TRACEPARENT_LEN 56
#define QZ_SPAN_NAME_MAX 64	/* longer names are truncated */
#define QZ_SPAN_ATTRS_MAX 16	/* more are dropped, and counted */
#define QZ_SPAN_STRINGS_MAX 512	/* keys and string values of one span */
#define QZ_SPAN_DEPTH_MAX 32	/* open spans per thread */

/* The counters a span can carry, in their attribute order. */
enum qz_span_counter {
	QZ_SPAN_TASK_CLOCK,		/* perf.task_clock_ns */
	QZ_SPAN_PAGE_FAULTS,		/* perf.page_faults */
	QZ_SPAN_CONTEXT_SWITCHES,	/* perf.context_switches */
	QZ_SPAN_CPU_MIGRATIONS,		/* perf.cpu_migrations */
	QZ_SPAN_CYCLES,			/* perf.cycles */
	QZ_SPAN_INSTRUCTIONS,		/* perf.instructions */
	QZ_SPAN_CACHE_MISSES,		/* perf.cache_misses */
	QZ_SPAN_NR_COUNTERS,
};

#define QZ_SPAN_COUNTERS_SW 0x0fu	/* the four software counters */
#define QZ_SPAN_COUNTERS_HW 0x70u	/* cycles, instructions, cache-misses */
#define QZ_SPAN_COUNTERS_ALL 0x7fu

enum qz_span_flag {
	/* The thread ran on more than one CPU during the span. */
	QZ_SPAN_F_MIGRATED = 1u << 0,
	/* The group was not always on the PMU: values are scaled up. */
	QZ_SPAN_F_MULTIPLEXED = 1u << 1,
	/* Both boundaries were read with rdpmc, without a syscall. */
	QZ_SPAN_F_RDPMC = 1u << 2,
	/* Counted in user space only (perf_event_paranoid, no CAP_PERFMON). */
	QZ_SPAN_F_USER_ONLY = 1u << 3,
};

enum qz_span_kind {
	QZ_SPAN_KIND_INTERNAL,	/* the default */
	QZ_SPAN_KIND_SERVER,
	QZ_SPAN_KIND_CLIENT,
	QZ_SPAN_KIND_PRODUCER,
	QZ_SPAN_KIND_CONSUMER,
};

/* Where a span sits in its trace: what a traceparent carries. */
struct qz_span_context {
	uint8_t trace_id[QZ_SPAN_TRACE_ID_LEN];
	uint8_t span_id[QZ_SPAN_ID_LEN];
	uint8_t trace_flags;	/* W3C: 0x01 sampled */
	bool remote;		/* from another process: a traceparent */
};

enum qz_span_attr_type {
	QZ_SPAN_ATTR_STR,
	QZ_SPAN_ATTR_I64,
	QZ_SPAN_ATTR_F64,
	QZ_SPAN_ATTR_BOOL,
};

/* Strings are offsets into the span's strings[], so a copy stays whole. */
struct qz_span_attr {
	uint16_t key;
	uint16_t type;		/* enum qz_span_attr_type */
	union {
		uint32_t str;
		int64_t i64;
		double f64;
		bool b;
	} v;
};

/*
 * A span as exporters see it: plain data, copied by value. sz is the
 * library's sizeof in the spans it hands out; a caller's copy for
 * qz_span__end_copy sets it to its own sizeof.
 */
struct qz_span_data {
	size_t sz;
	struct qz_span_context ctx;
	uint8_t parent_id[QZ_SPAN_ID_LEN];	/* zero for a root */
	bool parent_remote;			/* it came in a traceparent */
	uint8_t kind;				/* enum qz_span_kind */
	uint8_t nr_attrs;
	uint16_t dropped_attrs;
	uint32_t flags;				/* enum qz_span_flag */
	uint32_t counters;			/* bit c: values[c] valid */
	int32_t tid;
	int32_t cpu_start, cpu_end;
	uint64_t start_ns, end_ns;		/* CLOCK_REALTIME */
	uint64_t mono_end_ns;			/* CLOCK_MONOTONIC: "ts" */
	uint64_t values[QZ_SPAN_NR_COUNTERS];	/* over the span, scaled */
	uint64_t time_enabled_ns, time_running_ns; /* of the group */
	/* Why the span has no counters (static text), or NULL. */
	const char *unavailable;
	char name[QZ_SPAN_NAME_MAX];
	uint16_t strings_len;
	struct qz_span_attr attrs[QZ_SPAN_ATTRS_MAX];
	char strings[QZ_SPAN_STRINGS_MAX];
};

static inline bool qz_span_data__has_parent(const struct qz_span_data *d)
{
	uint64_t p;

	__builtin_memcpy(&p, d->parent_id, sizeof(p));
	return p != 0;
}

static inline const char *qz_span_attr__key(const struct qz_span_data *d,
					    const struct qz_span_attr *a)
{
	return d->strings + a->key;
}

static inline const char *qz_span_attr__str(const struct qz_span_data *d,
					    const struct qz_span_attr *a)
{
	return d->strings + a->v.str;
}

/* The attribute name of a counter ("perf.page_faults"); NULL if out of range. */
QZ_API const char *qz_span_counter__name(enum qz_span_counter c);

/*
 * A tracer holds what spans share: the exporter that finished spans go to,
 * the log callback, and which counters a thread's group opens.
 */
struct qz_span_exporter;
struct qz_tracer;

struct qz_tracer_opts {
	size_t sz;
	struct qz_span_exporter *exporter; /* borrowed; NULL: not exported */
	qz_log_fn log;
	void *log_ctx;
	/*
	 * QZ_SPAN_COUNTERS_* wanted (0: ALL). Hardware counters the machine
	 * lacks are left out. A thread's group is opened once, with the
	 * counters of the tracer of its first span.
	 */
	uint32_t counters;
	bool no_counters;	/* spans without perf counters */
	bool no_rdpmc;		/* always read(), even where rdpmc works */
};

QZ_API struct qz_tracer *qz_tracer__new(const struct qz_tracer_opts *opts);
/* Spans of this tracer must have ended. Accepts NULL. */
QZ_API void qz_tracer__free(struct qz_tracer *tracer);
/* The tracer of spans begun without one; NULL unsets it. Not owned. */
QZ_API void qz_tracer__set_default(struct qz_tracer *tracer);

struct qz_span;

struct qz_span_opts {
	size_t sz;
	/* NULL: the open parent span's tracer, else the default one. */
	struct qz_tracer *tracer;
	/* Continue this W3C traceparent; an invalid one starts a new trace. */
	const char *traceparent;
	/* Parent from elsewhere (another thread); overrides the stack. */
	const struct qz_span_context *parent;
	bool root;		/* new trace even when a span is open */
	enum qz_span_kind kind;
};

/*
 * Begin a span on the calling thread. The returned span is borrowed from
 * the thread's stack until qz_span__end. NULL (errno ENOMEM) only when the
 * thread's state cannot be allocated, or ENOSPC beyond QZ_SPAN_DEPTH_MAX
 * open spans; the perf counters never make it fail.
 */
QZ_API struct qz_span *qz_span__begin(const char *name,
				      const struct qz_span_opts *opts);
/*
 * End a span on the thread that began it: read the counters, hand the span
 * to the tracer's exporter. Spans end innermost first; ending an outer one
 * first ends it but keeps its slot until the inner ones end. Accepts NULL
 * (-EINVAL). Returns 0, or -ENOBUFS when the exporter's buffer was full
 * (the span is counted as dropped and logged by the exporter).
 */
QZ_API int qz_span__end(struct qz_span *span);
/*
 * The same, and copy the finished span to out, whose sz the caller sets
 * (sizeof(*out)); -EINVAL, the span left open, when it is too small.
 */
QZ_API int qz_span__end_copy(struct qz_span *span, struct qz_span_data *out);

/* Attributes: the key is replaced when present. -ENOSPC when full. */
QZ_API int qz_span__set_attr(struct qz_span *span, const char *key,
			     const char *value);
QZ_API int qz_span__set_attr_i64(struct qz_span *span, const char *key,
				 int64_t value);
QZ_API int qz_span__set_attr_f64(struct qz_span *span, const char *key,
				 double value);
QZ_API int qz_span__set_attr_bool(struct qz_span *span, const char *key,
				  bool value);

/* The span's data so far (borrowed; the counters fill in at the end). */
QZ_API const struct qz_span_data *qz_span__data(const struct qz_span *span);
/* The innermost open span of the calling thread (borrowed), or NULL. */
QZ_API struct qz_span *qz_span__current(void);
/* "00-<trace>-<span>-<flags>" for an outgoing request. */
QZ_API int qz_span__traceparent(const struct qz_span *span, char *buf,
				size_t len);

/* Parse a traceparent; -EINVAL when malformed (the W3C rules). */
QZ_API int qz_span_context__parse(struct qz_span_context *ctx,
				  const char *traceparent);
/* Format one; -ENOSPC if len < QZ_TRACEPARENT_LEN. */
QZ_API int qz_span_context__format(const struct qz_span_context *ctx,
				   char *buf, size_t len);

/*
 * Open the calling thread's counter group now rather than on its first
 * span (pool workers do). Returns 0, or the reason's -errno: spans work
 * either way.
 */
QZ_API int qz_span__open_thread(struct qz_tracer *tracer);
/* Close the calling thread's group and free its stack; no span may be open. */
QZ_API void qz_span__close_thread(void);

/*
 * What a span on the calling thread gets: opens its group if needed. Set
 * sz to sizeof(struct qz_span_probe); the library fills what it covers.
 */
struct qz_span_probe {
	size_t sz;
	uint32_t counters;	/* QZ_SPAN_COUNTERS_* bits that open */
	uint32_t flags;		/* QZ_SPAN_F_USER_ONLY */
	bool pmu;		/* hardware counters opened */
	bool rdpmc;		/* boundaries read with rdpmc */
	const char *read_path;	/* "read", "rdpmc" or "none" (static) */
	char reason[192];	/* no counters, no PMU or no rdpmc: why */
};

/* 0, the reason's -errno when there are no counters, -EINVAL for a bad sz. */
QZ_API int qz_span__probe(struct qz_tracer *tracer,
			  struct qz_span_probe *probe);

#ifdef __cplusplus
}
#endif

#endif

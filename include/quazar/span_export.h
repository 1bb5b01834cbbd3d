/* SPDX-License-Identifier: MIT */
/*
 * The span exporter: a bounded buffer that finished spans are copied into,
 * and a thread that hands them to an export function in batches, when a
 * batch is full or its oldest span is old enough.
 *
 * A span that finds the buffer full is dropped: drops are counted in the
 * stats and logged (at most once a second, and in total at the end), never
 * silent. A batch the export function fails is counted and logged too.
 *
 * Exporters: JSON lines through a qz_output (here), and OTLP/HTTP in the
 * separate quazar-otlp library (otlp/otlp.h), which needs libcurl.
 */
#ifndef QUAZAR_SPAN_EXPORT_H
#define QUAZAR_SPAN_EXPORT_H

#include <stdint.h>
#include <quazar/common.h>
#include <quazar/output.h>
#include <quazar/span.h>

#ifdef __cplusplus
extern "C" {
#endif

/*
 * Deliver n spans (borrowed for the call). deadline_ns is CLOCK_MONOTONIC
 * by which a retrying exporter must give up (UINT64_MAX: none). Returns 0
 * when delivered, else -errno: the batch is counted as failed and logged.
 * Called on the exporter's thread only.
 */
typedef int (*qz_span_export_fn)(const struct qz_span_data *const *spans,
				 size_t n, uint64_t deadline_ns, void *ctx);

struct qz_span_exporter_opts {
	size_t sz;
	qz_span_export_fn export;
	void (*close)(void *ctx);	/* once, after the last export */
	void *ctx;
	size_t capacity;		/* spans buffered; default 4096 */
	size_t batch_size;		/* spans per export; default 512 */
	unsigned batch_age_ms;		/* export a partial batch this old; 1000 */
	unsigned shutdown_ms;		/* __free's deadline to export; 5000 */
	qz_log_fn log;
	void *log_ctx;
};

/* Set sz to sizeof(struct qz_span_exporter_stats); the library fills the rest. */
struct qz_span_exporter_stats {
	size_t sz;
	uint64_t queued;	/* spans accepted into the buffer */
	uint64_t exported;	/* spans the export function took */
	uint64_t dropped;	/* spans that found the buffer full */
	uint64_t failed;	/* spans in batches that failed */
	uint64_t batches;	/* export calls */
	uint64_t pending;	/* in the buffer or being exported now */
};

QZ_API struct qz_span_exporter *
qz_span_exporter__new(const struct qz_span_exporter_opts *opts);
/*
 * Export what is buffered (until shutdown_ms), stop the thread, call close,
 * log the totals when anything was dropped or failed. Accepts NULL.
 */
QZ_API void qz_span_exporter__free(struct qz_span_exporter *exp);
/* Copy a finished span in. 0, or -ENOBUFS when full (counted, logged). */
QZ_API int qz_span_exporter__push(struct qz_span_exporter *exp,
				  const struct qz_span_data *span);
/* Export everything pushed so far. 0, or -ETIMEDOUT. */
QZ_API int qz_span_exporter__flush(struct qz_span_exporter *exp,
				   unsigned timeout_ms);
/* 0, or -EINVAL when st->sz is too small. */
QZ_API int qz_span_exporter__stats(struct qz_span_exporter *exp,
				   struct qz_span_exporter_stats *st);

/*
 * The JSON-lines exporter: one "span" record per span through out
 * (borrowed; used from the exporter's thread only until __free). opts gives
 * the buffer and batch settings; its export, close and ctx must be unset.
 */
QZ_API struct qz_span_exporter *
qz_span_exporter__new_json(struct qz_output *out,
			   const struct qz_span_exporter_opts *opts);
/*
 * The attributes every exporter derives from a span's counters and flags
 * (perf.task_clock_ns, perf.migrated, ..., and thread.id); docs/spans.md
 * lists them. Keys and strings are static.
 */
struct qz_span_perf_attr {
	const char *key;
	enum qz_span_attr_type type;
	union {
		const char *str;
		int64_t i64;
		double f64;
		bool b;
	} v;
};

#define QZ_SPAN_PERF_ATTRS_MAX 16

/* Fill out (QZ_SPAN_PERF_ATTRS_MAX entries); returns how many apply. */
QZ_API size_t qz_span_data__perf_attrs(const struct qz_span_data *span,
				       struct qz_span_perf_attr *out);

/* One span's fields into an open JSON object (what the exporter writes). */
QZ_API void qz_span_data__json(const struct qz_span_data *span,
			       struct qz_json *j);

#ifdef __cplusplus
}
#endif

#endif
